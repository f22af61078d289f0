package crawler

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/beianwatch/beianwatch/checker"
)

// Defaults for the zero fields of FetchConfig.
const (
	DefaultTimeout      = 15 * time.Second
	DefaultMaxBody      = 5 << 20 // 5 MiB
	DefaultMaxRedirects = 10
)

// DefaultUserAgent is the User-Agent sent when FetchConfig.UserAgent is
// empty, with version filled in: "beianwatch/1.2.0 (+https://…)". The URL
// lets site operators find out who is knocking.
func DefaultUserAgent(version string) string {
	return "beianwatch/" + version + " (+https://github.com/beianwatch/beianwatch)"
}

// FetchConfig configures a Fetcher. The zero value is a valid
// configuration: public addresses only, default limits.
type FetchConfig struct {
	// Timeout bounds one attempt at a URL: connecting, the TLS handshake,
	// every redirect hop and reading the body, together. A bare domain
	// makes two attempts (https://, then http://), each with its own
	// Timeout. Zero means DefaultTimeout.
	Timeout time.Duration
	// MaxBody is the most body bytes accepted, both as sent and after
	// decompression. Zero means DefaultMaxBody.
	MaxBody int64
	// UserAgent is sent with every request. Empty means
	// DefaultUserAgent("dev").
	UserAgent string
	// MaxRedirects is the most redirects followed. Zero means
	// DefaultMaxRedirects; negative means none.
	MaxRedirects int
	// AllowPrivate lifts the address policy: loopback, private, link-local
	// and the other non-public ranges may be connected to. Cloud metadata
	// endpoints stay refused unless listed in AllowCIDRs.
	AllowPrivate bool
	// AllowCIDRs opens the listed networks, and only those, to connections
	// that the address policy would refuse.
	AllowCIDRs []netip.Prefix
	// Resolve pins host names to addresses, like curl's --resolve.
	Resolve []ResolveRule
	// RootCAs, when set, are the certificate authorities trusted instead
	// of the system's (a private CA; tests' own).
	RootCAs *x509.CertPool
}

// Fetcher fetches pages safely: only public addresses (unless allowed),
// bounded redirects, time and body size. It is safe for concurrent use.
type Fetcher struct {
	cfg       FetchConfig
	dialer    *dialer
	transport *http.Transport
	client    *http.Client
	hop       hopper
	bodies    *bodyReader
}

