package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"

	"github.com/beianwatch/beianwatch/alerts"
	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/crawler"
	"github.com/beianwatch/beianwatch/lexicon"
	"github.com/beianwatch/beianwatch/registry"
)

// serveOptions are the flags of `beianwatch serve`.
type serveOptions struct {
	fetchOptions
	config          string
	printConfig     bool
	once            bool
	listen          string
	concurrency     int
	perHost         int
	perHostDelay    time.Duration
	perIP           int
	interval        time.Duration
	recheckInterval time.Duration
	leaseTTL        time.Duration
	batch           int
	grace           time.Duration
	owner           string
	noMigrate       bool
	providerRanges  []string
	pinFiledIP      bool
	robots          string
	statsInterval   time.Duration
	perSiteMetrics  bool
	perSiteLimit    int
	unreachableN    int
	cases           caseOptions
	caseInterval    time.Duration
	rectifyAfter    int
	rectifyCodes    []string
	rectifySev      []string
	lexicon         string
	escalationURL   string
	escalationKey   string
	escalationHuman bool
	lex             *lexicon.Lexicon
	policy          string
}

func (a *app) serveCmd() *cobra.Command {
	o := serveOptions{fetchOptions: fetchOptions{maxBody: crawler.DefaultMaxBody}}
	cmd := &cobra.Command{
		Use:   "serve [flags]",
		Short: "Run the daemon: check every registered site on schedule",
		Long: `Serve keeps every site in the registry checked on time: it leases due sites
in batches, fetches them politely (a global limit, one request at a time per
host by default), checks them and stores each result with the site's new
state. Any number of replicas can share one PostgreSQL registry; SQLite
serves one process.

An HTTP listener (--listen) serves /metrics, /healthz (alive) and /readyz
(registry reachable, scheduler running). On SIGTERM or SIGINT it stops
leasing, lets checks in flight finish for --grace, releases the rest and
exits 0.

Settings come from flags, then BEIANWATCH_* environment variables (the flag's
name in upper snake case: --recheck-interval is BEIANWATCH_RECHECK_INTERVAL),
then a YAML file (--config; keys are the flag names), then the defaults.
--print-config shows the result, secrets masked.

Sites are judged by the built-in policy (an unknown date leaves an obligation
due), or by --policy FILE; the config file's policies section maps a site tag
to a policy file for per-customer strictness (the site's first tag that has
one wins).

With --once it checks every site that is due (all of them in a fresh
registry), prints a summary and exits: for cron jobs and CI.`,
		Example: `  beianwatch serve
  beianwatch serve --db postgres://beianwatch@db/beianwatch --concurrency 128
  beianwatch serve --once --db sqlite://beianwatch.db
  beianwatch serve --config /etc/beianwatch/serve.yaml --print-config`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := applyConfig(cmd, a.getenv, o.config); err != nil {
				return err
			}
			a.resetLogger(cmd)
			ac, err := loadAlertsConfig(o.config)
			if err != nil {
				return err
			}
			pols, err := loadPolicies(o.config, o.policy)
			if err != nil {
				return err
			}
			if o.printConfig {
				var ps any
				if len(pols.files) > 0 {
					ps = pols.files
				}
				return printConfig(a.stdout, cmd, section{"alerts", ac}, section{"policies", ps})
			}
			return a.runServe(cmd.Context(), o, ac, pols)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.config, "config", "", "read settings from this YAML `FILE` (keys are flag names)")
	f.BoolVar(&o.printConfig, "print-config", false, "print the effective settings (secrets masked) and exit")
	f.BoolVar(&o.once, "once", false, "check every due site once, print a summary and exit")
	f.StringVar(&o.listen, "listen", ":9325", "`ADDR` for /metrics, /healthz and /readyz (\"\" for none; with --once only when given)")
	f.IntVar(&o.concurrency, "concurrency", 32, "`N` sites checked at once")
	f.IntVar(&o.perHost, "per-host", 1, "`N` requests at once to one host name")
	f.DurationVar(&o.perHostDelay, "per-host-delay", 0, "pause after each request to a host before its next one")
	f.IntVar(&o.perIP, "per-ip", 0, "`N` requests at once to one IP address (0: no limit; shared hosting puts many sites on one)")
	f.DurationVar(&o.interval, "interval", 24*time.Hour, "time between checks of a site (±10% jitter)")
	f.DurationVar(&o.recheckInterval, "recheck-interval", time.Hour, "time between checks of a site with error findings or a deadline within 7 days")
	f.DurationVar(&o.leaseTTL, "lease-ttl", 5*time.Minute, "how long a replica holds a leased site (a dead replica's sites wait this long)")
	f.IntVar(&o.batch, "batch", 0, "`N` sites leased at a time (0: 4 × --concurrency)")
	f.DurationVar(&o.grace, "grace", 10*time.Second, "time checks in flight get to finish on shutdown")
	f.StringVar(&o.owner, "owner", "", "this replica's `NAME` in leases (default: host name and process id)")
	f.StringSliceVar(&o.providerRanges, "provider-ranges", nil, "the provider's own mainland networks (`CIDR`,…): a site served from elsewhere is an error finding")
	f.BoolVar(&o.pinFiledIP, "pin-filed-ip", false, "fetch each site from the IP addresses its filing names, not where DNS points")
	f.StringVar(&o.robots, "robots", crawler.RobotsIgnore, "robots.txt `POLICY`: ignore or obey (see README)")
	f.DurationVar(&o.statsInterval, "stats-interval", 30*time.Second, "how often the registry-wide gauges (beianwatch_sites …) are read from the registry")
	f.BoolVar(&o.perSiteMetrics, "per-site-metrics", false, "add beianwatch_site_verdict{domain,verdict} for the worst sites")
	f.IntVar(&o.perSiteLimit, "per-site-metrics-limit", 1000, "`N` sites at most in beianwatch_site_verdict")
	f.IntVar(&o.unreachableN, "unreachable-after", 3, "`N` checks in a row that end in error before a site_unreachable alert fires")
	f.DurationVar(&o.caseInterval, "case-interval", 15*time.Minute, "time between re-fetches of a takedown case's URLs")
	f.DurationVar(&o.cases.takedownDeadline, "takedown-deadline", 24*time.Hour, "a takedown's default time to respond (as for 'case open')")
	f.IntVar(&o.cases.rectificationDays, "rectification-days", 10, "a rectification's fix window, in `N` working days")
	f.IntVar(&o.cases.extensionDays, "extension-days", 7, "what a rectification's one extension adds, in `N` working days")
	f.StringSliceVar(&o.cases.holidayFiles, "holiday-file", nil, "a holiday `FILE` for a year the built-in calendar lacks (workday JSON; repeatable)")
	f.IntVar(&o.rectifyAfter, "rectify-after", 2, "open a rectification case after `N` failing checks in a row (0: never by itself)")
	f.StringSliceVar(&o.rectifyCodes, "rectify-codes", nil, "only these finding `CODES` open rectifications (default: any)")
	f.StringSliceVar(&o.rectifySev, "rectify-severities", []string{"error"}, "finding `SEVERITIES` that open rectifications")
	f.StringVar(&o.lexicon, "lexicon", "", "scan every crawled page for the phrases in this `FILE` (category<TAB>phrase) and open suspected takedowns")
	f.StringVar(&o.escalationURL, "escalation-url", "", "call this webhook `URL` once when a case turns overdue (the provider's control plane blocks)")
	f.StringVar(&o.escalationKey, "escalation-secret-file", "", "sign escalation calls with the secret in this `FILE` (HMAC-SHA256)")
	f.BoolVar(&o.escalationHuman, "escalation-require-confirmation", false, "call the escalation webhook only after a person ran 'case confirm'")
	f.StringVar(&o.policy, "policy", "", "judge sites by the policy `FILE` (YAML: unknown_dates, severity) instead of the built-in one; the config file's policies section sets one per site tag")
	f.BoolVar(&o.noMigrate, "no-migrate", false, "do not bring the registry's schema up to date first")
	o.fetchOptions.addFlags(f, a.version)
	f.SortFlags = false
	return cmd
}

