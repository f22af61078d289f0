package crawler_test

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/crawler"
)

// loopback opens only 127.0.0.0/8: the tests never connect anywhere else.
var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}

// pageFetcher is what every fetch test exercises: Fetcher, and Collector
// (the same contract through colly, see TestCollectorContract).
type pageFetcher interface {
	Fetch(ctx context.Context, target string) (*checker.Page, error)
}

// newFetcher builds the implementation under test. The tests in this file
// do not run in parallel, so TestCollectorContract can swap it.
var newFetcher = func(t *testing.T, cfg crawler.FetchConfig) pageFetcher {
	t.Helper()
	f, err := crawler.NewFetcher(cfg)
	if err != nil {
		t.Fatalf("NewFetcher: %v", err)
	}
	crawler.DisableDNS(f)
	t.Cleanup(f.Close)
	return f
}

// serve starts a server on 127.0.0.1 that counts its requests.
func serve(t testing.TB, h http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		h(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv, &hits
}

// port returns the server's port.
func port(t *testing.T, srv *httptest.Server) string {
	t.Helper()
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Port()
}

func TestFetchPage(t *testing.T) {
	var got http.Header
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, "<p>京ICP备2021034567号-1</p>")
	})
	f := newFetcher(t, crawler.FetchConfig{AllowCIDRs: loopback, UserAgent: "test-agent/1"})
	before := time.Now()
	page, err := f.Fetch(context.Background(), srv.URL+"/index.html")
	if err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if page.Status != 200 || page.URL.String() != srv.URL+"/index.html" || page.Target != srv.URL+"/index.html" {
		t.Errorf("Fetch() = status %d, URL %v, target %q; want 200, %s/index.html twice", page.Status, page.URL, page.Target, srv.URL)
	}
	if string(page.Body) != "<p>京ICP备2021034567号-1</p>" {
		t.Errorf("Body = %q", page.Body)
	}
	if page.Header.Get("Content-Type") != "text/html; charset=utf-8" {
		t.Errorf("Header[Content-Type] = %q", page.Header.Get("Content-Type"))
	}
	if page.FetchedAt.Before(before) || len(page.Redirects) != 0 || page.HTTPSError != "" {
		t.Errorf("FetchedAt = %v, Redirects = %v, HTTPSError = %q", page.FetchedAt, page.Redirects, page.HTTPSError)
	}
	for k, want := range map[string]string{"User-Agent": "test-agent/1", "Accept-Encoding": "gzip, deflate"} {
		if got.Get(k) != want {
			t.Errorf("request header %s = %q, want %q", k, got.Get(k), want)
		}
	}
}

// TestFetchRecycle fetches pages one after the other, handing each body
// back: every page reads right, and bodies are read into the buffers
// handed back (not one new buffer a page).
func TestFetchRecycle(t *testing.T) {
	pages := map[string]string{"/a": strings.Repeat("甲", 3000), "/b": strings.Repeat("b", 5000)}
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, pages[r.URL.Path])
	})
	f := newFetcher(t, crawler.FetchConfig{AllowCIDRs: loopback})
	r, ok := f.(interface{ Recycle([]byte) })
	if !ok {
		t.Fatalf("%T has no Recycle", f)
	}
	handedBack := map[*byte]bool{}
	reused := 0
	for i := range 40 {
		path := "/a"
		if i%2 == 1 {
			path = "/b"
		}
		page, err := f.Fetch(context.Background(), srv.URL+path)
		if err != nil {
			t.Fatal(err)
		}
		if string(page.Body) != pages[path] {
			t.Fatalf("fetch %d of %s: body of %d bytes, want the page's %d", i, path, len(page.Body), len(pages[path]))
		}
		if handedBack[&page.Body[:1][0]] {
			reused++
		}
		handedBack[&page.Body[:1][0]] = true
		r.Recycle(page.Body)
	}
	if reused == 0 {
		t.Error("no body was read into a buffer handed back")
	}
}