// NewFetcher checks cfg, fills in its defaults and builds a Fetcher.
func NewFetcher(cfg FetchConfig) (*Fetcher, error) {
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	d := &dialer{
		policy:  addrPolicy{allowPrivate: cfg.AllowPrivate, allow: cfg.AllowCIDRs},
		resolve: cfg.Resolve,
		timeout: cfg.Timeout,
		lookup:  net.DefaultResolver.LookupNetIP,
	}
	t := &http.Transport{
		// No proxy, even from the environment: the dialer would then check
		// the proxy's address instead of the site's.
		Proxy:                  nil,
		DialContext:            d.DialContext,
		ForceAttemptHTTP2:      true,
		TLSHandshakeTimeout:    cfg.Timeout,
		TLSClientConfig:        &tls.Config{RootCAs: cfg.RootCAs},
		ResponseHeaderTimeout:  cfg.Timeout,
		MaxResponseHeaderBytes: 1 << 20,
		// Accept-Encoding is sent and decoded by readBody, which limits
		// the decoded size; the Transport's own gzip would not.
		DisableCompression: true,
		// Nearly every fetch is to a new host, so idle connections are
		// rarely reused: without a cap the daemon would keep one open per
		// site fetched in the last IdleConnTimeout (memory, and file
		// descriptors past ~20,000 sites). Keep a few, briefly, for
		// redirects within a site.
		MaxIdleConns:        64,
		MaxIdleConnsPerHost: 2,
		IdleConnTimeout:     5 * time.Second,
	}
	c := &http.Client{
		Transport: t,
		// Fetch follows redirects itself, to check and record every hop.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	f := &Fetcher{cfg: cfg, dialer: d, transport: t, client: c, bodies: &bodyReader{}}
	f.hop = f.netHop
	return f, nil
}

// fill checks the configuration and sets the defaults.
func (c *FetchConfig) fill() error {
	switch {
	case c.Timeout < 0:
		return fmt.Errorf("crawler: negative timeout %v", c.Timeout)
	case c.MaxBody < 0:
		return fmt.Errorf("crawler: negative body limit %d", c.MaxBody)
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	if c.MaxBody == 0 {
		c.MaxBody = DefaultMaxBody
	}
	if c.UserAgent == "" {
		c.UserAgent = DefaultUserAgent("dev")
	}
	if c.MaxRedirects == 0 {
		c.MaxRedirects = DefaultMaxRedirects
	}
	for i, p := range c.AllowCIDRs {
		if !p.IsValid() {
			return fmt.Errorf("crawler: invalid allowed network %v", p)
		}
		c.AllowCIDRs[i] = p.Masked()
	}
	for _, r := range c.Resolve {
		if !r.Addr.IsValid() || r.Host == "" {
			return fmt.Errorf("crawler: invalid resolve rule %v", r)
		}
	}
	return nil
}

// Transport returns the Fetcher's transport, with its address policy and
// connection pool, for use by other HTTP clients (colly's WithTransport).
// It does not limit bodies or redirects: that is Fetch's work.
func (f *Fetcher) Transport() *http.Transport { return f.transport }

// Close closes idle connections.
func (f *Fetcher) Close() { f.transport.CloseIdleConnections() }

// Fetch fetches target: a full http(s) URL as given, or a domain (with an
// optional :port and path) over https:// and, failing that, http://. HTTP
// error statuses are not errors: the page comes back with its Status. A
// failure is a *FetchError; Reason classifies it.
func (f *Fetcher) Fetch(ctx context.Context, target string) (*checker.Page, error) {
	urls, err := parseTarget(target)
	if err != nil {
		return nil, &FetchError{URL: target, Err: err}
	}
	page, ferr := f.attempt(ctx, urls[0])
	if ferr != nil && len(urls) > 1 && ctx.Err() == nil && fallBack(ferr) {
		httpsErr := ferr
		if page, ferr = f.attempt(ctx, urls[1]); ferr != nil {
			ferr.Err = fmt.Errorf("%w (after https failed: %v)", ferr.Err, httpsErr.Err)
			return nil, ferr
		}
		page.HTTPSError = httpsErr.Err.Error()
	}
	if ferr != nil {
		return nil, ferr
	}
	page.Target = target
	// What DNS says, even when the fetch was pinned to the filed IPs: the
	// audit is of where visitors are sent.
	page.Addrs = f.dialer.resolved(ctx, urls[0].Hostname())
	return page, nil
}

// Recycle hands back the body of a page Fetch returned, for a later fetch
// to read into: a high-volume caller saves allocating (and the garbage
// collector freeing) a page-sized buffer a fetch. Call it only once
// nothing holds on to the body or shares its memory (the checker's report
// and CheckText's text do not). Not calling it is fine: the body is then
// the caller's for good.
func (f *Fetcher) Recycle(body []byte) { f.bodies.recycle(body) }

// fallBack reports whether an https:// failure is worth a try over
// http://: the server may not speak TLS (or not well, or not on port 443),
// but a name that does not resolve, a blocked address or a page that was
// served and judged too large will not do better.
func fallBack(err error) bool {
	switch Reason(err) {
	case ReasonTLS, ReasonRefused, ReasonTimeout, ReasonConnection:
		return true
	}
	return false
}

// attempt fetches u and follows its redirects, within one Timeout.
func (f *Fetcher) attempt(parent context.Context, u *url.URL) (*checker.Page, *FetchError) {
	ctx, stop := withAttemptClock(parent, f.cfg.Timeout)
	defer stop()
	fail := func(u *url.URL, status int, err error) *FetchError {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // it repeats the URL that FetchError gives
		}
		switch {
		case parent.Err() == nil && errors.Is(context.Cause(ctx), errAttemptTimeout):
			err = fmt.Errorf("%w after %v", ErrTimeout, f.cfg.Timeout)
		case Reason(err) == ReasonTimeout:
			// The Transport's own header or handshake timer, set to the
			// same Timeout, may fire just before the context's.
			err = fmt.Errorf("%w after %v: %w", ErrTimeout, f.cfg.Timeout, err)
		}
		return &FetchError{URL: u.String(), Status: status, Err: err}
	}
	var redirects []*url.URL
	seen := map[string]bool{}
	for {
		seen[redirectKey(u)] = true
		h, err := f.hop(ctx, u)
		if err != nil {
			return nil, fail(u, 0, err)
		}
		loc := h.header.Get("Location")
		if !isRedirect(h.status) || loc == "" {
			at := time.Now()
			body, err := h.body()
			if err != nil {
				return nil, fail(u, h.status, err)
			}
			return &checker.Page{URL: u, Redirects: redirects, Status: h.status, Header: h.header, Body: body, FetchedAt: at,
				CertNotAfter: h.certNotAfter}, nil
		}
		h.discard()

		next, err := u.Parse(loc)
		if err == nil {
			next, err = checkURL(next)
		}
		if err != nil {
			return nil, fail(u, h.status, fmt.Errorf("redirect to %q: %w", loc, err))
		}
		redirects = append(redirects, u)
		switch {
		case seen[redirectKey(next)]:
			return nil, fail(u, h.status, fmt.Errorf("%w: %s", ErrRedirectLoop, chain(redirects, next)))
		case len(redirects) > f.cfg.MaxRedirects:
			return nil, fail(u, h.status, fmt.Errorf("%w: more than %d: %s", ErrTooManyRedirects, max(f.cfg.MaxRedirects, 0), chain(redirects, next)))
		}
		u = next
	}
}

// response is one HTTP exchange without redirects followed: the status
// and headers, and the body still to be read (decoded and capped) or
// thrown away.
type response struct {
	status int
	header http.Header
	// certNotAfter is when the TLS leaf certificate expires (zero over
	// http://).
	certNotAfter time.Time
	body         func() ([]byte, error)
	discard      func()
}

// leafNotAfter is the expiry of the certificate the server presented for
// itself, zero without TLS.
func leafNotAfter(cs *tls.ConnectionState) time.Time {
	if cs == nil || len(cs.PeerCertificates) == 0 {
		return time.Time{}
	}
	return cs.PeerCertificates[0].NotAfter
}

// hopper sends one GET for u, within ctx's deadline, following no
// redirect. Fetcher uses net/http directly; Collector goes through colly.
type hopper func(ctx context.Context, u *url.URL) (*response, error)

// netHop is the plain net/http hopper.
func (f *Fetcher) netHop(ctx context.Context, u *url.URL) (*response, error) {
	resp, err := f.get(ctx, u)
	if err != nil {
		return nil, err
	}
	return &response{
		status:       resp.StatusCode,
		header:       resp.Header,
		certNotAfter: leafNotAfter(resp.TLS),
		body: func() ([]byte, error) {
			defer resp.Body.Close()
			return f.bodies.readBody(ctx, resp, f.cfg.MaxBody)
		},
		discard: func() {
			_, _ = io.CopyN(io.Discard, resp.Body, 4<<10) // lets the connection be reused
			resp.Body.Close()
		},
	}, nil
}

// get sends one GET request.
func (f *Fetcher) get(ctx context.Context, u *url.URL) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	f.setHeaders(req.Header)
	return f.client.Do(req)
}

