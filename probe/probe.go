// Package probe answers Prometheus' multi-target probes, as
// blackbox_exporter does: GET /probe?target=DOMAIN|URL runs one check of
// the target and answers its outcome as metrics, collected in a registry
// of its own for that request.
package probe

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/expfmt"

	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/internal/reporttext"
)

// Result is one check's outcome, as the probe exports it.
type Result struct {
	// Report is the checker's report; a target that could not be fetched
	// is a report with the verdict "error".
	Report checker.Report
	// CertNotAfter is when the TLS leaf certificate of the page judged
	// expires; zero over http:// or without a page.
	CertNotAfter time.Time
}

// Checker runs one check, the way `beianwatch check` does. It always
// returns a result; the error, when set, says why the target could not be
// checked (a bad target, a refused address, a failed fetch).
type Checker interface {
	Check(ctx context.Context, target string) (Result, error)
}

// Defaults of Config's zero fields.
const (
	DefaultConcurrency = 4
	DefaultTimeout     = 30 * time.Second
	// timeoutOffset is kept from Prometheus' scrape timeout, so that the
	// answer arrives before Prometheus gives up (blackbox_exporter keeps
	// the same half second).
	timeoutOffset = 500 * time.Millisecond
	// retryAfter is what a saturated handler asks a client to wait.
	retryAfter = 5 * time.Second
)

// Config configures a Handler.
type Config struct {
	// Concurrency bounds the probes running at once: one more is answered
	// 503 with Retry-After, not queued, since a queued probe would use up
	// its scrape timeout waiting. Zero means DefaultConcurrency.
	Concurrency int
	// Timeout bounds a probe when the request carries no
	// X-Prometheus-Scrape-Timeout-Seconds, and caps the one it carries.
	// Zero means DefaultTimeout.
	Timeout time.Duration
	// Logger and Metrics are required; Metrics gets the count of probes
	// by outcome (the daemon's /metrics registry, not a probe's own).
	Logger  *slog.Logger
	Metrics prometheus.Registerer
}

// Outcomes of a probe request, the result label of
// beianwatch_probe_requests_total.
const (
	resultSuccess    = "success"     // verdict pass
	resultFailure    = "failure"     // checked, not a pass (or not checkable)
	resultRejected   = "rejected"    // too many at once: 503
	resultBadRequest = "bad_request" // no target, a bad timeout header: 400
)

// Handler answers GET /probe. It is safe for concurrent use.
type Handler struct {
	checker  Checker
	slots    chan struct{}
	timeout  time.Duration
	logger   *slog.Logger
	requests *prometheus.CounterVec
}

var _ http.Handler = (*Handler)(nil)

// New returns a handler running checks with c.
func New(c Checker, cfg Config) (*Handler, error) {
	switch {
	case c == nil:
		return nil, errors.New("probe: no checker")
	case cfg.Logger == nil:
		return nil, errors.New("probe: no logger")
	case cfg.Metrics == nil:
		return nil, errors.New("probe: no metrics registry")
	case cfg.Concurrency < 0:
		return nil, fmt.Errorf("probe: negative concurrency %d", cfg.Concurrency)
	case cfg.Timeout < 0:
		return nil, fmt.Errorf("probe: negative timeout %v", cfg.Timeout)
	}
	if cfg.Concurrency == 0 {
		cfg.Concurrency = DefaultConcurrency
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "beianwatch_probe_requests_total",
		Help: "Requests to /probe by result: success (verdict pass), failure, rejected (too many at once, 503), bad_request (400).",
	}, []string{"result"})
	for _, r := range []string{resultSuccess, resultFailure, resultRejected, resultBadRequest} {
		requests.WithLabelValues(r) // every result from the start, for rate()
	}
	if err := cfg.Metrics.Register(requests); err != nil {
		return nil, fmt.Errorf("probe: %w", err)
	}
	return &Handler{checker: c, slots: make(chan struct{}, cfg.Concurrency), timeout: cfg.Timeout,
		logger: cfg.Logger.With("component", "probe"), requests: requests}, nil
}

// ServeHTTP runs one probe. A missing target is a 400 (the scrape
// configuration is wrong); a target that cannot be checked, whatever the
// reason, is an answer with beianwatch_probe_success 0, as
// blackbox_exporter answers a failed probe. debug=true answers the
// report for people, and the metrics, instead.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	target := strings.TrimSpace(q.Get("target"))
	if target == "" {
		h.requests.WithLabelValues(resultBadRequest).Inc()
		http.Error(w, "target parameter is missing: /probe?target=DOMAIN or URL", http.StatusBadRequest)
		return
	}
	timeout, err := h.scrapeTimeout(r.Header)
	if err != nil {
		h.requests.WithLabelValues(resultBadRequest).Inc()
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	select {
	case h.slots <- struct{}{}:
		defer func() { <-h.slots }()
	default:
		h.requests.WithLabelValues(resultRejected).Inc()
		w.Header().Set("Retry-After", strconv.Itoa(int(retryAfter/time.Second)))
		http.Error(w, fmt.Sprintf("too many probes at once (%d): retry later", cap(h.slots)), http.StatusServiceUnavailable)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	start := time.Now()
	res, err := h.checker.Check(ctx, target)
	took := time.Since(start)
	if err != nil {
		// Debug, as a page's check is: a scrape job of failing sites would
		// fill the log every interval. debug=true shows the error.
		h.logger.Debug("probe failed", "target", target, "err", err)
	}
	result := resultFailure
	if res.Report.Verdict == checker.VerdictPass {
		result = resultSuccess
	}
	h.requests.WithLabelValues(result).Inc()
	reg := prometheus.NewRegistry()
	register(reg, res, took)
	if q.Get("debug") == "true" {
		h.debug(w, reg, res)
		return
	}
	promhttp.HandlerFor(reg, promhttp.HandlerOpts{}).ServeHTTP(w, r)
}

// scrapeTimeout is the time a probe may take: what Prometheus allows the
// scrape, less an offset, and never more than the handler's timeout.
func (h *Handler) scrapeTimeout(hdr http.Header) (time.Duration, error) {
	v := hdr.Get("X-Prometheus-Scrape-Timeout-Seconds")
	if v == "" {
		return h.timeout, nil
	}
	s, err := strconv.ParseFloat(v, 64)
	if err != nil || s <= 0 {
		return 0, fmt.Errorf("invalid X-Prometheus-Scrape-Timeout-Seconds %q: want a positive number of seconds", v)
	}
	t := time.Duration(s * float64(time.Second))
	if t > timeoutOffset*2 {
		t -= timeoutOffset
	}
	return min(t, h.timeout), nil
}

// debug writes the report as `beianwatch check` prints it (a failed
// check's error in it) and the metrics a scrape would have read.
func (h *Handler) debug(w http.ResponseWriter, reg *prometheus.Registry, res Result) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprint(w, reporttext.Render(res.Report, "", false))
	fmt.Fprintln(w, "Metrics that would have been returned:")
	mfs, gerr := reg.Gather()
	if gerr != nil {
		fmt.Fprintf(w, "gather: %v\n", gerr)
		return
	}
	enc := expfmt.NewEncoder(w, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			h.logger.Debug("debug answer not written", "err", err)
			return
		}
	}
}
