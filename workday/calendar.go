// Package workday is China's official working-day calendar: Monday to
// Friday, minus the statutory holidays, plus the weekend days worked in
// exchange (调休上班), as the State Council announces them each year.
//
// Provider deadlines such as a rectification window of "7 working days"
// are counted on it. The calendar only knows the years it has data for.
// AddWorkingDays and CountWorkingDays refuse a date in any other year
// (an error wrapping ErrOutsideCalendar); AddWorkingDaysProvisional never
// refuses: it counts an unknown year's weekdays as working days and says
// which years it so guessed, so that a deadline can be shown as
// provisional and counted again once the year is known. The package
// embeds the years it ships (see data/README.md for how they were
// checked), and an operator adds newer years with LoadDir or LoadFile and
// Merge.
package workday

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"slices"
	"time"
)

// ErrOutsideCalendar is wrapped by every error about a date whose year the
// calendar has no data for.
var ErrOutsideCalendar = errors.New("workday: date outside the known holiday calendar")

//go:embed data/*.json
var embedded embed.FS

type kind uint8

const (
	holiday kind = iota + 1
	makeup       // a weekend day that is worked
)

// Calendar answers working-day questions for the years it holds. It is
// immutable, so one Calendar can be shared by every goroutine.
type Calendar struct {
	years map[int]Year
	days  map[day]kind
}

// Default returns the calendar of the years shipped with the package.
func Default() *Calendar {
	entries, err := fs.Glob(embedded, "data/*.json")
	if err != nil {
		panic(err) // the pattern is a constant
	}
	years := make([]Year, 0, len(entries))
	for _, name := range entries {
		f, err := embedded.Open(name)
		if err != nil {
			panic(err)
		}
		y, err := ParseYear(f, "embedded "+name)
		f.Close()
		if err != nil {
			// The embedded files are checked by the package's tests; a
			// failure here is a broken build, not a runtime condition.
			panic(err)
		}
		years = append(years, y)
	}
	c, err := New(years...)
	if err != nil {
		panic(err)
	}
	return c
}

// New builds a calendar from validated years (see ParseYear). A later
// entry for the same year replaces an earlier one.
func New(years ...Year) (*Calendar, error) {
	return (&Calendar{}).Merge(years...)
}

// Merge returns a calendar holding c's years and the given ones; a given
// year replaces c's data for that year wholesale, so an operator's file
// corrects the shipped one rather than being mixed with it. c is
// unchanged.
func (c *Calendar) Merge(years ...Year) (*Calendar, error) {
	out := &Calendar{years: maps.Clone(c.years)}
	if out.years == nil {
		out.years = make(map[int]Year, len(years))
	}
	for _, y := range years {
		if err := y.validate(); err != nil {
			return nil, fmt.Errorf("merge %d: %w", y.Year, err)
		}
		out.years[y.Year] = y
	}
	if err := out.index(); err != nil {
		return nil, err
	}
	return out, nil
}

// index builds the day table. Two files can only disagree about the
// December that a New Year notice reaches back into.
func (c *Calendar) index() error {
	c.days = make(map[day]kind, 40*len(c.years))
	for _, yr := range slices.Sorted(maps.Keys(c.years)) {
		y := c.years[yr]
		for _, h := range y.Holidays {
			from, _ := parseDay(h.From) // validated
			to, _ := parseDay(h.To)
			for d := from; d <= to; d++ {
				if err := c.set(d, holiday, yr); err != nil {
					return err
				}
			}
		}
		for _, w := range y.Workdays {
			d, _ := parseDay(w.Date)
			if err := c.set(d, makeup, yr); err != nil {
				return err
			}
		}
	}
	return nil
}

func (c *Calendar) set(d day, k kind, yr int) error {
	if old, ok := c.days[d]; ok && old != k {
		return fmt.Errorf("workday: the %d and %d data disagree about %s", yr-1, yr, d)
	}
	c.days[d] = k
	return nil
}

// Years returns the years the calendar holds, in order.
func (c *Calendar) Years() []int {
	return slices.Sorted(maps.Keys(c.years))
}

