// Package render loads pages in headless Chromium, for the pages whose
// footer a script writes: the crawler's Pipeline hands them over
// (crawler.Renderer), and judges the DOM the browser drew with the same
// checker. The browser reaches the network only through an in-process
// proxy that applies the crawler's dial guard.
package render

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"net/url"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/crawler"
	"github.com/beianwatch/beianwatch/internal/chromium"
)

// Defaults for the zero fields of Config.
const (
	DefaultWorkers       = 2
	DefaultTimeout       = 20 * time.Second
	DefaultQuiet         = time.Second
	DefaultMaxScreenshot = 512 << 10
)

// Config configures a Renderer.
type Config struct {
	// Chromium is the browser's path; empty means chromium.Find.
	Chromium string
	// Dial connects under the crawler's address policy (required): the
	// DialContext of a crawler.Fetcher's Transport with the same
	// FetchConfig as the crawl.
	Dial DialFunc
	// Workers is how many pages render at once, each in its own browser
	// context. Zero means DefaultWorkers.
	Workers int
	// Timeout caps one page: loading, its scripts, the DOM and the
	// screenshot. Zero means DefaultTimeout.
	Timeout time.Duration
	// Settle caps loading and waiting for the page to settle; a page
	// still busy then is judged as it stands. Zero means three quarters
	// of Timeout.
	Settle time.Duration
	// Quiet is how long the DOM must stay unchanged, with the network
	// idle, before it is taken. Zero means DefaultQuiet.
	Quiet time.Duration
	// MaxScreenshot caps a screenshot's PNG size in bytes; a larger one
	// is taken again at half scale, and dropped if still too large. Zero
	// means DefaultMaxScreenshot.
	MaxScreenshot int
	// HeapMB caps each renderer process's JavaScript heap (zero: 256).
	HeapMB int
}

// Renderer renders pages with a bounded pool of browser contexts in one
// Chromium, restarted when it crashes. It is safe for concurrent use.
type Renderer struct {
	cfg     Config
	logger  *slog.Logger
	metrics *metrics
	proxy   *proxy
	slots   chan struct{}

	mu      sync.Mutex
	browser *browser
	closed  bool
}

var _ crawler.Renderer = (*Renderer)(nil)

// New sweeps away the browsers that dead runs left behind and starts the
// proxy; the browser itself starts at the first render.
func New(cfg Config, logger *slog.Logger, reg prometheus.Registerer) (*Renderer, error) {
	if logger == nil || reg == nil {
		return nil, errors.New("render: New needs a logger and a metrics registerer")
	}
	if cfg.Dial == nil {
		return nil, errors.New("render: Config.Dial is required")
	}
	if cfg.Chromium == "" {
		p, err := chromium.Find()
		if err != nil {
			return nil, err
		}
		cfg.Chromium = p
	}
	def(&cfg.Workers, DefaultWorkers)
	def(&cfg.Timeout, DefaultTimeout)
	def(&cfg.Quiet, DefaultQuiet)
	def(&cfg.Settle, cfg.Timeout*3/4)
	if cfg.Settle >= cfg.Timeout {
		return nil, fmt.Errorf("render: settle time %v must be less than the timeout %v", cfg.Settle, cfg.Timeout)
	}
	def(&cfg.MaxScreenshot, DefaultMaxScreenshot)
	logger = logger.With("component", "render")
	m, err := newMetrics(reg)
	if err != nil {
		return nil, err
	}
	if n, err := chromium.Sweep(); err != nil {
		logger.Warn("sweeping leftover browsers failed", "err", err)
	} else if n > 0 {
		logger.Info("killed browser processes a previous run left behind", "processes", n)
	}
	px, err := newProxy(cfg.Dial, logger, func() { m.blocked.Inc() })
	if err != nil {
		return nil, err
	}
	return &Renderer{cfg: cfg, logger: logger, metrics: m, proxy: px, slots: make(chan struct{}, cfg.Workers)}, nil
}

func def[T comparable](v *T, d T) {
	var zero T
	if *v == zero {
		*v = d
	}
}

// Refused counts the connections the proxy refused under the address
// policy.
func (r *Renderer) Refused() int64 { return r.proxy.refused.Load() }

// Close stops the browser, kills every process it started, and stops the
// proxy.
func (r *Renderer) Close() error {
	r.mu.Lock()
	b := r.browser
	r.browser, r.closed = nil, true
	r.mu.Unlock()
	if b != nil {
		b.close()
	}
	r.proxy.Close()
	return nil
}

