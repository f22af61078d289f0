package main

import (
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestServeVerdictRule runs serve --once over a registry with and without
// dates, and a per-tag policy: each site's stored verdict and policy are
// what the rule says, and site_failing fires for the failing ones only.
func TestServeVerdictRule(t *testing.T) {
	site := newVerdictSite(t)
	compliant := readFile(t, "testdata/site/compliant.html")
	var (
		mu     sync.Mutex
		posted strings.Builder
	)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		posted.Write(body)
		mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(hook.Close)
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(compliant)
	})
	full := httptest.NewServer(mux)
	t.Cleanup(full.Close)

	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	warnIcon := write("warn-icon.yaml", "severity:\n  PSB_NO_ICON: warning\n")
	icp := "" // the registry holds none: ICP_NOT_IN_REGISTRY, a warning
	psb := "11010502045678"
	rows := []string{
		// domains,icp_number,launched_on,psb_number,psb_approved_on,check_url,tags
		"nodates.test," + icp + ",,,," + site.URL + "/no-psb,",
		"young.test," + icp + "," + daysAgo(10) + ",,," + site.URL + "/no-psb,",
		"noicon.test," + icp + ",2025-01-01," + psb + ",," + site.URL + "/no-icon,",
		"noicon-window.test," + icp + ",2025-01-01," + psb + "," + daysAgo(10) + "," + site.URL + "/no-icon,",
		"noicon-lax.test," + icp + ",2025-01-01," + psb + ",," + site.URL + "/no-icon,relaxed",
		"full.test," + icp + ",,,," + full.URL + "/,",
	}
	csv := write("sites.csv", "domains,icp_number,launched_on,psb_number,psb_approved_on,check_url,tags\n"+strings.Join(rows, "\n")+"\n")
	cfg := write("serve.yaml", fmt.Sprintf("policies:\n  relaxed: %s\nalerts:\n  receivers:\n    - name: hook\n      type: webhook\n      url: %s\n  default_receivers: [hook]\n", warnIcon, hook.URL))
	dbPath := filepath.Join(dir, "registry.db")
	dsn := "sqlite://" + dbPath
	mustRun(t, 0, "import", "--db", dsn, csv)
	mustRun(t, 0, "serve", "--once", "--db", dsn, "--config", cfg, "--allow-private", "--rectify-after", "0")

	db, err := sql.Open("sqlite", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	got := map[string]string{}
	rs, err := db.Query(`SELECT d.ascii, r.verdict, r.policy, COALESCE(a.firing, 0) FROM check_results r
		JOIN domains d ON d.site_id = r.site_id AND d.position = 0
		LEFT JOIN alerts a ON a.key = 'site_failing/' || d.ascii`)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	for rs.Next() {
		var domain, verdict, policy string
		var firing bool
		if err := rs.Scan(&domain, &verdict, &policy, &firing); err != nil {
			t.Fatal(err)
		}
		if strings.HasPrefix(policy, "warn-icon.yaml@") {
			policy = "warn-icon.yaml@…"
		}
		got[domain] = fmt.Sprintf("%s %s firing=%v", verdict, policy, firing)
	}
	want := map[string]string{
		"nodates.test":       "fail builtin firing=true",  // no dates: the PSB filing is due
		"young.test":         "pass builtin firing=false", // launched 10 days ago: inside the window
		"noicon.test":        "fail builtin firing=true",  // number known, no approval date: the badge is due
		"noicon-window.test": "pass builtin firing=false", // approved 10 days ago: inside the badge window
		"noicon-lax.test":    "pass warn-icon.yaml@… firing=false",
		"full.test":          "pass builtin firing=false",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stored verdicts (-want +got):\n%s", diff)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, d := range []string{"nodates.test", "noicon.test"} {
		if !strings.Contains(posted.String(), d) {
			t.Errorf("webhook did not get site_failing for %s:\n%s", d, posted.String())
		}
	}
}
