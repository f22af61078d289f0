package daemon

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/crawler"
	"github.com/beianwatch/beianwatch/registry"
	"github.com/beianwatch/beianwatch/registry/registrytest"
)

// testOptions are the defaults with a temp SQLite registry, loopback
// allowed, no listener and a discarding logger.
func testOptions(t *testing.T) Options {
	o := DefaultOptions()
	o.DSN = "sqlite://" + filepath.Join(t.TempDir(), "registry.db")
	o.Listen = ""
	o.Fetch.AllowPrivate = true
	o.Logger, o.Metrics = discard(), prometheus.NewRegistry()
	return o
}

// mustRunDaemon starts the daemon of opts in the background; stop ends
// it as a shutdown signal would and returns Run's error.
func mustRunDaemon(t *testing.T, opts Options) (d *Daemon, stop func() error) {
	t.Helper()
	d, err := New(context.Background(), opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	var stopped bool
	var runErr error
	stop = func() error {
		if !stopped {
			stopped = true
			cancel()
			runErr = <-done
			d.Close()
		}
		return runErr
	}
	t.Cleanup(func() { stop() })
	return d, stop
}

// TestDaemonServes starts the real daemon through its package on
// 127.0.0.1:0 with a temp registry and a loopback site: the health
// endpoints answer, the site is checked and stored, /metrics carries the
// daemon's gauges, and a shutdown ends Run without an error.
func TestDaemonServes(t *testing.T) {
	page := readFile(t, "testdata/site/compliant.html")
	site := serveHTML(t, "", fixed(page))
	opts := testOptions(t)
	opts.Listen = "127.0.0.1:0"
	st := registrytest.Open(t, opts.DSN, nil)
	s := filedSite(t, "ok.test", "京ICP备2021034567号-1", "11010502045678")
	s.CheckURL = site.URL + "/"
	if _, err := st.UpsertSites(context.Background(), []registry.Site{s}); err != nil {
		t.Fatal(err)
	}
	d, stop := mustRunDaemon(t, opts)
	base := "http://" + d.Addr().String()
	get := func(path string) (int, string) {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, _ := get("/healthz"); code != http.StatusOK {
		t.Errorf("/healthz = %d, want 200", code)
	}
	var state *registry.State
	for range 200 {
		_, state, _ = st.SiteByDomain(context.Background(), "ok.test")
		if state != nil && !state.LastCheckAt.IsZero() {
			break
		}
		time.Sleep(25 * time.Millisecond)
	}
	if state == nil || state.Verdict != checker.VerdictPass {
		t.Fatalf("site state = %+v; want a stored pass", state)
	}
	if code, body := get("/readyz"); code != http.StatusOK {
		t.Errorf("/readyz = %d %q, want 200", code, body)
	}
	// The registry's gauges are read by a loop of their own: wait for
	// its first read (a loaded machine may take a while).
	wants := []string{"beianwatch_checks_total{result=\"pass\"} 1", "beianwatch_calendar_known_until_timestamp_seconds ",
		"beianwatch_build_info{", "beianwatch_sites{"}
	var metrics string
	for range 200 {
		if _, metrics = get("/metrics"); strings.Contains(metrics, "beianwatch_sites{") {
			break
		}
		time.Sleep(25 * time.Millisecond)
	}
	for _, want := range wants {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
	if err := stop(); err != nil {
		t.Errorf("Run after shutdown = %v, want nil", err)
	}
	if _, err := http.Get(base + "/healthz"); err == nil {
		t.Errorf("the listener still answers after Close")
	}
}

// TestDaemonOnce: with Once, Run checks what is due and returns, and
// Summary says what it did.
func TestDaemonOnce(t *testing.T) {
	opts := testOptions(t)
	opts.Once = true
	st := registrytest.Open(t, opts.DSN, nil)
	down := httptest.NewServer(http.NotFoundHandler())
	s := filedSite(t, "gone.test", "京ICP备2021034567号-1", "")
	s.CheckURL = down.URL + "/"
	down.Close()
	if _, err := st.UpsertSites(context.Background(), []registry.Site{s}); err != nil {
		t.Fatal(err)
	}
	d, err := New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if err := d.Run(context.Background()); err != nil {
		t.Fatal(err)
	}
	if sum := d.Summary(); sum.Checked != 1 || sum.Error != 1 || sum.Errors["FETCH_REFUSED"] != 1 {
		t.Errorf("Summary = %+v, want 1 checked, 1 error, a FETCH_REFUSED", sum)
	}
	// The site failed: it waits out a retry delay, and NextDue says until
	// when.
	next, n, err := d.NextDue(context.Background())
	if err != nil || n != 1 || !next.After(time.Now()) {
		t.Errorf("NextDue() = %v, %d, %v; want 1 site, in the future", next, n, err)
	}
}

// TestOptionsValidate holds every rule about the daemon's settings, each
// with its exact error.
func TestOptionsValidate(t *testing.T) {
	tests := []struct {
		name   string
		change func(o *Options)
		want   string
	}{
		{"defaults", func(o *Options) {}, ""},
		{"no logger", func(o *Options) { o.Logger = nil }, "daemon: no logger"},
		{"no metrics", func(o *Options) { o.Metrics = nil }, "daemon: no metrics registry"},
		{"no registry", func(o *Options) { o.DSN = "" }, "daemon: no registry (--db)"},
		{"no calendar", func(o *Options) { o.Calendar = nil }, "daemon: no holiday calendar"},
		{"concurrency", func(o *Options) { o.Concurrency = 0 }, "invalid --concurrency 0: must be at least 1"},
		{"body memory", func(o *Options) { o.BodyMemory = 4 << 20 },
			"invalid --body-memory 4194304 bytes: must be at least --max-body (5242880 bytes), or the largest page could never be read"},
		{"max body past body memory", func(o *Options) { o.Fetch.MaxBody = 100 << 20 },
			"invalid --body-memory 67108864 bytes: must be at least --max-body (104857600 bytes), or the largest page could never be read"},
		{"body memory, default max body", func(o *Options) { o.BodyMemory, o.Fetch.MaxBody = 1<<20, 0 },
			"invalid --body-memory 1048576 bytes: must be at least --max-body (5242880 bytes), or the largest page could never be read"},
		{"per host", func(o *Options) { o.PerHost = -1 }, "invalid --per-host -1: must be at least 1"},
		{"unreachable", func(o *Options) { o.UnreachableAfter = 0 }, "invalid --unreachable-after 0: must be at least 1"},
		{"per ip", func(o *Options) { o.PerIP = -2 }, "invalid --per-ip -2: must not be negative"},
		{"batch", func(o *Options) { o.Batch = -1 }, "invalid --batch -1: must not be negative"},
		{"per-site metrics", func(o *Options) { o.PerSiteMetrics = -1 }, "invalid --per-site-metrics-limit -1: must not be negative"},
		{"probe concurrency", func(o *Options) { o.ProbeConcurrency = -1 }, "invalid --probe-concurrency -1: must not be negative"},
		{"interval", func(o *Options) { o.Interval = 0 }, "invalid --interval 0s: must be positive"},
		{"recheck", func(o *Options) { o.RecheckInterval = -time.Second }, "invalid --recheck-interval -1s: must be positive"},
		{"stats", func(o *Options) { o.StatsInterval = 0 }, "invalid --stats-interval 0s: must be positive"},
		{"case interval", func(o *Options) { o.Cases.VerifyInterval = 0 }, "invalid --case-interval 0s: must be positive"},
		{"grace", func(o *Options) { o.Grace = -time.Second }, "invalid --grace -1s or --per-host-delay 0s: must not be negative"},
		{"retain", func(o *Options) { o.Retain = -time.Hour }, "invalid --retain -1h0m0s: must not be negative"},
		{"short lease", func(o *Options) { o.LeaseTTL = 20 * time.Second },
			"invalid --lease-ttl 20s: must be more than twice --timeout (15s), or leases expire during checks"},
		{"short lease, default timeout", func(o *Options) { o.LeaseTTL, o.Fetch.Timeout = 30*time.Second, 0 },
			"invalid --lease-ttl 30s: must be more than twice --timeout (15s), or leases expire during checks"},
		{"robots", func(o *Options) { o.Robots = "maybe" }, `invalid --robots "maybe": want ignore or obey`},
		{"case policy", func(o *Options) { o.Cases.RectificationDays = 0 },
			"case policy: rectification window 0 working days: must be at least 1"},
		{"escalation", func(o *Options) { o.Escalation.URL = "ftp://x" }, `invalid --escalation-url: "ftp://x": want an http:// or https:// URL`},
		{"api check rate", func(o *Options) { o.API.CheckRate = -1 }, "invalid --api-check-rate -1: must not be negative"},
		{"api in flight", func(o *Options) { o.API.MaxInFlight = -1 },
			"invalid --api-check-burst 5, --api-max-checks 4 or --api-max-in-flight -1: must not be negative"},
		{"api body", func(o *Options) { o.API.MaxBody = -1 }, "invalid --api-max-body -1 or --api-max-import-body 33554432: must not be negative"},
		{"metrics token without API", func(o *Options) { o.API.Disabled, o.API.MetricsTokenRequired = true, true },
			"invalid --metrics-token-required with --no-api: tokens are checked by the API"},
		{"render", func(o *Options) { o.Render = "sometimes" }, `invalid --render "sometimes": want auto, always or never`},
		{"render workers", func(o *Options) { o.Render, o.RenderWorkers = crawler.RenderAlways, 0 }, "invalid --render-workers 0: must be at least 1"},
		{"render workers unused", func(o *Options) { o.Render, o.RenderWorkers = crawler.RenderNever, 0 }, ""},
		{"render budget", func(o *Options) { o.RenderBudget = -1 }, "invalid --render-budget -1 or --render-host-budget 2: must not be negative"},
		{"screenshots", func(o *Options) { o.Screenshots = "always" }, `invalid --screenshots "always": want failing or never`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := testOptions(t)
			tt.change(&o)
			err := o.Validate()
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tt.want {
				t.Errorf("Validate() = %q, want %q", got, tt.want)
			}
		})
	}
	if _, err := New(context.Background(), Options{}); err == nil {
		t.Errorf("New(Options{}) succeeded")
	}
}
