package daemon

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/beianwatch/beianwatch/alerts"
	"github.com/beianwatch/beianwatch/cases"
	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/crawler"
	"github.com/beianwatch/beianwatch/keyring"
	"github.com/beianwatch/beianwatch/lexicon"
	"github.com/beianwatch/beianwatch/workday"
)

// Options is everything the daemon runs with. Errors from Validate name
// each setting as its flag and its config-file key do (--lease-ttl is
// lease-ttl in the file), since that is where a user sets it.
type Options struct {
	// DSN names the registry (registry.Open). The daemon opens it, and
	// brings its schema up to date unless NoMigrate.
	DSN       string
	NoMigrate bool
	// Keys encrypt the registry's personal data (registry.Store.SetKeys).
	// The daemon checks them against the registry at start and encrypts
	// rows left in clear by versions before 00009. Nil: a registry
	// holding personal data cannot be read.
	Keys *keyring.Keyring
	// Listen is the HTTP server's address (/metrics, /healthz, /readyz,
	// /probe);
	// "" for none, "127.0.0.1:0" for any free port (see Daemon.Addr).
	Listen string
	// Once checks every site due when Run starts, then Run returns.
	Once bool
	// ProbeConcurrency bounds the /probe checks running at once (0:
	// probe.DefaultConcurrency); more are answered 503.
	ProbeConcurrency int

	// Fetch configures each request (timeouts, size cap, connection
	// safety); the rest configure the crawl (see crawler.CollectorConfig
	// and crawler.ScheduleConfig).
	Fetch crawler.FetchConfig
	// Concurrency is the most sites checked at once; the scheduler adapts
	// how many are to the network and the CPU.
	Concurrency int
	// BodyMemory is the byte budget for bodies in flight
	// (crawler.Budget): at least Fetch.MaxBody.
	BodyMemory      int64
	PerHost         int
	PerHostDelay    time.Duration
	PerIP           int
	Robots          string
	Interval        time.Duration
	RecheckInterval time.Duration
	LeaseTTL        time.Duration
	Batch           int
	Grace           time.Duration
	// Owner names this replica in leases; "" is the host name and the
	// process id.
	Owner      string
	PinFiledIP bool
	// ProviderRanges are the provider's own networks: a site served from
	// elsewhere is an error finding.
	ProviderRanges []netip.Prefix

	// Policy judges the sites (nil: the built-in one); TagPolicies judge
	// the sites carrying a tag instead, by the site's first tag that has
	// one (a provider's stricter customers, say).
	Policy      *checker.Policy
	TagPolicies map[string]*checker.Policy

	// StatsInterval is how often the registry-wide gauges are read;
	// PerSiteMetrics, when positive, adds beianwatch_site_verdict for that
	// many of the worst sites.
	StatsInterval  time.Duration
	PerSiteMetrics int

	// Alerts are the alert receivers and routes (nil: no alerts);
	// UnreachableAfter is how many checks in a row end in error before a
	// site_unreachable alert fires.
	Alerts           *alerts.Config
	UnreachableAfter int

	// Cases is the case policy (deadlines, when rectifications open, how
	// often takedowns are verified); AutoRectify opens and fixes
	// rectifications by itself. Calendar counts working days.
	Cases       cases.Policy
	AutoRectify bool
	Calendar    *workday.Calendar
	// Lexicon, when set, scans every crawled page and opens suspected
	// takedowns.
	Lexicon *lexicon.Lexicon
	// Escalation, when its URL is set, is called once when a case turns
	// overdue.
	Escalation Escalation
	// Notice delivers customer notices for the API's case notify (no URL:
	// none are sent, and the answer says so).
	Notice NoticeOptions

	// API configures the HTTP API under /api/v1 and who may read
	// /metrics (see APIOptions).
	API APIOptions
	// Render picks the pages rendered in headless Chromium (crawler's
	// render modes; "" is never). With auto a missing browser is a
	// warning, with always an error. RenderWorkers is how many render at
	// once; RenderBudget and RenderHostBudget cap the renders of a cycle
	// (Interval) in total and for one host (0: no cap). Screenshots is
	// "failing" (keep a PNG of each failing rendered page) or "never".
	Render           crawler.RenderMode
	RenderWorkers    int
	RenderBudget     int
	RenderHostBudget int
	Screenshots      string

	// Retain is how long history that changed nothing is kept (see
	// registry.PruneHistory); 0 keeps it all.
	Retain time.Duration

	// ConsoleLoginTTL is how long a login to the web console (served
	// under /ui/ on Listen) lasts; 0 is console.DefaultSessionTTL.
	ConsoleLoginTTL time.Duration

	// Version is the build's version, for beianwatch_build_info.
	Version string
	// Logger and Metrics are required; Metrics is also what /metrics
	// serves.
	Logger  *slog.Logger
	Metrics *prometheus.Registry
	// Now is the clock (time.Now when nil): tests pin it.
	Now func() time.Time
}