// resetLogger builds the logger again once the configuration may have
// changed --log-level.
func (a *app) resetLogger(cmd *cobra.Command) {
	var level slog.Level
	if f := cmd.Flags().Lookup("log-level"); f != nil {
		_ = level.UnmarshalText([]byte(f.Value.String()))
	}
	a.logger = slog.New(slog.NewTextHandler(a.stderr, &slog.HandlerOptions{Level: level}))
}

// collectorConfig builds the crawler's configuration from the flags.
func (o serveOptions) collectorConfig() (crawler.CollectorConfig, crawler.ScheduleConfig, error) {
	fc, err := o.fetchOptions.config()
	if err != nil {
		return crawler.CollectorConfig{}, crawler.ScheduleConfig{}, err
	}
	for name, v := range map[string]int{"--concurrency": o.concurrency, "--per-host": o.perHost} {
		if v < 1 {
			return crawler.CollectorConfig{}, crawler.ScheduleConfig{}, fmt.Errorf("invalid %s %d: must be at least 1", name, v)
		}
	}
	for name, v := range map[string]time.Duration{"--interval": o.interval, "--recheck-interval": o.recheckInterval, "--lease-ttl": o.leaseTTL} {
		if v <= 0 {
			return crawler.CollectorConfig{}, crawler.ScheduleConfig{}, fmt.Errorf("invalid %s %v: must be positive", name, v)
		}
	}
	if o.leaseTTL <= o.timeout*2 {
		return crawler.CollectorConfig{}, crawler.ScheduleConfig{}, fmt.Errorf("invalid --lease-ttl %v: must be more than twice --timeout (%v), or leases expire during checks", o.leaseTTL, o.timeout)
	}
	owner := o.owner
	if owner == "" {
		host, _ := os.Hostname()
		owner = host + "-" + strconv.Itoa(os.Getpid())
	}
	if o.robots != crawler.RobotsIgnore && o.robots != crawler.RobotsObey {
		return crawler.CollectorConfig{}, crawler.ScheduleConfig{}, fmt.Errorf("invalid --robots %q: want ignore or obey", o.robots)
	}
	cc := crawler.CollectorConfig{FetchConfig: fc, Concurrency: o.concurrency, PerHost: o.perHost,
		PerHostDelay: o.perHostDelay, PerIP: o.perIP, Robots: o.robots}
	sc := crawler.ScheduleConfig{
		Owner: owner, Workers: o.concurrency, Batch: o.batch, LeaseTTL: o.leaseTTL,
		Interval: o.interval, RecheckInterval: o.recheckInterval, Grace: o.grace, Once: o.once,
		PinFiledIP: o.pinFiledIP,
		// Look for due sites at least four times per recheck interval (at
		// most every 10 s), so that short intervals are kept.
		Poll: min(10*time.Second, max(min(o.interval, o.recheckInterval)/4, 100*time.Millisecond)),
	}
	return cc, sc, nil
}

