package crawler

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gocolly/colly/v2"

	"github.com/beianwatch/beianwatch/checker"
)

// Internal headers between Collector and its transport. They never leave
// the process: the transport strips them before the request is sent.
const (
	// hdrRequest names the caller's request (its context: deadline and
	// cancellation), which colly has no way to carry.
	hdrRequest = "X-Beianwatch-Request"
	// The transport hides Content-Type from colly under this name: colly
	// would otherwise convert a GBK body to UTF-8 on its own, and the
	// checker must see the bytes (and the charset) the server sent.
	hdrContentType = "X-Beianwatch-Content-Type"
)

// CollectorConfig configures a Collector. The zero value is valid.
type CollectorConfig struct {
	FetchConfig
	// Concurrency bounds requests in flight across all hosts (colly's
	// LimitRule). Zero means 16.
	Concurrency int
	// BodyMemory is the byte budget for bodies in flight (see Budget); it
	// must be at least MaxBody. Zero means DefaultBodyMemory.
	BodyMemory int64
	// PerHost bounds requests in flight to one host name. Zero means 1.
	PerHost int
	// PerHostDelay is how long a host's slot stays taken after a request,
	// to be gentle with small sites.
	PerHostDelay time.Duration
	// PerIP bounds requests in flight to one IP address (shared hosting
	// puts many customers on one); zero means no such limit.
	PerIP int
	// Robots is the robots.txt policy: RobotsIgnore (the default) or
	// RobotsObey.
	Robots string
}

// Collector fetches pages through a gocolly collector within global,
// per-host and per-IP limits, with the same safety rules and the same
// contract as Fetcher.Fetch. It keeps no per-URL or per-host state beyond
// the requests in flight, so its memory does not grow with the number of
// sites or cycles. It is safe for concurrent use.
type Collector struct {
	*Fetcher
	cfg   CollectorConfig
	colly *colly.Collector
	hosts *keyedLimit
	ips   *keyedLimit
	// inflight maps a request id (hdrRequest) to its *flight.
	inflight sync.Map
	nextID   atomic.Uint64
	robots   *robotsCache // nil unless the policy is RobotsObey
	budget   *Budget
}

// slot carries one request's outcome from colly's callbacks back to the
// goroutine that made it (colly runs synchronously here).
type slot struct {
	resp *colly.Response
	err  error
}

// NewCollector builds a Collector.
func NewCollector(cfg CollectorConfig) (*Collector, error) {
	f, err := NewFetcher(cfg.FetchConfig)
	if err != nil {
		return nil, err
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 16
	}
	if cfg.PerHost <= 0 {
		cfg.PerHost = 1
	}
	cfg.FetchConfig = f.cfg
	if cfg.BodyMemory == 0 {
		cfg.BodyMemory = DefaultBodyMemory
	}
	budget, err := NewBudget(cfg.BodyMemory, f.cfg.MaxBody)
	if err != nil {
		return nil, err
	}
	c := colly.NewCollector(
		// Every cycle revisits every site: colly's visited-URL store would
		// skip them all on the second cycle and grow without end.
		colly.AllowURLRevisit(),
		// HTTP errors are pages to judge too (the checker reports them).
		colly.ParseHTTPErrorResponse(),
		colly.UserAgent(f.cfg.UserAgent),
		// robots.txt is our policy's business (see serve --robots).
		colly.IgnoreRobotsTxt(),
	)
	// The transport caps the decoded body and reports too_large; colly's
	// own cap would cut the body silently.
	c.MaxBodySize = 0
	// The caller's context travels with each request (hdrRequest).
	c.SetRequestTimeout(0)
	// Cookies would pile up per host, and a compliance check should see
	// what a first-time visitor sees.
	c.DisableCookies()
	col := &Collector{Fetcher: f, cfg: cfg, colly: c, hosts: newKeyedLimit(cfg.PerHost), budget: budget}
	c.WithTransport(&collyTransport{inner: f.transport, maxBody: f.cfg.MaxBody, bodies: f.bodies, inflight: &col.inflight})
	// Redirects are followed by Fetcher.attempt, hop by hop, so that each
	// hop is counted, checked for loops and limited like any request.
	c.SetRedirectHandler(func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse })
	if err := c.Limit(&colly.LimitRule{DomainGlob: "*", Parallelism: cfg.Concurrency}); err != nil {
		return nil, fmt.Errorf("crawler: colly limit: %w", err)
	}
	c.OnResponse(func(r *colly.Response) {
		if s, ok := r.Ctx.GetAny("slot").(*slot); ok {
			s.resp = r
		}
	})
	c.OnError(func(r *colly.Response, err error) {
		if s, ok := r.Ctx.GetAny("slot").(*slot); ok {
			s.err = err
		}
	})
	if cfg.PerIP > 0 {
		col.ips = newKeyedLimit(cfg.PerIP)
	}
	switch cfg.Robots {
	case "", RobotsIgnore:
	case RobotsObey:
		col.robots = newRobotsCache(10000, 24*time.Hour)
	default:
		return nil, fmt.Errorf("crawler: robots policy %q: want %s or %s", cfg.Robots, RobotsIgnore, RobotsObey)
	}
	f.hop = col.hop
	return col, nil
}

// Budget is the memory budget of bodies in flight: a Pipeline with it
// reserves each body there as it is read (Fetch alone reserves nothing).
func (c *Collector) Budget() *Budget { return c.budget }