func TestDefaultUserAgent(t *testing.T) {
	var ua string
	srv, _ := serve(t, func(_ http.ResponseWriter, r *http.Request) { ua = r.UserAgent() })
	f := newFetcher(t, crawler.FetchConfig{AllowCIDRs: loopback})
	if _, err := f.Fetch(context.Background(), srv.URL); err != nil {
		t.Fatalf("Fetch: %v", err)
	}
	if want := "beianwatch/dev (+https://github.com/beianwatch/beianwatch)"; ua != want {
		t.Errorf("User-Agent = %q, want %q", ua, want)
	}
}

func TestFetchErrorStatus(t *testing.T) {
	for _, status := range []int{404, 500, 503} {
		t.Run(strconv.Itoa(status), func(t *testing.T) {
			srv, _ := serve(t, func(w http.ResponseWriter, _ *http.Request) {
				w.WriteHeader(status)
				fmt.Fprint(w, "oops")
			})
			f := newFetcher(t, crawler.FetchConfig{AllowCIDRs: loopback})
			page, err := f.Fetch(context.Background(), srv.URL)
			if err != nil {
				t.Fatalf("Fetch: %v; want the page", err)
			}
			if page.Status != status || string(page.Body) != "oops" {
				t.Errorf("Fetch() = %d %q, want %d %q", page.Status, page.Body, status, "oops")
			}
		})
	}
}

// redirector redirects /hop/N to /hop/N-1 and answers /hop/0; /loop/a and
// /loop/b send to each other.
func redirector(w http.ResponseWriter, r *http.Request) {
	switch p := r.URL.Path; {
	case p == "/hop/0":
		fmt.Fprint(w, "arrived")
	case strings.HasPrefix(p, "/hop/"):
		n, _ := strconv.Atoi(strings.TrimPrefix(p, "/hop/"))
		http.Redirect(w, r, fmt.Sprintf("/hop/%d", n-1), http.StatusFound)
	case p == "/loop/a":
		http.Redirect(w, r, "/loop/b", http.StatusMovedPermanently)
	case p == "/loop/b":
		http.Redirect(w, r, "/loop/a#again", http.StatusTemporaryRedirect)
	case p == "/self":
		http.Redirect(w, r, "/self", http.StatusPermanentRedirect)
	case p == "/relative/x/y":
		http.Redirect(w, r, "../../hop/1", http.StatusSeeOther)
	case p == "/to":
		w.Header().Set("Location", r.URL.Query().Get("u"))
		w.WriteHeader(http.StatusFound)
	case p == "/nolocation":
		w.WriteHeader(http.StatusFound)
	default:
		http.NotFound(w, r)
	}
}

func TestFetchRedirects(t *testing.T) {
	srv, _ := serve(t, redirector)
	f := newFetcher(t, crawler.FetchConfig{AllowCIDRs: loopback})
	tests := []struct {
		path      string
		final     string
		redirects int
	}{
		{"/hop/0", "/hop/0", 0},
		{"/hop/3", "/hop/0", 3},
		{"/hop/10", "/hop/0", 10},
		{"/relative/x/y", "/hop/0", 2},
		{"/nolocation", "/nolocation", 0},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			page, err := f.Fetch(context.Background(), srv.URL+tt.path)
			if err != nil {
				t.Fatalf("Fetch(%s): %v", tt.path, err)
			}
			if page.URL.Path != tt.final || len(page.Redirects) != tt.redirects {
				t.Errorf("Fetch(%s) = %s after %d redirects, want %s after %d", tt.path, page.URL.Path, len(page.Redirects), tt.final, tt.redirects)
			}
			if tt.redirects > 0 && page.Redirects[0].Path != tt.path {
				t.Errorf("Redirects[0] = %s, want %s", page.Redirects[0], tt.path)
			}
		})
	}
}

