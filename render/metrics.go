package render

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	renders  prometheus.Counter
	duration prometheus.Histogram
	failures *prometheus.CounterVec
	restarts prometheus.Counter
	blocked  prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) (*metrics, error) {
	m := &metrics{
		renders: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "beianwatch_render_renders_total",
			Help: "Pages rendered in the browser and handed to the checker.",
		}),
		duration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name:    "beianwatch_render_duration_seconds",
			Help:    "Time to render one page, failed or not (waiting for a free browser context excluded).",
			Buckets: []float64{.25, .5, 1, 2, 3, 5, 10, 20, 30, 60},
		}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "beianwatch_render_failures_total",
			Help: "Renders that failed, by reason (timeout, crash, start, navigation, canceled).",
		}, []string{"reason"}),
		restarts: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "beianwatch_render_browser_restarts_total",
			Help: "Browsers started again after the last one died.",
		}),
		blocked: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "beianwatch_render_blocked_connections_total",
			Help: "Connections a rendered page asked for that the address policy refused (loopback, private, metadata …).",
		}),
	}
	for _, c := range []prometheus.Collector{m.renders, m.duration, m.failures, m.restarts, m.blocked} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("render: register metrics: %w", err)
		}
	}
	for _, r := range []string{ReasonTimeout, ReasonCrash, ReasonStart, ReasonNavigation, ReasonCanceled} {
		m.failures.WithLabelValues(r)
	}
	return m, nil
}
