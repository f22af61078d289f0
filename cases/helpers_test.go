package cases

import (
	"time"

	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/workday"
)

// calendar is China's official calendar as shipped (2021–2026). The tests
// lean on 2026: Mid-Autumn 25–27 September, National Day 1–7 October, and
// Sunday 20 September and Saturday 10 October worked instead.
func calendar() Calendar { return workday.Default() }

var _ Calendar = (*workday.Calendar)(nil)

// cst is a Beijing time.
func cst(y, mo, d, h, mi int) time.Time {
	return time.Date(y, time.Month(mo), d, h, mi, 0, 0, checker.CST)
}