// DefaultOptions returns the defaults of every setting (the flags'
// defaults): the caller adds DSN, Logger and Metrics.
func DefaultOptions() Options {
	policy := cases.DefaultPolicy()
	return Options{
		Listen: DefaultListen, Concurrency: DefaultConcurrency, BodyMemory: crawler.DefaultBodyMemory, PerHost: 1, Robots: crawler.RobotsIgnore,
		Interval: 24 * time.Hour, RecheckInterval: time.Hour, LeaseTTL: 5 * time.Minute, Grace: 10 * time.Second,
		StatsInterval: 30 * time.Second, UnreachableAfter: 3, Retain: DefaultRetain,
		Cases: policy, AutoRectify: true, Calendar: workday.Default(),
		Fetch:  crawler.FetchConfig{Timeout: crawler.DefaultTimeout, MaxBody: crawler.DefaultMaxBody},
		API:    APIOptions{CheckRate: 1, CheckBurst: 5, MaxChecks: 4, MaxInFlight: 2, MaxBody: 1 << 20, MaxImportBody: 32 << 20},
		Render: crawler.RenderAuto, RenderWorkers: 2, RenderBudget: 1000, RenderHostBudget: 2, Screenshots: ScreenshotsFailing,
	}
}

// Values of Options.Screenshots (--screenshots).
const (
	ScreenshotsFailing = "failing"
	ScreenshotsNever   = "never"
)

// DefaultConcurrency is the default ceiling of sites checked at once: a
// waiting connection costs little, and bodies are bounded by BodyMemory.
const DefaultConcurrency = 256

// DefaultRetain is how long history is kept by default: more than a year,
// so that last year's same season can be compared.
const DefaultRetain = 400 * 24 * time.Hour

// DefaultListen is the HTTP server's default address.
const DefaultListen = ":9325"

// Escalation is the provider's control-plane webhook.
type Escalation struct {
	URL string
	// Secret, when set, signs each call (HMAC-SHA256, like the alerts
	// webhook).
	Secret string
	// RequireConfirmation calls only after a person confirmed the case.
	RequireConfirmation bool
}