// ErrClosed is returned by Render after Close.
var ErrClosed = errors.New("render: renderer closed")

// Render loads target in a fresh browser context, waits until the page
// settles (network idle and the DOM quiet for Config.Quiet) or the time
// cap, hands its DOM to judge and, if judge asks, keeps a screenshot.
func (r *Renderer) Render(ctx context.Context, target string, judge func(*checker.Page) bool) (crawler.Rendering, error) {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		// Never file://, data: or chrome://: only what the crawler fetched.
		return crawler.Rendering{}, fmt.Errorf("render %s: not an http(s) URL", target)
	}
	select {
	case r.slots <- struct{}{}:
	case <-ctx.Done():
		return crawler.Rendering{}, ctx.Err()
	}
	defer func() { <-r.slots }()
	start := time.Now()
	res, err := r.render(ctx, u, judge)
	r.metrics.duration.Observe(time.Since(start).Seconds())
	if err != nil {
		reason := failReason(ctx, err)
		r.metrics.failures.WithLabelValues(reason).Inc()
		return crawler.Rendering{}, fmt.Errorf("render %s: %s: %w", u.Redacted(), reason, err)
	}
	r.metrics.renders.Inc()
	return res, nil
}

func (r *Renderer) render(ctx context.Context, u *url.URL, judge func(*checker.Page) bool) (crawler.Rendering, error) {
	proxyURL := "" // the browser's own proxy
	if host, addrs, ok := crawler.Pinned(ctx); ok {
		px, err := r.pinnedProxy(host, addrs)
		if err != nil {
			return crawler.Rendering{}, err
		}
		defer px.Close()
		proxyURL = px.URL()
	}
	for attempt := 0; ; attempt++ {
		b, err := r.current()
		if err != nil {
			return crawler.Rendering{}, err
		}
		res, err := b.renderPage(ctx, r.cfg, u, proxyURL, judge)
		if err == nil || ctx.Err() != nil || !b.died() {
			return res, err
		}
		// The browser died under the page: once more on a new one.
		if attempt > 0 {
			return res, fmt.Errorf("%w: %w", errCrashed, err)
		}
		r.logger.Warn("the browser died while rendering; trying again", "err", err)
	}
}

// pinnedProxy is a proxy of one render's own, for a page whose host is
// pinned to its filing's addresses (--pin-filed-ip): the connections it
// makes to that host go to those addresses, as the crawler's fetch of the
// page did, under the same address policy. The browser's proxy, shared by
// every render, cannot tell one render's connections from another's.
func (r *Renderer) pinnedProxy(host string, addrs []netip.Addr) (*proxy, error) {
	dial := func(ctx context.Context, network, address string) (net.Conn, error) {
		return r.cfg.Dial(crawler.WithPinnedAddrs(ctx, host, addrs), network, address)
	}
	return newProxy(dial, r.logger, func() {
		r.proxy.refused.Add(1)
		r.metrics.blocked.Inc()
	})
}

// current returns the running browser, starting one if there is none or
// the last one died.
func (r *Renderer) current() (*browser, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, ErrClosed
	}
	if r.browser != nil && r.browser.ctx.Err() == nil {
		return r.browser, nil
	}
	if r.browser != nil {
		r.logger.Warn("the browser died; starting another")
		r.browser.close()
		r.browser = nil
		r.metrics.restarts.Inc()
	}
	b, err := startBrowser(r.cfg, r.proxy.URL())
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errStart, err)
	}
	r.logger.Info("browser started", "pid", b.pid)
	r.browser = b
	return b, nil
}

var (
	errCrashed = errors.New("browser crashed")
	errStart   = errors.New("browser did not start")
)

// Failure reasons, the values of beianwatch_render_failures_total's
// reason label. They are an API; do not rename them.
const (
	ReasonTimeout    = "timeout"
	ReasonCrash      = "crash"
	ReasonStart      = "start"
	ReasonNavigation = "navigation"
	ReasonCanceled   = "canceled"
)

// failReason classifies a failed render.
func failReason(ctx context.Context, err error) string {
	switch {
	case errors.Is(err, errStart):
		return ReasonStart
	case errors.Is(err, errCrashed):
		return ReasonCrash
	case ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded):
		return ReasonCanceled
	case errors.Is(err, context.DeadlineExceeded):
		return ReasonTimeout
	}
	return ReasonNavigation
}
