package alerts

import (
	"context"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

func wecom(name string) ReceiverConfig {
	return ReceiverConfig{Name: name, Type: TypeWeCom, URL: SecretURL("http://127.0.0.1:1/" + name)}
}

func TestRoute(t *testing.T) {
	c := Config{
		Receivers: []ReceiverConfig{wecom("a"), wecom("b"), wecom("c"), wecom("d")},
		Routes: []Route{
			{Match: Match{Severity: []Severity{SeverityCritical}}, Receivers: []string{"a"}, Continue: true},
			{Match: Match{Tags: []string{"vip"}}, Receivers: []string{"b", "a"}},
			{Match: Match{Rules: []string{RuleSiteFailing}, Codes: []string{"PSB_MISSING", "ICP_MISSING"}, Domains: []string{"example.cn"}}, Receivers: []string{"c"}},
		},
		DefaultReceivers: []string{"d"},
	}
	rt, err := c.Build(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		a    Alert
		want []string
	}{
		{"critical vip: continue, then stop at the vip route", Alert{Severity: SeverityCritical, Tags: []string{"x", "vip"}}, []string{"a", "b"}},
		{"critical only: matched, no default", Alert{Severity: SeverityCritical}, []string{"a"}},
		{"critical, failing on a listed code", Alert{Severity: SeverityCritical, Rule: RuleSiteFailing, Domain: "example.cn", Codes: []string{"HTTPS_FAILED", "ICP_MISSING"}}, []string{"a", "c"}},
		{"every field must match", Alert{Rule: RuleSiteFailing, Domain: "other.cn", Codes: []string{"ICP_MISSING"}}, []string{"d"}},
		{"vip warning", Alert{Severity: SeverityWarning, Tags: []string{"vip"}}, []string{"b", "a"}},
		{"nothing matches: defaults", Alert{Severity: SeverityInfo}, []string{"d"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, rt.Route(tt.a)); diff != "" {
			t.Errorf("%s: Route (-want +got):\n%s", tt.name, diff)
		}
	}
	if _, ok := rt.Receiver("b"); !ok {
		t.Error(`Receiver("b") not found`)
	}
	if _, ok := rt.Receiver("zz"); ok {
		t.Error(`Receiver("zz") found`)
	}
}

// TestDeliveryMetrics counts one delivery per Notify call by result, on
// the injected registry; a second Build (a reload) shares the counter.
func TestDeliveryMetrics(t *testing.T) {
	ok := newRecorder(t, 200, `{"errcode":0,"errmsg":"ok"}`, 0)
	limited := newRecorder(t, 200, `{"errcode":45009,"errmsg":"api freq out of limit"}`, 0)
	bad := newRecorder(t, 200, `{"errcode":93000,"errmsg":"invalid webhook url"}`, 0)
	c := Config{
		Receivers: []ReceiverConfig{
			{Name: "ok", Type: TypeWeCom, URL: SecretURL(ok.URL)},
			{Name: "limited", Type: TypeWeCom, URL: SecretURL(limited.URL)},
			{Name: "bad", Type: TypeWeCom, URL: SecretURL(bad.URL)},
		},
		DefaultReceivers: []string{"ok"},
	}
	reg := prometheus.NewRegistry()
	rt, err := c.Build(nil, reg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Build(nil, reg); err != nil {
		t.Fatalf("second Build on the same registry: %v", err)
	}
	for _, name := range []string{"ok", "ok", "limited", "bad"} {
		r, _ := rt.Receiver(name)
		r.Notify(context.Background(), sampleAlerts()[0])
	}
	want := `# HELP beianwatch_alert_deliveries_total Alert deliveries (one per Notify call, a batch of alerts to one receiver), by receiver and result: success, retry (failed, to be retried) or failure (failed for good).
# TYPE beianwatch_alert_deliveries_total counter
beianwatch_alert_deliveries_total{receiver="bad",result="failure"} 1
beianwatch_alert_deliveries_total{receiver="bad",result="retry"} 0
beianwatch_alert_deliveries_total{receiver="bad",result="success"} 0
beianwatch_alert_deliveries_total{receiver="limited",result="failure"} 0
beianwatch_alert_deliveries_total{receiver="limited",result="retry"} 1
beianwatch_alert_deliveries_total{receiver="limited",result="success"} 0
beianwatch_alert_deliveries_total{receiver="ok",result="failure"} 0
beianwatch_alert_deliveries_total{receiver="ok",result="retry"} 0
beianwatch_alert_deliveries_total{receiver="ok",result="success"} 2
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "beianwatch_alert_deliveries_total"); err != nil {
		t.Error(err)
	}
}
