package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/beianwatch/beianwatch/cases"
	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/daemon"
	"github.com/beianwatch/beianwatch/internal/logbuf"
	"github.com/beianwatch/beianwatch/registry"
	"github.com/beianwatch/beianwatch/registry/registrytest"
)

// TestRectificationLifecycle runs the daemon against a loopback site
// that loses its PSB badge: a rectification opens after two failing
// checks (not one), the notice goes to the notice webhook in Chinese and
// English, the deadline is extended once and a second extension refused,
// and when the badge is back a fresh check fixes the case.
func TestRectificationLifecycle(t *testing.T) {
	compliant := readFile(t, "testdata/site/compliant.html")
	noBadge := bytes.Replace(compliant, []byte(`<a href="https://beian.mps.gov.cn/#/query/webSearch?code=11010502045678" rel="noreferrer" target="_blank"><img src="/备案图标.png" alt="">京公网安备11010502045678号</a>`), nil, 1)
	if bytes.Equal(noBadge, compliant) {
		t.Fatal("the fixture's badge was not found")
	}
	var badge atomic.Bool
	badge.Store(true)
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if badge.Load() {
			w.Write(compliant)
			return
		}
		w.Write(noBadge)
	}))
	t.Cleanup(site.Close)
	port := strings.TrimPrefix(site.URL, "http://127.0.0.1:")
	notices := newRecorder(t)

	dir := t.TempDir()
	dsn := "sqlite://" + filepath.Join(dir, "registry.db")
	csvPath := filepath.Join(dir, "sites.csv")
	csv := "domains,site_name,icp_number,icp_approved_on,launched_on,psb_number,psb_filed_on,psb_approved_on,customer_id\n" +
		"rect.test,整改站,京ICP备2021034567号-1,2021-06-01,2021-06-02,11010502045678,2021-06-20,2021-07-01,C-7\n"
	if err := os.WriteFile(csvPath, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	mustRun(t, 0, "import", "--db", dsn, csvPath)

	log := &logbuf.Buffer{}
	opts := daemonOptions(t, dsn, log, "rect.test:127.0.0.1:"+port)
	opts.NoMigrate, opts.Interval, opts.RecheckInterval = true, time.Second, time.Second
	d := startDaemon(t, opts, log)

	st := registrytest.Open(t, dsn, testKeys(t, dsn))
	bg := context.Background()
	s, _, err := st.SiteByDomain(bg, "rect.test")
	if err != nil {
		t.Fatal(err)
	}
	results := func() []registry.Result {
		rs, err := st.Results(bg, s.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		return rs
	}
	rectifications := func() []cases.Case {
		cs, err := st.ListCases(bg, registry.CaseFilter{Kind: cases.Rectification, SiteID: s.ID})
		if err != nil {
			t.Fatal(err)
		}
		return cs
	}
	waitFor(t, 20*time.Second, "a passing check", func() bool {
		rs := results()
		return len(rs) > 0 && rs[0].Verdict == checker.VerdictPass
	})
	badge.Store(false)
	waitFor(t, 30*time.Second, "a rectification case", func() bool { return len(rectifications()) == 1 })
	c := rectifications()[0]
	// It opened on a later failing check in a row, not the first: the
	// history entry of the failures began before it. (Which one, the
	// entry does not say once later checks extend it: the daemon's case
	// rules test that.)
	opened := false
	for _, r := range results() {
		if r.Verdict == checker.VerdictFail && r.CheckedAt.Before(c.CreatedAt) && !r.LastSeenAt.Before(c.CreatedAt) {
			opened = r.Count >= 2
		}
	}
	if !opened {
		t.Errorf("the case opened at %v, not on a later check of a run of failures: %+v", c.CreatedAt, results())
	}
	if c.State != cases.Open || !strings.Contains(strings.Join(c.Codes, ","), checker.CodePSBMissing) || c.Deadline.IsZero() {
		t.Errorf("case = %s %v due %v; want open, about %s, with a deadline", c.State, c.Codes, c.Deadline, checker.CodePSBMissing)
	}
	id := strconv.FormatInt(c.ID, 10)

	r := mustRun(t, 0, "case", "notify", id, "--db", dsn, "--notice-webhook", notices.srv.URL, "--provider-name", "示例云")
	if !strings.Contains(r.stdout, "notice delivered") {
		t.Errorf("case notify said %q, want a delivered notice", r.stdout)
	}
	bodies := notices.all()
	if len(bodies) != 1 {
		t.Fatalf("notice webhook got %d posts, want 1", len(bodies))
	}
	var n daemon.NoticePayload
	if err := json.Unmarshal(bodies[0], &n); err != nil {
		t.Fatal(err)
	}
	if n.CaseID != c.ID || n.CustomerID != "C-7" || len(n.Messages) != 2 || n.Messages[0].Lang != "zh" || n.Messages[1].Lang != "en" {
		t.Errorf("notice = %+v, want case %d for C-7 in zh and en", n, c.ID)
	}
	if !strings.Contains(n.Messages[0].Body, "页面上没有可见的公安备案号") {
		t.Errorf("the Chinese notice does not quote the check's finding:\n%s", n.Messages[0].Body)
	}
	for _, m := range n.Messages {
		if !strings.Contains(m.Body, "rect.test") || !strings.Contains(m.Body, checker.DateOf(c.Deadline.Add(-time.Nanosecond)).String()) {
			t.Errorf("%s notice lacks the domain or the deadline:\n%s", m.Lang, m.Body)
		}
	}
	mustRun(t, 0, "case", "extend", id, "--db", dsn, "--reason", "customer asked")
	r = runInProcess(t, "case", "extend", id, "--db", dsn, "--reason", "again")
	if r.code != exitTrouble || !strings.Contains(r.stderr, "the one extension was already used") {
		t.Errorf("second extension = %d %q, want refused", r.code, r.stderr)
	}
	extended, err := st.Case(bg, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if extended.State != cases.Extended || !extended.Deadline.After(c.Deadline) {
		t.Errorf("after the extension: %s due %v (was %v)", extended.State, extended.Deadline, c.Deadline)
	}

	badge.Store(true)
	waitFor(t, 30*time.Second, "the case to be fixed", func() bool {
		cs := rectifications()
		return len(cs) == 1 && cs[0].State == cases.Fixed
	})
	hist, err := st.CaseHistory(bg, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	var moves []string
	for _, h := range hist {
		if h.From != h.To {
			moves = append(moves, fmt.Sprintf("%s→%s", h.From, h.To))
		}
	}
	if got, want := strings.Join(moves, " "), "→open open→notified notified→extended extended→fixed"; got != want {
		t.Errorf("history = %s, want %s", got, want)
	}
	if err := d.Stop(); err != nil {
		t.Errorf("daemon Run = %v, want nil after a shutdown", err)
	}
}