func TestFetchRedirectErrors(t *testing.T) {
	srv, _ := serve(t, redirector)
	f := newFetcher(t, crawler.FetchConfig{AllowCIDRs: loopback})
	tests := []struct {
		path   string
		reason string
		msg    string
	}{
		{"/hop/11", crawler.ReasonTooManyRedirects, "more than 10"},
		{"/loop/a", crawler.ReasonRedirectLoop, "/loop/a -> " + srv.URL + "/loop/b -> " + srv.URL + "/loop/a#again"},
		{"/self", crawler.ReasonRedirectLoop, "redirect loop"},
		{"/to?u=ftp://example.test/", crawler.ReasonInvalidTarget, `scheme "ftp"`},
		{"/to?u=file:///etc/passwd", crawler.ReasonInvalidTarget, `scheme "file"`},
		{"/to?u=http://0x7f.1:" + port(t, srv) + "/", crawler.ReasonInvalidTarget, "127.0.0.1"},
		{"/to?u=http://169.254.169.254/latest/meta-data/", crawler.ReasonBlockedAddress, "cloud metadata"},
		{"/to?u=http://[::ffff:169.254.169.254]/", crawler.ReasonBlockedAddress, "cloud metadata"},
		{"/to?u=http://10.1.2.3/", crawler.ReasonBlockedAddress, "private"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			page, err := f.Fetch(context.Background(), srv.URL+tt.path)
			if got := crawler.Reason(err); got != tt.reason {
				t.Fatalf("Fetch(%s) = %v, %v; reason %q, want %q", tt.path, page, err, got, tt.reason)
			}
			if !strings.Contains(err.Error(), tt.msg) {
				t.Errorf("Fetch(%s) error = %q, want it to mention %q", tt.path, err, tt.msg)
			}
			var fe *crawler.FetchError
			if !errors.As(err, &fe) || fe.URL == "" {
				t.Errorf("Fetch(%s) error = %#v, want a *FetchError with a URL", tt.path, err)
			}
		})
	}
}

func TestFetchNoRedirects(t *testing.T) {
	srv, _ := serve(t, redirector)
	f := newFetcher(t, crawler.FetchConfig{AllowCIDRs: loopback, MaxRedirects: -1})
	_, err := f.Fetch(context.Background(), srv.URL+"/hop/1")
	if got := crawler.Reason(err); got != crawler.ReasonTooManyRedirects {
		t.Errorf("Fetch with MaxRedirects -1 = %v, reason %q, want %q", err, got, crawler.ReasonTooManyRedirects)
	}
}

// listen127_0_0_2 starts a server on 127.0.0.2, or skips the test where
// that address cannot be bound (it can on Linux).
func listen127_0_0_2(t *testing.T, h http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skipf("cannot listen on 127.0.0.2: %v", err)
	}
	var hits atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		h(w, r)
	}))
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &hits
}

func TestFetchRedirectToBlockedHost(t *testing.T) {
	inner, innerHits := listen127_0_0_2(t, func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "secret") })
	outer, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, inner.URL+"/admin", http.StatusFound)
	})
	f := newFetcher(t, crawler.FetchConfig{AllowCIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})

	_, err := f.Fetch(context.Background(), outer.URL)
	if got := crawler.Reason(err); got != crawler.ReasonBlockedAddress {
		t.Fatalf("Fetch(redirect to 127.0.0.2) = %v, reason %q, want %q", err, got, crawler.ReasonBlockedAddress)
	}
	var blocked *crawler.BlockedError
	if !errors.As(err, &blocked) || blocked.Addr != netip.MustParseAddr("127.0.0.2") {
		t.Errorf("Fetch error = %v, want a *BlockedError for 127.0.0.2", err)
	}
	if n := innerHits.Load(); n != 0 {
		t.Errorf("the blocked server got %d requests, want 0", n)
	}
}

