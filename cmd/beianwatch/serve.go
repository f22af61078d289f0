package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/beianwatch/beianwatch/alerts"
	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/console"
	"github.com/beianwatch/beianwatch/crawler"
	"github.com/beianwatch/beianwatch/daemon"
	"github.com/beianwatch/beianwatch/lexicon"
	"github.com/beianwatch/beianwatch/probe"
)

// serveOptions are the flags of `beianwatch serve`.
type serveOptions struct {
	fetchOptions
	notices         noticeOptions
	config          string
	printConfig     bool
	once            bool
	listen          string
	concurrency     int
	bodyMemory      byteSize
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
	probeConc       int
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
	policy          string
	retain          retainValue
	consoleTTL      time.Duration
	api             daemon.APIOptions
	apiMaxBody      byteSize
	apiMaxImport    byteSize
	render          renderFlag
	renderWorkers   int
	renderBudget    int
	renderHost      int
	screenshots     string
}

func (a *app) serveCmd() *cobra.Command {
	o := serveOptions{fetchOptions: fetchOptions{maxBody: crawler.DefaultMaxBody}, retain: retainValue(daemon.DefaultRetain),
		bodyMemory: crawler.DefaultBodyMemory}
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

Pages drawn by script are rendered in headless Chromium (--render auto; always
renders every page, never none), at most --render-budget a cycle, and a PNG of
each failing rendered page's footer is kept with its result (--screenshots).

With --once it checks every site that is due (all of them in a fresh
registry), prints a summary and exits: for cron jobs and CI.`,
		Example: `  beianwatch serve
  beianwatch serve --db postgres://beianwatch@db/beianwatch --concurrency 128
  beianwatch serve --once --db sqlite://beianwatch.db
  beianwatch serve --config /etc/beianwatch/serve.yaml --print-config`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.config = cmd.Flag("config").Value.String()
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
	def := daemon.DefaultOptions()
	f := cmd.Flags()
	f.BoolVar(&o.printConfig, "print-config", false, "print the effective settings (secrets masked) and exit")
	f.BoolVar(&o.once, "once", false, "check every due site once, print a summary and exit")
	f.StringVar(&o.listen, "listen", def.Listen, "`ADDR` for /metrics, /healthz, /readyz, /probe and the API (\"\" for none; with --once only when given)")
	f.IntVar(&o.concurrency, "concurrency", def.Concurrency, "`N` sites checked at once at most (how many follows the network and the CPU)")
	f.Var(&o.bodyMemory, "body-memory", "memory for page bodies in flight (`SIZE`, at least --max-body); fetches wait when it is spent")
	f.IntVar(&o.perHost, "per-host", def.PerHost, "`N` requests at once to one host name")
	f.DurationVar(&o.perHostDelay, "per-host-delay", 0, "pause after each request to a host before its next one")
	f.IntVar(&o.perIP, "per-ip", 0, "`N` requests at once to one IP address (0: no limit; shared hosting puts many sites on one)")
	f.DurationVar(&o.interval, "interval", def.Interval, "time between checks of a site (±10% jitter)")
	f.DurationVar(&o.recheckInterval, "recheck-interval", def.RecheckInterval, "time between checks of a site with error findings or a deadline within 7 days")
	f.DurationVar(&o.leaseTTL, "lease-ttl", def.LeaseTTL, "how long a replica holds a leased site (a dead replica's sites wait this long)")
	f.IntVar(&o.batch, "batch", 0, "`N` sites leased at a time at most (0: 4 × --concurrency; never more than 4 × the checks running)")
	f.DurationVar(&o.grace, "grace", def.Grace, "time checks in flight get to finish on shutdown")
	f.StringVar(&o.owner, "owner", "", "this replica's `NAME` in leases (default: host name and process id)")
	f.StringSliceVar(&o.providerRanges, "provider-ranges", nil, "the provider's own mainland networks (`CIDR`,…): a site served from elsewhere is an error finding")
	f.BoolVar(&o.pinFiledIP, "pin-filed-ip", false, "fetch each site from the IP addresses its filing names, not where DNS points")
	f.StringVar(&o.robots, "robots", def.Robots, "robots.txt `POLICY`: ignore or obey (see docs/serve.md)")
	completeValues(cmd, "robots", []string{"ignore", "obey"})
	f.DurationVar(&o.statsInterval, "stats-interval", def.StatsInterval, "how often the registry-wide gauges (beianwatch_sites …) are read from the registry")
	f.BoolVar(&o.perSiteMetrics, "per-site-metrics", false, "add beianwatch_site_verdict{domain,verdict} for the worst sites")
	f.IntVar(&o.perSiteLimit, "per-site-metrics-limit", 1000, "`N` sites at most in beianwatch_site_verdict")
	f.IntVar(&o.probeConc, "probe-concurrency", probe.DefaultConcurrency, "`N` /probe checks at once; more are answered 503 with Retry-After")
	f.IntVar(&o.unreachableN, "unreachable-after", def.UnreachableAfter, "`N` checks in a row that end in error before a site_unreachable alert fires")
	f.DurationVar(&o.caseInterval, "case-interval", def.Cases.VerifyInterval, "time between re-fetches of a takedown case's URLs")
	f.DurationVar(&o.cases.takedownDeadline, "takedown-deadline", def.Cases.TakedownDeadline, "a takedown's default time to respond (as for 'case open')")
	f.IntVar(&o.cases.rectificationDays, "rectification-days", def.Cases.RectificationDays, "a rectification's fix window, in `N` working days")
	f.IntVar(&o.cases.extensionDays, "extension-days", def.Cases.ExtensionDays, "what a rectification's one extension adds, in `N` working days")
	f.StringSliceVar(&o.cases.holidayFiles, "holiday-file", nil, "a holiday `FILE` for a year the built-in calendar lacks (workday JSON; repeatable)")
	f.IntVar(&o.rectifyAfter, "rectify-after", def.Cases.OpenAfter, "open a rectification case after `N` failing checks in a row (0: never by itself)")
	f.StringSliceVar(&o.rectifyCodes, "rectify-codes", nil, "only these finding `CODES` open rectifications (default: any)")
	f.StringSliceVar(&o.rectifySev, "rectify-severities", []string{"error"}, "finding `SEVERITIES` that open rectifications")
	f.StringVar(&o.lexicon, "lexicon", "", "scan every crawled page for the phrases in this `FILE` (category<TAB>phrase) and open suspected takedowns")
	f.StringVar(&o.escalationURL, "escalation-url", "", "call this webhook `URL` once when a case turns overdue (the provider's control plane blocks)")
	f.StringVar(&o.escalationKey, "escalation-secret-file", "", "sign escalation calls with the secret in this `FILE` (HMAC-SHA256)")
	f.BoolVar(&o.escalationHuman, "escalation-require-confirmation", false, "call the escalation webhook only after a person ran 'case confirm'")
	f.StringVar(&o.policy, "policy", "", "judge sites by the policy `FILE` (YAML: unknown_dates, severity) instead of the built-in one; the config file's policies section sets one per site tag")
	f.Var(&o.retain, "retain", "keep history that changed nothing this long (`DAYS`, or a duration; 0: forever); verdict changes and what cases need are kept")
	f.DurationVar(&o.consoleTTL, "console-login-ttl", console.DefaultSessionTTL, "how long a login to the web console under /ui/ lasts")
	addRenderFlag(f, &o.render)
	f.IntVar(&o.renderWorkers, "render-workers", def.RenderWorkers, "`N` pages rendered at once, each in its own browser context")
	f.IntVar(&o.renderBudget, "render-budget", def.RenderBudget, "`N` renders at most per cycle (--interval; 0: no limit)")
	f.IntVar(&o.renderHost, "render-host-budget", def.RenderHostBudget, "`N` renders at most per host name per cycle (0: no limit)")
	f.StringVar(&o.screenshots, "screenshots", def.Screenshots, "keep a PNG of the footer of each failing rendered page: failing or never")
	f.BoolVar(&o.noMigrate, "no-migrate", false, "do not bring the registry's schema up to date first")
	f.BoolVar(&o.api.Disabled, "no-api", false, "do not serve the HTTP API under /api/v1 (docs/api.md)")
	f.BoolVar(&o.api.MetricsTokenRequired, "metrics-token-required", false, "/metrics answers only to a bearer token with the read or probe scope ('beianwatch token create')")
	f.Float64Var(&o.api.CheckRate, "api-check-rate", def.API.CheckRate, "on-demand checks (POST /api/v1/checks) a token may start a second")
	f.IntVar(&o.api.CheckBurst, "api-check-burst", def.API.CheckBurst, "`N` on-demand checks a token may start at once after a pause")
	f.IntVar(&o.api.MaxChecks, "api-max-checks", def.API.MaxChecks, "`N` on-demand checks running at once, over all tokens")
	f.IntVar(&o.api.MaxInFlight, "api-max-in-flight", def.API.MaxInFlight, "`N` API requests served at once (more wait their turn), so that the crawl keeps its share")
	o.apiMaxBody, o.apiMaxImport = byteSize(def.API.MaxBody), byteSize(def.API.MaxImportBody)
	f.Var(&o.apiMaxBody, "api-max-body", "largest API request body (`SIZE`)")
	f.Var(&o.apiMaxImport, "api-max-import-body", "largest body of POST /api/v1/sites/import (`SIZE`)")
	o.fetchOptions.addFlags(f, a.version)
	o.notices.addFlags(f)
	f.SortFlags = false
	return cmd
}

// daemonOptions turns the flags into the daemon's options: it reads the files
// they name (lexicon, holiday files, escalation secret) and parses what
// is text; every rule about the values is daemon.Options.Validate's.
func (a *app) daemonOptions(o serveOptions, ac *alerts.Config) (daemon.Options, error) {
	fc, err := o.fetchOptions.config()
	if err != nil {
		return daemon.Options{}, err
	}
	ranges, err := parseCIDRs("--provider-ranges", o.providerRanges)
	if err != nil {
		return daemon.Options{}, err
	}
	policy, err := o.cases.policy()
	if err != nil {
		return daemon.Options{}, err
	}
	notices, err := o.notices.options()
	if err != nil {
		return daemon.Options{}, err
	}
	if o.rectifyAfter < 0 {
		return daemon.Options{}, fmt.Errorf("invalid --rectify-after %d: must not be negative", o.rectifyAfter)
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
	cal, err := o.cases.calendar()
	if err != nil {
		return daemon.Options{}, err
	}
	d := daemon.Options{
		DSN: a.dsn, NoMigrate: o.noMigrate, Once: o.once,
		Fetch: fc, Concurrency: o.concurrency, BodyMemory: int64(o.bodyMemory), PerHost: o.perHost, PerHostDelay: o.perHostDelay, PerIP: o.perIP,
		Robots: o.robots, Interval: o.interval, RecheckInterval: o.recheckInterval, LeaseTTL: o.leaseTTL,
		Batch: o.batch, Grace: o.grace, Owner: o.owner, PinFiledIP: o.pinFiledIP, ProviderRanges: ranges,
		StatsInterval: o.statsInterval, Alerts: ac, UnreachableAfter: o.unreachableN,
		Cases: policy, AutoRectify: o.rectifyAfter > 0, Calendar: cal,
		Escalation: daemon.Escalation{URL: o.escalationURL, RequireConfirmation: o.escalationHuman},
		Notice:     notices,
		Retain:     time.Duration(o.retain), ConsoleLoginTTL: o.consoleTTL,
		API:    o.api,
		Render: o.render.mode, RenderWorkers: o.renderWorkers, RenderBudget: o.renderBudget, RenderHostBudget: o.renderHost,
		Screenshots: o.screenshots,
		Version:     a.version, Logger: a.logger, Metrics: a.metrics,
	}
	d.API.MaxBody, d.API.MaxImportBody = int64(o.apiMaxBody), int64(o.apiMaxImport)
	if o.listen != "" && (!o.once || listenGiven(o)) {
		d.Listen = o.listen
	}
	if o.perSiteMetrics {
		d.PerSiteMetrics = o.perSiteLimit
	}
	d.ProbeConcurrency = o.probeConc
	if o.perSiteLimit < 0 {
		return daemon.Options{}, fmt.Errorf("invalid --per-site-metrics-limit %d: must not be negative", o.perSiteLimit)
	}
	if o.lexicon != "" {
		if d.Lexicon, err = loadLexicon(o.lexicon); err != nil {
			return daemon.Options{}, err
		}
	}
	if o.escalationKey != "" {
		b, err := os.ReadFile(o.escalationKey)
		if err != nil {
			return daemon.Options{}, fmt.Errorf("--escalation-secret-file: %w", err)
		}
		d.Escalation.Secret = strings.TrimSpace(string(b))
	}
	return d, d.Validate()
}

// runServe runs the daemon until ctx ends (or, with --once, the cycle does).
func (a *app) runServe(ctx context.Context, o serveOptions, ac *alerts.Config, pols *sitePolicies) error {
	opts, err := a.daemonOptions(o, ac)
	if err != nil {
		return err
	}
	opts.Policy, opts.TagPolicies = pols.def, pols.byTag
	if opts.Keys, err = a.loadKeys(); err != nil {
		return a.trouble(err)
	}
	a.tuneGC(opts.BodyMemory)
	d, err := daemon.New(ctx, opts)
	if err != nil {
		if ctx.Err() != nil {
			return nil // shut down while waiting for the registry: nothing went wrong
		}
		return a.trouble(err)
	}
	defer d.Close()
	if err := d.Run(ctx); err != nil {
		return a.trouble(err)
	}
	if o.once {
		var next time.Time
		var n int
		if d.Summary().Checked == 0 {
			if next, n, err = d.NextDue(ctx); err != nil {
				return a.trouble(err)
			}
		}
		fmt.Fprint(a.stdout, onceSummary(d.Summary(), next, n, time.Now()))
	}
	return nil
}

// tuneGC lets the heap grow 4× between collections instead of 2×, unless
// GOGC says otherwise: the daemon's garbage is one page and its parse tree
// per worker, and collecting it twice as often cost a fifth of the CPU of a
// cycle (load benchmark: 3.9 → 3.2 ms per site, peak RSS 48 → 72 MiB). A
// soft memory limit (unless GOMEMLIMIT is set) makes the collector work
// harder before the process nears its memory budget: the bodies' budget
// and 40 MiB for the rest (pages being judged, the registry, buffers).
func (a *app) tuneGC(bodyMemory int64) {
	if a.getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	if a.getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(bodyMemory + 40<<20)
	}
}

// listenGiven reports whether --listen was set explicitly (with --once the
// listener is off unless asked for: a cron job needs no port).
func listenGiven(o serveOptions) bool { return o.listen != daemon.DefaultListen }

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
