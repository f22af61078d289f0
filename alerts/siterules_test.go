package alerts

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/beianwatch/beianwatch/checker"
)

// TestSiteRulesSequence runs checks of one site in order through Desired
// and Reconcile, as the registry does, and lists the changes each makes.
func TestSiteRulesSequence(t *testing.T) {
	left := func(n int) *int { return &n }
	due := checker.Date{Year: 2026, Month: 12, Day: 10}
	pending := func(n int) checker.Deadlines {
		return checker.Deadlines{Badge: checker.Deadline{Status: checker.DeadlinePending, Due: due, DaysLeft: left(n)}}
	}
	missing := checker.Finding{Code: "PSB_BADGE_MISSING", Severity: checker.SeverityError}
	warn := checker.Finding{Code: "ICP_LINK_MISSING", Severity: checker.SeverityWarning}
	steps := []struct {
		name string
		v    SiteView
		want []string // "status key"
	}{
		{"pass", SiteView{Verdict: checker.VerdictPass}, nil},
		{"fails", SiteView{Verdict: checker.VerdictFail, Findings: []checker.Finding{missing, warn}}, []string{"firing site_failing/x.cn"}},
		{"fails again: no repeat", SiteView{Verdict: checker.VerdictFail, Findings: []checker.Finding{missing}}, nil},
		{"error: failing stays", SiteView{Verdict: checker.VerdictError, ConsecutiveErrors: 1}, nil},
		{"error twice", SiteView{Verdict: checker.VerdictError, ConsecutiveErrors: 2}, nil},
		{"error thrice: unreachable", SiteView{Verdict: checker.VerdictError, ConsecutiveErrors: 3, Error: "timeout"}, []string{"firing site_unreachable/x.cn"}},
		{"error 4", SiteView{Verdict: checker.VerdictError, ConsecutiveErrors: 4}, nil},
		{"passes: both resolve", SiteView{Verdict: checker.VerdictPass}, []string{"resolved site_failing/x.cn", "resolved site_unreachable/x.cn"}},
		{"deadline 9 days away", SiteView{Verdict: checker.VerdictPass, Deadlines: pending(9)}, nil},
		{"enters 7 days", SiteView{Verdict: checker.VerdictPass, Deadlines: pending(7)}, []string{"firing deadline_due_soon/x.cn/badge/7d"}},
		{"6 days", SiteView{Verdict: checker.VerdictPass, Deadlines: pending(6)}, nil},
		{"enters 3 days", SiteView{Verdict: checker.VerdictPass, Deadlines: pending(3)}, []string{"firing deadline_due_soon/x.cn/badge/3d", "resolved deadline_due_soon/x.cn/badge/7d"}},
		{"skips to 0 days", SiteView{Verdict: checker.VerdictPass, Deadlines: pending(0)}, []string{"firing deadline_due_soon/x.cn/badge/1d", "resolved deadline_due_soon/x.cn/badge/3d"}},
		{"missed", SiteView{Verdict: checker.VerdictFail, Findings: []checker.Finding{missing},
			Deadlines: checker.Deadlines{Badge: checker.Deadline{Status: checker.DeadlineOverdue, Due: due, DaysLeft: left(-1)}}},
			[]string{"firing site_failing/x.cn", "firing deadline_missed/x.cn/badge", "resolved deadline_due_soon/x.cn/badge/1d"}},
		{"met late", SiteView{Verdict: checker.VerdictPass, Deadlines: checker.Deadlines{Badge: checker.Deadline{Status: checker.DeadlineMetLate, Due: due}}},
			[]string{"resolved site_failing/x.cn", "resolved deadline_missed/x.cn/badge"}},
	}
	var firing []Alert
	for i, s := range steps {
		now := time.Date(2026, 12, 1, i, 0, 0, 0, time.UTC)
		s.v.Key, s.v.Domain, s.v.CheckedAt = "x.cn", "x.cn", now
		desired, unjudged := SiteRules{}.Desired(s.v)
		changes := Reconcile(desired, unjudged, firing, now)
		var got []string
		for _, c := range changes {
			got = append(got, fmt.Sprintf("%s %s", c.Status, c.Key))
			if c.Status == StatusResolved && !c.EndsAt.Equal(now) {
				t.Errorf("%s: %s resolved at %v, want %v", s.name, c.Key, c.EndsAt, now)
			}
		}
		if diff := cmp.Diff(s.want, got); diff != "" {
			t.Errorf("%s: changes (-want +got):\n%s", s.name, diff)
		}
		// Apply the changes, as the registry does.
		for _, c := range changes {
			switch c.Status {
			case StatusFiring:
				firing = append(firing, c)
			case StatusResolved:
				for j, f := range firing {
					if f.Key == c.Key {
						firing = append(firing[:j], firing[j+1:]...)
						break
					}
				}
			}
		}
	}
}

func TestSiteRulesAlert(t *testing.T) {
	v := SiteView{Key: "xn--fiq228c.cn", Domain: "中文.cn", Tags: []string{"vip"}, Verdict: checker.VerdictFail,
		CheckedAt: time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC),
		Findings: []checker.Finding{{Code: "PSB_MISSING", Severity: checker.SeverityError}, {Code: "ICP_MISSING", Severity: checker.SeverityError},
			{Code: "PSB_MISSING", Severity: checker.SeverityError}, {Code: "X", Severity: checker.SeverityWarning}}}
	rules := SiteRules{GeneratorURL: func(d string) string { return "http://beianwatch/sites/" + d }}
	got, _ := rules.Desired(v)
	want := []Alert{{Key: "site_failing/xn--fiq228c.cn", Rule: RuleSiteFailing, Status: StatusFiring, Severity: SeverityCritical,
		Domain: "中文.cn", Codes: []string{"PSB_MISSING", "ICP_MISSING"}, Tags: []string{"vip"}, StartsAt: v.CheckedAt,
		GeneratorURL: "http://beianwatch/sites/中文.cn"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Desired (-want +got):\n%s", diff)
	}
}