func TestFetchBlockedByDefault(t *testing.T) {
	srv, hits := serve(t, func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "hi") })
	p := port(t, srv)
	tests := []struct {
		target string
		cfg    crawler.FetchConfig
		reason string
	}{
		{srv.URL, crawler.FetchConfig{}, crawler.ReasonBlockedAddress},
		{"http://[::ffff:127.0.0.1]:" + p + "/", crawler.FetchConfig{}, crawler.ReasonBlockedAddress},
		{"http://[::1]:" + p + "/", crawler.FetchConfig{}, crawler.ReasonBlockedAddress},
		{"http://0.0.0.0:" + p + "/", crawler.FetchConfig{}, crawler.ReasonBlockedAddress},
		{"http://[::]:" + p + "/", crawler.FetchConfig{}, crawler.ReasonBlockedAddress},
		// Pinned names are still judged by their address.
		{"example.test", crawler.FetchConfig{Resolve: []crawler.ResolveRule{mustResolve(t, "example.test:127.0.0.1:"+p)}}, crawler.ReasonBlockedAddress},
		{"http://www.example.test/", crawler.FetchConfig{Resolve: []crawler.ResolveRule{mustResolve(t, "*.example.test:127.0.0.1:"+p)}}, crawler.ReasonBlockedAddress},
		// Odd spellings are refused even when loopback is allowed.
		{"http://2130706433:" + p + "/", crawler.FetchConfig{AllowPrivate: true}, crawler.ReasonInvalidTarget},
		{"http://0x7f.1:" + p + "/", crawler.FetchConfig{AllowPrivate: true}, crawler.ReasonInvalidTarget},
		{"http://127.1:" + p + "/", crawler.FetchConfig{AllowPrivate: true}, crawler.ReasonInvalidTarget},
		{"http://0177.0.0.1:" + p + "/", crawler.FetchConfig{AllowPrivate: true}, crawler.ReasonInvalidTarget},
		{"http://0x7f000001:" + p + "/", crawler.FetchConfig{AllowPrivate: true}, crawler.ReasonInvalidTarget},
		{"http://127.0.0.1.:" + p + "/", crawler.FetchConfig{AllowPrivate: true}, crawler.ReasonInvalidTarget},
		{"http://１２７.０.０.１:" + p + "/", crawler.FetchConfig{AllowPrivate: true}, crawler.ReasonInvalidTarget},
		{"2130706433:" + p, crawler.FetchConfig{AllowPrivate: true}, crawler.ReasonInvalidTarget},
		{"127.1", crawler.FetchConfig{AllowPrivate: true}, crawler.ReasonInvalidTarget},
		{"http://[fe80::1%25lo]:" + p + "/", crawler.FetchConfig{AllowPrivate: true}, crawler.ReasonInvalidTarget},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			f := newFetcher(t, tt.cfg)
			page, err := f.Fetch(context.Background(), tt.target)
			if got := crawler.Reason(err); got != tt.reason {
				t.Errorf("Fetch(%q) = %v, %v; reason %q, want %q", tt.target, page, err, got, tt.reason)
			}
		})
	}
	if n := hits.Load(); n != 0 {
		t.Errorf("the server got %d requests, want 0", n)
	}
}

func TestFetchInvalidTarget(t *testing.T) {
	f := newFetcher(t, crawler.FetchConfig{})
	for _, target := range []string{"", "   ", "ftp://example.test/", "file:///etc/passwd", "gopher://x/", "http://", "https:///path", "mailto:a@example.test", "http://user:pw@example.test/", "exa mple.test"} {
		t.Run(target, func(t *testing.T) {
			_, err := f.Fetch(context.Background(), target)
			if got := crawler.Reason(err); got != crawler.ReasonInvalidTarget {
				t.Errorf("Fetch(%q) = %v, reason %q, want %q", target, err, got, crawler.ReasonInvalidTarget)
			}
		})
	}
}

