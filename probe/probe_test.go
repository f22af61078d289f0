package probe_test

import (
	"context"
	"crypto/x509"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/beianwatch/beianwatch/crawler"
	"github.com/beianwatch/beianwatch/probe"
)

// pipeline is the Checker the daemon gives the handler, reduced to its
// fetch: a real Fetcher through crawler.Pipeline.
type pipeline struct{ f *crawler.Fetcher }

func (p pipeline) Check(ctx context.Context, target string) (probe.Result, error) {
	o, err := crawler.Pipeline{Fetch: p.f.Fetch}.Run(ctx, crawler.Job{Target: target})
	return probe.Result{Report: o.Report, CertNotAfter: o.CertNotAfter}, err
}

var loopback = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("::1/128")}

// newHandler returns a probe handler over a real fetcher with cfg, behind
// a real HTTP server on loopback, and the server's URL.
func newHandler(t *testing.T, fc crawler.FetchConfig, pc probe.Config) string {
	t.Helper()
	base, _ := newHandlerMetrics(t, fc, pc)
	return base
}

// newHandlerMetrics is newHandler that also returns the registry of the
// handler's request counts.
func newHandlerMetrics(t *testing.T, fc crawler.FetchConfig, pc probe.Config) (string, *prometheus.Registry) {
	t.Helper()
	f, err := crawler.NewFetcher(fc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	reg := prometheus.NewRegistry()
	pc.Logger, pc.Metrics = slog.New(slog.DiscardHandler), reg
	h, err := probe.New(pipeline{f}, pc)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL, reg
}

// requests is beianwatch_probe_requests_total{result}.
func requests(t *testing.T, reg *prometheus.Registry, result string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.Metric {
			if mf.GetName() == "beianwatch_probe_requests_total" && m.Label[0].GetValue() == result {
				return m.GetCounter().GetValue()
			}
		}
	}
	t.Fatalf("no beianwatch_probe_requests_total{result=%q}", result)
	return 0
}

// site serves a testdata page at / on loopback.
func site(t *testing.T, page string) http.Handler {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", page))
	if err != nil {
		t.Fatal(err)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(body)
	})
}

// get fetches u and returns the status, the headers and the body.
func get(t *testing.T, u string, hdr http.Header) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

