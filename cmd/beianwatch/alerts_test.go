package main

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/beianwatch/beianwatch/internal/amtest"
	"github.com/beianwatch/beianwatch/internal/logbuf"
)

// amAlert is what Alertmanager's GET /api/v2/alerts says of an alert.
type amAlert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	StartsAt    time.Time         `json:"startsAt"`
	EndsAt      time.Time         `json:"endsAt"`
}

func amAlerts(t *testing.T, base string) []amAlert {
	t.Helper()
	resp, err := http.Get(base + "/api/v2/alerts")
	if err != nil {
		return nil // stopped
	}
	defer resp.Body.Close()
	var as []amAlert
	if err := json.NewDecoder(resp.Body).Decode(&as); err != nil {
		t.Fatalf("alertmanager answer: %v", err)
	}
	return as
}

// waitFor polls cond every 200ms until it holds or limit passes.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", limit, what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestAlertsToAlertmanager runs the daemon against a real Alertmanager:
// a site that fails while Alertmanager is down gets its alert there once
// Alertmanager is back; the alert is there once however often the site is
// checked; when the site passes, the alert resolves.
func TestAlertsToAlertmanager(t *testing.T) {
	am := amtest.New(t)
	if err := am.Stop(); err != nil {
		t.Fatal(err)
	}
	var failing atomic.Bool
	failing.Store(true)
	compliant, noICP := readFile(t, "testdata/site/compliant.html"), readFile(t, "testdata/site/no-icp.html")
	var hits atomic.Int64
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if failing.Load() {
			w.Write(noICP)
			return
		}
		w.Write(compliant)
	}))
	t.Cleanup(site.Close)
	u, _ := url.Parse(site.URL)

	dir := t.TempDir()
	dbPath := filepath.Join(dir, "registry.db")
	dsn := "sqlite://" + dbPath
	csv := "domains,site_name,icp_number,icp_approved_on,launched_on,psb_number,psb_filed_on,psb_approved_on,check_url,customer_id,operator_type,operator_name,tags\n" +
		"alert.test,告警站,京ICP备2021034567号-1,2021-06-01,2021-06-02,11010502045678,2021-06-20,2021-07-01," + site.URL + "/,C-9,单位,北京示例科技有限公司,vip\n"
	csvPath := filepath.Join(dir, "sites.csv")
	config := fmt.Sprintf("alerts:\n  receivers:\n    - name: am\n      type: alertmanager\n      urls: [%s]\n      resend: 2s\n  default_receivers: [am]\n", am.URL)
	cfgPath := filepath.Join(dir, "serve.yaml")
	for p, body := range map[string]string{csvPath: csv, cfgPath: config} {
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	mustRun(t, 0, "import", "--db", dsn, csvPath)

	log := &logbuf.Buffer{}
	opts := daemonOptions(t, dsn, log, "alert.test:127.0.0.1:"+u.Port())
	opts.Alerts, opts.AutoRectify = alertsConfig(t, cfgPath), false
	opts.Interval, opts.RecheckInterval = time.Second, time.Second
	d := startDaemon(t, opts, log)

	db, err := sql.Open("sqlite", dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	outbox := func(cond string) int {
		var n int
		if err := db.QueryRow("SELECT COUNT(*) FROM alert_outbox WHERE " + cond).Scan(&n); err != nil {
			return -1
		}
		return n
	}
	// Alertmanager is down: the alert waits in the outbox, retried.
	waitFor(t, 30*time.Second, "a failed delivery", func() bool { return outbox("attempts > 0 AND delivered_at IS NULL") == 1 })
	if err := am.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	active := func() []amAlert { return amAlerts(t, am.URL) }
	waitFor(t, 30*time.Second, "the alert in Alertmanager", func() bool { return len(active()) == 1 })
	a := active()[0]
	for k, want := range map[string]string{"alertname": "BeianwatchSiteFailing", "severity": "critical", "domain": "alert.test"} {
		if a.Labels[k] != want {
			t.Errorf("alert label %s = %q, want %q (labels %v)", k, a.Labels[k], want, a.Labels)
		}
	}
	if !strings.Contains(a.Annotations["description"]+a.Annotations["summary"], "ICP") {
		t.Errorf("alert annotations %v do not say what fails", a.Annotations)
	}
	// More checks of the failing site: still one alert, one delivery.
	checked := hits.Load()
	waitFor(t, 30*time.Second, "three more checks", func() bool { return hits.Load() >= checked+3 })
	if n := len(active()); n != 1 {
		t.Errorf("Alertmanager has %d alerts after repeated checks, want 1", n)
	}
	if n := outbox("1=1"); n != 1 {
		t.Errorf("outbox holds %d deliveries after repeated checks, want 1 (fire once)", n)
	}
	// The site passes: the alert resolves.
	failing.Store(false)
	waitFor(t, 30*time.Second, "the alert to resolve", func() bool { return len(active()) == 0 })
	waitFor(t, 10*time.Second, "the resolution delivered", func() bool { return outbox("delivered_at IS NOT NULL") == 2 })
	if err := d.Stop(); err != nil {
		t.Errorf("daemon Run = %v after a shutdown, want nil", err)
	}
}
