package workday

import (
	"errors"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/beianwatch/beianwatch/checker"
)

// at is a China Standard Time instant.
func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, checker.CST)
	if err != nil {
		panic(err)
	}
	return t
}

// eod is the end of a CST day, the form AddWorkingDays returns.
func eod(date string) time.Time {
	return at(date+" 00:00").AddDate(0, 0, 1).Add(-time.Nanosecond)
}

func TestDefaultYears(t *testing.T) {
	got := Default().Years()
	want := []int{2021, 2022, 2023, 2024, 2025, 2026, 2027}
	if !slices.Equal(got, want) {
		t.Errorf("Default().Years() = %v, want %v", got, want)
	}
	for _, y := range want {
		if src := Default().Source(y); !strings.Contains(src, "国务院办公厅") {
			t.Errorf("Source(%d) = %q, want the notice's title", y, src)
		}
	}
}

// TestDefaultCounts pins each shipped year's totals (days off inside the
// holiday ranges, make-up days) as counted from the notices, so an edit
// that drops or adds a day fails here.
func TestDefaultCounts(t *testing.T) {
	want := map[int][2]int{
		2021: {31, 7}, 2022: {31, 7}, 2023: {27, 7},
		2024: {28, 8}, 2025: {28, 5}, 2026: {33, 6},
		2027: {29, 5},
	}
	c := Default()
	for y, w := range want {
		var off, work int
		for _, h := range c.years[y].Holidays {
			from, _ := parseDay(h.From)
			to, _ := parseDay(h.To)
			off += int(to-from) + 1
		}
		work = len(c.years[y].Workdays)
		if off != w[0] || work != w[1] {
			t.Errorf("%d: %d days off, %d make-up days; want %d, %d", y, off, work, w[0], w[1])
		}
	}
}

func TestIsWorkingDay(t *testing.T) {
	c := Default()
	tests := []struct {
		name string
		t    time.Time
		want bool
	}{
		{"ordinary Tuesday", at("2025-09-30 10:00"), true},
		{"ordinary Saturday", at("2025-09-27 10:00"), false},
		{"make-up Sunday before National Day", at("2025-09-28 10:00"), true},
		{"National Day", at("2025-10-01 10:00"), false},
		{"last day of National Day week, a Wednesday", at("2025-10-08 10:00"), false},
		{"first working day after", at("2025-10-09 10:00"), true},
		{"make-up Saturday after National Day", at("2025-10-11 10:00"), true},
		{"the Sunday after it", at("2025-10-12 10:00"), false},
		{"Spring Festival eve 2026 (a Monday)", at("2026-02-16 10:00"), false},
		{"make-up Saturday 2026-02-28", at("2026-02-28 10:00"), true},
		{"2023 New Year holiday reaching into 2022", at("2022-12-31 10:00"), false},
		{"2023-01-02 Monday holiday", at("2023-01-02 10:00"), false},
		// 2025-09-27 16:30 UTC is already Sunday the 28th in Beijing.
		{"UTC instant read in CST", time.Date(2025, 9, 27, 16, 30, 0, 0, time.UTC), true},
		{"UTC instant still Saturday in CST", time.Date(2025, 9, 27, 15, 59, 0, 0, time.UTC), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.IsWorkingDay(tt.t)
			if err != nil {
				t.Fatalf("IsWorkingDay(%v): %v", tt.t, err)
			}
			if got != tt.want {
				t.Errorf("IsWorkingDay(%v) = %v, want %v", tt.t, got, tt.want)
			}
		})
	}
}

func TestIsWorkingDayOutside(t *testing.T) {
	for _, d := range []time.Time{at("2020-12-31 12:00"), at("2028-01-01 00:00"), at("1999-06-01 00:00")} {
		_, err := Default().IsWorkingDay(d)
		if !errors.Is(err, ErrOutsideCalendar) {
			t.Errorf("IsWorkingDay(%v) error = %v, want ErrOutsideCalendar", d, err)
		}
		if err != nil && !strings.Contains(err.Error(), d.Format(time.DateOnly)) {
			t.Errorf("IsWorkingDay(%v) error %q does not name the date", d, err)
		}
	}
}