// runServe runs the daemon until ctx ends (or, with --once, the cycle does).
func (a *app) runServe(ctx context.Context, o serveOptions, ac *alerts.Config, pols *sitePolicies) error {
	cc, sc, err := o.collectorConfig()
	if err != nil {
		return err
	}
	if o.statsInterval <= 0 || o.perSiteLimit < 0 || o.unreachableN < 1 {
		return fmt.Errorf("invalid --stats-interval %v, --per-site-metrics-limit %d or --unreachable-after %d: want positive values", o.statsInterval, o.perSiteLimit, o.unreachableN)
	}
	a.tuneGC()
	ranges, err := parseCIDRs("--provider-ranges", o.providerRanges)
	if err != nil {
		return err
	}
	if o.lexicon != "" {
		// The lexicon's scan runs on each page the crawler fetched.
		lex, err := loadLexicon(o.lexicon)
		if err != nil {
			return err
		}
		o.lex = lex
		sc.Inspect = func(p *checker.Page, text string, _ *checker.Report) any {
			if text == "" {
				return nil // nothing was judged (an HTTP error answer)
			}
			return lex.Scan(text) // the visible text, as the checker rendered it
		}
	}
	st, err := a.openStore(ctx, !o.noMigrate)
	if err != nil {
		return a.trouble(err)
	}
	defer st.Close()
	if n, err := st.CountSites(ctx); err == nil && n == 0 {
		a.logger.Warn("the registry holds no sites: import them with 'beianwatch import sites.csv' (see 'beianwatch import --help')", "db", registry.RedactDSN(a.dsn))
	}
	col, err := crawler.NewCollector(cc)
	if err != nil {
		return err
	}
	defer col.Close()
	a.metrics.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if err := registerBuildInfo(a.metrics, a.version); err != nil {
		return err
	}
	sched, err := crawler.NewScheduler(sc, col, a.logger, a.metrics)
	if err != nil {
		return err
	}
	perSite := 0
	if o.perSiteMetrics {
		perSite = o.perSiteLimit
	}
	gauges, err := newRegistryGauges(st, st, perSite, o.statsInterval, a.logger, a.metrics)
	if err != nil {
		return err
	}
	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBG()
	go gauges.Run(bg)
	q := &storeQueue{st: st, logger: a.logger, providerRanges: ranges, policies: pols}
	if o.once {
		q.dueBy = time.Now()
	}
	var disp *alerts.Dispatcher
	var route func(alerts.Alert) []string
	if ac != nil && len(ac.Receivers) > 0 {
		router, err := ac.Build(a.logger, a.metrics)
		if err != nil {
			return fmt.Errorf("alerts: %w", err)
		}
		route = router.Route
		q.alerting = alertChanges(alerts.SiteRules{UnreachableAfter: o.unreachableN}, router.Route)
		notifiers, resend := map[string]alerts.Notifier{}, map[string]time.Duration{}
		for _, r := range router.Receivers() {
			notifiers[r.Name] = r
			if r.Resend > 0 {
				resend[r.Name] = r.Resend
			}
		}
		disp, err = alerts.NewDispatcher(alerts.DispatcherConfig{Owner: sc.Owner, Resend: resend, Route: router.Route},
			alertOutbox{st}, alertOutbox{st}, notifiers, a.logger)
		if err != nil {
			return err
		}
		go disp.Run(bg)
	}
	cw, err := a.caseWork(o, st, col, sc.Owner, route)
	if err != nil {
		return err
	}
	q.cases = cw
	// A calendar that learned a year (a new --holiday-file, an upgrade)
	// makes provisional deadlines definitive: count them again first.
	cw.recountProvisional(ctx)
	go cw.Run(bg, min(10*time.Second, o.caseInterval))
	if o.listen != "" && (!o.once || listenGiven(o)) {
		stopHTTP, err := a.serveHTTP(o.listen, st, sched)
		if err != nil {
			return a.trouble(err)
		}
		defer stopHTTP()
	}
	a.logger.Info("serving", "db", registry.RedactDSN(a.dsn), "owner", sc.Owner, "concurrency", cc.Concurrency, "once", o.once)
	// A transaction per check cost more than the check's own writes:
	// store them in batches.
	sum, err := sched.Run(ctx, batchQueue{q})
	if err != nil {
		return a.trouble(err)
	}
	if disp != nil {
		// What this run queued goes out before it exits (--once, or a
		// SIGTERM): what cannot go within the grace period waits in the
		// outbox for the next run or another replica.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.grace)
		for dctx.Err() == nil {
			if n, err := disp.DeliverOnce(dctx); n == 0 || err != nil {
				break
			}
		}
		cancel()
	}
	if o.once {
		fmt.Fprintln(a.stdout, sum)
	}
	a.logger.Info("stopped", "checked", sum.Checked, "duration", sum.Duration.Round(time.Millisecond))
	return nil
}

