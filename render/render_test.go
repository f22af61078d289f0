package render_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/crawler"
	"github.com/beianwatch/beianwatch/internal/chromium"
	"github.com/beianwatch/beianwatch/internal/chromium/chromiumtest"
	"github.com/beianwatch/beianwatch/render"
)

// siteAddr is where the test site listens: a loopback address of its
// own, so that the crawler's policy can allow it and nothing else, and
// the canary on 127.0.0.1 stays refused.
const siteAddr = "127.0.0.2"

// serveSite serves testdata/site on 127.0.0.2, with CANARY in scripts
// replaced by canaryPort.
func serveSite(t *testing.T, canaryPort string) string {
	t.Helper()
	ln, err := net.Listen("tcp", siteAddr+":0")
	if err != nil {
		t.Skipf("cannot listen on %s: %v", siteAddr, err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := os.ReadFile(filepath.Join("testdata", "site", filepath.Base(r.URL.Path)))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		ct := "text/html; charset=utf-8"
		if strings.HasSuffix(r.URL.Path, ".js") {
			ct = "text/javascript"
		}
		w.Header().Set("Content-Type", ct)
		w.Write(bytes.ReplaceAll(b, []byte("CANARY"), []byte(canaryPort)))
	}))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL
}

// canary counts every TCP connection made to it.
func canary(t *testing.T) (port string, hits *atomic.Int64) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	hits = new(atomic.Int64)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			hits.Add(1)
			c.Close()
		}
	}()
	_, port, _ = net.SplitHostPort(ln.Addr().String())
	return port, hits
}

type harness struct {
	fetcher  *crawler.Fetcher
	renderer *render.Renderer
	reg      *prometheus.Registry
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	return newHarnessWith(t, crawler.FetchConfig{AllowCIDRs: []netip.Prefix{netip.MustParsePrefix(siteAddr + "/32")}})
}

func newHarnessWith(t *testing.T, fc crawler.FetchConfig) *harness {
	t.Helper()
	chromiumtest.Need(t)
	f, err := crawler.NewFetcher(fc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	reg := prometheus.NewRegistry()
	r, err := render.New(render.Config{Dial: f.Transport().DialContext, Timeout: 15 * time.Second, Settle: 4 * time.Second}, slog.New(slog.DiscardHandler), reg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		r.Close()
		if pids := chromium.Processes(os.Getpid()); len(pids) > 0 {
			t.Errorf("browser processes left after Close: %v", pids)
		}
	})
	return &harness{fetcher: f, renderer: r, reg: reg}
}

func (h *harness) check(t *testing.T, target string, mode crawler.RenderMode) crawler.Outcome {
	t.Helper()
	p := crawler.Pipeline{Fetch: h.fetcher.Fetch, Render: crawler.RenderConfig{Renderer: h.renderer, Mode: mode, Screenshots: true}}
	o, err := p.Run(context.Background(), crawler.Job{Target: target})
	if err != nil {
		t.Fatalf("check %s: %v", target, err)
	}
	return o
}

// TestScriptFooters renders the footers scripts write, and shows that
// without rendering the same pages stay "error".
func TestScriptFooters(t *testing.T) {
	h := newHarness(t)
	site := serveSite(t, "0")
	tests := []struct {
		page, icp string
		verdict   checker.Verdict
	}{
		{"innerhtml.html", "鲁ICP备2022031907号-1", checker.VerdictPass},
		{"component.html", "浙ICP备2021018734号-2", checker.VerdictPass},
		{"timer.html", "粤ICP备2020074512号", checker.VerdictPass},
		{"nobadge.html", "京ICP备2021029384号-1", checker.VerdictFail}, // PSB_NO_ICON
		{"busy.html", "京ICP备2021029384号-1", checker.VerdictPass},    // never settles: taken at the cap
	}
	for _, tt := range tests {
		t.Run(tt.page, func(t *testing.T) {
			static := h.check(t, site+"/"+tt.page, crawler.RenderNever)
			if static.Report.Verdict != checker.VerdictError || static.Report.Rendered {
				t.Errorf("--render never: verdict %s, rendered %v; want error, false", static.Report.Verdict, static.Report.Rendered)
			}
			o := h.check(t, site+"/"+tt.page, crawler.RenderAuto)
			r := o.Report
			if r.Verdict != tt.verdict || !r.Rendered {
				t.Errorf("rendered: verdict %s, rendered %v, findings %v, error %q; want %s, true", r.Verdict, r.Rendered, r.Findings, r.Error, tt.verdict)
			}
			// A screenshot of failing pages only.
			if isPNG := bytes.HasPrefix(o.Screenshot, []byte("\x89PNG\r\n\x1a\n")); isPNG != (tt.verdict == checker.VerdictFail) {
				t.Errorf("screenshot: %d bytes, PNG %v; want a PNG only for a failing page", len(o.Screenshot), isPNG)
			}
			if len(r.ICP) == 0 || r.ICP[0].Number != tt.icp {
				t.Errorf("rendered ICP = %+v, want %s", r.ICP, tt.icp)
			}
		})
	}
	if got := metric(t, h.reg, "beianwatch_render_renders_total"); got != float64(len(tests)) {
		t.Errorf("beianwatch_render_renders_total = %v, want %d", got, len(tests))
	}
}

