package daemon

import (
	"context"
	"log/slog"
	"runtime"
	"runtime/debug"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/beianwatch/beianwatch/cases"
	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/registry"
)

// statsSource is what the registry-wide gauges read; *registry.Store is
// one.
type statsSource interface {
	Stats(ctx context.Context, now time.Time) (*registry.Stats, error)
	WorstSites(ctx context.Context, limit int) ([]registry.SiteVerdict, error)
}

// caseCounter reads the case gauges; *registry.Store is one.
type caseCounter interface {
	CaseCounts(ctx context.Context, now time.Time) (registry.CaseCounts, error)
}

// registryGauges are the gauges computed from the registry. Every replica
// computes them from the one shared database, so every replica reports
// the same values: dashboards and rules take max() across replicas, never
// sum(). They are read every interval, not at each scrape, so that a
// million-site registry is scanned at a known pace.
type registryGauges struct {
	src      statsSource
	cases    caseCounter
	perSite  int // beianwatch_site_verdict for at most this many sites (0: off)
	interval time.Duration
	logger   *slog.Logger
	now      func() time.Time

	mu       sync.Mutex
	stats    *registry.Stats
	caseN    map[[3]string]int
	overdue  map[string]int
	worst    []registry.SiteVerdict
	at       time.Time
	failures prometheus.Counter

	sites, findings, deadlines, dueSoon, due, oldest, cycle, pending, refreshed, casesDesc, casesOverdue, siteVerdict *prometheus.Desc
}

func newRegistryGauges(src statsSource, cases caseCounter, perSite int, interval time.Duration, logger *slog.Logger, reg prometheus.Registerer) (*registryGauges, error) {
	g := &registryGauges{src: src, cases: cases, perSite: perSite, interval: interval, logger: logger, now: time.Now,
		failures: prometheus.NewCounter(prometheus.CounterOpts{Name: "beianwatch_registry_stats_errors_total",
			Help: "Reads of the registry-wide gauges that failed (the gauges keep their last values)."}),
		sites: prometheus.NewDesc("beianwatch_sites", "Active sites by latest verdict (unchecked: never checked yet). Registry-wide: every replica reports the same value.",
			[]string{"verdict"}, nil),
		findings: prometheus.NewDesc("beianwatch_findings", "Active sites currently carrying each finding. Registry-wide.",
			[]string{"code", "severity"}, nil),
		deadlines: prometheus.NewDesc("beianwatch_deadlines", "Active sites by filing deadline kind and status. Registry-wide.",
			[]string{"kind", "status"}, nil),
		dueSoon: prometheus.NewDesc("beianwatch_deadline_due_soon", "Active sites with a pending deadline due within 1, 3 or 7 days (cumulative). Registry-wide.",
			[]string{"kind", "within"}, nil),
		due:    prometheus.NewDesc("beianwatch_scheduler_due_sites", "Sites due for a check and not leased by any replica. Registry-wide.", nil, nil),
		oldest: prometheus.NewDesc("beianwatch_scheduler_oldest_due_seconds", "How long the most overdue site has been due (0 when none is). Registry-wide.", nil, nil),
		cycle: prometheus.NewDesc("beianwatch_cycle_last_completed_timestamp_seconds",
			"Time until which every active site had been checked when due: now when nothing is overdue, else the oldest due time. Registry-wide.", nil, nil),
		pending:   prometheus.NewDesc("beianwatch_alerts_pending", "Alert deliveries waiting in the outbox (receiver down or retrying). Registry-wide.", nil, nil),
		refreshed: prometheus.NewDesc("beianwatch_registry_stats_timestamp_seconds", "When this replica last read the registry-wide gauges.", nil, nil),
		casesDesc: prometheus.NewDesc("beianwatch_cases", "Cases by kind, state and category. Registry-wide.",
			[]string{"kind", "state", "category"}, nil),
		casesOverdue: prometheus.NewDesc("beianwatch_cases_overdue", "Open cases past their deadline, by kind. Registry-wide.", []string{"kind"}, nil),
		siteVerdict: prometheus.NewDesc("beianwatch_site_verdict", "1 for each of the worst sites (--per-site-metrics): failing first, then unreachable.",
			[]string{"domain", "verdict"}, nil),
	}
	for _, c := range []prometheus.Collector{g, g.failures} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	return g, nil
}

// Run refreshes the gauges every interval until ctx ends.
func (g *registryGauges) Run(ctx context.Context) {
	for {
		g.refresh(ctx)
		select {
		case <-ctx.Done():
			return
		case <-time.After(g.interval):
		}
	}
}

