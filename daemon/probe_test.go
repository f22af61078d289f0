package daemon

import (
	"context"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/beianwatch/beianwatch/crawler"
	"github.com/beianwatch/beianwatch/registry"
	"github.com/beianwatch/beianwatch/registry/registrytest"
)

// TestDaemonProbe: the daemon serves /probe behind the API's tokens; a
// registered site is judged against the registry's numbers, any other
// target without expectations, both through the crawl's address rule.
func TestDaemonProbe(t *testing.T) {
	page := readFile(t, "testdata/site/compliant.html")
	site := serveHTML(t, "", fixed(page))
	opts := testOptions(t)
	opts.Listen = "127.0.0.1:0"
	for _, host := range []string{"filed.test", "other.test"} {
		r, err := crawler.ParseResolve(host + ":" + site.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		opts.Fetch.Resolve = append(opts.Fetch.Resolve, r)
	}
	st := registrytest.Open(t, opts.DSN, nil)
	probeToken, _, err := st.CreateToken(context.Background(), "prometheus", []string{"probe"}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	readToken, _, err := st.CreateToken(context.Background(), "reader", []string{"read"}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	// The registry files another number than the page shows.
	s := filedSite(t, "filed.test", "京ICP备2021099999号-1", "11010502045678")
	if _, err := st.UpsertSites(context.Background(), []registry.Site{s}); err != nil {
		t.Fatal(err)
	}
	d, _ := mustRunDaemon(t, opts)
	base := "http://" + d.Addr().String()
	probe := func(target, token string) (int, map[string]float64) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, base+"/probe?target="+target, nil)
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusOK {
			return resp.StatusCode, nil
		}
		parser := expfmt.NewTextParser(model.UTF8Validation)
		mfs, err := parser.TextToMetricFamilies(strings.NewReader(string(body)))
		if err != nil {
			t.Fatalf("probe %s: %v\n%s", target, err, body)
		}
		out := map[string]float64{}
		for name, mf := range mfs {
			for _, m := range mf.Metric {
				key := name
				for _, l := range m.Label {
					key += "," + l.GetName() + "=" + l.GetValue()
				}
				out[key] = m.GetGauge().GetValue()
			}
		}
		return resp.StatusCode, out
	}
	if code, _ := probe("other.test", ""); code != http.StatusUnauthorized {
		t.Errorf("/probe without a token = %d, want 401", code)
	}
	if code, _ := probe("other.test", "bw_wrong"); code != http.StatusUnauthorized {
		t.Errorf("/probe with a wrong token = %d, want 401", code)
	}
	if code, _ := probe("other.test", readToken); code != http.StatusForbidden {
		t.Errorf("/probe with a read token = %d, want 403", code)
	}
	if code, got := probe("other.test", probeToken); code != http.StatusOK || got["beianwatch_probe_success"] != 1 {
		t.Errorf("/probe of an unregistered passing page = %d %v, want success", code, got)
	}
	code, got := probe("filed.test", probeToken)
	if code != http.StatusOK || got["beianwatch_probe_success"] != 0 || got["beianwatch_probe_findings,code=ICP_MISMATCH,severity=error"] != 1 {
		t.Errorf("/probe of a registered site showing another number = %d %v, want ICP_MISMATCH", code, got)
	}
	// An address, not a domain: no registry lookup, the crawl's address
	// rule refuses it (metadata stays refused under AllowPrivate).
	req, _ := http.NewRequest(http.MethodGet, base+"/probe?debug=true&target=169.254.169.254", nil)
	req.Header.Set("Authorization", "Bearer "+probeToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), "beianwatch_probe_success 0") || !strings.Contains(string(body), "refusing to connect") {
		t.Errorf("/probe of the metadata address:\n%s\nwant a failed probe refused by the address rule", body)
	}
	resp, err = http.Get(base + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("/healthz = %d: it stays open", resp.StatusCode)
	}
}