func mustResolve(t testing.TB, s string) crawler.ResolveRule {
	t.Helper()
	r, err := crawler.ParseResolve(s)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestFetchBareDomainFallsBackToHTTP(t *testing.T) {
	var host, path string
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
		host, path = r.Host, r.URL.RequestURI()
		fmt.Fprint(w, "plain")
	})
	p := port(t, srv)
	tests := []struct {
		target, rule        string
		wantURL, host, path string
	}{
		{"example.test", "example.test:127.0.0.1:" + p, "http://example.test/", "example.test", "/"},
		{"Example.Test/about?x=1", "example.test:127.0.0.1:" + p, "http://example.test/about?x=1", "example.test", "/about?x=1"},
		{"www.example.test", "*.example.test:127.0.0.1:" + p, "http://www.example.test/", "www.example.test", "/"},
		{"中文.中国", "中文.中国:127.0.0.1:" + p, "http://xn--fiq228c.xn--fiqs8s/", "xn--fiq228c.xn--fiqs8s", "/"},
	}
	for _, tt := range tests {
		t.Run(tt.target, func(t *testing.T) {
			f := newFetcher(t, crawler.FetchConfig{AllowCIDRs: loopback, Resolve: []crawler.ResolveRule{mustResolve(t, tt.rule)}})
			page, err := f.Fetch(context.Background(), tt.target)
			if err != nil {
				t.Fatalf("Fetch(%q): %v", tt.target, err)
			}
			if page.URL.String() != tt.wantURL || page.Target != tt.target {
				t.Errorf("Fetch(%q) = URL %s, target %q; want %s, %q", tt.target, page.URL, page.Target, tt.wantURL, tt.target)
			}
			if host != tt.host || path != tt.path {
				t.Errorf("server saw Host %q path %q, want %q %q", host, path, tt.host, tt.path)
			}
			// The https attempt reached the plain-HTTP server.
			if !strings.Contains(page.HTTPSError, "HTTP response to HTTPS client") {
				t.Errorf("HTTPSError = %q, want the TLS failure", page.HTTPSError)
			}
		})
	}
}

func TestFetchBareDomainBothFail(t *testing.T) {
	// Nothing listens on a port just closed.
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	f := newFetcher(t, crawler.FetchConfig{AllowCIDRs: loopback, Resolve: []crawler.ResolveRule{mustResolve(t, "example.test:"+addr)}})
	_, err = f.Fetch(context.Background(), "example.test")
	if got := crawler.Reason(err); got != crawler.ReasonRefused {
		t.Errorf("Fetch = %v, reason %q, want %q", err, got, crawler.ReasonRefused)
	}
	if !strings.Contains(err.Error(), "http://example.test/") || !strings.Contains(err.Error(), "after https failed") {
		t.Errorf("Fetch error = %q, want both attempts described", err)
	}
}

func TestFetchBrokenTLS(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "hi") }))
	t.Cleanup(srv.Close)
	f := newFetcher(t, crawler.FetchConfig{AllowCIDRs: loopback})
	_, err := f.Fetch(context.Background(), srv.URL)
	if got := crawler.Reason(err); got != crawler.ReasonTLS {
		t.Fatalf("Fetch(untrusted TLS) = %v, reason %q, want %q", err, got, crawler.ReasonTLS)
	}
	if !strings.Contains(err.Error(), "x509") && !strings.Contains(err.Error(), "certificate") {
		t.Errorf("Fetch error = %q, want the certificate problem", err)
	}
}

func TestFetchTimeout(t *testing.T) {
	tests := []struct {
		name string
		h    http.HandlerFunc
	}{
		{"slow headers", func(_ http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}},
		{"slow body", func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, "<html>")
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}},
		{"slow redirect chain", func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(80 * time.Millisecond)
			n, _ := strconv.Atoi(r.URL.Query().Get("n"))
			http.Redirect(w, r, fmt.Sprintf("/?n=%d", n+1), http.StatusFound)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := serve(t, tt.h)
			f := newFetcher(t, crawler.FetchConfig{AllowCIDRs: loopback, Timeout: 200 * time.Millisecond, MaxRedirects: 100})
			start := time.Now()
			_, err := f.Fetch(context.Background(), srv.URL+"/")
			if got := crawler.Reason(err); got != crawler.ReasonTimeout {
				t.Errorf("Fetch = %v, reason %q, want %q", err, got, crawler.ReasonTimeout)
			}
			if err != nil && !strings.Contains(err.Error(), "200ms") {
				t.Errorf("Fetch error = %q, want it to name the 200ms limit", err)
			}
			if d := time.Since(start); d > time.Second {
				t.Errorf("Fetch took %v, want about 200ms", d)
			}
		})
	}
}

