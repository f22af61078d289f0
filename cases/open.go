package cases

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/beianwatch/beianwatch/checker"
)

// ParseDeadline reads a case's time to respond as `case open --deadline`
// and the API take it: a duration ("24h"), working days ("10wd") or a
// last day ("2026-12-31", to its end in Beijing); "" is the policy's
// default for the kind. It is counted from start. cal is asked for only
// when working days are counted. Errors start with `deadline "…"`.
func ParseDeadline(p Policy, cal func() (Calendar, error), k Kind, s string, start time.Time) (Deadline, error) {
	workingDays := func(n int) (Deadline, error) {
		c, err := cal()
		if err != nil {
			return Deadline{}, err
		}
		return WorkingDaysDeadline(c, start, n)
	}
	if days, ok := strings.CutSuffix(s, "wd"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 1 {
			return Deadline{}, fmt.Errorf("deadline %q: want N working days as Nwd, N ≥ 1", s)
		}
		return workingDays(n)
	}
	if d, err := time.ParseDuration(s); err == nil {
		if d <= 0 {
			return Deadline{}, fmt.Errorf("deadline %q: must be positive", s)
		}
		return Deadline{At: start.Add(d)}, nil
	}
	if s != "" {
		day, err := checker.ParseDate(s)
		if err != nil || !day.Time().After(start) {
			return Deadline{}, fmt.Errorf("deadline %q: want a duration (24h), working days (10wd) or a future date (YYYY-MM-DD)", s)
		}
		return Deadline{At: EndOfDay(day.Time())}, nil
	}
	if k == Takedown {
		return p.Deadline(k, start, nil)
	}
	return workingDays(p.RectificationDays)
}

// CheckNew checks what a case a person opens is made of, before its
// deadline is set: a rectification names finding codes (and takes the
// first as its category) and starts open; a takedown names a category,
// no codes, and may start suspected.
func (c *Case) CheckNew(suspected bool) error {
	switch {
	case c.Kind == Rectification && len(c.Codes) == 0:
		return errors.New("a rectification needs finding codes (such as PSB_MISSING)")
	case c.Kind == Rectification && c.Category != "":
		return errors.New("a rectification takes finding codes, not a category")
	case c.Kind == Rectification && suspected:
		return errors.New("only takedowns start suspected")
	case c.Kind == Takedown && len(c.Codes) > 0:
		return errors.New("a takedown takes a category, not finding codes")
	case c.Kind == Rectification:
		c.Category = Category(c.Codes[0])
	}
	return nil
}