func TestAddWorkingDays(t *testing.T) {
	c := Default()
	tests := []struct {
		name  string
		start time.Time
		n     int
		want  time.Time
	}{
		// Oct 1–8 off; Oct 9, 10 and the make-up Saturday Oct 11 count.
		{"across National Day week 2025", at("2025-09-30 15:00"), 3, eod("2025-10-11")},
		{"make-up Sunday counts", at("2025-09-26 09:00"), 1, eod("2025-09-28")},
		{"start on a holiday is not counted", at("2025-10-03 09:00"), 1, eod("2025-10-09")},
		{"start on a make-up day is not counted", at("2025-09-28 09:00"), 1, eod("2025-09-29")},
		{"Spring Festival 2025", at("2025-01-27 18:00"), 1, eod("2025-02-05")},
		{"make-up Saturday before Spring Festival 2026", at("2026-02-13 18:00"), 1, eod("2026-02-14")},
		{"across Spring Festival 2026", at("2026-02-13 18:00"), 2, eod("2026-02-24")},
		// Sep 20 make-up Sunday, 21–24, Mid-Autumn 25–27 off, 28, 29.
		{"seven working days across Mid-Autumn 2026", at("2026-09-18 12:00"), 7, eod("2026-09-29")},
		{"across the 2023 New Year that starts in 2022", at("2022-12-30 12:00"), 1, eod("2023-01-03")},
		{"ordinary week", at("2025-03-03 12:00"), 5, eod("2025-03-10")},
		{"n=0 is the end of the start day", at("2025-10-03 10:00"), 0, eod("2025-10-03")},
		{"start late at night UTC is next day in CST", time.Date(2025, 9, 29, 23, 30, 0, 0, time.UTC), 3, eod("2025-10-11")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := c.AddWorkingDays(tt.start, tt.n)
			if err != nil {
				t.Fatalf("AddWorkingDays(%v, %d): %v", tt.start, tt.n, err)
			}
			if !got.Equal(tt.want) {
				t.Errorf("AddWorkingDays(%v, %d) = %v, want %v", tt.start, tt.n, got, tt.want)
			}
			if got.Location() != checker.CST {
				t.Errorf("AddWorkingDays(%v, %d) location = %v, want CST", tt.start, tt.n, got.Location())
			}
		})
	}
}

func TestAddWorkingDaysErrors(t *testing.T) {
	c := Default()
	tests := []struct {
		name    string
		start   time.Time
		n       int
		outside bool
		want    string
	}{
		{"beyond the calendar", at("2027-12-30 10:00"), 3, true, "add 3 working days to 2027-12-30: 2028-01-01: workday: date outside the known holiday calendar (known years: [2021 2022 2023 2024 2025 2026 2027])"},
		{"start before the calendar", at("2020-12-30 10:00"), 1, true, "add 1 working days to 2020-12-30: 2020-12-31: workday: date outside the known holiday calendar (known years: [2021 2022 2023 2024 2025 2026 2027])"},
		{"negative", at("2025-10-03 10:00"), -1, false, "workday: add -1 working days: negative count"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := c.AddWorkingDays(tt.start, tt.n)
			if err == nil {
				t.Fatalf("AddWorkingDays(%v, %d) succeeded, want error", tt.start, tt.n)
			}
			if got := errors.Is(err, ErrOutsideCalendar); got != tt.outside {
				t.Errorf("errors.Is(%v, ErrOutsideCalendar) = %v, want %v", err, got, tt.outside)
			}
			if err.Error() != tt.want {
				t.Errorf("AddWorkingDays(%v, %d) error = %q, want %q", tt.start, tt.n, err, tt.want)
			}
		})
	}
}

func TestAddWorkingDaysProvisional(t *testing.T) {
	c := Default()
	tests := []struct {
		name    string
		start   time.Time
		n       int
		want    time.Time
		guessed []int
	}{
		// Inside the known years it is AddWorkingDays.
		{"known: across New Year 2027", at("2026-12-31 10:00"), 1, eod("2027-01-04"), nil},
		{"known: across Spring Festival 2027 and its make-up Sunday", at("2027-02-04 10:00"), 1, eod("2027-02-14"), nil},
		// 2028 is not known: weekdays count, 1 January 2028 (a Saturday) does not.
		{"beyond: weekends only", at("2027-12-30 10:00"), 3, eod("2028-01-04"), []int{2028}},
		{"beyond: a weekday holiday counts", at("2028-09-29 10:00"), 1, eod("2028-10-02"), []int{2028}},
		{"beyond: several years", at("2027-12-30 10:00"), 600, eod("2030-04-18"), []int{2028, 2029, 2030}},
		{"n=0 guesses nothing", at("2031-05-01 10:00"), 0, eod("2031-05-01"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, guessed, err := c.AddWorkingDaysProvisional(tt.start, tt.n)
			if err != nil {
				t.Fatalf("AddWorkingDaysProvisional(%v, %d): %v", tt.start, tt.n, err)
			}
			if !got.Equal(tt.want) || !slices.Equal(guessed, tt.guessed) {
				t.Errorf("AddWorkingDaysProvisional(%v, %d) = %v, %v; want %v, %v", tt.start, tt.n, got, guessed, tt.want, tt.guessed)
			}
			if strict, err := c.AddWorkingDays(tt.start, tt.n); len(tt.guessed) == 0 && (err != nil || !strict.Equal(got)) {
				t.Errorf("AddWorkingDays(%v, %d) = %v, %v; want the provisional count's %v", tt.start, tt.n, strict, err, got)
			}
		})
	}
	if _, _, err := c.AddWorkingDaysProvisional(at("2027-01-01 10:00"), -1); err == nil {
		t.Errorf("AddWorkingDaysProvisional(-1): no error")
	}
}

