package registry

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/beianwatch/beianwatch/checker"
)

func TestSameEntry(t *testing.T) {
	missing := checker.Finding{Code: "psb-missing", Severity: checker.SeverityError, Message: "no PSB number"}
	unlinked := checker.Finding{Code: "icp-not-linked", Severity: checker.SeverityWarning}
	base := Result{Verdict: checker.VerdictFail, FinalURL: "https://a.example.cn/", HTTPStatus: 200,
		Findings: []checker.Finding{missing, unlinked}, Numbers: "京ICP备2021000001号-1", Policy: "builtin",
		BodySHA256: "aa", Duration: time.Second, Evidence: "<footer>", CheckedAt: testNow}
	with := func(f func(r *Result)) Result {
		r := base
		r.Findings = append([]checker.Finding(nil), base.Findings...)
		f(&r)
		return r
	}
	tests := []struct {
		name        string
		next        Result
		bodyMatters bool
		want        bool
	}{
		{"identical", base, false, true},
		{"later, slower, other evidence", with(func(r *Result) {
			r.CheckedAt, r.Duration, r.Evidence = testNow.Add(time.Hour), 3*time.Second, "<div>"
		}), false, true},
		{"findings reordered, reworded", with(func(r *Result) {
			r.Findings = []checker.Finding{unlinked, {Code: "psb-missing", Severity: checker.SeverityError, Message: "other words"}}
		}), false, true},
		{"status in the same class", with(func(r *Result) { r.HTTPStatus = 203 }), false, true},
		{"body changed, no takedown", with(func(r *Result) { r.BodySHA256 = "bb" }), false, true},
		{"body changed under a takedown", with(func(r *Result) { r.BodySHA256 = "bb" }), true, false},
		{"verdict", with(func(r *Result) { r.Verdict = checker.VerdictPass }), false, false},
		{"finding gone", with(func(r *Result) { r.Findings = r.Findings[:1] }), false, false},
		{"severity", with(func(r *Result) { r.Findings[1].Severity = checker.SeverityError }), false, false},
		{"finding code", with(func(r *Result) { r.Findings[1].Code = "icp-hidden" }), false, false},
		{"numbers shown", with(func(r *Result) { r.Numbers = "京ICP备2021000002号-1" }), false, false},
		{"final URL", with(func(r *Result) { r.FinalURL = "https://b.example.cn/" }), false, false},
		{"status class", with(func(r *Result) { r.HTTPStatus = 301 }), false, false},
		{"policy", with(func(r *Result) { r.Policy = "strict.yaml@1a2b3c4d" }), false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := sameEntry(base, tt.next, tt.bodyMatters); got != tt.want {
				t.Errorf("sameEntry(%s) = %v, want %v", tt.name, got, tt.want)
			}
		})
	}
}

// TestHistoryFlips checks two sites a batch at a time, through
// CompleteBatch (PostgreSQL's array statements) and Complete (one site):
// pass, pass, fail ×3, pass ×2 leaves three entries, each with its first
// and last check and how many checks it stands for.
func TestHistoryFlips(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := mustOpenStore(t, dsn)
		ids := setUpSites(t, s, siteSetup{owner: "me", expires: time.Hour}, siteSetup{owner: "me", expires: time.Hour})
		verdicts := []checker.Verdict{"pass", "pass", "fail", "fail", "fail", "pass", "pass"}
		at := func(i int) time.Time { return testNow.Add(time.Duration(i) * 6 * time.Hour) }
		for i, v := range verdicts {
			if _, err := s.db.ExecContext(ctx, "UPDATE site_state SET lease_owner = 'me'"); err != nil {
				t.Fatal(err)
			}
			cs := make([]Completion, len(ids))
			for k, id := range ids {
				r := Result{SiteID: id, CheckedAt: at(i), FinalURL: "https://a.example.cn/", HTTPStatus: 200, Verdict: v,
					Duration: time.Duration(i) * time.Millisecond, BodySHA256: string(rune('a' + i))}
				if v == checker.VerdictFail {
					r.Findings = []checker.Finding{{Code: "psb-missing", Severity: checker.SeverityError}}
				}
				cs[k] = Completion{Result: r, Next: at(i + 1)}
			}
			if i%2 == 0 {
				errs, err := s.CompleteBatch(ctx, "me", cs)
				if err = errors.Join(append(errs, err)...); err != nil {
					t.Fatal(err)
				}
				continue
			}
			for _, c := range cs {
				if err := s.Complete(ctx, "me", c.Result, c.Next, c.Deadlines, c.BadgeShown); err != nil {
					t.Fatal(err)
				}
			}
		}
		want := []struct {
			verdict     checker.Verdict
			first, last time.Time
			count       int
		}{{"pass", at(5), at(6), 2}, {"fail", at(2), at(4), 3}, {"pass", at(0), at(1), 2}}
		for _, id := range ids {
			rs, err := s.Results(ctx, id, 0)
			if err != nil {
				t.Fatal(err)
			}
			if len(rs) != len(want) {
				t.Fatalf("site %d: %d history entries, want %d: %+v", id, len(rs), len(want), rs)
			}
			for i, w := range want {
				r := rs[i]
				if r.Verdict != w.verdict || !r.CheckedAt.Equal(w.first) || !r.LastSeenAt.Equal(w.last) || r.Count != w.count {
					t.Errorf("site %d entry %d = %s %v..%v ×%d, want %s %v..%v ×%d", id, i,
						r.Verdict, r.CheckedAt, r.LastSeenAt, r.Count, w.verdict, w.first, w.last, w.count)
				}
			}
		}
		// The state still saw every check.
		_, st := mustSite(t, s, "site0.example.cn")
		if !st.LastCheckAt.Equal(at(6)) {
			t.Errorf("state last check = %v, want %v", st.LastCheckAt, at(6))
		}
	})
}

func TestRecheck(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := mustOpenStore(t, dsn)
		// Three sites due in a day, one retired.
		ids := setUpSites(t, s, siteSetup{due: 24 * time.Hour}, siteSetup{due: 24 * time.Hour},
			siteSetup{due: 24 * time.Hour}, siteSetup{due: 24 * time.Hour, retired: true})
		if _, err := s.db.ExecContext(ctx, s.db.Rebind("UPDATE site_state SET verdict = 'fail' WHERE site_id = ?"), ids[0]); err != nil {
			t.Fatal(err)
		}
		due := func() int {
			n, err := s.DueCount(ctx, testNow)
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		if n := due(); n != 0 {
			t.Fatalf("due before recheck = %d, want 0", n)
		}
		if n, err := s.RecheckSites(ctx, checker.VerdictFail); err != nil || n != 1 || due() != 1 {
			t.Errorf("RecheckSites(fail) = %d, %v, due %d; want 1, 1", n, err, due())
		}
		if n, err := s.RecheckDomains(ctx, []string{"site1.example.cn", "SITE1.example.cn", "site3.example.cn"}); err != nil || n != 1 || due() != 2 {
			t.Errorf("RecheckDomains = %d, %v, due %d; want 1 (site3 retired), 2", n, err, due())
		}
		if _, err := s.RecheckDomains(ctx, []string{"site2.example.cn", "nowhere.example.cn"}); !errors.Is(err, ErrNotFound) || due() != 2 {
			t.Errorf("RecheckDomains(unknown) = %v, due %d; want ErrNotFound, 2", err, due())
		}
		if n, err := s.RecheckSites(ctx, ""); err != nil || n != 3 || due() != 3 {
			t.Errorf("RecheckSites(all) = %d, %v, due %d; want 3, 3", n, err, due())
		}
	})
}