// Fetch is Fetcher.Fetch through colly, after robots.txt when the policy
// says to obey it.
func (c *Collector) Fetch(ctx context.Context, target string) (*checker.Page, error) {
	if c.robots != nil {
		if err := c.allowed(ctx, target); err != nil {
			return nil, err
		}
	}
	return c.Fetcher.Fetch(ctx, target)
}

// hop sends one request through colly, holding the host's (and the
// address's) slot for its duration.
func (c *Collector) hop(ctx context.Context, u *url.URL) (*response, error) {
	host := u.Hostname()
	if err := c.hosts.acquire(ctx, host); err != nil {
		return nil, err
	}
	defer c.hosts.releaseAfter(host, c.cfg.PerHostDelay)
	if c.ips != nil {
		if ip, err := c.dialer.firstAddr(ctx, host); err == nil {
			key := ip.String()
			if err := c.ips.acquire(ctx, key); err != nil {
				return nil, err
			}
			defer c.ips.releaseAfter(key, 0)
		}
	}
	hdr := http.Header{}
	c.setHeaders(hdr)
	id := strconv.FormatUint(c.nextID.Add(1), 10)
	fl := &flight{ctx: ctx}
	c.inflight.Store(id, fl)
	defer c.inflight.Delete(id)
	hdr.Set(hdrRequest, id)
	s := &slot{}
	cctx := colly.NewContext()
	cctx.Put("slot", s)
	err := c.colly.Request(http.MethodGet, u.String(), nil, cctx, hdr)
	if err == nil {
		err = s.err
	}
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, err
	}
	if s.resp == nil {
		return nil, fmt.Errorf("crawler: colly returned no response for %s", u.Redacted())
	}
	h := s.resp.Headers.Clone()
	if ct := h.Get(hdrContentType); ct != "" {
		h.Set("Content-Type", ct)
	}
	h.Del(hdrContentType)
	body := fl.body
	return &response{
		status:       s.resp.StatusCode,
		header:       h,
		certNotAfter: fl.certNotAfter,
		body:         func() ([]byte, error) { return body, nil },
		discard:      func() { c.bodies.recycle(body) }, // a redirect's: read, never judged
	}, nil
}

// flight is one request in colly's hands: the caller's context (deadline
// and cancellation), which colly has no way to carry, and the body the
// transport read.
type flight struct {
	ctx  context.Context
	body []byte
	// certNotAfter is the TLS leaf certificate's expiry (zero over http).
	certNotAfter time.Time
}

// collyTransport is the RoundTripper colly uses: the Fetcher's safe
// transport, the caller's context, and bodies read, decoded and capped
// here, into the request's flight. Colly is handed an empty body: its own
// read (into a slice that grows from 512 bytes) would allocate the page
// twice over, and copy it at every step.
type collyTransport struct {
	inner    http.RoundTripper
	maxBody  int64
	bodies   *bodyReader
	inflight *sync.Map
}

func (t *collyTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	fl, _ := t.inflight.Load(req.Header.Get(hdrRequest))
	f, _ := fl.(*flight)
	if f == nil {
		return nil, errors.New("crawler: a request that did not come from Collector.hop")
	}
	req = req.Clone(f.ctx)
	req.Header.Del(hdrRequest)
	resp, err := t.inner.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	f.certNotAfter = leafNotAfter(resp.TLS)
	f.body, err = t.bodies.readBody(f.ctx, resp, t.maxBody)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = http.NoBody
	resp.Header.Del("Content-Encoding")
	resp.Header.Del("Content-Length")
	resp.ContentLength = 0
	resp.Uncompressed = true
	if ct := resp.Header.Get("Content-Type"); ct != "" {
		resp.Header.Set(hdrContentType, ct)
		resp.Header.Del("Content-Type")
	}
	return resp, nil
}

// keyedLimit bounds concurrent users per key (a host or an address). Keys
// are forgotten when their last user leaves, so it holds only the keys in
// use.
type keyedLimit struct {
	mu   sync.Mutex
	n    int
	keys map[string]*keySlot
}

type keySlot struct {
	sem   chan struct{}
	users int // holders and waiters
}

func newKeyedLimit(n int) *keyedLimit {
	return &keyedLimit{n: n, keys: map[string]*keySlot{}}
}

func (l *keyedLimit) acquire(ctx context.Context, key string) error {
	key = strings.ToLower(key)
	l.mu.Lock()
	s := l.keys[key]
	if s == nil {
		s = &keySlot{sem: make(chan struct{}, l.n)}
		l.keys[key] = s
	}
	s.users++
	l.mu.Unlock()
	select {
	case s.sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		l.leave(key, s)
		return fmt.Errorf("%w waiting for a slot on %s", ErrTimeout, key)
	}
}

// releaseAfter frees the key's slot, after delay (a politeness pause).
func (l *keyedLimit) releaseAfter(key string, delay time.Duration) {
	key = strings.ToLower(key)
	l.mu.Lock()
	s := l.keys[key]
	l.mu.Unlock()
	if s == nil {
		return
	}
	release := func() {
		<-s.sem
		l.leave(key, s)
	}
	if delay > 0 {
		time.AfterFunc(delay, release)
		return
	}
	release()
}

func (l *keyedLimit) leave(key string, s *keySlot) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s.users--; s.users == 0 {
		delete(l.keys, key)
	}
}

// inUse reports how many keys are held or waited for (for tests).
func (l *keyedLimit) inUse() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys)
}
