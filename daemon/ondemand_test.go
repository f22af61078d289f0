package daemon

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync/atomic"
	"testing"
	"time"

	"github.com/beianwatch/beianwatch/alerts"
	"github.com/beianwatch/beianwatch/cases"
	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/crawler"
	"github.com/beianwatch/beianwatch/registry"
	"github.com/beianwatch/beianwatch/registry/registrytest"
)

// TestCheckNowCounts: the console's "check now" (and the API's checks) is
// stored as a scheduled check is. After the scheduled check found the PSB
// badge missing (an alert fires, a rectification opens) and the customer
// put it back, one check on demand resolves the alert and fixes the case
// at once, not a recheck interval later.
func TestCheckNowCounts(t *testing.T) {
	ctx := context.Background()
	good := readFile(t, "testdata/site/compliant.html")
	badge := good[bytes.Index(good, []byte(`<a href="https://beian.mps.gov.cn`)):]
	badge = badge[:bytes.Index(badge, []byte("</a>"))+len("</a>")]
	bad := bytes.Replace(good, badge, nil, 1)
	var page atomic.Pointer[[]byte]
	page.Store(&bad)
	site := serveHTML(t, "", func() []byte { return *page.Load() })
	hook := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}))
	defer hook.Close()

	opts := testOptions(t)
	port := uint16(site.Listener.Addr().(*net.TCPAddr).Port)
	opts.Fetch.Resolve = append(opts.Fetch.Resolve,
		crawler.ResolveRule{Host: "fixed.test", Addr: netip.MustParseAddr("127.0.0.1"), Port: port})
	opts.Alerts = &alerts.Config{Receivers: []alerts.ReceiverConfig{{Name: "hook", Type: alerts.TypeWebhook, URL: alerts.SecretURL(hook.URL)}},
		DefaultReceivers: []string{"hook"}}
	opts.Cases.OpenAfter = 1
	st := registrytest.Open(t, opts.DSN, nil)
	if _, err := st.UpsertSites(ctx, []registry.Site{filedSite(t, "fixed.test", "京ICP备2021034567号-1", "11010502045678")}); err != nil {
		t.Fatal(err)
	}
	s, _, err := st.SiteByDomain(ctx, "fixed.test")
	if err != nil {
		t.Fatal(err)
	}
	d, _ := mustRunDaemon(t, opts)

	// The scheduled check: the badge is missing.
	var firing []registry.FiringAlert
	var open []cases.Case
	for deadline := time.Now().Add(20 * time.Second); !hasRule(firing, alerts.RuleSiteFailing) || len(open) == 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the scheduled check of a page without its badge: firing %v, rectifications %v; want one of each", firing, open)
		}
		if firing, err = st.FiringAlerts(ctx, "", 10); err != nil {
			t.Fatal(err)
		}
		if open, err = st.ListCases(ctx, registry.CaseFilter{Kind: cases.Rectification, SiteID: s.ID, Active: true}); err != nil {
			t.Fatal(err)
		}
	}

	// The customer fixes the page; someone checks it now.
	page.Store(&good)
	if err := d.CheckSite(ctx, s.ID); err != nil {
		t.Fatalf("CheckSite: %v", err)
	}
	_, state, err := st.SiteByID(ctx, s.ID)
	if err != nil {
		t.Fatal(err)
	}
	if state.Verdict != checker.VerdictPass {
		t.Fatalf("after the fix the check on demand stored %s %v, want pass", state.Verdict, state.Findings)
	}
	if firing, err = st.FiringAlerts(ctx, "", 10); err != nil {
		t.Fatal(err)
	}
	if hasRule(firing, alerts.RuleSiteFailing) {
		t.Errorf("%s still firing after a passing check on demand", alerts.RuleSiteFailing)
	}
	c, err := st.Case(ctx, open[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if c.State != cases.Fixed {
		t.Errorf("rectification %d is %s after a passing check on demand, want %s", c.ID, c.State, cases.Fixed)
	}
}

func hasRule(as []registry.FiringAlert, rule string) bool {
	for _, a := range as {
		if a.Rule == rule {
			return true
		}
	}
	return false
}
