package checker

import (
	"fmt"
	"time"
)

// dutyState says whether a PSB obligation must be met at the check.
type dutyState int

const (
	// dutyMet: the obligation is met (the filing: a PSB number is known).
	dutyMet dutyState = iota
	// dutyDue: it must be met now.
	dutyDue
	// dutyPending: its 30-day window is still open.
	dutyPending
	// dutyNotDue: its clock cannot be started and the policy is lenient.
	dutyNotDue
)

// duty is one PSB obligation (the filing, or the badge on the page) as
// the site's dates and the policy leave it at the check.
type duty struct {
	state dutyState
	// assumed says the obligation is due only because the dates that
	// would start its clock are unknown.
	assumed bool
	// anchorKnown says the launch (or ICP approval) date is known, so
	// only the PSB approval date is missing when assumed.
	anchorKnown bool
	// due and left are the window's last day and the days left to it,
	// for dutyPending.
	due  Date
	left int
}

// window judges a clock that runs days from start.
func window(start Date, days int, now time.Time) duty {
	due := start.AddDays(days)
	// The due day itself is still on time (Civil Code art. 201).
	if left := due.Sub(DateOf(now)); left >= 0 {
		return duty{state: dutyPending, due: due, left: left}
	}
	return duty{state: dutyDue}
}

// filingDuty judges the PSB filing: met once a PSB number is known (on
// the page, in the registry or the flags, or by a filing date); else due
// PSBFilingDays after the launch anchor; else, with no anchor, due unless
// the policy is lenient.
func filingDuty(w Expect, numberKnown bool, now time.Time) duty {
	if numberKnown || w.FilingKnown() || !w.PSBFiled.IsZero() {
		return duty{state: dutyMet}
	}
	if a := w.LaunchAnchor(); !a.IsZero() {
		d := window(a, PSBFilingDays, now)
		d.anchorKnown = true
		return d
	}
	if w.Policy.lenient() {
		return duty{state: dutyNotDue}
	}
	return duty{state: dutyDue, assumed: true}
}

// badgeDuty judges the badge on the page: due BadgeDays after PSB
// approval. Without an approval date the badge is due, unless the launch
// anchor shows the site is younger than BadgeDays: approval comes after
// launch (import and check refuse the reverse), so the badge cannot be
// due before anchor + BadgeDays.
func badgeDuty(w Expect, now time.Time) duty {
	if !w.PSBApproved.IsZero() {
		return window(w.PSBApproved, BadgeDays, now)
	}
	a := w.LaunchAnchor()
	if !a.IsZero() {
		if d := window(a, BadgeDays, now); d.state == dutyPending {
			d.anchorKnown = true
			return d
		}
	}
	if w.Policy.lenient() {
		return duty{state: dutyNotDue}
	}
	return duty{state: dutyDue, assumed: true, anchorKnown: !a.IsZero()}
}

// lenientSeverity is what a missing PSB number had before policies, when
// no date started its clock; the badge's other parts keep their catalog
// severities.
var lenientSeverity = map[string]Severity{CodePSBMissing: SeverityWarning}

// badgeParts are the findings of a missing or unusable part of the PSB
// badge: the number as visible text, the icon, the link with its code.
// PSB_LINK_LEGACY is not among them: the old platform's link is accepted.
var badgeParts = map[string]bool{
	CodePSBHidden:           true,
	CodePSBImageOnly:        true,
	CodePSBNoIcon:           true,
	CodePSBNotLinked:        true,
	CodePSBLinkWrong:        true,
	CodePSBLinkCodeMismatch: true,
}

// dueRules sets the severity of each missing PSB number or badge part by
// its obligation: error when due, info with the days left inside its
// window, and under a lenient policy with no dates the old severities.
// shown says the page shows a PSB number (or an image badge).
func (c *checkRun) dueRules(shown bool) {
	filing := filingDuty(c.want, shown, c.now)
	badge := badgeDuty(c.want, c.now)
	visible := c.visiblePSB()
	for i := range c.r.Findings {
		f := &c.r.Findings[i]
		var d duty
		switch {
		case f.Code == CodePSBMissing:
			// No number: the filing is missing unless it is known from
			// elsewhere, and then the badge is.
			d = filing
			if filing.state == dutyMet {
				d = badge
			}
		case f.Code == CodePSBInProgress:
			// "Filing in progress" in place of the number: the badge is
			// what is missing, due as the badge is.
			d = badge
		case f.Code == CodePSBHidden && visible:
			continue // a hidden copy of a number that is also shown
		case badgeParts[f.Code]:
			d = badge
		default:
			continue
		}
		d.judge(f)
	}
}

// judge sets f's severity and says why in its messages.
func (d duty) judge(f *Finding) {
	switch d.state {
	case dutyDue:
		f.Severity = SeverityError
		if d.assumed {
			en, zh := noteNoDates, noteNoDatesZH
			if d.anchorKnown {
				en, zh = noteNoApproval, noteNoApprovalZH
			}
			f.Message += en
			f.MessageZH += zh
		}
	case dutyPending:
		f.Severity = SeverityInfo
		f.Message += fmt.Sprintf(" (not due yet: due on %s, %d days left)", d.due, d.left)
		f.MessageZH += fmt.Sprintf("(尚未到期:%s 到期,剩余 %d 天)", d.due, d.left)
	case dutyNotDue:
		if s, ok := lenientSeverity[f.Code]; ok {
			f.Severity = s
		}
	}
}

// The notes of a part judged due only because dates are unknown: they
// name what would open its window.
const (
	noteNoDates = " (due: the site's dates are unknown, so it is judged as an established site;" +
		" a launch or PSB approval date would open a 30-day window:" +
		" --launched, --psb-approved, or the registry's launched_on, psb_approved_on)"
	noteNoDatesZH = "(按已到期判断:网站日期未知,视为已开通的网站;" +
		"提供开通日期或公安备案审核通过日期可计算 30 天期限:" +
		"--launched、--psb-approved,或登记库的 launched_on、psb_approved_on)"
	noteNoApproval = " (due: the PSB approval date is unknown;" +
		" --psb-approved, or the registry's psb_approved_on, would open the badge's 30-day window)"
	noteNoApprovalZH = "(按已到期判断:公安备案审核通过日期未知;" +
		"提供 --psb-approved 或登记库的 psb_approved_on 可计算标识的 30 天期限)"
)
