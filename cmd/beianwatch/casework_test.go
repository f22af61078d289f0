package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/beianwatch/beianwatch/alerts"
	"github.com/beianwatch/beianwatch/cases"
	"github.com/beianwatch/beianwatch/daemon"
	"github.com/beianwatch/beianwatch/internal/logbuf"
	"github.com/beianwatch/beianwatch/internal/pgtest"
	"github.com/beianwatch/beianwatch/registry"
	"github.com/beianwatch/beianwatch/registry/registrytest"
)

// recorder is a loopback webhook that keeps what it was sent.
type recorder struct {
	mu      sync.Mutex
	bodies  [][]byte
	headers []http.Header
	srv     *httptest.Server
}

func newRecorder(t *testing.T) *recorder {
	r := &recorder{}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.bodies = append(r.bodies, b)
		r.headers = append(r.headers, req.Header.Clone())
		r.mu.Unlock()
		fmt.Fprint(w, `{"ok":true}`)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *recorder) all() [][]byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte(nil), r.bodies...)
}

// alertsOf lists "rule/status/case" for every alert the webhook receiver
// got.
func (r *recorder) alertsOf(t *testing.T) []string {
	var out []string
	for _, b := range r.all() {
		var msg struct {
			Alerts []struct {
				Rule   string            `json:"rule"`
				Status string            `json:"status"`
				Labels map[string]string `json:"labels"`
			} `json:"alerts"`
		}
		if err := json.Unmarshal(b, &msg); err != nil {
			t.Fatalf("webhook body %s: %v", b, err)
		}
		for _, a := range msg.Alerts {
			out = append(out, a.Rule+"/"+a.Status+"/"+a.Labels["case"])
		}
	}
	return out
}

func count(xs []string, x string) int {
	n := 0
	for _, y := range xs {
		if y == x {
			n++
		}
	}
	return n
}