// Source returns the notice a year's data comes from, "" for an unknown
// year.
func (c *Calendar) Source(year int) string {
	return c.years[year].Source
}

// IsWorkingDay reports whether t's date in China Standard Time is a
// working day.
func (c *Calendar) IsWorkingDay(t time.Time) (bool, error) {
	return c.working(dayOf(t))
}

func (c *Calendar) working(d day) (bool, error) {
	if _, ok := c.years[d.year()]; !ok {
		return false, fmt.Errorf("%s: %w (known years: %v)", d, ErrOutsideCalendar, c.Years())
	}
	return c.known(d), nil
}

// known is working for a day of a year the calendar holds.
func (c *Calendar) known(d day) bool {
	switch c.days[d] {
	case holiday:
		return false
	case makeup:
		return true
	}
	return !d.weekend()
}

// KnownUntil returns the last instant (23:59:59.999999999 CST) of the
// last year that the calendar holds with no year missing between it and
// the calendar's first: a count of working days that ends by then is
// definitive. It is the zero time for an empty calendar.
func (c *Calendar) KnownUntil() time.Time {
	years := c.Years()
	if len(years) == 0 {
		return time.Time{}
	}
	last := years[0]
	for _, y := range years[1:] {
		if y != last+1 {
			break
		}
		last = y
	}
	return endOf(dayFromDate(last, time.December, 31))
}

// AddWorkingDays returns the deadline n working days after start.
//
// Counting follows the Civil Code's rule for periods (art. 201): the day
// of start does not count, whatever time of day start is and whether or
// not it is a working day; counting begins with the next day. The result
// is the end of the n-th working day, 23:59:59.999999999 China Standard
// Time, so a deadline d is met by any instant t with !t.After(d). With n
// = 0 the result is the end of start's own day. Every day counted must lie
// in a known year, else the error wraps ErrOutsideCalendar; a negative n
// is an error.
func (c *Calendar) AddWorkingDays(start time.Time, n int) (time.Time, error) {
	if n < 0 {
		return time.Time{}, fmt.Errorf("workday: add %d working days: negative count", n)
	}
	d := dayOf(start)
	for left := n; left > 0; {
		d++
		ok, err := c.working(d)
		if err != nil {
			return time.Time{}, fmt.Errorf("add %d working days to %s: %w", n, dayOf(start), err)
		}
		if ok {
			left--
		}
	}
	return endOf(d), nil
}

// AddWorkingDaysProvisional is AddWorkingDays that never refuses a date:
// a day of a year the calendar does not hold counts when it is Monday to
// Friday (weekends only: no holidays, no make-up days). It returns, in
// order, the years it counted that way; when there are any the deadline
// is provisional, usually a little early (holidays would push it later),
// and should be counted again once those years are known. A negative n is
// an error.
func (c *Calendar) AddWorkingDaysProvisional(start time.Time, n int) (time.Time, []int, error) {
	if n < 0 {
		return time.Time{}, nil, fmt.Errorf("workday: add %d working days: negative count", n)
	}
	var guessed []int
	d := dayOf(start)
	for left := n; left > 0; {
		d++
		var ok bool
		if y := d.year(); c.years[y].Year == 0 {
			if len(guessed) == 0 || guessed[len(guessed)-1] != y {
				guessed = append(guessed, y)
			}
			ok = !d.weekend()
		} else {
			ok = c.known(d)
		}
		if ok {
			left--
		}
	}
	return endOf(d), guessed, nil
}

// CountWorkingDays counts the working days after from's date up to and
// including to's date (both in China Standard Time): the inverse of
// AddWorkingDays. It is 0 when to's date is not after from's.
func (c *Calendar) CountWorkingDays(from, to time.Time) (int, error) {
	n := 0
	for d, last := dayOf(from)+1, dayOf(to); d <= last; d++ {
		ok, err := c.working(d)
		if err != nil {
			return 0, fmt.Errorf("count working days %s..%s: %w", dayOf(from), last, err)
		}
		if ok {
			n++
		}
	}
	return n, nil
}

// endOf is the last instant of day d in China Standard Time.
func endOf(d day) time.Time {
	return (d + 1).start().Add(-time.Nanosecond)
}
