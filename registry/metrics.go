package registry

import (
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// metrics are the store's. Labels are bounded: op is a method name, never a
// domain or anything personal.
type metrics struct {
	ops      *prometheus.CounterVec
	duration *prometheus.HistogramVec
	sites    *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	f := promauto.With(reg)
	return &metrics{
		ops: f.NewCounterVec(prometheus.CounterOpts{
			Name: "beianwatch_registry_operations_total",
			Help: "Store operations by method and result (ok, not_found, lease_lost, conflict, error).",
		}, []string{"op", "result"}),
		duration: f.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "beianwatch_registry_operation_duration_seconds",
			Help:    "Time taken by store operations, transactions included.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 4, 10), // 0.5ms to ~2 min
		}, []string{"op"}),
		sites: f.NewCounterVec(prometheus.CounterOpts{
			Name: "beianwatch_registry_sites_upserted_total",
			Help: "Sites written by imports, by outcome (inserted, updated, unchanged).",
		}, []string{"outcome"}),
	}
}

// observe records one operation; deferred with a pointer to the method's
// named error result.
func (s *Store) observe(op string, start time.Time, err *error) {
	result := "ok"
	var ce *ConflictError
	switch {
	case *err == nil:
	case errors.Is(*err, ErrNotFound):
		result = "not_found"
	case errors.Is(*err, ErrLeaseLost):
		result = "lease_lost"
	case errors.As(*err, &ce):
		result = "conflict"
	default:
		result = "error"
	}
	s.m.ops.WithLabelValues(op, result).Inc()
	s.m.duration.WithLabelValues(op).Observe(time.Since(start).Seconds())
}