func TestFetchCanceled(t *testing.T) {
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request) { <-r.Context().Done() })
	f := newFetcher(t, crawler.FetchConfig{AllowCIDRs: loopback})
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	_, err := f.Fetch(ctx, srv.URL)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Fetch(canceled) = %v, want context.Canceled", err)
	}
}

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zlibbed(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zlib.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func deflated(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw, _ := flate.NewWriter(&buf, flate.BestCompression)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

func TestFetchBody(t *testing.T) {
	const limit = 64 << 10
	page := []byte(strings.Repeat("<p>京ICP备2021034567号-1</p>\n", 100))
	exact := bytes.Repeat([]byte("a"), limit)
	bomb := make([]byte, 4<<20) // 4 MiB of zeros: about 4 KiB gzipped, 64 times the limit
	// 1 MiB of empty stored deflate blocks: inflates to nothing, but the
	// layer under it must produce 16 times the limit to get there.
	empties := append(bytes.Repeat([]byte{0, 0, 0, 0xff, 0xff}, 1<<20/5), 1, 0, 0, 0xff, 0xff)
	tests := []struct {
		name     string
		encoding string
		body     []byte
		chunked  bool   // hide the Content-Length
		want     []byte // nil: expect reason
		reason   string
	}{
		{"identity", "", page, false, page, ""},
		{"identity token", "identity", page, false, page, ""},
		{"gzip", "gzip", gzipped(t, page), false, page, ""},
		{"x-gzip", "x-gzip", gzipped(t, page), false, page, ""},
		{"gzip upper case", "GZIP", gzipped(t, page), false, page, ""},
		{"gzip twice", "gzip, gzip", gzipped(t, gzipped(t, page)), false, page, ""},
		{"deflate zlib", "deflate", zlibbed(t, page), false, page, ""},
		{"deflate raw", "deflate", deflated(t, page), false, page, ""},
		{"empty gzip", "gzip", nil, false, []byte{}, ""},
		{"exactly the limit", "", exact, false, exact, ""},
		{"exactly the limit gzipped", "gzip", gzipped(t, exact), false, exact, ""},
		{"one past the limit", "", append(exact, 'a'), false, nil, crawler.ReasonTooLarge},
		{"past the limit, no length", "", append(exact, 'a'), true, nil, crawler.ReasonTooLarge},
		{"gzip bomb", "gzip", gzipped(t, bomb), false, nil, crawler.ReasonTooLarge},
		{"zlib bomb", "deflate", zlibbed(t, bomb), true, nil, crawler.ReasonTooLarge},
		{"raw deflate bomb", "deflate", deflated(t, bomb), true, nil, crawler.ReasonTooLarge},
		{"empty blocks under gzip", "deflate, gzip", gzipped(t, empties), true, nil, crawler.ReasonTooLarge},
		{"deflate thrice", "deflate, deflate, deflate", deflated(t, deflated(t, deflated(t, page))), false, nil, crawler.ReasonTooManyEncodings},
		{"deflate 8000 times", strings.Repeat("deflate,", 8000), deflated(t, page), false, nil, crawler.ReasonTooManyEncodings},
		{"brotli", "br", []byte("whatever"), false, nil, crawler.ReasonOther},
		{"bad gzip", "gzip", []byte("not gzip at all"), false, nil, crawler.ReasonOther},
	}
	// One Fetcher and one Collector read every body, twice over: the
	// readers and buffers they keep from one body to the next (after a
	// bomb, a bad body, another coding) must not show in the next.
	cfg := crawler.FetchConfig{AllowCIDRs: loopback, MaxBody: limit}
	fetchers := []struct {
		name  string
		fetch func(ctx context.Context, target string) (*checker.Page, error)
	}{
		{"fetcher", newFetcher(t, cfg).Fetch},
		{"collector", newCollector(t, crawler.CollectorConfig{FetchConfig: cfg}).Fetch},
	}
	for round := range 2 {
		for _, fr := range fetchers {
			for _, tt := range tests {
				t.Run(fmt.Sprintf("%s/%d/%s", fr.name, round, tt.name), func(t *testing.T) {
					srv, _ := serve(t, func(w http.ResponseWriter, _ *http.Request) {
						if tt.encoding != "" {
							w.Header().Set("Content-Encoding", tt.encoding)
						}
						if !tt.chunked {
							w.Header().Set("Content-Length", strconv.Itoa(len(tt.body)))
						}
						w.Write(tt.body)
					})
					page, err := fr.fetch(context.Background(), srv.URL)
					if got := crawler.Reason(err); got != tt.reason {
						t.Fatalf("Fetch = %v, reason %q, want %q", err, got, tt.reason)
					}
					if tt.want != nil && !bytes.Equal(page.Body, tt.want) {
						t.Errorf("Body = %d bytes %.40q…, want %d bytes %.40q…", len(page.Body), page.Body, len(tt.want), tt.want)
					}
					if tt.reason == crawler.ReasonTooLarge && !strings.Contains(err.Error(), "64 KiB") {
						t.Errorf("Fetch error = %q, want it to name the 64 KiB limit", err)
					}
				})
			}
		}
	}
}

func TestFetchUnknownEncodingError(t *testing.T) {
	srv, _ := serve(t, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Encoding", "zstd")
		fmt.Fprint(w, "x")
	})
	f := newFetcher(t, crawler.FetchConfig{AllowCIDRs: loopback})
	_, err := f.Fetch(context.Background(), srv.URL)
	if !errors.Is(err, crawler.ErrContentEncoding) || !strings.Contains(err.Error(), `"zstd"`) {
		t.Errorf("Fetch(zstd) = %v, want ErrContentEncoding naming zstd", err)
	}
}

func TestTransportIgnoresProxyEnvironment(t *testing.T) {
	t.Setenv("HTTP_PROXY", "http://127.0.0.1:9")
	t.Setenv("HTTPS_PROXY", "http://127.0.0.1:9")
	srv, _ := serve(t, func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "direct") })
	f, err := crawler.NewFetcher(crawler.FetchConfig{AllowCIDRs: loopback})
	if err != nil {
		t.Fatal(err)
	}
	crawler.DisableDNS(f)
	if f.Transport().Proxy != nil {
		t.Error("Transport().Proxy is set, want nil")
	}
	page, err := f.Fetch(context.Background(), srv.URL)
	if err != nil || string(page.Body) != "direct" {
		t.Errorf("Fetch with HTTP_PROXY set = %v, want the page fetched directly", err)
	}
}

