package console_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/lib/pq"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/beianwatch/beianwatch/cases"
	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/crawler"
	"github.com/beianwatch/beianwatch/daemon"
	"github.com/beianwatch/beianwatch/internal/logbuf"
	"github.com/beianwatch/beianwatch/internal/pgtest"
	"github.com/beianwatch/beianwatch/keyring"
	"github.com/beianwatch/beianwatch/registry"
)

// testDSN is a fresh registry: a schema of its own on the PostgreSQL
// server of BEIANWATCH_TEST_POSTGRES, else a SQLite file (under CI=true
// PostgreSQL is required, as in the registry's tests).
func testDSN(t testing.TB) string {
	t.Helper()
	if pgtest.Available(t) {
		return pgtest.SchemaDSN(t)
	}
	return pgtest.SQLiteDSN(t)
}

// pages is a loopback web server whose pages a test changes while it
// runs: the sites' check URLs point at it.
type pages struct {
	mu   sync.Mutex
	body map[string]string
	srv  *httptest.Server
}

func newPages(t *testing.T) *pages {
	p := &pages{body: map[string]string{}}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		b, ok := p.body[r.URL.Path]
		p.mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, b)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *pages) set(path, body string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.body[path] = body
}

func (p *pages) url(path string) string { return p.srv.URL + path }

// footerPage is a page whose footer shows an ICP number and the PSB
// badge, with extra markup inside the footer's badge block.
func footerPage(icp, extra string) string {
	return `<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>t</title></head><body><p>内容</p>
<div class="beian"><a href="https://beian.miit.gov.cn/">` + icp + `</a> | <a href="https://beian.mps.gov.cn/#/query/webSearch?code=35020302001452"><img src="/images/beian.png" style="height:16px"> 闽公网安备35020302001452号</a>` + extra + `</div></body></html>`
}

// env is a daemon with its console, a store on the same registry for the
// test's own reads and writes, and the loopback pages.
type env struct {
	d     *daemon.Daemon
	st    *registry.Store
	base  string
	pages *pages
	logs  *logbuf.Buffer
}

func date(t testing.TB, s string) checker.Date {
	t.Helper()
	d, err := checker.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// site is a registered site with its filings, checked at checkURL.
func site(t testing.TB, domain, name, icp, checkURL string) registry.Site {
	return registry.Site{Name: name, ICPNumber: icp, ICPApprovedOn: date(t, "2021-06-01"), LaunchedOn: date(t, "2021-06-02"),
		PSBNumber: "35020302001452", PSBFiledOn: date(t, "2021-06-20"), PSBApprovedOn: date(t, "2021-07-01"), Active: true,
		CustomerID: "cust-" + strings.Split(domain, ".")[0], CheckURL: checkURL,
		Operator: registry.Operator{Type: registry.OperatorPersonal, Name: "张三丰"},
		Contact:  registry.Contact{Name: "李四", Phone: "13812345678", Email: "lisi@example.com"},
		Domains:  []registry.Domain{{Unicode: domain, ASCII: domain}}}
}

// startEnv starts a daemon (not its schedule: checks happen when a test
// or the console asks) on a fresh registry, allowed to fetch loopback
// pages.
func startEnv(t *testing.T) *env {
	t.Helper()
	return startEnvWith(t, nil)
}

// startEnvWith is startEnv with the daemon's options changed by set.
func startEnvWith(t *testing.T, set func(*daemon.Options)) *env {
	t.Helper()
	ctx := context.Background()
	e := &env{pages: newPages(t), logs: &logbuf.Buffer{}}
	o := daemon.DefaultOptions()
	o.DSN = testDSN(t)
	o.Listen = "127.0.0.1:0"
	o.Logger = slog.New(slog.NewTextHandler(e.logs, nil))
	o.Metrics = prometheus.NewRegistry()
	o.Fetch.AllowPrivate = true
	o.Fetch.Timeout = 5 * time.Second
	o.Owner = "console-test"
	// The console's own browser is the test's; the daemon needs none.
	o.Render = crawler.RenderNever
	key, err := keyring.Generate("k1")
	if err != nil {
		t.Fatal(err)
	}
	o.Keys = keyring.New(key)
	if set != nil {
		set(&o)
	}
	d, err := daemon.New(ctx, o)
	if err != nil {
		t.Fatalf("daemon.New: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	e.d, e.base = d, "http://"+d.Addr().String()
	if e.st, err = registry.Open(ctx, o.DSN, nil, prometheus.NewRegistry()); err != nil {
		t.Fatal(err)
	}
	e.st.SetKeys(o.Keys)
	t.Cleanup(func() { e.st.Close() })
	return e
}

// token creates an API token and returns its secret.
func (e *env) token(t testing.TB, name string, scopes ...string) string {
	t.Helper()
	secret, _, err := e.st.CreateToken(context.Background(), name, scopes, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	return secret
}

// import registers sites and returns their ids, in order.
func (e *env) register(t testing.TB, sites ...registry.Site) []int64 {
	t.Helper()
	ctx := context.Background()
	if _, err := e.st.UpsertSites(ctx, sites); err != nil {
		t.Fatal(err)
	}
	ids := make([]int64, len(sites))
	for i, s := range sites {
		got, _, err := e.st.SiteByDomain(ctx, s.Domains[0].ASCII)
		if err != nil {
			t.Fatal(err)
		}
		ids[i] = got.ID
	}
	return ids
}

// openCase opens a takedown of a URL on domain.
func (e *env) openCase(t testing.TB, domain string) cases.Case {
	t.Helper()
	c := cases.Case{Kind: cases.Takedown, Domain: domain, URLs: []string{"http://" + domain + "/x"}, Category: "gambling",
		EvidencePhrases: []string{"赌场"}, Reporter: "网安", State: cases.Open, CreatedAt: time.Now()}
	c.SetDeadline(cases.Deadline{At: time.Now().Add(24 * time.Hour)})
	c, err := e.st.OpenCase(context.Background(), c, "cli:test")
	if err != nil {
		t.Fatal(err)
	}
	return c
}
