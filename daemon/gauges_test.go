package daemon

import (
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/registry"
	"github.com/beianwatch/beianwatch/registry/registrytest"
)

// TestRegistryGauges reads the gauges of a small registry through a real
// Prometheus registry, as a scrape would.
func TestRegistryGauges(t *testing.T) {
	ctx := context.Background()
	st := registrytest.Open(t, "sqlite://"+filepath.Join(t.TempDir(), "r.db"), nil)
	var sites []registry.Site
	for _, d := range []string{"a.cn", "b.cn", "c.cn"} {
		sites = append(sites, registry.Site{Name: d, Domains: []registry.Domain{{Unicode: d, ASCII: d}}, Active: true})
	}
	if _, err := st.UpsertSites(ctx, sites); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for d, v := range map[string]checker.Verdict{"a.cn": checker.VerdictFail, "b.cn": checker.VerdictError} {
		s, _, err := st.SiteByDomain(ctx, d)
		if err != nil {
			t.Fatal(err)
		}
		r := registry.Result{SiteID: s.ID, CheckedAt: now, Verdict: v, HTTPStatus: 200,
			Findings: []checker.Finding{{Code: checker.CodeICPMissing, Severity: checker.SeverityError}}}
		if err := st.SaveResult(ctx, r, now.Add(time.Hour), checker.Deadlines{}, false); err != nil {
			t.Fatal(err)
		}
	}
	reg := prometheus.NewRegistry()
	g, err := newRegistryGauges(st, st, 1, time.Minute, slog.New(slog.DiscardHandler), reg)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := testutil.GatherAndCount(reg, "beianwatch_sites"); n != 0 {
		t.Errorf("beianwatch_sites has %d series before the first read, want none", n)
	}
	g.refresh(ctx)
	want := `
# HELP beianwatch_sites Active sites by latest verdict (unchecked: never checked yet). Registry-wide: every replica reports the same value.
# TYPE beianwatch_sites gauge
beianwatch_sites{verdict="error"} 1
beianwatch_sites{verdict="fail"} 1
beianwatch_sites{verdict="pass"} 0
beianwatch_sites{verdict="unchecked"} 1
# HELP beianwatch_scheduler_due_sites Sites due for a check and not leased by any replica. Registry-wide.
# TYPE beianwatch_scheduler_due_sites gauge
beianwatch_scheduler_due_sites 1
# HELP beianwatch_site_verdict 1 for each of the worst sites (--per-site-metrics): failing first, then unreachable.
# TYPE beianwatch_site_verdict gauge
beianwatch_site_verdict{domain="a.cn",verdict="fail"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want), "beianwatch_sites", "beianwatch_scheduler_due_sites", "beianwatch_site_verdict"); err != nil {
		t.Error(err)
	}
	// The ICP_MISSING series counts the two sites; every other code is at zero.
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "beianwatch_findings" {
			continue
		}
		if len(mf.Metric) != len(checker.Codes()) {
			t.Errorf("beianwatch_findings has %d series, want one per code (%d)", len(mf.Metric), len(checker.Codes()))
		}
		for _, m := range mf.Metric {
			want := 0.0
			if m.Label[0].GetValue() == checker.CodeICPMissing {
				want = 2
			}
			if m.GetGauge().GetValue() != want {
				t.Errorf("beianwatch_findings%v = %v, want %v", m.Label, m.GetGauge().GetValue(), want)
			}
		}
	}
}