// tuneGC lets the heap grow 4× between collections instead of 2×, unless
// GOGC says otherwise: the daemon's garbage is one page and its parse tree
// per worker, and collecting it twice as often cost a fifth of the CPU of a
// cycle (load benchmark: 3.9 → 3.2 ms per site, peak RSS 48 → 72 MiB). A
// soft memory limit (unless GOMEMLIMIT is set) makes the collector work
// harder before the process nears its memory budget.
func (a *app) tuneGC() {
	if a.getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if a.getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(128 << 20)
	}
}

// listenGiven reports whether --listen was set explicitly (with --once the
// listener is off unless asked for: a cron job needs no port).
func listenGiven(o serveOptions) bool { return o.listen != ":9325" }

// serveHTTP starts the metrics and health listener; stop shuts it down.
func (a *app) serveHTTP(addr string, st *registry.Store, sched *crawler.Scheduler) (stop func(), err error) {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(a.metrics, promhttp.HandlerOpts{Registry: a.metrics}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		switch err := st.Ping(ctx); {
		case err != nil:
			http.Error(w, "registry unreachable", http.StatusServiceUnavailable)
		case !sched.Running():
			http.Error(w, "scheduler not running", http.StatusServiceUnavailable)
		default:
			fmt.Fprintln(w, "ready")
		}
	})
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("listen on %s: %w", addr, err)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.logger.Error("metrics listener stopped", "err", err)
		}
	}()
	a.logger.Info("listening", "addr", ln.Addr().String())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
	}, nil
}