// setHeaders sets the request headers every fetch sends.
func (f *Fetcher) setHeaders(h http.Header) {
	h.Set("User-Agent", f.cfg.UserAgent)
	h.Set("Accept", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8")
	// Some sites show a different (or no) footer to foreign visitors; the
	// filing rules are about what visitors in China see.
	h.Set("Accept-Language", "zh-CN,zh;q=0.9,en;q=0.5")
	h.Set("Accept-Encoding", "gzip, deflate")
}

// isRedirect reports whether a status asks to fetch another URL.
func isRedirect(status int) bool {
	switch status {
	case http.StatusMovedPermanently, http.StatusFound, http.StatusSeeOther,
		http.StatusTemporaryRedirect, http.StatusPermanentRedirect:
		return true
	}
	return false
}

// redirectKey identifies a URL for loop detection: the fragment is never
// sent, so it does not make a URL new.
func redirectKey(u *url.URL) string {
	v := *u
	v.Fragment, v.RawFragment = "", ""
	return v.String()
}

// chain formats a redirect chain for an error message.
func chain(redirects []*url.URL, next *url.URL) string {
	var b strings.Builder
	for _, u := range redirects {
		b.WriteString(u.String())
		b.WriteString(" -> ")
	}
	b.WriteString(next.String())
	return b.String()
}
