package alerts

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/beianwatch/beianwatch/internal/amtest"
)

// gettableAlert is the part of API v2's gettableAlert the test reads.
type gettableAlert struct {
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	StartsAt    time.Time         `json:"startsAt"`
	EndsAt      time.Time         `json:"endsAt"`
	Status      struct {
		State string `json:"state"`
	} `json:"status"`
}

// activeAlerts reads GET /api/v2/alerts (active alerts only, the
// default filter drops resolved ones).
func activeAlerts(t *testing.T, base string) []gettableAlert {
	t.Helper()
	resp, err := http.Get(base + "/api/v2/alerts")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /api/v2/alerts: %s", resp.Status)
	}
	var as []gettableAlert
	if err := json.NewDecoder(resp.Body).Decode(&as); err != nil {
		t.Fatal(err)
	}
	return as
}

// TestRealAlertmanager posts to Debian's prometheus-alertmanager: a
// firing alert shows once (however often it is re-sent) with our labels
// and annotations, a resolved one is no longer active, and a restarted
// Alertmanager gets the alert back from the next re-send.
func TestRealAlertmanager(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an Alertmanager: skipped with -short")
	}
	s := amtest.New(t)
	ctx := context.Background()
	am := &Alertmanager{URLs: []string{s.URL}, Resend: time.Minute, Language: LanguageBoth}
	start := time.Now().Add(-time.Minute).UTC().Truncate(time.Second)
	a := Alert{
		Key: "site_failing/example.cn", Rule: RuleSiteFailing, Status: StatusFiring, Severity: SeverityCritical,
		Domain: "example.cn", Codes: []string{"ICP_MISSING", "PSB_NOT_LINKED"}, Tags: []string{"vip"},
		Labels: map[string]string{"within-days": "7"}, Values: map[string]string{ValueConsecutiveFailures: "2"},
		StartsAt: start, GeneratorURL: "http://127.0.0.1:9325/sites/example.cn",
	}
	for range 2 { // a re-send is the same alert
		if retry, err := am.Notify(ctx, a); err != nil {
			t.Fatalf("Notify firing = (%v, %v)\n%s", retry, err, s.Log())
		}
	}
	got := activeAlerts(t, s.URL)
	if len(got) != 1 {
		t.Fatalf("Alertmanager holds %d alerts, want 1: %+v", len(got), got)
	}
	g := got[0]
	wantLabels := map[string]string{"alertname": "BeianwatchSiteFailing", "rule": "site_failing", "severity": "critical",
		"domain": "example.cn", "within_days": "7"}
	if len(g.Labels) != len(wantLabels) {
		t.Errorf("labels = %v, want %v", g.Labels, wantLabels)
	}
	for k, v := range wantLabels {
		if g.Labels[k] != v {
			t.Errorf("label %s = %q, want %q", k, g.Labels[k], v)
		}
	}
	wantAnn := map[string]string{"summary": "example.cn fails the filing check", "summary_zh": "example.cn 备案检查未通过",
		"codes": "ICP_MISSING,PSB_NOT_LINKED", "tags": "vip", "key": "site_failing/example.cn"}
	for k, v := range wantAnn {
		if g.Annotations[k] != v {
			t.Errorf("annotation %s = %q, want %q", k, g.Annotations[k], v)
		}
	}
	if g.Annotations["description"] == "" || g.Annotations["description_zh"] == "" {
		t.Errorf("descriptions missing: %v", g.Annotations)
	}
	if g.Status.State != "active" || !g.StartsAt.Equal(start) {
		t.Errorf("state %q, startsAt %v; want active since %v", g.Status.State, g.StartsAt, start)
	}
	if d := time.Until(g.EndsAt); d < 3*time.Minute || d > 4*time.Minute+time.Second {
		t.Errorf("endsAt in %v, want about 4×Resend", d)
	}

	// Alertmanager keeps alerts in memory: after a restart only the next
	// re-send brings the alert back; while it is down a send is retryable.
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if retry, err := am.Notify(ctx, a); err == nil || !retry {
		t.Errorf("Notify to a stopped Alertmanager = (%v, %v), want a retryable error", retry, err)
	}
	sctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := s.Start(sctx); err != nil {
		t.Fatal(err)
	}
	if retry, err := am.Notify(ctx, a); err != nil {
		t.Fatalf("Notify after restart = (%v, %v)", retry, err)
	}
	if got := activeAlerts(t, s.URL); len(got) != 1 {
		t.Fatalf("after restart and re-send: %d alerts, want 1", len(got))
	}

	a.Status, a.EndsAt = StatusResolved, time.Now().UTC()
	if retry, err := am.Notify(ctx, a); err != nil {
		t.Fatalf("Notify resolved = (%v, %v)", retry, err)
	}
	if got := activeAlerts(t, s.URL); len(got) != 0 {
		t.Errorf("after resolving: %d active alerts, want 0: %+v", len(got), got)
	}
}