// scrape probes target and parses the exposition into "name{l=v,…}" →
// value.
func scrape(t *testing.T, base, target string) map[string]float64 {
	t.Helper()
	status, hdr, body := get(t, base+"/probe?target="+url.QueryEscape(target), nil)
	if status != http.StatusOK {
		t.Fatalf("probe %s: %d %s", target, status, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("probe %s: not the text exposition format (%s): %v\n%s", target, hdr.Get("Content-Type"), err, body)
	}
	out := map[string]float64{}
	for name, mf := range mfs {
		for _, m := range mf.Metric {
			out[series(name, m)] = m.GetGauge().GetValue()
		}
	}
	return out
}

func series(name string, m *dto.Metric) string {
	var ls []string
	for _, l := range m.Label {
		ls = append(ls, l.GetName()+"="+l.GetValue())
	}
	if len(ls) == 0 {
		return name
	}
	return name + "{" + strings.Join(ls, ",") + "}"
}

func TestProbeMetrics(t *testing.T) {
	pass := httptest.NewTLSServer(site(t, "pass.html"))
	t.Cleanup(pass.Close)
	fail := httptest.NewServer(site(t, "fail.html"))
	t.Cleanup(fail.Close)
	roots := x509.NewCertPool()
	roots.AddCert(pass.Certificate())
	base := newHandler(t, crawler.FetchConfig{AllowCIDRs: loopback, RootCAs: roots}, probe.Config{})

	tests := []struct {
		name, target string
		want         map[string]float64
		// absent are series that must not be there.
		absent []string
	}{
		{"passing page over TLS", pass.URL, map[string]float64{
			"beianwatch_probe_success":                           1,
			"beianwatch_probe_verdict{verdict=pass}":             1,
			"beianwatch_probe_verdict{verdict=fail}":             0,
			"beianwatch_probe_verdict{verdict=error}":            0,
			"beianwatch_probe_http_status_code":                  200,
			"beianwatch_probe_tls_cert_expiry_timestamp_seconds": float64(pass.Certificate().NotAfter.Unix()),
		}, nil},
		{"failing page over http", fail.URL, map[string]float64{
			"beianwatch_probe_success":                                   0,
			"beianwatch_probe_verdict{verdict=pass}":                     0,
			"beianwatch_probe_verdict{verdict=fail}":                     1,
			"beianwatch_probe_verdict{verdict=error}":                    0,
			"beianwatch_probe_http_status_code":                          200,
			"beianwatch_probe_findings{code=ICP_MISSING,severity=error}": 1,
		}, []string{"beianwatch_probe_tls_cert_expiry_timestamp_seconds"}},
		{"unparsable target", "http://[::1", map[string]float64{
			"beianwatch_probe_success":                0,
			"beianwatch_probe_verdict{verdict=error}": 1,
			"beianwatch_probe_http_status_code":       0,
		}, []string{"beianwatch_probe_tls_cert_expiry_timestamp_seconds"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := scrape(t, base, tt.target)
			for k, v := range tt.want {
				if g, ok := got[k]; !ok || g != v {
					t.Errorf("%s = %v (present %v), want %v\nall: %v", k, g, ok, v, got)
				}
			}
			for _, k := range tt.absent {
				if _, ok := got[k]; ok {
					t.Errorf("%s present, want absent", k)
				}
			}
			if _, ok := got["beianwatch_probe_duration_seconds"]; !ok {
				t.Errorf("beianwatch_probe_duration_seconds missing: %v", got)
			}
		})
	}
}

// TestProbeRefusesNonPublicAddresses: the crawler's address rule applies
// to probes: loopback, private and cloud metadata addresses are a failed
// probe, and nothing is fetched from them.
func TestProbeRefusesNonPublicAddresses(t *testing.T) {
	var fetched atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { fetched.Store(true) }))
	t.Cleanup(srv.Close)
	base := newHandler(t, crawler.FetchConfig{}, probe.Config{})
	for _, target := range []string{srv.URL, "http://169.254.169.254/latest/meta-data/", "10.0.0.1", "http://[::1]:9/"} {
		t.Run(target, func(t *testing.T) {
			got := scrape(t, base, target)
			if got["beianwatch_probe_success"] != 0 || got["beianwatch_probe_verdict{verdict=error}"] != 1 {
				t.Errorf("probe of %s: %v, want a failed probe", target, got)
			}
			_, _, body := get(t, base+"/probe?debug=true&target="+url.QueryEscape(target), nil)
			if !strings.Contains(body, "Error:") || !strings.Contains(body, "refusing to connect") {
				t.Errorf("debug answer does not say the address is refused:\n%s", body)
			}
		})
	}
	if fetched.Load() {
		t.Error("the loopback server was fetched")
	}
}

func TestProbeBadRequests(t *testing.T) {
	base, reg := newHandlerMetrics(t, crawler.FetchConfig{}, probe.Config{})
	tests := []struct {
		name, query string
		hdr         http.Header
		want        string
	}{
		{"no target", "", nil, "target parameter is missing"},
		{"empty target", "?target=", nil, "target parameter is missing"},
		{"blank target", "?target=%20%20", nil, "target parameter is missing"},
		{"bad scrape timeout", "?target=example.cn", http.Header{"X-Prometheus-Scrape-Timeout-Seconds": {"soon"}}, "invalid X-Prometheus-Scrape-Timeout-Seconds"},
		{"negative scrape timeout", "?target=example.cn", http.Header{"X-Prometheus-Scrape-Timeout-Seconds": {"-1"}}, "invalid X-Prometheus-Scrape-Timeout-Seconds"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, _, body := get(t, base+"/probe"+tt.query, tt.hdr)
			if status != http.StatusBadRequest || !strings.Contains(body, tt.want) {
				t.Errorf("GET /probe%s = %d %q, want 400 with %q", tt.query, status, body, tt.want)
			}
		})
	}
	if got := requests(t, reg, "bad_request"); got != float64(len(tests)) {
		t.Errorf("bad_request count = %v, want %d", got, len(tests))
	}
}

