package daemon

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/beianwatch/beianwatch/alerts"
	"github.com/beianwatch/beianwatch/cases"
	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/console"
	"github.com/beianwatch/beianwatch/crawler"
	"github.com/beianwatch/beianwatch/registry"
	"github.com/beianwatch/beianwatch/render"
)

// Daemon is one running replica: see the package documentation.
type Daemon struct {
	opts  Options
	owner string
	st    *registry.Store
	col   *crawler.Collector
	sched *crawler.Scheduler
	// renderer renders pages drawn by script, dialling through
	// renderFetcher's guard (both nil when rendering is off).
	renderer      *render.Renderer
	renderFetcher *crawler.Fetcher
	// render is the crawl's render stage (its zero value when off).
	render crawler.RenderConfig
	// noticer delivers case notices for the API's and the console's
	// notify (nil without --notice-webhook).
	noticer cases.Noticer
	q       *storeQueue
	cases   *caseWork
	disp    *alerts.Dispatcher
	gauge   *registryGauges
	prune   *pruning

	ln  net.Listener
	srv *http.Server
	// probeFetcher fetches /probe's targets (nil without a listener).
	probeFetcher *crawler.Fetcher
	once         sync.Once
	sum          crawler.Summary
	// built is set once New has opened the registry and built the rest:
	// the HTTP server answers before (/healthz yes, /readyz no).
	built atomic.Bool
	// ui is the web console, set once built.
	ui atomic.Pointer[console.Console]
	// api is the HTTP API's handler, once built (serveAPI).
	api atomic.Value
	// probe answers /probe, served by the API (nil with --no-api).
	probe http.Handler
}

// New builds a daemon from opts: it binds the listener and serves the
// health endpoints, so that Addr answers before Run, then opens the
// registry (waiting while its server is unreachable, until ctx ends),
// migrating it unless opts.NoMigrate, and builds the crawler, the alerts
// and the case work. Close releases what it opened.
func New(ctx context.Context, opts Options) (_ *Daemon, err error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	d := &Daemon{opts: opts, owner: opts.owner()}
	defer func() {
		if err != nil {
			d.Close()
		}
	}()
	if opts.Listen != "" {
		if d.ln, err = net.Listen("tcp", opts.Listen); err != nil {
			return nil, fmt.Errorf("listen on %s: %w", opts.Listen, err)
		}
		// Alive (and not ready) while the registry is awaited: a liveness
		// probe must not kill a replica that waits for its database.
		if err := d.serveHTTP(); err != nil {
			return nil, err
		}
	}
	if d.st, err = openStore(ctx, &d.opts); err != nil {
		return nil, err
	}
	if !opts.NoMigrate {
		if err := d.st.Migrate(ctx); err != nil {
			return nil, fmt.Errorf("%s: %w", registry.RedactDSN(opts.DSN), err)
		}
	}
	if opts.Keys != nil {
		d.st.SetKeys(opts.Keys)
		// A wrong key file fails here, before the daemon writes a row
		// under it.
		if err := d.st.CheckKeys(ctx); err != nil {
			return nil, err
		}
		if _, err := d.st.EncryptLegacy(ctx); err != nil {
			return nil, err
		}
	}
	if n, err := d.st.CountSites(ctx); err == nil && n == 0 {
		opts.Logger.Warn("the registry holds no sites: import them with 'beianwatch import sites.csv' (see 'beianwatch import --help')", "db", registry.RedactDSN(opts.DSN))
	}
	if err := d.build(); err != nil {
		return nil, err
	}
	if err := d.buildConsole(); err != nil {
		return nil, err
	}
	d.built.Store(true)
	return d, nil
}