func TestKnownUntil(t *testing.T) {
	if got, want := Default().KnownUntil(), eod("2027-12-31"); !got.Equal(want) {
		t.Errorf("Default().KnownUntil() = %v, want %v", got, want)
	}
	// A year after a gap is held but does not extend the known run.
	y2029 := Year{Year: 2029, Source: "test", Holidays: []Holiday{{Name: "元旦", From: "2029-01-01", To: "2029-01-01"}}}
	c, err := Default().Merge(y2029)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.KnownUntil(), eod("2027-12-31"); !got.Equal(want) {
		t.Errorf("KnownUntil with a gap = %v, want %v", got, want)
	}
	if got := (&Calendar{}).KnownUntil(); !got.IsZero() {
		t.Errorf("empty KnownUntil = %v, want zero", got)
	}
}

func TestCountWorkingDays(t *testing.T) {
	c := Default()
	tests := []struct {
		from, to time.Time
		want     int
	}{
		{at("2025-09-30 15:00"), at("2025-10-11 09:00"), 3},
		{at("2025-09-30 15:00"), at("2025-09-30 23:00"), 0},
		{at("2025-10-11 15:00"), at("2025-09-30 23:00"), 0},
		{at("2024-12-31 00:00"), at("2025-12-31 00:00"), 248},
	}
	for _, tt := range tests {
		got, err := c.CountWorkingDays(tt.from, tt.to)
		if err != nil {
			t.Fatalf("CountWorkingDays(%v, %v): %v", tt.from, tt.to, err)
		}
		if got != tt.want {
			t.Errorf("CountWorkingDays(%v, %v) = %d, want %d", tt.from, tt.to, got, tt.want)
		}
	}
}

func TestMergeOperatorYears(t *testing.T) {
	years, err := LoadDir(filepath.Join("testdata", "operator"))
	if err != nil {
		t.Fatal(err)
	}
	base := Default()
	c, err := base.Merge(years...)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := c.Years(), []int{2021, 2022, 2023, 2024, 2025, 2026, 2027}; !slices.Equal(got, want) {
		t.Errorf("Years() = %v, want %v", got, want)
	}
	tests := []struct {
		name string
		c    *Calendar
		t    time.Time
		want bool
	}{
		{"operator 2027 make-up Sunday", c, at("2027-09-26 10:00"), true},
		{"operator 2027 holiday", c, at("2027-10-04 10:00"), false},
		// The operator's 2026 replaces the shipped one wholesale.
		{"shipped 2026 holiday gone", c, at("2026-10-01 10:00"), true},
		{"shipped 2026 make-up day gone", c, at("2026-10-10 10:00"), false},
		{"operator 2026 holiday", c, at("2026-10-02 10:00"), false},
		{"the base calendar is unchanged", base, at("2026-10-01 10:00"), false},
	}
	for _, tt := range tests {
		got, err := tt.c.IsWorkingDay(tt.t)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if got != tt.want {
			t.Errorf("%s: IsWorkingDay(%v) = %v, want %v", tt.name, tt.t, got, tt.want)
		}
	}
	// Across the seam between shipped and operator data.
	got, err := c.AddWorkingDays(at("2026-12-30 10:00"), 2)
	if err != nil {
		t.Fatal(err)
	}
	if want := eod("2027-01-04"); !got.Equal(want) {
		t.Errorf("AddWorkingDays across 2026/2027 = %v, want %v", got, want)
	}
}

// TestMergeDecemberConflict: a New Year notice reaching back into
// December must not contradict the previous year's data.
func TestMergeDecemberConflict(t *testing.T) {
	y2026 := Year{Year: 2026, Source: "test", Holidays: []Holiday{{Name: "x", From: "2026-01-01", To: "2026-01-01"}},
		Workdays: []Workday{{Date: "2026-12-27"}}}
	y2027 := Year{Year: 2027, Source: "test", Holidays: []Holiday{{Name: "元旦", From: "2026-12-27", To: "2027-01-01"}}}
	_, err := New(y2026, y2027)
	want := "workday: the 2026 and 2027 data disagree about 2026-12-27"
	if err == nil || err.Error() != want {
		t.Errorf("New(conflicting years) error = %v, want %q", err, want)
	}
}

func TestMergeValidates(t *testing.T) {
	_, err := Default().Merge(Year{Year: 2027, Source: "x"})
	want := "merge 2027: holidays: none listed; every notice has holidays"
	if err == nil || err.Error() != want {
		t.Errorf("Merge(empty year) error = %v, want %q", err, want)
	}
}
