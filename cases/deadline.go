package cases

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/beianwatch/beianwatch/checker"
)

// Calendar counts China's working days (weekends and official holidays
// off, make-up working weekends on). *workday.Calendar is one.
type Calendar interface {
	// AddWorkingDaysProvisional returns a time on the n-th working day
	// after start's Beijing date, not counting that date itself; only the
	// returned time's Beijing date matters. It never refuses a date: a day
	// of a year whose holidays it does not know counts when it is Monday
	// to Friday, and that year is listed in guessed, in order.
	AddWorkingDaysProvisional(start time.Time, n int) (last time.Time, guessed []int, err error)
}

// Deadline is when a case's time runs out, with how it was counted, so
// that a provisional deadline can be counted again.
type Deadline struct {
	// At is the instant the time runs out: 24:00 Beijing time of the last
	// day for a deadline in working days.
	At time.Time
	// Days working days after From's Beijing date make a working-day
	// deadline; Days is 0 for a deadline given as a duration or a date.
	From time.Time
	Days int
	// Provisional lists the years whose holiday calendar was not loaded
	// when the deadline was counted: their weekdays all counted as working
	// days. Empty for a definitive deadline.
	Provisional []int
}

// ProvisionalNote says why a deadline is provisional:
// "provisional: the 2028 holiday calendar is not loaded"; "" for none.
func ProvisionalNote(years []int) string {
	if len(years) == 0 {
		return ""
	}
	verb := "is"
	if len(years) > 1 {
		verb = "are"
	}
	return "provisional: the " + joinYears(years, " and ") + " holiday calendar " + verb + " not loaded"
}

// ProvisionalNoteZH is ProvisionalNote in Chinese.
func ProvisionalNoteZH(years []int) string {
	if len(years) == 0 {
		return ""
	}
	return "暂定:未载入 " + joinYears(years, "、") + " 年的节假日安排"
}

func joinYears(years []int, sep string) string {
	s := make([]string, len(years))
	for i, y := range years {
		s[i] = strconv.Itoa(y)
	}
	return strings.Join(s, sep)
}

// Policy is the provider's configuration of cases.
type Policy struct {
	// TakedownDeadline is a takedown's default time to respond, from the
	// moment the case opens.
	TakedownDeadline time.Duration
	// RectificationDays is a rectification's default fix window in
	// working days, and ExtensionDays what its one extension adds.
	RectificationDays int
	ExtensionDays     int
	// OpenAfter is how many checks in a row must fail, with findings that
	// match OpenCodes and OpenSeverities, before a rectification opens by
	// itself.
	OpenAfter int
	// OpenCodes are the finding codes that open rectifications; empty
	// means any code.
	OpenCodes []string
	// OpenSeverities are the severities that open rectifications.
	OpenSeverities []checker.Severity
	// VerifyInterval is the time between verifications of a case.
	VerifyInterval time.Duration
}

// DefaultPolicy returns the defaults: 24 hours for a takedown, 10 working
// days to rectify (Huawei's window for inaccurate filing data), one
// extension of 7 working days (Tencent's maximum), rectifications opened
// after 2 failing checks with error findings, verification every 15
// minutes.
func DefaultPolicy() Policy {
	return Policy{
		TakedownDeadline:  24 * time.Hour,
		RectificationDays: 10,
		ExtensionDays:     7,
		OpenAfter:         2,
		OpenSeverities:    []checker.Severity{checker.SeverityError},
		VerifyInterval:    15 * time.Minute,
	}
}

// Validate checks the policy's values.
func (p Policy) Validate() error {
	switch {
	case p.TakedownDeadline <= 0:
		return fmt.Errorf("takedown deadline %v: must be positive", p.TakedownDeadline)
	case p.RectificationDays < 1:
		return fmt.Errorf("rectification window %d working days: must be at least 1", p.RectificationDays)
	case p.ExtensionDays < 1:
		return fmt.Errorf("extension %d working days: must be at least 1", p.ExtensionDays)
	case p.OpenAfter < 1:
		return fmt.Errorf("open after %d checks: must be at least 1", p.OpenAfter)
	case len(p.OpenSeverities) == 0:
		return errors.New("no severities open rectifications")
	case p.VerifyInterval <= 0:
		return fmt.Errorf("verify interval %v: must be positive", p.VerifyInterval)
	}
	for _, code := range p.OpenCodes {
		if err := ValidCategory(Rectification, Category(code)); err != nil {
			return err
		}
	}
	for _, s := range p.OpenSeverities {
		switch s {
		case checker.SeverityError, checker.SeverityWarning, checker.SeverityInfo:
		default:
			return fmt.Errorf("unknown severity %q: want error, warning or info", s)
		}
	}
	return nil
}

