package registry

import (
	"context"
	"testing"
	"time"

	"github.com/beianwatch/beianwatch/checker"
)

// TestStateKeepsLastPass: a site's state says when it last passed and,
// while it fails, since when and for how many checks, whatever the
// history keeps (the export reads these for any number of sites).
func TestStateKeepsLastPass(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := mustOpenStore(t, dsn)
		caseSites(t, s)
		site, _, err := s.SiteByDomain(ctx, "site2.example.cn")
		if err != nil {
			t.Fatal(err)
		}
		t0 := time.Date(2026, 12, 1, 2, 0, 0, 0, time.UTC)
		check := func(i int, v checker.Verdict) *State {
			t.Helper()
			at := t0.Add(time.Duration(i) * time.Hour)
			r := Result{SiteID: site.ID, CheckedAt: at, Verdict: v, HTTPStatus: 200}
			if v == checker.VerdictFail {
				r.Findings = []checker.Finding{{Code: checker.CodePSBMissing, Severity: checker.SeverityError}}
			}
			if err := s.SaveResult(ctx, r, at.Add(time.Hour), checker.Deadlines{}, v == checker.VerdictPass); err != nil {
				t.Fatal(err)
			}
			_, st, err := s.SiteByID(ctx, site.ID)
			if err != nil {
				t.Fatal(err)
			}
			return st
		}
		check(0, checker.VerdictPass)
		check(1, checker.VerdictPass)
		check(2, checker.VerdictFail)
		check(3, checker.VerdictError) // unseen: neither ends nor extends the run
		st := check(4, checker.VerdictFail)
		if !st.LastPassAt.Equal(t0.Add(time.Hour)) || !st.FailingSince.Equal(t0.Add(2*time.Hour)) || st.FailStreak != 2 {
			t.Errorf("failing: last pass %v, failing since %v (%d checks); want %v, %v (2)",
				st.LastPassAt, st.FailingSince, st.FailStreak, t0.Add(time.Hour), t0.Add(2*time.Hour))
		}
		st = check(5, checker.VerdictPass)
		if !st.LastPassAt.Equal(t0.Add(5*time.Hour)) || !st.FailingSince.IsZero() || st.FailStreak != 0 {
			t.Errorf("passing again: last pass %v, failing since %v (%d); want %v, none", st.LastPassAt, st.FailingSince, st.FailStreak, t0.Add(5*time.Hour))
		}
	})
}
