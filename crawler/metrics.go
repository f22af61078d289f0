package crawler

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/beianwatch/beianwatch/checker"
)

// metrics are the crawl counters. Their names are an API: dashboards and
// the rules in deploy/ use them.
type metrics struct {
	checks      *prometheus.CounterVec
	duration    prometheus.Histogram
	fetchErrors *prometheus.CounterVec
	queueErrors *prometheus.CounterVec
	concurrency prometheus.Gauge
}

// newMetrics makes the scheduler's metrics, with b's use when it is set.
func newMetrics(reg prometheus.Registerer, b *Budget) (*metrics, error) {
	m := &metrics{
		checks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "beianwatch_checks_total",
			Help: "Checks finished, by verdict (pass, fail, error).",
		}, []string{"result"}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "beianwatch_check_duration_seconds",
			Help:    "Time to fetch and check one site.",
			Buckets: []float64{.01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 20, 30, 60},
		}),
		fetchErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "beianwatch_fetch_errors_total",
			Help: "Fetches that failed, by reason (timeout, dns, tls, refused, blocked_address, too_large, too_many_encodings, redirect_loop …).",
		}, []string{"reason"}),
		queueErrors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "beianwatch_scheduler_queue_errors_total",
			Help: "Registry operations of the scheduler that failed and were retried, by operation (lease, complete).",
		}, []string{"op"}),
		concurrency: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "beianwatch_crawler_concurrency",
			Help: "Sites the scheduler lets be checked at once now (it adapts within --concurrency).",
		}),
	}
	cs := []prometheus.Collector{m.checks, m.duration, m.fetchErrors, m.queueErrors, m.concurrency}
	if b != nil {
		const name, help = "beianwatch_crawler_body_memory_bytes", "Memory for bodies in flight: reserved now (in_use) and the budget (limit, --body-memory)."
		cs = append(cs,
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help, ConstLabels: prometheus.Labels{"state": "in_use"}},
				func() float64 { return float64(b.InUse()) }),
			prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help, ConstLabels: prometheus.Labels{"state": "limit"}},
				func() float64 { return float64(b.Limit()) }),
			prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "beianwatch_crawler_body_memory_waits_total",
				Help: "Fetches that waited for memory for their body (the budget was spent)."},
				func() float64 { return float64(b.Waits()) }),
		)
	}
	for _, c := range cs {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("crawler: register metrics: %w", err)
		}
	}
	// Start every series at zero so that rates work from the first scrape.
	for _, v := range []checker.Verdict{checker.VerdictPass, checker.VerdictFail, checker.VerdictError} {
		m.checks.WithLabelValues(string(v))
	}
	for _, op := range []string{"lease", "complete"} {
		m.queueErrors.WithLabelValues(op)
	}
	return m, nil
}

func (m *metrics) observe(o Outcome) {
	m.checks.WithLabelValues(string(o.Report.Verdict)).Inc()
	m.duration.Observe(o.Duration.Seconds())
}