// build wires the crawler, the gauges, the alerts and the case work; the
// registry is open.
func (d *Daemon) build() error {
	o := &d.opts
	var err error
	cc := crawler.CollectorConfig{FetchConfig: o.Fetch, Concurrency: o.Concurrency, BodyMemory: o.BodyMemory, PerHost: o.PerHost,
		PerHostDelay: o.PerHostDelay, PerIP: o.PerIP, Robots: o.Robots}
	if d.col, err = crawler.NewCollector(cc); err != nil {
		return err
	}
	sc := crawler.ScheduleConfig{Owner: d.owner, Workers: o.Concurrency, Batch: o.Batch, LeaseTTL: o.LeaseTTL,
		Interval: o.Interval, RecheckInterval: o.RecheckInterval, Grace: o.Grace, Once: o.Once,
		PinFiledIP: o.PinFiledIP, Poll: o.poll()}
	if sc.Render, err = d.buildRender(); err != nil {
		return err
	}
	d.render = sc.Render
	if o.Lexicon != nil {
		// The lexicon's scan runs on each page the crawler fetched, on the
		// visible text as the checker rendered it.
		sc.Scanner = o.Lexicon
	}
	o.Metrics.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if err := registerBuildInfo(o.Metrics, o.Version); err != nil {
		return err
	}
	if d.sched, err = crawler.NewScheduler(sc, d.col, o.Logger, o.Metrics); err != nil {
		return err
	}
	if d.gauge, err = newRegistryGauges(d.st, d.st, o.PerSiteMetrics, o.StatsInterval, o.Logger, o.Metrics); err != nil {
		return err
	}
	d.prune = newPruning(d.st, d.owner, o.Retain, o.now, o.Logger, o.Metrics)
	d.q = &storeQueue{st: d.st, logger: o.Logger, providerRanges: o.ProviderRanges, policy: o.Policy, byTag: o.TagPolicies,
		health: &writeHealth{now: o.now}}
	var route func(alerts.Alert) []string
	if o.Alerts != nil && len(o.Alerts.Receivers) > 0 {
		if route, err = d.buildAlerts(); err != nil {
			return err
		}
	}
	if d.cases, err = d.buildCaseWork(route); err != nil {
		return err
	}
	d.q.cases = d.cases
	if o.Notice.URL != "" {
		n, err := NewNoticeWebhook(o.Notice, d.st.SiteByDomain)
		if err != nil {
			return fmt.Errorf("--notice-webhook: %w", err)
		}
		d.noticer = n
	}
	if !o.API.Disabled {
		return d.buildAPI()
	}
	return nil
}

// buildAlerts builds the router and the dispatcher of the outbox.
func (d *Daemon) buildAlerts() (func(alerts.Alert) []string, error) {
	o := &d.opts
	router, err := o.Alerts.Build(o.Logger, o.Metrics)
	if err != nil {
		return nil, fmt.Errorf("alerts: %w", err)
	}
	d.q.alerting = alertChanges(alerts.SiteRules{UnreachableAfter: o.UnreachableAfter}, router.Route)
	notifiers, resend := map[string]alerts.Notifier{}, map[string]time.Duration{}
	for _, r := range router.Receivers() {
		notifiers[r.Name] = r
		if r.Resend > 0 {
			resend[r.Name] = r.Resend
		}
	}
	d.disp, err = alerts.NewDispatcher(alerts.DispatcherConfig{Owner: d.owner, Resend: resend, Route: router.Route},
		alertOutbox{d.st}, alertOutbox{d.st}, notifiers, o.Logger)
	if err != nil {
		return nil, err
	}
	return router.Route, nil
}

// buildCaseWork builds the case work and the holiday calendar's gauge.
func (d *Daemon) buildCaseWork(route func(alerts.Alert) []string) (*caseWork, error) {
	o := &d.opts
	cal := o.Calendar
	knownUntil := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "beianwatch_calendar_known_until_timestamp_seconds",
		Help: "The end of the last year of China's holiday calendar this replica knows (Unix time); working-day deadlines past it are provisional.",
	})
	// The end of the last day is the next year's first midnight.
	knownUntil.Set(float64(cal.KnownUntil().Add(time.Nanosecond).Unix()))
	if err := o.Metrics.Register(knownUntil); err != nil {
		return nil, err
	}
	if cal.KnownUntil().Sub(o.now()) < 60*24*time.Hour {
		o.Logger.Warn("the holiday calendar ends soon: working-day deadlines past it will be provisional; add the next year with --holiday-file",
			"known_until", checker.DateOf(cal.KnownUntil()).String())
	}
	w := caseWork{st: d.st, policy: o.Cases, cal: cal, autoRectify: o.AutoRectify, lex: o.Lexicon,
		fetch: d.col.Fetch, owner: d.owner, route: route, logger: o.Logger, now: o.Now}
	if o.Escalation.URL != "" {
		w.esc = &escalation{url: o.Escalation.URL, secret: o.Escalation.Secret, requireConfirmation: o.Escalation.RequireConfirmation,
			client: &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	}
	return newCaseWork(w, o.Metrics)
}

// Addr is the address the HTTP server listens on (nil without one).
func (d *Daemon) Addr() net.Addr {
	if d.ln == nil {
		return nil
	}
	return d.ln.Addr()
}

