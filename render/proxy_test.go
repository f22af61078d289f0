package render

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/beianwatch/beianwatch/crawler"
)

// TestProxy sends requests through the proxy as the browser would: to an
// allowed site (127.0.0.2), plain and tunnelled, and to refused addresses,
// which are answered 403 and counted, with no connection made.
func TestProxy(t *testing.T) {
	site := siteOn127002(t)
	var canaryHits atomic.Int64
	canary := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { canaryHits.Add(1) }))
	defer canary.Close()

	f, err := crawler.NewFetcher(crawler.FetchConfig{AllowCIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")}})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var counted atomic.Int64
	p, err := newProxy(f.Transport().DialContext, slog.New(slog.DiscardHandler), func() { counted.Add(1) })
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	proxyURL, _ := url.Parse(p.URL())
	_, canaryPort, _ := net.SplitHostPort(canary.Listener.Addr().String())
	client := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxyURL)}}

	tests := []struct {
		name, url string
		status    int
	}{
		{"allowed site", site.URL + "/", http.StatusOK},
		{"loopback canary", canary.URL + "/", http.StatusForbidden},
		{"localhost", "http://localhost:" + canaryPort + "/", http.StatusForbidden},
		{"metadata", "http://169.254.169.254/latest/meta-data/", http.StatusForbidden},
		{"odd spelling of loopback", "http://0x7f.1/", http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := client.Get(tt.url)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.status {
				t.Errorf("GET %s through the proxy = %d, want %d", tt.url, resp.StatusCode, tt.status)
			}
		})
	}
	// CONNECT, as for https:// and wss://.
	for _, target := range []string{canary.Listener.Addr().String(), "169.254.169.254:443"} {
		c, err := net.Dial("tcp", proxyURL.Host)
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(c, "CONNECT "+target+" HTTP/1.1\r\nHost: "+target+"\r\n\r\n")
		buf := make([]byte, 12)
		if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "HTTP/1.1 403" {
			t.Errorf("CONNECT %s = %q, %v; want HTTP/1.1 403", target, buf, err)
		}
		c.Close()
	}
	// A tunnel to the allowed site carries its bytes both ways.
	c, err := net.Dial("tcp", proxyURL.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	host := site.Listener.Addr().String()
	io.WriteString(c, "CONNECT "+host+" HTTP/1.1\r\nHost: "+host+"\r\n\r\n"+
		"GET / HTTP/1.1\r\nHost: "+host+"\r\nConnection: close\r\n\r\n")
	if b, _ := io.ReadAll(c); !strings.HasPrefix(string(b), "HTTP/1.1 200 Connection established") || !strings.HasSuffix(string(b), "site") {
		t.Errorf("through the tunnel: %q; want the proxy's 200, then the site's answer", b)
	}
	if n := canaryHits.Load(); n != 0 {
		t.Errorf("the canary got %d requests, want 0", n)
	}
	if got := p.refused.Load(); got != 6 || counted.Load() != got {
		t.Errorf("refused %d, counted %d; want 6 and 6", got, counted.Load())
	}
}

// TestProxyCloseEndsTunnels: Close ends the open tunnels itself, as a
// pinned render's proxy needs, closing while the browser lives on.
func TestProxyCloseEndsTunnels(t *testing.T) {
	site := siteOn127002(t)
	f, err := crawler.NewFetcher(crawler.FetchConfig{AllowCIDRs: []netip.Prefix{netip.MustParsePrefix("127.0.0.2/32")}})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	p, err := newProxy(f.Transport().DialContext, slog.New(slog.DiscardHandler), nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := net.Dial("tcp", strings.TrimPrefix(p.URL(), "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	host := site.Listener.Addr().String()
	io.WriteString(c, "CONNECT "+host+" HTTP/1.1\r\nHost: "+host+"\r\n\r\n")
	established := "HTTP/1.1 200 Connection established\r\n\r\n"
	buf := make([]byte, len(established))
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != established {
		t.Fatalf("CONNECT %s = %q, %v", host, buf, err)
	}
	closed := make(chan struct{})
	go func() {
		p.Close()
		close(closed)
	}()
	// Only a guard against hanging the suite: the tunnel should end at once.
	c.SetReadDeadline(time.Now().Add(time.Minute))
	if n, err := c.Read(buf); err != io.EOF {
		t.Fatalf("reading the tunnel after Close = %d, %v; want EOF", n, err)
	}
	<-closed
}

// siteOn127002 serves "site" on 127.0.0.2, a loopback address of its own
// that an AllowCIDRs entry opens alone.
func siteOn127002(t *testing.T) *httptest.Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skip(err)
	}
	site := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "site") }))
	site.Listener.Close()
	site.Listener = ln
	site.Start()
	t.Cleanup(site.Close)
	return site
}
