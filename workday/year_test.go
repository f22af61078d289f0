package workday

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestLoadFileErrors(t *testing.T) {
	tests := []struct {
		file string
		want string // after "testdata/bad/<file>: "
	}{
		{"syntax.json", `line 4: invalid character '"' after object key:value pair`},
		{"unknown_field.json", `unknown field "holiday"`},
		{"type.json", "line 2: year: want int, got JSON string"},
		{"empty.json", "empty file"},
		{"two_values.json", "line 2: more than one JSON value"},
		{"bad_date.json", `holidays[0].from: "2027-02-30" is not a YYYY-MM-DD date`},
		{"out_of_year.json", "holidays[0].from: 2026-11-30 is outside 2027 (a notice covers its year and at most the December before)"},
		{"ends_next_year.json", "holidays[0].to: 2026-12-31 is not in 2027"},
		{"reversed.json", "holidays[0]: to 2027-02-06 is before from 2027-02-10"},
		{"days_mismatch.json", "holidays[0].days: 2027-02-06..2027-02-12 holds 7 days, not 8"},
		{"weekday_makeup.json", "workdays[0].date: 2027-01-04 is a Monday; make-up working days are Saturdays or Sundays"},
		{"makeup_is_holiday.json", "workdays[0].date: 2027-01-02 is also a holiday (holidays[0] 元旦)"},
		{"overlap.json", "holidays[1]: 2027-09-15 starts before the previous holiday ends (2027-10-07); list holidays in date order without overlap"},
		{"duplicate_workday.json", "workdays[1].date: 2027-01-09 is not after 2027-01-09; list workdays in date order, once each"},
		{"no_holidays.json", "holidays: none listed; every notice has holidays"},
		{"no_source.json", "source: missing; name the notice the data comes from"},
		{"no_name.json", "holidays[0].name: missing"},
		{"2028.json", "year: the file holds 2027 but is named for 2028"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", "bad", tt.file)
			_, err := LoadFile(path)
			want := path + ": " + tt.want
			if err == nil || err.Error() != want {
				t.Errorf("LoadFile(%s) error = %v\nwant %s", path, err, want)
			}
		})
	}
}

func TestLoadDirErrors(t *testing.T) {
	if _, err := LoadDir(filepath.Join("testdata", "bad")); err == nil {
		t.Error("LoadDir(testdata/bad) succeeded, want the first bad file's error")
	}
	missing := filepath.Join("testdata", "no-such-dir")
	if _, err := LoadDir(missing); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadDir(%s) error = %v, want fs.ErrNotExist", missing, err)
	}
	empty := t.TempDir()
	want := "load holiday calendar " + empty + ": no *.json year files"
	if _, err := LoadDir(empty); err == nil || err.Error() != want {
		t.Errorf("LoadDir(empty) error = %v, want %q", err, want)
	}
}

func TestParseYearBOM(t *testing.T) {
	in := "\uFEFF" + `{"year": 2027, "source": "x", "holidays": [{"name": "元旦", "from": "2027-01-01", "to": "2027-01-01"}]}`
	y, err := ParseYear(strings.NewReader(in), "bom.json")
	if err != nil {
		t.Fatalf("ParseYear(BOM file): %v", err)
	}
	if y.Year != 2027 {
		t.Errorf("ParseYear(BOM file).Year = %d, want 2027", y.Year)
	}
}

// TestEmbeddedFilesValid loads the shipped files the way an operator's
// would be loaded, file names included.
func TestEmbeddedFilesValid(t *testing.T) {
	years, err := LoadDir("data")
	if err != nil {
		t.Fatal(err)
	}
	if len(years) != len(Default().Years()) {
		t.Errorf("LoadDir(data) found %d years, Default has %d", len(years), len(Default().Years()))
	}
}

// FuzzParseYear: no input panics, and whatever parses also builds a
// calendar whose every listed holiday is a non-working day.
func FuzzParseYear(f *testing.F) {
	for _, p := range []string{"data/2025.json", "data/2023.json", "testdata/operator/2027.json", "testdata/bad/overlap.json"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		y, err := ParseYear(bytes.NewReader(b), "fuzz.json")
		if err != nil {
			return
		}
		c, err := New(y)
		if err != nil {
			t.Fatalf("ParseYear accepted a year New rejects: %v", err)
		}
		for _, h := range y.Holidays {
			d, _ := parseDay(h.To)
			if ok, err := c.working(d); err != nil || ok {
				t.Errorf("holiday %s: working = %v, %v; want false, nil", d, ok, err)
			}
		}
	})
}

// FuzzAddWorkingDays checks AddWorkingDays against its definition over the
// shipped calendar: the result ends a working day (or the start day when
// n = 0), exactly n working days lie in (start, result], adding one more
// day moves the deadline later, and the only error is running off the
// calendar.
func FuzzAddWorkingDays(f *testing.F) {
	// Seeds also live in testdata/fuzz/FuzzAddWorkingDays.
	f.Add(int64(0), uint16(3))
	c := Default()
	f.Fuzz(func(t *testing.T, offset int64, n uint16) {
		first := at("2021-01-01 00:00")
		span := int64(at("2027-01-01 00:00").Sub(first) / time.Second)
		if offset < 0 {
			offset = -(offset + 1)
		}
		start := first.Add(time.Duration(offset%span) * time.Second)
		got, err := c.AddWorkingDays(start, int(n))
		if err != nil {
			if !errors.Is(err, ErrOutsideCalendar) {
				t.Fatalf("AddWorkingDays(%v, %d): %v", start, n, err)
			}
			return
		}
		if got.Before(start) {
			t.Fatalf("AddWorkingDays(%v, %d) = %v, before the start", start, n, got)
		}
		if !got.Equal(endOf(dayOf(got))) {
			t.Errorf("AddWorkingDays(%v, %d) = %v, not the end of a day", start, n, got)
		}
		if n > 0 {
			if ok, _ := c.IsWorkingDay(got); !ok {
				t.Errorf("AddWorkingDays(%v, %d) = %v, not a working day", start, n, got)
			}
		} else if dayOf(got) != dayOf(start) {
			t.Errorf("AddWorkingDays(%v, 0) = %v, not the start day", start, got)
		}
		count, err := c.CountWorkingDays(start, got)
		if err != nil || count != int(n) {
			t.Errorf("CountWorkingDays(%v, %v) = %d, %v; want %d", start, got, count, err, n)
		}
		next, err := c.AddWorkingDays(start, int(n)+1)
		if err == nil && !next.After(got) {
			t.Errorf("AddWorkingDays(%v, %d) = %v, not after %v for one day fewer", start, n+1, next, got)
		}
	})
}