// Validate checks the options: every rule about the daemon's settings is
// here.
func (o *Options) Validate() error {
	switch {
	case o.Logger == nil:
		return errors.New("daemon: no logger")
	case o.Metrics == nil:
		return errors.New("daemon: no metrics registry")
	case o.DSN == "":
		return errors.New("daemon: no registry (--db)")
	case o.Calendar == nil:
		return errors.New("daemon: no holiday calendar")
	}
	for _, s := range []struct {
		name string
		v    int
	}{{"--concurrency", o.Concurrency}, {"--per-host", o.PerHost}, {"--unreachable-after", o.UnreachableAfter}} {
		if s.v < 1 {
			return fmt.Errorf("invalid %s %d: must be at least 1", s.name, s.v)
		}
	}
	for _, s := range []struct {
		name string
		v    int
	}{{"--per-ip", o.PerIP}, {"--batch", o.Batch}, {"--per-site-metrics-limit", o.PerSiteMetrics},
		{"--probe-concurrency", o.ProbeConcurrency}} {
		if s.v < 0 {
			return fmt.Errorf("invalid %s %d: must not be negative", s.name, s.v)
		}
	}
	for _, s := range []struct {
		name string
		v    time.Duration
	}{{"--interval", o.Interval}, {"--recheck-interval", o.RecheckInterval}, {"--lease-ttl", o.LeaseTTL},
		{"--stats-interval", o.StatsInterval}, {"--case-interval", o.Cases.VerifyInterval}} {
		if s.v <= 0 {
			return fmt.Errorf("invalid %s %v: must be positive", s.name, s.v)
		}
	}
	if o.ConsoleLoginTTL < 0 {
		return fmt.Errorf("invalid --console-login-ttl %v: must not be negative", o.ConsoleLoginTTL)
	}
	switch a := o.API; {
	case a.CheckRate < 0:
		return fmt.Errorf("invalid --api-check-rate %v: must not be negative", a.CheckRate)
	case a.CheckBurst < 0 || a.MaxChecks < 0 || a.MaxInFlight < 0:
		return fmt.Errorf("invalid --api-check-burst %d, --api-max-checks %d or --api-max-in-flight %d: must not be negative", a.CheckBurst, a.MaxChecks, a.MaxInFlight)
	case a.MaxBody < 0 || a.MaxImportBody < 0:
		return fmt.Errorf("invalid --api-max-body %d or --api-max-import-body %d: must not be negative", a.MaxBody, a.MaxImportBody)
	case a.Disabled && a.MetricsTokenRequired:
		return errors.New("invalid --metrics-token-required with --no-api: tokens are checked by the API")
	}
	maxBody := o.Fetch.MaxBody
	if maxBody == 0 {
		maxBody = crawler.DefaultMaxBody
	}
	if o.BodyMemory < maxBody {
		return fmt.Errorf("invalid --body-memory %d bytes: must be at least --max-body (%d bytes), or the largest page could never be read", o.BodyMemory, maxBody)
	}
	if o.Retain < 0 {
		return fmt.Errorf("invalid --retain %v: must not be negative", o.Retain)
	}
	if err := o.validateRender(); err != nil {
		return err
	}
	if o.Grace < 0 || o.PerHostDelay < 0 {
		return fmt.Errorf("invalid --grace %v or --per-host-delay %v: must not be negative", o.Grace, o.PerHostDelay)
	}
	timeout := o.Fetch.Timeout
	if timeout == 0 {
		timeout = crawler.DefaultTimeout
	}
	if o.LeaseTTL <= timeout*2 {
		return fmt.Errorf("invalid --lease-ttl %v: must be more than twice --timeout (%v), or leases expire during checks", o.LeaseTTL, timeout)
	}
	if o.Robots != crawler.RobotsIgnore && o.Robots != crawler.RobotsObey {
		return fmt.Errorf("invalid --robots %q: want ignore or obey", o.Robots)
	}
	if err := o.Cases.Validate(); err != nil {
		return fmt.Errorf("case policy: %w", err)
	}
	if o.Escalation.URL != "" {
		if err := validHTTPURL(o.Escalation.URL); err != nil {
			return fmt.Errorf("invalid --escalation-url: %w", err)
		}
	}
	return nil
}

// owner is the replica's name in leases.
func (o *Options) owner() string {
	if o.Owner != "" {
		return o.Owner
	}
	host, _ := os.Hostname()
	return host + "-" + strconv.Itoa(os.Getpid())
}

// now is the options' clock.
func (o *Options) now() time.Time {
	if o.Now != nil {
		return o.Now()
	}
	return time.Now()
}

// poll is how long the scheduler waits when nothing is due: at least four
// looks per recheck interval (at most every 10 s, at least every 100 ms),
// so that short intervals are kept.
func (o *Options) poll() time.Duration {
	return min(10*time.Second, max(min(o.Interval, o.RecheckInterval)/4, 100*time.Millisecond))
}

// validateRender checks the render settings.
func (o *Options) validateRender() error {
	if o.Render != "" {
		if _, err := crawler.ParseRenderMode(string(o.Render)); err != nil {
			return fmt.Errorf("invalid --render %q: want auto, always or never", o.Render)
		}
	}
	if o.Screenshots != "" && o.Screenshots != ScreenshotsFailing && o.Screenshots != ScreenshotsNever {
		return fmt.Errorf("invalid --screenshots %q: want failing or never", o.Screenshots)
	}
	if o.rendering() && o.RenderWorkers < 1 {
		return fmt.Errorf("invalid --render-workers %d: must be at least 1", o.RenderWorkers)
	}
	if o.RenderBudget < 0 || o.RenderHostBudget < 0 {
		return fmt.Errorf("invalid --render-budget %d or --render-host-budget %d: must not be negative", o.RenderBudget, o.RenderHostBudget)
	}
	return nil
}

// rendering says whether pages may be rendered.
func (o *Options) rendering() bool {
	return o.Render != "" && o.Render != crawler.RenderNever
}
