package checker

import "time"

// DeadlineStatus says where a filing clock stands.
type DeadlineStatus string

// Deadline statuses. Only overdue is an error; met_late is a warning and
// needs proof (a dated filing after the due date, or our own check that saw
// the badge missing after it).
const (
	DeadlineMet     DeadlineStatus = "met"
	DeadlineMetLate DeadlineStatus = "met_late"
	DeadlinePending DeadlineStatus = "pending"
	DeadlineOverdue DeadlineStatus = "overdue"
	DeadlineUnknown DeadlineStatus = "unknown"
)

// Filing periods, in calendar days: the regulations say 三十日, not working
// days (domain.md §1).
const (
	PSBFilingDays = 30 // after launch (MPS Order 33 art. 12)
	BadgeDays     = 30 // after PSB approval
)

// Deadline is one filing clock. Due and DaysLeft are null in JSON when the
// clock has not started (status unknown).
type Deadline struct {
	Status DeadlineStatus `json:"status"`
	Due    Date           `json:"due"`
	// DaysLeft counts calendar days from the check's CST date to the due
	// date: negative once overdue.
	DaysLeft *int `json:"days_left"`
}

func unknownDeadline() Deadline { return Deadline{Status: DeadlineUnknown} }

func pendingOrOverdue(due Date, now time.Time) Deadline {
	left := due.Sub(DateOf(now))
	d := Deadline{Due: due, DaysLeft: &left, Status: DeadlinePending}
	// The period ends at 24:00 CST of the due date (Civil Code art. 201),
	// so the due day itself is still on time.
	if left < 0 {
		d.Status = DeadlineOverdue
	}
	return d
}

// PSBFilingDeadline judges the PSB filing clock: due PSBFilingDays after
// launch. filed is the PSB filing date; haveNumber says that a PSB number
// is known (on the page or in the registry) even if its filing date is not.
func PSBFilingDeadline(launched, filed Date, haveNumber bool, now time.Time) Deadline {
	if launched.IsZero() {
		if !filed.IsZero() || haveNumber {
			return Deadline{Status: DeadlineMet}
		}
		return unknownDeadline()
	}
	due := launched.AddDays(PSBFilingDays)
	switch {
	case !filed.IsZero() && filed.After(due):
		return Deadline{Status: DeadlineMetLate, Due: due}
	case !filed.IsZero() || haveNumber:
		// A number without a date proves the filing, not its lateness.
		return Deadline{Status: DeadlineMet, Due: due}
	}
	return pendingOrOverdue(due, now)
}

// BadgeDeadline judges the badge clock: due BadgeDays after PSB approval.
// shown says the badge is visible now; firstSeen is when our checks first
// saw it (zero if never) and lastMissing the latest check that saw it
// missing (zero if none). A badge first seen long after its due date on a
// site we never checked before is met, not late: lateness needs our own
// proof, a check after the due date that saw no badge before it was first
// seen.
func BadgeDeadline(approved Date, shown bool, firstSeen, lastMissing time.Time, now time.Time) Deadline {
	if approved.IsZero() {
		if shown {
			return Deadline{Status: DeadlineMet}
		}
		return unknownDeadline()
	}
	due := approved.AddDays(BadgeDays)
	if shown {
		missedDue := !lastMissing.IsZero() && DateOf(lastMissing).After(due)
		seenInTime := !firstSeen.IsZero() && !DateOf(firstSeen).After(due)
		if missedDue && !seenInTime {
			return Deadline{Status: DeadlineMetLate, Due: due}
		}
		return Deadline{Status: DeadlineMet, Due: due}
	}
	return pendingOrOverdue(due, now)
}

// deadlineRules judges both clocks against what the page shows and raises
// their findings, then sets the severity of every missing PSB number or
// badge part by whether it is due (see obligations.go).
func (c *checkRun) deadlineRules() {
	// A number shown (or a badge image) proves the filing; only the whole
	// badge meets the badge clock.
	shown, complete := c.psbImageOnly, false
	for _, o := range c.psb {
		shown = shown || o.entry.Visible
		complete = complete || o.entry.BadgeComplete()
	}
	w := c.want
	c.r.Deadlines = Deadlines{
		PSBFiling: PSBFilingDeadline(w.LaunchAnchor(), w.PSBFiled, shown || w.FilingKnown(), c.now),
		Badge:     BadgeDeadline(w.PSBApproved, complete, w.BadgeFirstSeen, w.BadgeLastMissing, c.now),
	}
	c.deadlineFindings(c.r.Deadlines.PSBFiling, CodePSBFilingOverdue, CodePSBFilingDueSoon, func() {
		c.add(nil, CodePSBFilingLate, c.r.Deadlines.PSBFiling.Due.String(), w.PSBFiled.String())
	})
	c.deadlineFindings(c.r.Deadlines.Badge, CodeBadgeOverdue, CodeBadgeDueSoon, func() {
		c.add(nil, CodeBadgeLate, c.r.Deadlines.Badge.Due.String(), DateOf(w.BadgeLastMissing).String())
	})
	c.dueRules(shown)
}

func (c *checkRun) deadlineFindings(d Deadline, overdue, soon string, late func()) {
	switch d.Status {
	case DeadlineOverdue:
		c.add(nil, overdue, d.Due.String(), -*d.DaysLeft)
	case DeadlinePending:
		c.add(nil, soon, d.Due.String(), *d.DaysLeft)
	case DeadlineMetLate:
		late()
	}
}

// deadlinesUnseen judges the clocks for a page that could not be seen: the
// filing clock from the registry alone, the badge clock only from our own
// earlier sightings (never "overdue" because a fetch failed).
func (c *checkRun) deadlinesUnseen() { c.r.Deadlines = UnseenDeadlines(c.want, c.now) }

// UnseenDeadlines judges the clocks for a site whose page could not be
// read (a failed fetch: see Failed): the filing clock from the registry
// alone, the badge clock only from our own earlier sightings, never
// "overdue" because a fetch failed.
func UnseenDeadlines(w Expect, now time.Time) Deadlines {
	d := Deadlines{
		PSBFiling: PSBFilingDeadline(w.LaunchAnchor(), w.PSBFiled, w.FilingKnown(), now),
		Badge:     unknownDeadline(),
	}
	if !w.BadgeFirstSeen.IsZero() {
		d.Badge = BadgeDeadline(w.PSBApproved, true, w.BadgeFirstSeen, w.BadgeLastMissing, now)
	}
	return d
}