// Run runs the daemon until ctx ends or, with Options.Once, the sites due
// at the start are checked. It returns the scheduler's error, if any; a
// registry that is down is retried, not an error.
func (d *Daemon) Run(ctx context.Context) error {
	o := &d.opts
	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	// The background loops end before Run returns: none of them may log
	// or touch the registry after its caller closed them.
	var loops sync.WaitGroup
	defer loops.Wait()
	defer stopBG()
	loops.Go(func() { d.gauge.Run(bg) })
	loops.Go(func() { d.prune.Run(bg) })
	if o.Once {
		d.q.dueBy = o.now()
	}
	if d.disp != nil {
		loops.Go(func() { d.disp.Run(bg) })
	}
	// A calendar that learned a year (a new holiday file, an upgrade)
	// makes provisional deadlines definitive: count them again first.
	d.cases.recountProvisional(ctx)
	loops.Go(func() { d.cases.Run(bg, min(10*time.Second, o.Cases.VerifyInterval)) })
	o.Logger.Info("serving", "db", registry.RedactDSN(o.DSN), "owner", d.owner, "concurrency", o.Concurrency, "once", o.Once)
	// A transaction per check cost more than the check's own writes:
	// store them in batches.
	sum, err := d.sched.Run(ctx, batchQueue{d.q})
	d.sum = sum
	if err != nil {
		return err
	}
	if d.disp != nil {
		// What this run queued goes out before it returns (Once, or a
		// shutdown): what cannot go within the grace period waits in the
		// outbox for the next run or another replica.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.Grace)
		for dctx.Err() == nil {
			if n, err := d.disp.DeliverOnce(dctx); n == 0 || err != nil {
				break
			}
		}
		cancel()
	}
	o.Logger.Info("stopped", "checked", sum.Checked, "duration", sum.Duration.Round(time.Millisecond))
	return nil
}

// Summary is what the last Run checked.
func (d *Daemon) Summary() crawler.Summary { return d.sum }

// NextDue is when the registry's next active site falls due and how many
// fall due then; the zero time when none is active.
func (d *Daemon) NextDue(ctx context.Context) (time.Time, int, error) {
	return d.st.NextDue(ctx)
}

// Close stops the HTTP server and releases the crawler and the registry.
// It may be called more than once.
func (d *Daemon) Close() error {
	var err error
	d.once.Do(func() {
		if d.srv != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_ = d.srv.Shutdown(ctx)
			cancel()
		} else if d.ln != nil {
			d.ln.Close()
		}
		if d.col != nil {
			d.col.Close()
		}
		if d.probeFetcher != nil {
			d.probeFetcher.Close()
		}
		d.closeRender()
		if d.st != nil {
			err = d.st.Close()
		}
	})
	return err
}

// serveHTTP serves the metrics, health, probe and API endpoints on the
// listener.
func (d *Daemon) serveHTTP() error {
	o := &d.opts
	mux := http.NewServeMux()
	var metrics http.Handler = promhttp.HandlerFor(o.Metrics, promhttp.HandlerOpts{Registry: o.Metrics})
	if o.API.MetricsTokenRequired {
		metrics = d.metricsAuth(metrics)
	}
	mux.Handle("GET /metrics", metrics)
	if !o.API.Disabled {
		// /probe is served by the API, behind its token check (scope
		// probe).
		ph, err := d.probeHandler()
		if err != nil {
			return err
		}
		d.probe = ph
		mux.HandleFunc("/api/v1/", d.serveAPI)
		mux.HandleFunc("GET /probe", d.serveAPI)
	}
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /readyz", d.ready)
	mux.HandleFunc(console.Prefix, d.serveConsole)
	d.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := d.srv.Serve(d.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			o.Logger.Error("metrics listener stopped", "err", err)
		}
	}()
	o.Logger.Info("listening", "addr", d.ln.Addr().String())
	return nil
}

// ready answers /readyz: the registry open, reachable and taking the
// queue's writes (failing for no longer than a lease period: a lease
// that cannot be renewed is lost anyway), and the scheduler running.
func (d *Daemon) ready(w http.ResponseWriter, r *http.Request) {
	if !d.built.Load() {
		http.Error(w, "registry not open yet", http.StatusServiceUnavailable)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
	defer cancel()
	failing := d.q.health.failingFor()
	switch err := d.st.Ping(ctx); {
	case err != nil:
		http.Error(w, "registry unreachable", http.StatusServiceUnavailable)
	case failing > d.opts.LeaseTTL:
		http.Error(w, fmt.Sprintf("registry refusing leases and stores for %v", failing.Round(time.Second)), http.StatusServiceUnavailable)
	case !d.sched.Running():
		http.Error(w, "scheduler not running", http.StatusServiceUnavailable)
	default:
		fmt.Fprintln(w, "ready")
	}
}

// buildConsole builds the web console on the registry and the crawler.
func (d *Daemon) buildConsole() error {
	o := &d.opts
	ui, err := console.New(console.Options{Store: d.st, Checker: d, Cases: o.Cases, Calendar: o.Calendar, Noticer: d.noticer,
		KnownUntil: o.Calendar.KnownUntil(), SessionTTL: o.ConsoleLoginTTL, Logger: o.Logger, Now: o.Now})
	if err != nil {
		return err
	}
	d.ui.Store(ui)
	return nil
}

// serveConsole serves the web console once the registry is open.
func (d *Daemon) serveConsole(w http.ResponseWriter, r *http.Request) {
	ui := d.ui.Load()
	if ui == nil {
		http.Error(w, "registry not open yet", http.StatusServiceUnavailable)
		return
	}
	ui.ServeHTTP(w, r)
}