// loadAlertsConfig reads the alerts section of the --config file; nil
// when there is none.
func loadAlertsConfig(file string) (*alerts.Config, error) {
	raw, err := configSection(file, "alerts")
	if raw == nil || err != nil {
		return nil, err
	}
	c, err := alerts.ParseConfig(bytes.NewReader(raw))
	if err != nil {
		return nil, fmt.Errorf("config %s: alerts: %w", file, err)
	}
	return c, nil
}

// loadLexicon reads the --lexicon file.
func loadLexicon(name string) (*lexicon.Lexicon, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("--lexicon: %w", err)
	}
	defer f.Close()
	lex, err := lexicon.Load(f, name)
	if err != nil {
		return nil, fmt.Errorf("--lexicon: %w", err)
	}
	return lex, nil
}

// caseWork builds the daemon's case work from the flags.
func (a *app) caseWork(o serveOptions, st *registry.Store, col *crawler.Collector, owner string, route func(alerts.Alert) []string) (*caseWork, error) {
	policy, err := o.cases.policy()
	if err != nil {
		return nil, err
	}
	if o.caseInterval <= 0 || o.rectifyAfter < 0 {
		return nil, fmt.Errorf("invalid --case-interval %v or --rectify-after %d", o.caseInterval, o.rectifyAfter)
	}
	policy.VerifyInterval = o.caseInterval
	if o.rectifyAfter > 0 {
		policy.OpenAfter = o.rectifyAfter
	}
	policy.OpenCodes = o.rectifyCodes
	policy.OpenSeverities = nil
	for _, s := range o.rectifySev {
		policy.OpenSeverities = append(policy.OpenSeverities, checker.Severity(s))
	}
	if err := policy.Validate(); err != nil {
		return nil, fmt.Errorf("case policy: %w", err)
	}
	cal, err := o.cases.calendar()
	if err != nil {
		return nil, err
	}
	knownUntil := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "beianwatch_calendar_known_until_timestamp_seconds",
		Help: "The end of the last year of China's holiday calendar this replica knows (Unix time); working-day deadlines past it are provisional.",
	})
	// The end of the last day is the next year's first midnight.
	knownUntil.Set(float64(cal.KnownUntil().Add(time.Nanosecond).Unix()))
	if err := a.metrics.Register(knownUntil); err != nil {
		return nil, err
	}
	if time.Until(cal.KnownUntil()) < 60*24*time.Hour {
		a.logger.Warn("the holiday calendar ends soon: working-day deadlines past it will be provisional; add the next year with --holiday-file",
			"known_until", checker.DateOf(cal.KnownUntil()).String())
	}
	w := caseWork{st: st, policy: policy, cal: cal, autoRectify: o.rectifyAfter > 0, lex: o.lex,
		fetch: col.Fetch, owner: owner, route: route, logger: a.logger}
	if o.escalationURL != "" {
		if err := validHTTPURL(o.escalationURL); err != nil {
			return nil, fmt.Errorf("invalid --escalation-url: %w", err)
		}
		w.esc = &escalation{url: o.escalationURL, requireConfirmation: o.escalationHuman,
			client: &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
		if o.escalationKey != "" {
			b, err := os.ReadFile(o.escalationKey)
			if err != nil {
				return nil, fmt.Errorf("--escalation-secret-file: %w", err)
			}
			w.esc.secret = strings.TrimSpace(string(b))
		}
	}
	return newCaseWork(w, a.metrics)
}

// validHTTPURL accepts an absolute http or https URL.
func validHTTPURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q: want an http:// or https:// URL", raw)
	}
	return nil
}