func TestNewFetcherErrors(t *testing.T) {
	for _, cfg := range []crawler.FetchConfig{
		{Timeout: -1},
		{MaxBody: -1},
		{AllowCIDRs: []netip.Prefix{{}}},
		{Resolve: []crawler.ResolveRule{{Host: "example.test"}}},
	} {
		if _, err := crawler.NewFetcher(cfg); err == nil {
			t.Errorf("NewFetcher(%+v) succeeded, want an error", cfg)
		}
	}
}

// TestFetchCertExpiry: a page fetched over TLS carries its server's leaf
// certificate's expiry (exported by /probe); over http:// none.
func TestFetchCertExpiry(t *testing.T) {
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "hi") }))
	t.Cleanup(tlsSrv.Close)
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "hi") }))
	t.Cleanup(plain.Close)
	roots := x509.NewCertPool()
	roots.AddCert(tlsSrv.Certificate())
	f := newFetcher(t, crawler.FetchConfig{AllowCIDRs: loopback, RootCAs: roots})
	for _, tt := range []struct {
		url  string
		want time.Time
	}{{tlsSrv.URL, tlsSrv.Certificate().NotAfter}, {plain.URL, time.Time{}}} {
		p, err := f.Fetch(context.Background(), tt.url)
		if err != nil {
			t.Fatalf("Fetch(%s): %v", tt.url, err)
		}
		if !p.CertNotAfter.Equal(tt.want) {
			t.Errorf("Fetch(%s).CertNotAfter = %v, want %v", tt.url, p.CertNotAfter, tt.want)
		}
	}
}
