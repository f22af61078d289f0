package alerts

import (
	"slices"
	"strconv"
	"time"

	"github.com/beianwatch/beianwatch/checker"
)

// SiteView is what the site rules read of a site after a check.
type SiteView struct {
	// Key names the site in alert keys: its primary domain, ASCII form.
	Key string
	// Domain is the primary domain as people read it (Unicode form).
	Domain string
	Tags   []string
	// CheckedAt is the check's time: a new alert starts then.
	CheckedAt time.Time
	Verdict   checker.Verdict
	Findings  []checker.Finding
	// Error says why the check could not judge the site, if it could not.
	Error string
	// ConsecutiveErrors counts checks in a row that ended in error.
	ConsecutiveErrors int
	Deadlines         checker.Deadlines
}

// SiteRules decide which of a site's alerts fire. The zero value uses the
// defaults.
type SiteRules struct {
	// UnreachableAfter is how many checks in a row must end in error
	// before site_unreachable fires (default 3).
	UnreachableAfter int
	// GeneratorURL, if set, links an alert to the site's page.
	GeneratorURL func(domain string) string
}

// Desired returns the site's alerts that should be firing after the check
// v, and the rules that the check could not judge: a firing alert of such
// a rule stays as it is (an unreachable site is not known to be fixed).
func (r SiteRules) Desired(v SiteView) (firing []Alert, unjudged []string) {
	after := r.UnreachableAfter
	if after <= 0 {
		after = 3
	}
	base := func(rule string, sev Severity, key string) Alert {
		a := Alert{Key: rule + "/" + key, Rule: rule, Status: StatusFiring, Severity: sev,
			Domain: v.Domain, Tags: v.Tags, StartsAt: v.CheckedAt}
		if r.GeneratorURL != nil {
			a.GeneratorURL = r.GeneratorURL(v.Domain)
		}
		return a
	}
	switch v.Verdict {
	case checker.VerdictFail:
		a := base(RuleSiteFailing, SeverityCritical, v.Key)
		for _, f := range v.Findings {
			if f.Severity == checker.SeverityError && !slices.Contains(a.Codes, f.Code) {
				a.Codes = append(a.Codes, f.Code)
			}
		}
		firing = append(firing, a)
	case checker.VerdictError:
		unjudged = append(unjudged, RuleSiteFailing)
		if v.ConsecutiveErrors >= after {
			a := base(RuleSiteUnreachable, SeverityWarning, v.Key)
			a.Values = map[string]string{ValueConsecutiveFailures: strconv.Itoa(v.ConsecutiveErrors)}
			if v.Error != "" {
				a.Values[ValueError] = v.Error
			}
			firing = append(firing, a)
		} else {
			unjudged = append(unjudged, RuleSiteUnreachable)
		}
	}
	for _, d := range []struct {
		kind string
		d    checker.Deadline
	}{{DeadlinePSBFiling, v.Deadlines.PSBFiling}, {DeadlineBadge, v.Deadlines.Badge}} {
		values := map[string]string{}
		if !d.d.Due.IsZero() {
			values[ValueDue] = d.d.Due.String()
		}
		if d.d.DaysLeft != nil {
			values[ValueDaysLeft] = strconv.Itoa(*d.d.DaysLeft)
		}
		switch {
		case d.d.Status == checker.DeadlineOverdue:
			a := base(RuleDeadlineMissed, SeverityCritical, v.Key+"/"+d.kind)
			a.Labels, a.Values = map[string]string{LabelDeadline: d.kind}, values
			firing = append(firing, a)
		case d.d.Status == checker.DeadlinePending && d.d.DaysLeft != nil && *d.d.DaysLeft >= 0:
			// The narrowest of checker.DueSoonWindows the deadline is in:
			// an alert fires as it enters each, and the wider one's
			// resolves.
			within := 0
			for _, days := range checker.DueSoonWindows() {
				if within == 0 && *d.d.DaysLeft <= days {
					within = days
				}
			}
			if within == 0 {
				continue
			}
			w := strconv.Itoa(within) + "d"
			sev := SeverityWarning
			if within == 1 {
				sev = SeverityCritical
			}
			a := base(RuleDeadlineDueSoon, sev, v.Key+"/"+d.kind+"/"+w)
			a.Labels, a.Values = map[string]string{LabelDeadline: d.kind, "within": w}, values
			firing = append(firing, a)
		}
	}
	return firing, unjudged
}

// Reconcile compares the alerts that should fire with those firing and
// returns the changes: each desired alert not yet firing, firing; each
// firing alert no longer desired, resolved at now (unless its rule is
// unjudged). An alert that fires on and on is no change: it fires once
// and resolves once.
func Reconcile(desired []Alert, unjudged []string, firing []Alert, now time.Time) []Alert {
	var changes []Alert
	on := make(map[string]bool, len(firing))
	for _, a := range firing {
		on[a.Key] = true
	}
	want := make(map[string]bool, len(desired))
	for _, a := range desired {
		want[a.Key] = true
		if !on[a.Key] {
			changes = append(changes, a)
		}
	}
	for _, a := range firing {
		if want[a.Key] || slices.Contains(unjudged, a.Rule) {
			continue
		}
		a.Status, a.EndsAt = StatusResolved, now
		changes = append(changes, a)
	}
	return changes
}