// TestNoEscape loads a page that aims fetch, images, frames, XHR and
// WebSocket at a loopback canary and at the metadata address: nothing
// reaches the canary, and the proxy refuses both before any dial.
func TestNoEscape(t *testing.T) {
	h := newHarness(t)
	port, hits := canary(t)
	site := serveSite(t, port)
	o := h.check(t, site+"/ssrf.html", crawler.RenderAlways)
	if !o.Report.Rendered {
		t.Fatalf("not rendered: %s", o.Report.Error)
	}
	// A render pinned to the filing's address (--pin-filed-ip) goes
	// through a proxy of its own, under the same policy and bypass list.
	pinned := crawler.WithPinnedAddrs(context.Background(), siteAddr, []netip.Addr{netip.MustParseAddr(siteAddr)})
	if _, err := h.renderer.Render(pinned, site+"/ssrf.html", func(*checker.Page) bool { return false }); err != nil {
		t.Fatalf("pinned render: %v", err)
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the canary on 127.0.0.1:%s got %d connections, want 0", port, n)
	}
	// 127.0.0.1 (http, https, ws, wss), localhost and 169.254.169.254 at
	// the least, twice; the browser may retry some.
	if got := h.renderer.Refused(); got < 6 {
		t.Errorf("the proxies refused %d connections, want at least 6", got)
	}
	if got := metric(t, h.reg, "beianwatch_render_blocked_connections_total"); got != float64(h.renderer.Refused()) {
		t.Errorf("beianwatch_render_blocked_connections_total = %v, want %d", got, h.renderer.Refused())
	}
}

// metric sums the samples of the metric name in reg.
func metric(t *testing.T, reg *prometheus.Registry, name string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			sum += m.GetCounter().GetValue()
		}
	}
	return sum
}

// TestBrowserRestart kills the browser between two pages: the second is
// rendered by a new one.
func TestBrowserRestart(t *testing.T) {
	h := newHarness(t)
	site := serveSite(t, "0")
	if o := h.check(t, site+"/innerhtml.html", crawler.RenderAuto); !o.Report.Rendered {
		t.Fatalf("first page not rendered: %s", o.Report.Error)
	}
	pids := chromium.Processes(os.Getpid())
	if len(pids) == 0 {
		t.Fatal("no browser process found")
	}
	for _, pid := range pids {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	if o := h.check(t, site+"/innerhtml.html", crawler.RenderAuto); !o.Report.Rendered || o.Report.Verdict != checker.VerdictPass {
		t.Errorf("after the browser was killed: rendered %v, verdict %s, error %q; want true, pass", o.Report.Rendered, o.Report.Verdict, o.Report.Error)
	}
	if got := metric(t, h.reg, "beianwatch_render_browser_restarts_total"); got != 1 {
		t.Errorf("beianwatch_render_browser_restarts_total = %v, want 1", got)
	}
}

// serveAs serves, on addr, a page and a script of its own that both say
// who served them.
func serveAs(t *testing.T, addr, who string) (port uint16) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("cannot listen on %s: %v", addr, err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/who.js" {
			w.Header().Set("Content-Type", "text/javascript")
			fmt.Fprintf(w, "document.getElementById('script').textContent = 'script:%s';", who)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><p id="page">page:%s</p><p id="script"></p><script src="/who.js"></script>`, who)
	}))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return uint16(ln.Addr().(*net.TCPAddr).Port)
}

// TestPinFiledIP: DNS (a resolve rule) sends pinned.test to one server,
// the filing names another; a render pinned to the filed address
// (--pin-filed-ip) loads the page and its script from the filed server,
// one not pinned from the other.
func TestPinFiledIP(t *testing.T) {
	filedPort := serveAs(t, siteAddr+":0", "filed")
	dnsPort := serveAs(t, "127.0.0.3:0", "dns")
	h := newHarnessWith(t, crawler.FetchConfig{AllowPrivate: true,
		Resolve: []crawler.ResolveRule{{Host: "pinned.test", Addr: netip.MustParseAddr("127.0.0.3"), Port: dnsPort}}})
	target := fmt.Sprintf("http://pinned.test:%d/", filedPort)
	pinned := crawler.WithPinnedAddrs(context.Background(), "pinned.test", []netip.Addr{netip.MustParseAddr(siteAddr)})
	for _, tt := range []struct {
		name string
		ctx  context.Context
		want string // who served the page and its script
	}{
		{"not pinned", context.Background(), "dns"},
		{"pinned", pinned, "filed"},
	} {
		var body string
		_, err := h.renderer.Render(tt.ctx, target, func(p *checker.Page) bool {
			body = string(p.Body)
			return false
		})
		if err != nil {
			t.Fatalf("%s: Render: %v", tt.name, err)
		}
		for _, want := range []string{">page:" + tt.want + "<", ">script:" + tt.want + "<"} {
			if !strings.Contains(body, want) {
				t.Errorf("%s: the rendered page lacks %q:\n%s", tt.name, want, body)
			}
		}
	}
}
