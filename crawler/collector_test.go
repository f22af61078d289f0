package crawler_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/beianwatch/beianwatch/crawler"
)

func newCollector(t testing.TB, cfg crawler.CollectorConfig) *crawler.Collector {
	t.Helper()
	c, err := crawler.NewCollector(cfg)
	if err != nil {
		t.Fatalf("NewCollector: %v", err)
	}
	crawler.DisableDNS(c.Fetcher)
	t.Cleanup(c.Close)
	return c
}

// TestCollectorContract runs every Fetcher test against the Collector:
// through colly, the same pages, errors, limits and safety rules.
func TestCollectorContract(t *testing.T) {
	saved := newFetcher
	t.Cleanup(func() { newFetcher = saved })
	newFetcher = func(t *testing.T, cfg crawler.FetchConfig) pageFetcher {
		return newCollector(t, crawler.CollectorConfig{FetchConfig: cfg, Concurrency: 4, PerHost: 2})
	}
	tests := map[string]func(*testing.T){
		"Page": TestFetchPage, "ErrorStatus": TestFetchErrorStatus, "Redirects": TestFetchRedirects,
		"RedirectErrors": TestFetchRedirectErrors, "NoRedirects": TestFetchNoRedirects,
		"RedirectToBlockedHost": TestFetchRedirectToBlockedHost, "BlockedByDefault": TestFetchBlockedByDefault,
		"InvalidTarget": TestFetchInvalidTarget, "BareDomainFallsBackToHTTP": TestFetchBareDomainFallsBackToHTTP,
		"BareDomainBothFail": TestFetchBareDomainBothFail, "BrokenTLS": TestFetchBrokenTLS, "CertExpiry": TestFetchCertExpiry,
		"Timeout": TestFetchTimeout, "Canceled": TestFetchCanceled, "Body": TestFetchBody,
		"UnknownEncoding": TestFetchUnknownEncodingError, "Recycle": TestFetchRecycle,
	}
	for name, test := range tests {
		t.Run(name, test)
	}
}

// TestCollectorPerHostLimit checks that one host never sees more requests
// at once than PerHost, while other hosts proceed, and that no host is
// remembered once its requests are done.
func TestCollectorPerHostLimit(t *testing.T) {
	var inFlight, peak atomic.Int64
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
		n := inFlight.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		inFlight.Add(-1)
		fmt.Fprint(w, "<p>ok</p>")
	})
	c := newCollector(t, crawler.CollectorConfig{
		FetchConfig: crawler.FetchConfig{AllowCIDRs: loopback, Resolve: []crawler.ResolveRule{mustResolve(t, "*.example.test:127.0.0.1:"+port(t, srv))}},
		Concurrency: 8, PerHost: 1,
	})
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Go(func() {
			// Every request is for the same host.
			if _, err := c.Fetch(context.Background(), fmt.Sprintf("http://one.example.test/%d", i)); err != nil {
				t.Errorf("Fetch: %v", err)
			}
		})
	}
	wg.Wait()
	if got := peak.Load(); got != 1 {
		t.Errorf("peak requests in flight to one host = %d, want 1", got)
	}
	if n := crawler.HostsInUse(c); n != 0 {
		t.Errorf("hosts remembered after the requests = %d, want 0", n)
	}
}

func TestCollectorRobots(t *testing.T) {
	srv, hits := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/robots.txt" {
			fmt.Fprint(w, "User-agent: *\nDisallow: /private/\n")
			return
		}
		fmt.Fprint(w, "<p>ok</p>")
	})
	tests := []struct {
		policy string
		path   string
		reason string
	}{
		{crawler.RobotsObey, "/private/page", crawler.ReasonRobots},
		{crawler.RobotsObey, "/", ""},
		{crawler.RobotsIgnore, "/private/page", ""},
	}
	for _, tt := range tests {
		t.Run(tt.policy+tt.path, func(t *testing.T) {
			c := newCollector(t, crawler.CollectorConfig{FetchConfig: crawler.FetchConfig{AllowCIDRs: loopback}, Robots: tt.policy})
			for range 3 { // robots.txt is fetched once, then remembered
				_, err := c.Fetch(context.Background(), srv.URL+tt.path)
				if got := crawler.Reason(err); got != tt.reason {
					t.Fatalf("Fetch(%s) = %v (reason %q), want reason %q", tt.path, err, got, tt.reason)
				}
			}
		})
	}
	// Obeying: robots.txt once and no page, then robots.txt once and three
	// pages; ignoring: three pages.
	if got := hits.Load(); got != 1+4+3 {
		t.Errorf("server saw %d requests, want 8", got)
	}
}
