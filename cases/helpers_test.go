package cases

import (
	"fmt"
	"time"

	"github.com/beianwatch/beianwatch/checker"
)

// testCalendar is a working-day calendar for 2026 only, with one national
// holiday as the State Council set it: 1–7 October off, Sunday 20
// September and Saturday 10 October worked instead. It stands in for
// workday.Calendar, which other packages wire.
type testCalendar struct{}

// working says whether d is a working day.
func (testCalendar) working(d checker.Date) bool {
	switch {
	case d == checker.Date{Year: 2026, Month: 9, Day: 20}, d == checker.Date{Year: 2026, Month: 10, Day: 10}:
		return true // make-up working days
	case d.Year == 2026 && d.Month == 10 && d.Day <= 7:
		return false // National Day
	}
	wd := d.Time().Weekday()
	return wd != time.Saturday && wd != time.Sunday
}

func (c testCalendar) AddWorkingDays(start time.Time, n int) (time.Time, error) {
	d := checker.DateOf(start)
	for n > 0 {
		d = d.AddDays(1)
		if d.Year != 2026 {
			return time.Time{}, fmt.Errorf("%s is outside the calendar (2026)", d)
		}
		if c.working(d) {
			n--
		}
	}
	return d.Time(), nil
}

// cst is a Beijing time.
func cst(y, mo, d, h, mi int) time.Time {
	return time.Date(y, time.Month(mo), d, h, mi, 0, 0, checker.CST)
}
