package render

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/beianwatch/beianwatch/crawler"
)

// DialFunc connects under the crawler's address policy: the DialContext
// of a crawler.Fetcher's Transport.
type DialFunc func(ctx context.Context, network, address string) (net.Conn, error)

// proxy is the only way out for the browser: an HTTP proxy on loopback
// that makes every connection (plain requests, CONNECT tunnels for TLS and
// WebSocket) through the crawler's dial guard, so a page cannot make the
// browser reach loopback, private or metadata addresses.
type proxy struct {
	dial     DialFunc
	logger   *slog.Logger
	refused  atomic.Int64 // connections the guard refused
	onRefuse func()

	ln        net.Listener
	srv       *http.Server
	transport *http.Transport
	wg        sync.WaitGroup

	// tunnels are the open CONNECT tunnels' connections: the server does
	// not track hijacked connections, and a pinned render's proxy closes
	// while the browser, and so its side of a tunnel, lives on.
	mu      sync.Mutex
	tunnels map[net.Conn]struct{}
	closed  bool
}

func newProxy(dial DialFunc, logger *slog.Logger, onRefuse func()) (*proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("render: proxy: %w", err)
	}
	p := &proxy{dial: dial, logger: logger, ln: ln, onRefuse: onRefuse, tunnels: map[net.Conn]struct{}{}}
	p.transport = &http.Transport{
		Proxy:               nil,
		DialContext:         dial,
		MaxIdleConnsPerHost: 2,
		IdleConnTimeout:     5 * time.Second,
		DisableCompression:  true, // pass the encoding through untouched
	}
	p.srv = &http.Server{Handler: p, ReadHeaderTimeout: 10 * time.Second}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		_ = p.srv.Serve(ln)
	}()
	return p, nil
}

// URL is the proxy's address, for --proxy-server.
func (p *proxy) URL() string { return "http://" + p.ln.Addr().String() }

// Close stops the proxy and every tunnel through it.
func (p *proxy) Close() {
	_ = p.srv.Close()
	p.transport.CloseIdleConnections()
	p.mu.Lock()
	p.closed = true
	for c := range p.tunnels {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

// track records a tunnel's connections until untrack, and counts the
// tunnel in wg (under mu, so that Close's Wait cannot start between the
// two); false when the proxy is closed already (the caller closes them).
func (p *proxy) track(cs ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return false
	}
	for _, c := range cs {
		p.tunnels[c] = struct{}{}
	}
	p.wg.Add(1)
	return true
}

func (p *proxy) untrack(cs ...net.Conn) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, c := range cs {
		delete(p.tunnels, c)
	}
}

func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodConnect {
		p.tunnel(w, r)
		return
	}
	if r.URL.Scheme != "http" || r.URL.Host == "" {
		// Only absolute http:// requests are proxied: nothing else
		// (not a request for the proxy itself) is served.
		http.Error(w, "not a proxy request", http.StatusBadRequest)
		return
	}
	out := r.Clone(r.Context())
	out.RequestURI = ""
	removeHopHeaders(out.Header)
	resp, err := p.transport.RoundTrip(out)
	if err != nil {
		p.fail(w, r.URL.Host, err)
		return
	}
	defer resp.Body.Close()
	removeHopHeaders(resp.Header)
	for k, vs := range resp.Header {
		w.Header()[k] = vs
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = io.Copy(w, resp.Body)
}

// tunnel serves CONNECT: TLS and WebSocket connections.
func (p *proxy) tunnel(w http.ResponseWriter, r *http.Request) {
	up, err := p.dial(r.Context(), "tcp", r.Host)
	if err != nil {
		p.fail(w, r.Host, err)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		up.Close()
		http.Error(w, "no hijacking", http.StatusInternalServerError)
		return
	}
	down, buf, err := hj.Hijack()
	if err != nil {
		up.Close()
		return
	}
	if _, err := down.Write([]byte("HTTP/1.1 200 Connection established\r\n\r\n")); err != nil || !p.track(down, up) {
		up.Close()
		down.Close()
		return
	}
	go func() {
		defer p.wg.Done()
		defer p.untrack(down, up)
		splice(down, buf.Reader, up)
	}()
}

// fail answers a connection that could not be made; a refusal by the
// address policy is counted.
func (p *proxy) fail(w http.ResponseWriter, host string, err error) {
	status := http.StatusBadGateway
	if isBlocked(err) {
		status = http.StatusForbidden
		p.refused.Add(1)
		if p.onRefuse != nil {
			p.onRefuse()
		}
		p.logger.Debug("render proxy refused a connection", "host", host, "err", err)
	}
	http.Error(w, http.StatusText(status), status)
}

// splice copies both ways until either side closes.
func splice(down net.Conn, buffered io.Reader, up net.Conn) {
	done := make(chan struct{}, 2)
	go func() {
		_, _ = io.Copy(up, buffered) // bytes already read from down come first
		done <- struct{}{}
	}()
	go func() {
		_, _ = io.Copy(down, up)
		done <- struct{}{}
	}()
	<-done
	down.Close()
	up.Close()
	<-done
}

// hopHeaders are meant for one connection, never forwarded (RFC 9110 7.6.1).
var hopHeaders = []string{"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

func removeHopHeaders(h http.Header) {
	for _, k := range hopHeaders {
		h.Del(k)
	}
}

// isBlocked reports a connection the address policy refused, also one to
// an odd spelling of an IP address.
func isBlocked(err error) bool {
	return errors.Is(err, crawler.ErrBlockedAddress) || errors.Is(err, crawler.ErrInvalidTarget)
}
