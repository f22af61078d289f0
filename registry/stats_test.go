package registry

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/beianwatch/beianwatch/checker"
)

func TestStats(t *testing.T) {
	left := func(n int) *int { return &n }
	pending := func(n int) checker.Deadline {
		return checker.Deadline{Status: checker.DeadlinePending, Due: date(2026, 12, 1), DaysLeft: left(n)}
	}
	met := checker.Deadline{Status: checker.DeadlineMet, Due: date(2026, 4, 1)}
	missing := checker.Finding{Code: "PSB_MISSING", Severity: checker.SeverityError}
	warn := checker.Finding{Code: "ICP_LINK_MISSING", Severity: checker.SeverityWarning}
	checks := []struct {
		verdict  checker.Verdict
		findings []checker.Finding
		d        checker.Deadlines
	}{
		{checker.VerdictFail, []checker.Finding{missing, warn}, checker.Deadlines{PSBFiling: met, Badge: pending(0)}},
		{checker.VerdictFail, []checker.Finding{missing}, checker.Deadlines{PSBFiling: met, Badge: pending(2)}},
		{checker.VerdictPass, []checker.Finding{warn}, checker.Deadlines{PSBFiling: pending(5), Badge: met}},
		{checker.VerdictError, nil, checker.Deadlines{PSBFiling: pending(-1), Badge: pending(30)}},
	}
	forEachEngine(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := mustOpenStore(t, dsn)
		// Six sites: four checked, one never checked, one retired (not
		// counted), all due now but one checked and due later.
		ids := setUpSites(t, s, siteSetup{}, siteSetup{}, siteSetup{}, siteSetup{}, siteSetup{due: -time.Hour}, siteSetup{retired: true})
		for i, c := range checks {
			r := Result{SiteID: ids[i], CheckedAt: testNow.Add(time.Duration(i) * time.Minute), HTTPStatus: 200, Verdict: c.verdict, Findings: c.findings}
			next := testNow
			if i == 0 {
				next = testNow.Add(time.Hour)
			}
			if err := s.SaveResult(ctx, r, next, c.d, false); err != nil {
				t.Fatal(err)
			}
		}
		queueAlerts(t, s, []string{"k1"}, "am", "chat")
		// The unchecked site's deadlines as an import without dates leaves them.
		if _, err := s.db.Exec(s.db.Rebind(`UPDATE site_state SET psb_filing_status = 'unknown', psb_filing_days_left = NULL,
			badge_status = 'unknown', badge_days_left = NULL WHERE site_id = ?`), ids[4]); err != nil {
			t.Fatal(err)
		}

		got, err := s.Stats(ctx, testNow)
		if err != nil {
			t.Fatal(err)
		}
		want := &Stats{
			Verdicts: map[string]int{"fail": 2, "pass": 1, "error": 1, "unchecked": 1},
			Findings: map[FindingKey]int{{"PSB_MISSING", "error"}: 2, {"ICP_LINK_MISSING", "warning"}: 2},
			Deadlines: map[DeadlineKey]int{
				{"psb_filing", "met"}: 2, {"psb_filing", "pending"}: 2, {"psb_filing", "unknown"}: 1,
				{"badge", "pending"}: 3, {"badge", "met"}: 1, {"badge", "unknown"}: 1,
			},
			DueSoon:       map[DueSoonKey]int{},
			Due:           4,
			OldestDue:     testNow.Add(-time.Hour),
			LastCheck:     testNow.Add(time.Duration(len(checks)-1) * time.Minute),
			PendingAlerts: 2,
		}
		for _, k := range []string{"psb_filing", "badge"} {
			for _, w := range []string{"1d", "3d", "7d"} {
				want.DueSoon[DueSoonKey{k, w}] = 0
			}
		}
		want.DueSoon[DueSoonKey{"badge", "1d"}] = 1
		want.DueSoon[DueSoonKey{"badge", "3d"}] = 2
		want.DueSoon[DueSoonKey{"badge", "7d"}] = 2
		want.DueSoon[DueSoonKey{"psb_filing", "7d"}] = 1
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Stats (-want +got):\n%s", diff)
		}

		worst, err := s.WorstSites(ctx, 10)
		if err != nil {
			t.Fatal(err)
		}
		wantWorst := []SiteVerdict{{"site0.example.cn", "fail"}, {"site1.example.cn", "fail"}, {"site3.example.cn", "error"}}
		if diff := cmp.Diff(wantWorst, worst); diff != "" {
			t.Errorf("WorstSites (-want +got):\n%s", diff)
		}
		if worst, _ := s.WorstSites(ctx, 1); len(worst) != 1 {
			t.Errorf("WorstSites(1) = %v, want one", worst)
		}
	})
}