// Deadline returns the default deadline of a case of kind k opened at
// start: the takedown deadline later, or the end of the Beijing day
// RectificationDays working days after start, provisional where the
// count reaches a year the calendar does not know.
func (p Policy) Deadline(k Kind, start time.Time, cal Calendar) (Deadline, error) {
	if k == Takedown {
		return Deadline{At: start.Add(p.TakedownDeadline)}, nil
	}
	return WorkingDaysDeadline(cal, start, p.RectificationDays)
}

// WorkingDaysDeadline returns the end (24:00 Beijing time) of the n-th
// working day after start. A period in days runs to the end of its last
// day (Civil Code art. 201), and the start day is not counted. A compliance
// tool must never refuse to open a case for want of a calendar: days in a
// year whose holidays are not loaded count Monday to Friday, and the
// deadline lists those years as Provisional.
func WorkingDaysDeadline(cal Calendar, start time.Time, n int) (Deadline, error) {
	if cal == nil {
		return Deadline{}, errors.New("working days: no calendar")
	}
	if n < 1 {
		return Deadline{}, fmt.Errorf("working days: %d: must be at least 1", n)
	}
	last, guessed, err := cal.AddWorkingDaysProvisional(start, n)
	if err != nil {
		return Deadline{}, fmt.Errorf("working-day deadline: %w", err)
	}
	return Deadline{At: EndOfDay(last), From: start, Days: n, Provisional: guessed}, nil
}

// Extend returns c's deadline moved on by n working days: the end of the
// n-th working day after the day the old deadline ends. A working-day
// deadline is counted again from its start, so that the extended one is
// provisional exactly when the whole count reaches an unknown year.
func Extend(cal Calendar, c Case, n int) (Deadline, error) {
	if c.Deadline.IsZero() {
		return Deadline{}, errors.New("extend: the case has no deadline")
	}
	if n < 1 {
		return Deadline{}, fmt.Errorf("working days: %d: must be at least 1", n)
	}
	if c.DeadlineDays > 0 {
		return WorkingDaysDeadline(cal, c.DeadlineFrom, c.DeadlineDays+n)
	}
	// A deadline at 24:00 is midnight of the next day; the last instant
	// before it is on the day the window ends, and counting starts after
	// that day.
	return WorkingDaysDeadline(cal, c.Deadline.Add(-time.Nanosecond), n)
}

// Recount counts c's provisional deadline again on cal (which may know
// more years now) and returns the case with the new deadline and the
// history entry that records the change; changed is false when the
// deadline and what is provisional about it stay as they are. A customer
// already told a deadline is never given an earlier one: if the new count
// ends sooner, the deadline told stands (and is no longer provisional),
// and the entry says so.
func Recount(c Case, cal Calendar, at time.Time, actor string) (_ Case, _ Transition, changed bool, _ error) {
	if len(c.Provisional) == 0 || c.DeadlineDays == 0 || !c.State.Active() {
		return c, Transition{}, false, nil
	}
	d, err := WorkingDaysDeadline(cal, c.DeadlineFrom, c.DeadlineDays)
	if err != nil {
		return c, Transition{}, false, fmt.Errorf("recount case %d deadline: %w", c.ID, err)
	}
	if d.At.Equal(c.Deadline) && slices.Equal(d.Provisional, c.Provisional) {
		return c, Transition{}, false, nil
	}
	learned := slices.DeleteFunc(slices.Clone(c.Provisional), func(y int) bool { return slices.Contains(d.Provisional, y) })
	reason := fmt.Sprintf("deadline counted again with the %s holiday calendar: %s (provisional) → %s",
		joinYears(learned, " and "), checker.DeadlineText(c.Deadline), checker.DeadlineText(d.At))
	switch {
	case d.At.Before(c.Deadline) && !c.NotifiedAt.IsZero():
		reason = fmt.Sprintf("deadline counted again with the %s holiday calendar: it would end %s, earlier than the customer was told; keeping %s",
			joinYears(learned, " and "), checker.DeadlineText(d.At), checker.DeadlineText(c.Deadline))
		// The told deadline stands as a plain date from now on.
		d = Deadline{At: c.Deadline}
	case d.At.Before(c.Deadline):
		reason += " (earlier; the customer had not been told the deadline yet)"
	}
	if len(d.Provisional) > 0 {
		reason += "; still " + ProvisionalNote(d.Provisional)
	}
	n := c
	n.SetDeadline(d)
	n.UpdatedAt = at
	return n, Transition{From: c.State, To: c.State, At: at, Actor: actor, Reason: reason}, true, nil
}

// EndOfDay returns 24:00 Beijing time of t's Beijing date (midnight of
// the next day), in UTC.
func EndOfDay(t time.Time) time.Time {
	return checker.DateOf(t).AddDays(1).Time().UTC()
}
