package workday

import (
	"testing"
	"time"

	"github.com/6tail/lunar-go/HolidayUtil"
)

// TestAgainstLunarGo compares every day of every shipped year with
// github.com/6tail/lunar-go's HolidayUtil, a calendar library whose
// maintainers add each year's State Council schedule as it is published
// (v1.4.7 added 2027). It is the independent second source the data
// README asks for: a shipped file that differs from it by one day fails
// here, and so does a new year shipped before the library knows it. The
// comparison is of working days: lunar-go also lists the weekend days a
// notice joins to a holiday ("与周末连休"), which are days off either way.
func TestAgainstLunarGo(t *testing.T) {
	c := Default()
	theirs := map[day]kind{}
	for _, y := range c.Years() {
		// The December before belongs to a year's notice in both.
		for _, yy := range []int{y - 1, y} {
			for e := HolidayUtil.GetHolidaysByYear(yy).Front(); e != nil; e = e.Next() {
				h := e.Value.(*HolidayUtil.Holiday)
				d, err := parseDay(h.GetDay())
				if err != nil {
					t.Fatalf("lunar-go day %q: %v", h.GetDay(), err)
				}
				k := holiday
				if h.IsWork() {
					k = makeup
				}
				theirs[d] = k
			}
		}
	}
	diffs := 0
	for _, y := range c.Years() {
		from, to := dayFromDate(y, time.January, 1), dayFromDate(y, time.December, 31)
		for d := from; d <= to; d++ {
			them := !d.weekend()
			switch theirs[d] {
			case holiday:
				them = false
			case makeup:
				them = true
			}
			if ours := c.known(d); ours != them {
				diffs++
				t.Errorf("%s: shipped: working day %v (%s); lunar-go: working day %v (%s)",
					d, ours, kindName(c.days[d]), them, kindName(theirs[d]))
			}
		}
	}
	t.Logf("%d shipped years compared day by day with lunar-go: %d differences", len(c.Years()), diffs)
}

func kindName(k kind) string {
	switch k {
	case holiday:
		return "holiday"
	case makeup:
		return "make-up working day"
	}
	return "not listed"
}
