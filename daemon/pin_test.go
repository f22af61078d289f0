package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/crawler"
	"github.com/beianwatch/beianwatch/registry"
	"github.com/beianwatch/beianwatch/registry/registrytest"
)

// serveOn serves page on addr ("127.0.0.2:0") and returns its port.
func serveOn(t *testing.T, addr string, page []byte) uint16 {
	t.Helper()
	return uint16(serveHTML(t, addr, fixed(page)).Listener.Addr().(*net.TCPAddr).Port)
}

// TestOnDemandChecksPinFiledIP: with --pin-filed-ip, the checks someone
// asks for (the API's, /probe) fetch a registered site from its filed
// address as the scheduler does, not from where DNS points.
func TestOnDemandChecksPinFiledIP(t *testing.T) {
	ctx := context.Background()
	filedPort := serveOn(t, "127.0.0.2:0", readFile(t, "testdata/site/compliant.html"))
	dnsPort := serveOn(t, "127.0.0.3:0", []byte(`<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><p>别处的页面</p></body></html>`))
	opts := testOptions(t)
	opts.Listen = "127.0.0.1:0"
	opts.PinFiledIP = true
	opts.Fetch.Resolve = append(opts.Fetch.Resolve,
		crawler.ResolveRule{Host: "pinned.test", Addr: netip.MustParseAddr("127.0.0.3"), Port: dnsPort})
	st := registrytest.Open(t, opts.DSN, nil)
	s := filedSite(t, "pinned.test", "京ICP备2021034567号-1", "11010502045678")
	s.IPs = []netip.Addr{netip.MustParseAddr("127.0.0.2")}
	if _, err := st.UpsertSites(ctx, []registry.Site{s}); err != nil {
		t.Fatal(err)
	}
	token, _, err := st.CreateToken(ctx, "ops", []string{"write", "probe"}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	d, _ := mustRunDaemon(t, opts)
	waitReady(t, d)
	target := fmt.Sprintf("http://pinned.test:%d/", filedPort)
	var r checker.Report
	_, body := apiCall(t, d, token, http.MethodPost, "/api/v1/checks", `{"target":"`+target+`"}`)
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatalf("POST /api/v1/checks: %s (%v)", body, err)
	}
	if r.Verdict != checker.VerdictPass {
		t.Errorf("the API's check of a pinned site: %s %v (error %q); want pass, from the filed address", r.Verdict, r.Findings, r.Error)
	}
	if _, body := apiCall(t, d, token, http.MethodGet, "/probe?target="+target, ""); !strings.Contains(body, "beianwatch_probe_success 1") {
		t.Errorf("/probe of a pinned site:\n%s\nwant success, from the filed address", body)
	}
}
