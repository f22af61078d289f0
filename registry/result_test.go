package registry

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/beianwatch/beianwatch/checker"
)

// saveResult records r with the site's own deadlines at its time.
func saveResult(t testing.TB, s *Store, r Result, badgeShown bool) {
	t.Helper()
	err := s.SaveResult(context.Background(), r, r.CheckedAt.Add(24*time.Hour), checker.Deadlines{}, badgeShown)
	if err != nil {
		t.Fatalf("SaveResult: %v", err)
	}
}

func TestSaveResultState(t *testing.T) {
	at := func(h int) time.Time { return testNow.Add(time.Duration(h) * time.Hour) }
	left := func(n int) *int { return &n }
	deadlines := checker.Deadlines{
		PSBFiling: checker.Deadline{Status: checker.DeadlineMet, Due: date(2026, 4, 1)},
		Badge:     checker.Deadline{Status: checker.DeadlinePending, Due: date(2026, 12, 1), DaysLeft: left(4)},
	}
	finding := checker.Finding{Code: "psb-missing", Severity: checker.SeverityError, Message: "no PSB number", Evidence: "<footer>…</footer>"}
	// Each step is one check, and the state it leaves; they run in order
	// on one site.
	steps := []struct {
		name   string
		result Result
		shown  bool
		want   State
	}{{
		name:   "unreachable",
		result: Result{CheckedAt: at(1), Verdict: checker.VerdictError, Error: "dial: refused"},
		want:   State{Verdict: checker.VerdictError, LastCheckAt: at(1), ConsecutiveFailures: 1},
	}, {
		name:   "unreachable again",
		result: Result{CheckedAt: at(2), Verdict: checker.VerdictError, HTTPStatus: 503},
		want:   State{Verdict: checker.VerdictError, LastCheckAt: at(2), ConsecutiveFailures: 2},
	}, {
		name:   "live, no badge",
		result: Result{CheckedAt: at(3), Verdict: checker.VerdictFail, HTTPStatus: 200, Findings: []checker.Finding{finding}},
		want: State{Verdict: checker.VerdictFail, Findings: []checker.Finding{finding}, LastCheckAt: at(3),
			FirstLiveAt: at(3), BadgeLastMissingAt: at(3), FailingSince: at(3), FailStreak: 1},
	}, {
		name:   "badge shown",
		result: Result{CheckedAt: at(4), Verdict: checker.VerdictPass, HTTPStatus: 200},
		shown:  true,
		want: State{Verdict: checker.VerdictPass, LastCheckAt: at(4), LastPassAt: at(4),
			FirstLiveAt: at(3), BadgeLastMissingAt: at(3), BadgeFirstSeenAt: at(4), BadgeShown: true},
	}, {
		name:   "badge gone again",
		result: Result{CheckedAt: at(5), Verdict: checker.VerdictFail, HTTPStatus: 301},
		want: State{Verdict: checker.VerdictFail, LastCheckAt: at(5), LastPassAt: at(4),
			FirstLiveAt: at(3), BadgeLastMissingAt: at(5), BadgeFirstSeenAt: at(4), FailingSince: at(5), FailStreak: 1},
	}, {
		name:   "badge back",
		result: Result{CheckedAt: at(6), Verdict: checker.VerdictPass, HTTPStatus: 200},
		shown:  true,
		want: State{Verdict: checker.VerdictPass, LastCheckAt: at(6), LastPassAt: at(6),
			FirstLiveAt: at(3), BadgeLastMissingAt: at(5), BadgeFirstSeenAt: at(4), BadgeShown: true},
	}, {
		name:   "error keeps the badge proof",
		result: Result{CheckedAt: at(7), Verdict: checker.VerdictError, HTTPStatus: 404},
		want: State{Verdict: checker.VerdictError, LastCheckAt: at(7), ConsecutiveFailures: 1, LastPassAt: at(6),
			FirstLiveAt: at(3), BadgeLastMissingAt: at(5), BadgeFirstSeenAt: at(4), BadgeShown: true},
	}}
	forEachEngine(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := mustOpenStore(t, dsn)
		mustUpsert(t, s, exampleSite(1))
		site, _ := mustSite(t, s, "site1.example.cn")
		// A crawler holds the lease; saving the result releases it.
		_, err := s.db.Exec(s.db.Rebind("UPDATE site_state SET lease_owner = ?, lease_expires_at = ? WHERE site_id = ?"), "crawler-1", ts(at(1)), site.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, step := range steps {
			r := step.result
			r.SiteID = site.ID
			next := r.CheckedAt.Add(6 * time.Hour)
			if err := s.SaveResult(ctx, r, next, deadlines, step.shown); err != nil {
				t.Fatalf("%s: SaveResult: %v", step.name, err)
			}
			_, got := mustSite(t, s, "site1.example.cn")
			want := step.want
			want.SiteID, want.NextCheckAt, want.Deadlines = site.ID, next, deadlines
			if diff := cmp.Diff(&want, got); diff != "" {
				t.Errorf("%s: state (-want +got):\n%s", step.name, diff)
			}
		}

		rs, err := s.Results(ctx, site.ID, 0)
		if err != nil || len(rs) != len(steps) {
			t.Fatalf("Results = %d results, %v; want %d", len(rs), err, len(steps))
		}
		for i, r := range rs {
			if want := steps[len(steps)-1-i].result.CheckedAt; !r.CheckedAt.Equal(want) {
				t.Errorf("Results[%d] checked at %v, want %v (newest first)", i, r.CheckedAt, want)
			}
		}
		if rs, _ := s.Results(ctx, site.ID, 2); len(rs) != 2 || !rs[0].CheckedAt.Equal(at(7)) {
			t.Errorf("Results(limit 2) = %d results, want the 2 newest", len(rs))
		}
	})
}