// TestTakedownLifecycle runs three serve replicas on one PostgreSQL
// registry against loopback sites: content removed before the deadline
// is fixed with stored proof; content left turns overdue with one alert
// and one escalation call; a false report is dismissed; a site that is
// down during the window is not counted as fixed.
func TestTakedownLifecycle(t *testing.T) {
	dsn := pgtest.SchemaDSN(t)
	var removed atomic.Bool
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		switch {
		case r.URL.Path == "/casino" && removed.Load():
			http.NotFound(w, r)
		case r.URL.Path == "/casino" || r.URL.Path == "/still":
			fmt.Fprint(w, "<html><body><p>欢迎来到在线赌场，注册即送彩金</p></body></html>")
		default:
			w.Write(readFile(t, "testdata/site/compliant.html"))
		}
	}))
	t.Cleanup(site.Close)
	down := httptest.NewServer(http.NotFoundHandler())
	downPort := strings.TrimPrefix(down.URL, "http://127.0.0.1:")
	down.Close() // a port nobody answers on: the site is down
	port := strings.TrimPrefix(site.URL, "http://127.0.0.1:")

	dir := t.TempDir()
	csv := "domains,site_name,icp_number,check_url,customer_id\n" +
		"take.test,站一,京ICP备2021034567号-1,,C-1\n" +
		"down.test,站二,京ICP备2021034568号-1,,C-2\n"
	csvPath := filepath.Join(dir, "sites.csv")
	alertsHook, escHook := newRecorder(t), newRecorder(t)
	cfgPath := filepath.Join(dir, "serve.yaml")
	cfg := fmt.Sprintf("alerts:\n  receivers:\n    - name: hook\n      type: webhook\n      url: %s\n  default_receivers: [hook]\n", alertsHook.srv.URL)
	for p, body := range map[string]string{csvPath: csv, cfgPath: cfg} {
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	mustRun(t, 0, "import", "--db", dsn, csvPath)
	open := func(args ...string) int64 {
		t.Helper()
		r := mustRun(t, 0, append([]string{"case", "open", "--db", dsn, "--kind", "takedown", "--category", "gambling",
			"--evidence", "在线赌场"}, args...)...)
		var id int64
		if _, err := fmt.Sscanf(r.stdout, "opened case %d:", &id); err != nil {
			t.Fatalf("case open printed %q: %v", r.stdout, err)
		}
		return id
	}
	fixedID := open("--domain", "take.test", "--url", "http://take.test/casino", "--deadline", "1h")
	overdueID := open("--domain", "take.test", "--url", "http://take.test/still", "--deadline", "4s")
	falseID := open("--domain", "take.test", "--url", "http://take.test/news", "--deadline", "1h")
	downID := open("--domain", "down.test", "--url", "http://down.test/casino", "--deadline", "6s")
	mustRun(t, 0, "case", "dismiss", "--db", dsn, strconv.FormatInt(falseID, 10), "--reason", "the page is a news report")

	// Three replicas, started through the daemon package.
	replicas := make([]*testDaemon, 3)
	for i := range replicas {
		log := &logbuf.Buffer{}
		opts := daemonOptions(t, dsn, log, "take.test:127.0.0.1:"+port, "down.test:127.0.0.1:"+downPort)
		opts.Owner, opts.NoMigrate, opts.AutoRectify = "r"+strconv.Itoa(i), true, false
		opts.Alerts = alertsConfig(t, cfgPath)
		opts.Cases.VerifyInterval = time.Second
		opts.Escalation = daemon.Escalation{URL: escHook.srv.URL, Secret: "s3cret"}
		replicas[i] = startDaemon(t, opts, log)
	}

	st := registrytest.Open(t, dsn, testKeys(t, dsn))
	state := func(id int64) cases.State {
		c, err := st.Case(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		return c.State
	}
	// The page stays up while verified: present, not fixed.
	waitFor(t, 20*time.Second, "a verification of the casino page", func() bool {
		vs, _ := st.CaseVerifications(context.Background(), fixedID, 1)
		return len(vs) == 1
	})
	if s := state(fixedID); s != cases.Open {
		t.Errorf("case %d with its content up is %s, want open", fixedID, s)
	}
	removed.Store(true)
	waitFor(t, 20*time.Second, "the removed content's case to be fixed", func() bool { return state(fixedID) == cases.Fixed })
	vs, err := st.CaseVerifications(context.Background(), fixedID, 1)
	if err != nil || len(vs) != 1 || vs[0].Outcome != cases.Removed || vs[0].Status != 404 {
		t.Errorf("fixed case's proof = %+v, %v; want a removed verification with HTTP 404", vs, err)
	}
	waitFor(t, 30*time.Second, "the content left to turn overdue and escalate", func() bool {
		c, _ := st.Case(context.Background(), overdueID)
		return c.State == cases.Overdue && c.Escalation == cases.EscalationSent
	})
	waitFor(t, 30*time.Second, "the down site's case to turn overdue", func() bool { return state(downID) == cases.Overdue })
	vs, _ = st.CaseVerifications(context.Background(), downID, 0)
	for _, v := range vs {
		if v.Outcome != cases.Unreachable {
			t.Errorf("down site verified %s, want unreachable", v.Outcome)
		}
	}
	if len(vs) == 0 {
		t.Error("the down site's case was never verified")
	}
	// Let the replicas go round a few more times: nothing repeats.
	time.Sleep(3 * time.Second)
	for i, r := range replicas {
		if err := r.Stop(); err != nil {
			t.Errorf("replica %d: Run = %v", i, err)
		}
	}
	if s := state(falseID); s != cases.Dismissed {
		t.Errorf("false report is %s, want dismissed", s)
	}
	calls := escHook.all()
	byCase := map[int64]int{}
	for i, b := range calls {
		h := escHook.headers[i]
		if want := "sha256=" + alerts.WebhookSignature("s3cret", h.Get(alerts.HeaderTimestamp), b); h.Get(alerts.HeaderSignature) != want {
			t.Errorf("escalation call %d signed %q, want %q", i, h.Get(alerts.HeaderSignature), want)
		}
		var c struct {
			ID int64 `json:"case_id"`
		}
		json.Unmarshal(b, &c)
		byCase[c.ID]++
	}
	if byCase[overdueID] != 1 || byCase[downID] != 1 || len(calls) != 2 {
		t.Errorf("escalation calls by case = %v, want one each for cases %d and %d", byCase, overdueID, downID)
	}
	got := alertsHook.alertsOf(t)
	for _, id := range []int64{overdueID, downID} {
		if n := count(got, "case_overdue/firing/"+strconv.FormatInt(id, 10)); n != 1 {
			t.Errorf("case %d: %d case_overdue alerts, want 1 (all: %v)", id, n, got)
		}
	}
	if n := count(got, "case_fixed/firing/"+strconv.FormatInt(fixedID, 10)); n != 1 {
		t.Errorf("case %d: %d case_fixed alerts, want 1 (all: %v)", fixedID, n, got)
	}
	hist, err := st.CaseHistory(context.Background(), overdueID)
	if err != nil {
		t.Fatal(err)
	}
	var overdueMoves int
	for _, h := range hist {
		if h.To == cases.Overdue && h.From != cases.Overdue {
			overdueMoves++
		}
	}
	if overdueMoves != 1 {
		t.Errorf("case %d moved to overdue %d times, want 1:\n%+v", overdueID, overdueMoves, hist)
	}
}

// TestLexiconSuspects: a GBK page that shows a lexicon phrase opens one
// suspected takedown with the phrase as evidence; checking it again opens
// no second one; a clean page opens none.
func TestLexiconSuspects(t *testing.T) {
	page, err := simplifiedchinese.GBK.NewEncoder().String("<html><body><p>本站提供真人百家乐，欢迎访问</p></body></html>")
	if err != nil {
		t.Fatal(err)
	}
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Host == "clean.test" || strings.HasPrefix(r.Host, "clean.test:") {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write(readFile(t, "testdata/site/compliant.html"))
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=gbk")
		fmt.Fprint(w, page)
	}))
	t.Cleanup(site.Close)
	port := strings.TrimPrefix(site.URL, "http://127.0.0.1:")
	dir := t.TempDir()
	dsn := "sqlite://" + filepath.Join(dir, "r.db")
	csv := "domains,site_name,icp_number,customer_id\nbad.test,一,京ICP备2021034567号-1,C-1\nclean.test,二,京ICP备2021034568号-1,C-2\n"
	lex := "# provider phrases\ngambling\t百家乐\nfraud\t刷单返利\n"
	for name, body := range map[string]string{"sites.csv": csv, "lexicon.txt": lex} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	mustRun(t, 0, "import", "--db", dsn, filepath.Join(dir, "sites.csv"))
	for i := range 2 {
		// The second run checks every site again (--interval 1ms makes them due).
		mustRun(t, 0, "serve", "--once", "--db", dsn, "--allow-private", "--rectify-after", "0", "--interval", "1ms",
			"--lexicon", filepath.Join(dir, "lexicon.txt"),
			"--resolve", "bad.test:127.0.0.1:"+port, "--resolve", "clean.test:127.0.0.1:"+port)
		if i == 0 {
			time.Sleep(10 * time.Millisecond)
		}
	}
	st := registrytest.Open(t, dsn, testKeys(t, dsn))
	cs, err := st.ListCases(context.Background(), registry.CaseFilter{Kind: cases.Takedown})
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 {
		t.Fatalf("%d takedowns, want 1 suspected for bad.test: %+v", len(cs), cs)
	}
	c := cs[0]
	if c.State != cases.Suspected || c.Domain != "bad.test" || c.Category != cases.Gambling || c.Reporter != "lexicon" ||
		len(c.EvidencePhrases) != 1 || c.EvidencePhrases[0] != "百家乐" || len(c.EvidenceSHA256) != 1 {
		t.Errorf("suspected case = %+v", c)
	}
	res, _ := st.Results(context.Background(), c.SiteID, 0)
	checks := 0
	for _, r := range res {
		checks += r.Count
	}
	if checks < 2 {
		t.Errorf("bad.test was checked %d times, want 2 or more (the later ones open no case)", checks)
	}
}