// TestProbeSaturated: a probe beyond Concurrency is answered 503 with
// Retry-After, at once, while the others run.
func TestProbeSaturated(t *testing.T) {
	arrived, release := make(chan struct{}), make(chan struct{})
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case arrived <- struct{}{}:
		default: // a second probe let through: the test fails below
		}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(slow.Close)
	base, reg := newHandlerMetrics(t, crawler.FetchConfig{AllowCIDRs: loopback}, probe.Config{Concurrency: 1})
	done := make(chan struct{})
	go func() {
		resp, err := http.Get(base + "/probe?target=" + url.QueryEscape(slow.URL))
		if err == nil {
			resp.Body.Close()
		}
		close(done)
	}()
	<-arrived
	status, hdr, body := get(t, base+"/probe?target="+url.QueryEscape(slow.URL), nil)
	close(release)
	<-done
	if status != http.StatusServiceUnavailable || hdr.Get("Retry-After") == "" {
		t.Errorf("second probe = %d (Retry-After %q) %q, want 503 with Retry-After", status, hdr.Get("Retry-After"), body)
	}
	// The slot is free again.
	fast := httptest.NewServer(site(t, "pass.html"))
	t.Cleanup(fast.Close)
	if got := scrape(t, base, fast.URL); got["beianwatch_probe_success"] != 1 {
		t.Errorf("probe after the slow one: %v, want success", got)
	}
	for result, want := range map[string]float64{"rejected": 1, "success": 1, "failure": 1, "bad_request": 0} {
		if got := requests(t, reg, result); got != want {
			t.Errorf("beianwatch_probe_requests_total{result=%q} = %v, want %v", result, got, want)
		}
	}
}

// TestProbeScrapeTimeout: Prometheus' scrape timeout bounds the probe: a
// site that never answers is a failed probe, answered in time for the
// scrape (here the 1 s the header allows, less the offset).
func TestProbeScrapeTimeout(t *testing.T) {
	hang := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }))
	t.Cleanup(hang.Close)
	base := newHandler(t, crawler.FetchConfig{AllowCIDRs: loopback}, probe.Config{})
	status, _, body := get(t, base+"/probe?debug=true&target="+url.QueryEscape(hang.URL),
		http.Header{"X-Prometheus-Scrape-Timeout-Seconds": {"1.5"}})
	if status != http.StatusOK || !strings.Contains(body, "beianwatch_probe_success 0") {
		t.Errorf("probe of a hanging site = %d\n%s\nwant a failed probe", status, body)
	}
	if !strings.Contains(body, "context deadline exceeded") && !strings.Contains(body, "timeout") {
		t.Errorf("debug answer does not say the probe ran out of time:\n%s", body)
	}
}

// TestProbeDebug: debug=true answers the report as `beianwatch check`
// prints it, and the metrics.
func TestProbeDebug(t *testing.T) {
	fail := httptest.NewServer(site(t, "fail.html"))
	t.Cleanup(fail.Close)
	base := newHandler(t, crawler.FetchConfig{AllowCIDRs: loopback}, probe.Config{})
	status, hdr, body := get(t, base+"/probe?debug=true&target="+url.QueryEscape(fail.URL), nil)
	if status != http.StatusOK || !strings.HasPrefix(hdr.Get("Content-Type"), "text/plain") {
		t.Fatalf("debug probe = %d %s", status, hdr.Get("Content-Type"))
	}
	for _, want := range []string{fail.URL, "Verdict:   FAIL", "ICP_MISSING", "Metrics that would have been returned:",
		`beianwatch_probe_verdict{verdict="fail"} 1`} {
		if !strings.Contains(body, want) {
			t.Errorf("debug answer lacks %q:\n%s", want, body)
		}
	}
}
