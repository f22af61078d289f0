package checker

import (
	"encoding/json"
	"fmt"
	"time"
)

// CST is China Standard Time (UTC+8, no daylight saving). Filing dates are
// Beijing dates, so every day count is made on this clock.
var CST = time.FixedZone("CST", 8*3600)

// Date is a calendar date in China Standard Time. The zero Date means
// "unknown".
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate parses a YYYY-MM-DD date. The empty string is the zero Date.
func ParseDate(s string) (Date, error) {
	if s == "" {
		return Date{}, nil
	}
	t, err := time.ParseInLocation(time.DateOnly, s, CST)
	if err != nil {
		return Date{}, fmt.Errorf("parse date %q: want YYYY-MM-DD", s)
	}
	return DateOf(t), nil
}

// DateOf returns the CST calendar date of an instant.
func DateOf(t time.Time) Date {
	y, m, d := t.In(CST).Date()
	return Date{y, m, d}
}

// IsZero reports whether the date is unknown.
func (d Date) IsZero() bool { return d == Date{} }

// Time returns the date's midnight in CST.
func (d Date) Time() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, CST) }

// AddDays returns the date n calendar days later (earlier when n < 0).
func (d Date) AddDays(n int) Date { return DateOf(d.Time().AddDate(0, 0, n)) }

// Sub returns the number of calendar days from e to d.
func (d Date) Sub(e Date) int {
	// Both are CST midnights with no DST, so the difference is whole days.
	return int(d.Time().Sub(e.Time()).Hours() / 24)
}

// Before reports whether d is earlier than e.
func (d Date) Before(e Date) bool { return d.Sub(e) < 0 }

// After reports whether d is later than e.
func (d Date) After(e Date) bool { return d.Sub(e) > 0 }

// String formats the date as YYYY-MM-DD, or "" when unknown.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day)
}

// MarshalJSON writes "YYYY-MM-DD", or null when unknown.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(d.String())
}

// UnmarshalJSON reads "YYYY-MM-DD", "" or null.
func (d *Date) UnmarshalJSON(b []byte) error {
	var s *string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	if s == nil {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(*s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// DeadlineText writes a deadline as people read one, in Beijing time. A
// period in days ends at 24:00 of its last day (Civil Code art. 201), the
// instant that is also the next day's 00:00; it is written as the day it
// ends, "by end of 2026-12-21 CST", never as the next day's midnight. Any
// other instant is "by 2026-12-21 15:04 CST". The zero time is "-".
func DeadlineText(t time.Time) string {
	switch {
	case t.IsZero():
		return "-"
	case isMidnight(t):
		return "by end of " + DateOf(t.Add(-time.Nanosecond)).String() + " CST"
	}
	return "by " + t.In(CST).Format("2006-01-02 15:04") + " CST"
}

// DeadlineTextZH is DeadlineText in Chinese: "2026-12-21 当日结束前(北京时间)"
// or "2026-12-21 15:04 前(北京时间)".
func DeadlineTextZH(t time.Time) string {
	switch {
	case t.IsZero():
		return "-"
	case isMidnight(t):
		return DateOf(t.Add(-time.Nanosecond)).String() + " 当日结束前(北京时间)"
	}
	return t.In(CST).Format("2006-01-02 15:04") + " 前(北京时间)"
}

// isMidnight reports whether t is 00:00:00 exactly in Beijing time.
func isMidnight(t time.Time) bool {
	h, m, s := t.In(CST).Clock()
	return h == 0 && m == 0 && s == 0 && t.Nanosecond() == 0
}

// DueSoonWindows are the "due soon" windows, in calendar days before a
// pending deadline, narrowest first: an alert fires as a deadline enters
// each, dashboards count each, and a site with a deadline inside the
// widest is checked at the recheck interval. Each call returns a new
// slice.
func DueSoonWindows() []int { return []int{1, 3, 7} }