func TestSaveResultRoundTrip(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := mustOpenStore(t, dsn)
		mustUpsert(t, s, exampleSite(1))
		site, _ := mustSite(t, s, "site1.example.cn")
		want := Result{
			SiteID: site.ID,
			// Kept to the microsecond, in UTC, whatever the zone given.
			CheckedAt:  time.Date(2026, 11, 28, 0, 30, 0, 123456789, checker.CST),
			Target:     "中文.中国",
			FinalURL:   "https://xn--fiq228c.xn--fiqs8s/",
			HTTPStatus: 200,
			Verdict:    checker.VerdictFail,
			Findings: []checker.Finding{{Code: "icp-not-linked", Severity: checker.SeverityError,
				Message: "not linked", MessageZH: "未链接", Evidence: `<a href="x">京ICP备2021000001号-1</a>`, Path: "footer > a"}},
			Evidence:   `<div>"quotes" \ backslash	tab</div>`,
			BodySHA256: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
			Duration:   1234 * time.Millisecond,
			Error:      "",
			Policy:     "strict.yaml@1a2b3c4d",
			Numbers:    "11010502000001 京ICP备2021000001号-1",
		}
		if err := s.SaveResult(ctx, want, testNow, checker.Deadlines{}, false); err != nil {
			t.Fatal(err)
		}
		rs, err := s.Results(ctx, site.ID, 1)
		if err != nil || len(rs) != 1 {
			t.Fatalf("Results = %v, %v", rs, err)
		}
		want.ID = rs[0].ID
		want.CheckedAt = time.Date(2026, 11, 27, 16, 30, 0, 123456000, time.UTC)
		want.LastSeenAt, want.Count = want.CheckedAt, 1
		if diff := cmp.Diff(want, rs[0]); diff != "" {
			t.Errorf("Results round trip (-want +got):\n%s", diff)
		}
	})
}

func TestSaveResultUnknownSite(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dsn string) {
		s := mustOpenStore(t, dsn)
		err := s.SaveResult(context.Background(), Result{SiteID: 42, CheckedAt: testNow, Verdict: checker.VerdictPass}, testNow, checker.Deadlines{}, false)
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("SaveResult(site 42) = %v, want ErrNotFound", err)
		}
		if rs, err := s.Results(context.Background(), 42, 0); err != nil || len(rs) != 0 {
			t.Errorf("Results(42) = %v, %v; want none", rs, err)
		}
	})
}

// TestResultPolicyLegacy: a check stored without a policy (as before
// migration 00007) reads back as judged under "legacy".
func TestResultPolicyLegacy(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := mustOpenStore(t, dsn)
		mustUpsert(t, s, exampleSite(1))
		site, _ := mustSite(t, s, "site1.example.cn")
		cols := "site_id, checked_at, target, final_url, http_status, verdict, findings, evidence, body_sha256, duration_ms, error"
		_, err := s.db.ExecContext(ctx, s.db.Rebind("INSERT INTO check_results ("+cols+") VALUES (?, ?, 't', '', 200, 'pass', '[]', '', '', 0, '')"),
			site.ID, ts(testNow))
		if err != nil {
			t.Fatal(err)
		}
		rs, err := s.Results(ctx, site.ID, 1)
		if err != nil || len(rs) != 1 || rs[0].Policy != "legacy" {
			t.Errorf("Results = %+v, %v; want one judged under legacy", rs, err)
		}
	})
}