func (g *registryGauges) refresh(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, max(g.interval, 30*time.Second))
	defer cancel()
	now := g.now()
	st, err := g.src.Stats(ctx, now)
	var worst []registry.SiteVerdict
	if err == nil && g.perSite > 0 {
		worst, err = g.src.WorstSites(ctx, g.perSite)
	}
	var caseN map[[3]string]int
	var overdue map[string]int
	if err == nil && g.cases != nil {
		var cc registry.CaseCounts
		if cc, err = g.cases.CaseCounts(ctx, now); err == nil {
			caseN, overdue = map[[3]string]int{}, map[string]int{}
			for _, c := range cc.ByState {
				caseN[[3]string{string(c.Kind), string(c.State), string(c.Category)}] += c.N
			}
			for k, n := range cc.Overdue {
				overdue[string(k)] = n
			}
		}
	}
	if err != nil {
		if ctx.Err() == nil {
			g.failures.Inc()
			g.logger.Warn("reading the registry-wide gauges failed; they keep their last values", "err", err)
		}
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.stats, g.worst, g.caseN, g.overdue, g.at = st, worst, caseN, overdue, now
}

// Describe sends the descriptors.
func (g *registryGauges) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{g.sites, g.findings, g.deadlines, g.dueSoon, g.due, g.oldest, g.cycle,
		g.pending, g.refreshed, g.casesDesc, g.casesOverdue, g.siteVerdict} {
		ch <- d
	}
}

// Collect sends the last values read; before the first read, none (an
// absent series is not a false zero).
func (g *registryGauges) Collect(ch chan<- prometheus.Metric) {
	g.mu.Lock()
	st, worst, caseN, overdue, at := g.stats, g.worst, g.caseN, g.overdue, g.at
	g.mu.Unlock()
	if st == nil {
		return
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	for _, v := range []string{string(checker.VerdictPass), string(checker.VerdictFail), string(checker.VerdictError), string(registry.VerdictUnchecked)} {
		gauge(g.sites, float64(st.Verdicts[v]), v)
	}
	// Every known code is reported, at zero if no site carries it, so that
	// a code that comes back shows as a rise, not as a new series.
	seen := map[registry.FindingKey]bool{}
	for _, c := range checker.Codes() {
		k := registry.FindingKey{Code: c.Code, Severity: string(c.Severity)}
		seen[k] = true
		gauge(g.findings, float64(st.Findings[k]), k.Code, k.Severity)
	}
	for k, n := range st.Findings {
		if !seen[k] {
			gauge(g.findings, float64(n), k.Code, k.Severity)
		}
	}
	for _, kind := range []string{"psb_filing", "badge"} {
		for _, s := range []checker.DeadlineStatus{checker.DeadlineMet, checker.DeadlineMetLate, checker.DeadlinePending, checker.DeadlineOverdue, checker.DeadlineUnknown} {
			gauge(g.deadlines, float64(st.Deadlines[registry.DeadlineKey{Kind: kind, Status: string(s)}]), kind, string(s))
		}
		for _, w := range []string{"1d", "3d", "7d"} {
			gauge(g.dueSoon, float64(st.DueSoon[registry.DueSoonKey{Kind: kind, Within: w}]), kind, w)
		}
	}
	gauge(g.due, float64(st.Due))
	oldest, cycle := 0.0, at
	if !st.OldestDue.IsZero() && st.OldestDue.Before(at) {
		oldest, cycle = at.Sub(st.OldestDue).Seconds(), st.OldestDue
	}
	gauge(g.oldest, oldest)
	gauge(g.cycle, float64(cycle.UnixMilli())/1e3)
	gauge(g.pending, float64(st.PendingAlerts))
	gauge(g.refreshed, float64(at.UnixMilli())/1e3)
	// Takedown series exist at zero for every state and category, so
	// that the metric is there before the first case; rectification
	// categories are finding codes, reported once used.
	for _, st := range cases.AllStates() {
		for _, c := range cases.TakedownCategories() {
			k := [3]string{string(cases.Takedown), string(st), string(c)}
			if _, ok := caseN[k]; !ok {
				gauge(g.casesDesc, 0, k[:]...)
			}
		}
	}
	for k, n := range caseN {
		gauge(g.casesDesc, float64(n), k[0], k[1], k[2])
	}
	for _, kind := range cases.AllKinds() {
		gauge(g.casesOverdue, float64(overdue[string(kind)]), string(kind))
	}
	for _, w := range worst {
		gauge(g.siteVerdict, 1, w.Domain, w.Verdict)
	}
}

// registerBuildInfo adds beianwatch_build_info.
func registerBuildInfo(reg prometheus.Registerer, version string) error {
	revision := "unknown"
	if info, ok := debug.ReadBuildInfo(); ok {
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				revision = s.Value
			}
		}
	}
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "beianwatch_build_info",
		Help:        "Always 1; the labels say which build is running.",
		ConstLabels: prometheus.Labels{"version": version, "revision": revision, "goversion": runtime.Version()},
	})
	g.Set(1)
	return reg.Register(g)
}
