package cases

import (
	"errors"
	"fmt"
	"time"

	"github.com/beianwatch/beianwatch/checker"
)

// Calendar counts China's working days (weekends and official holidays
// off, make-up working weekends on). *workday.Calendar is one.
type Calendar interface {
	// AddWorkingDays returns a time on the n-th working day after start's
	// Beijing date, not counting that date itself; only the returned
	// time's Beijing date matters. A date outside the calendar's known
	// years is an error, never a guess.
	AddWorkingDays(start time.Time, n int) (time.Time, error)
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
// RectificationDays working days after start. Calendar errors (a date
// beyond the known holidays) are returned as they are.
func (p Policy) Deadline(k Kind, start time.Time, cal Calendar) (time.Time, error) {
	if k == Takedown {
		return start.Add(p.TakedownDeadline), nil
	}
	return WorkingDaysDeadline(cal, start, p.RectificationDays)
}

// WorkingDaysDeadline returns the end (24:00 Beijing time) of the n-th
// working day after start. A period in days runs to the end of its last
// day (Civil Code art. 201), and the start day is not counted.
func WorkingDaysDeadline(cal Calendar, start time.Time, n int) (time.Time, error) {
	if cal == nil {
		return time.Time{}, errors.New("working days: no calendar")
	}
	if n < 1 {
		return time.Time{}, fmt.Errorf("working days: %d: must be at least 1", n)
	}
	last, err := cal.AddWorkingDays(start, n)
	if err != nil {
		return time.Time{}, fmt.Errorf("working-day deadline: %w", err)
	}
	return EndOfDay(last), nil
}

// Extend returns a deadline moved on by n working days: the end of the
// n-th working day after the day the old deadline ends.
func Extend(cal Calendar, deadline time.Time, n int) (time.Time, error) {
	if deadline.IsZero() {
		return time.Time{}, errors.New("extend: the case has no deadline")
	}
	// A deadline at 24:00 is midnight of the next day; the last instant
	// before it is on the day the window ends, and counting starts after
	// that day.
	return WorkingDaysDeadline(cal, deadline.Add(-time.Nanosecond), n)
}

// EndOfDay returns 24:00 Beijing time of t's Beijing date (midnight of
// the next day), in UTC.
func EndOfDay(t time.Time) time.Time {
	return checker.DateOf(t).AddDays(1).Time().UTC()
}
