package workday

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/beianwatch/beianwatch/checker"
)

// Year is one year's holiday arrangement as the State Council's notice
// (国务院办公厅关于YYYY年部分节假日安排的通知) publishes it: the holiday
// ranges and the weekend days that are worked instead (调休上班). It is the
// JSON form of the files under data/ and of the files an operator supplies
// for newer years.
type Year struct {
	// Year is the year the notice is for.
	Year int `json:"year"`
	// Source names the notice (title, document number, address) so that a
	// reader can check the data against it. Required.
	Source string `json:"source"`
	// Holidays are the days off, in date order, one entry per festival.
	Holidays []Holiday `json:"holidays"`
	// Workdays are the weekend days that are working days, in date order.
	Workdays []Workday `json:"workdays"`
}

// Holiday is one festival's days off, From through To inclusive.
type Holiday struct {
	Name string `json:"name"`
	From string `json:"from"` // YYYY-MM-DD
	To   string `json:"to"`   // YYYY-MM-DD, inclusive
	// Days is the notice's "共N天"; when set it must equal the length of
	// From..To, which catches a mistyped date.
	Days int `json:"days,omitempty"`
	// Notice is the notice's sentence for this festival, kept for review.
	Notice string `json:"notice,omitempty"`
}

// Workday is a weekend day worked in exchange for a holiday (调休上班).
type Workday struct {
	Date string `json:"date"` // YYYY-MM-DD, a Saturday or a Sunday
	For  string `json:"for,omitempty"`
}

// day is a calendar date in China Standard Time, counted in days from
// 1970-01-01. A plain integer keeps lookups and day-by-day walks cheap.
type day int32

func dayOf(t time.Time) day {
	y, m, d := t.In(checker.CST).Date()
	return dayFromDate(y, m, d)
}

func dayFromDate(y int, m time.Month, d int) day {
	return day(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// start is the instant the day begins in CST.
func (d day) start() time.Time {
	return time.Unix(int64(d)*86400-8*3600, 0).In(checker.CST)
}

func (d day) year() int { return d.start().Year() }

// weekend reports whether the day is a Saturday or a Sunday.
func (d day) weekend() bool {
	// 1970-01-01 was a Thursday (time.Weekday 4).
	wd := (int(d)%7 + 7 + 4) % 7
	return wd == int(time.Saturday) || wd == int(time.Sunday)
}

func (d day) String() string { return d.start().Format(time.DateOnly) }

func parseDay(s string) (day, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return 0, fmt.Errorf("%q is not a YYYY-MM-DD date", s)
	}
	return dayFromDate(t.Date()), nil
}

// ParseYear reads one year file and validates it. name is used in error
// messages (a file name, or "embedded 2025.json"). Errors name the line of
// a JSON syntax error or the field of a bad value.
func ParseYear(r io.Reader, name string) (Year, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return Year{}, fmt.Errorf("read %s: %w", name, err)
	}
	b = bytes.TrimPrefix(b, []byte("\uFEFF"))
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	var y Year
	if err := dec.Decode(&y); err != nil {
		return Year{}, fmt.Errorf("%s: %s", name, jsonError(b, err))
	}
	if dec.More() {
		return Year{}, fmt.Errorf("%s: line %d: more than one JSON value", name, lineOf(b, dec.InputOffset()))
	}
	if err := y.validate(); err != nil {
		return Year{}, fmt.Errorf("%s: %w", name, err)
	}
	return y, nil
}

// jsonError turns a decoder error into a message with a line number.
func jsonError(b []byte, err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("line %d: %v", lineOf(b, syn.Offset), syn)
	case errors.As(err, &typ):
		return fmt.Sprintf("line %d: %s: want %s, got JSON %s", lineOf(b, typ.Offset), typ.Field, typ.Type, typ.Value)
	case errors.Is(err, io.EOF):
		return "empty file"
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "truncated JSON"
	}
	// DisallowUnknownFields reports `json: unknown field "x"` with no offset.
	return strings.TrimPrefix(err.Error(), "json: ")
}

func lineOf(b []byte, offset int64) int {
	if offset > int64(len(b)) {
		offset = int64(len(b))
	}
	return bytes.Count(b[:offset], []byte("\n")) + 1
}

// validate checks what the notices always satisfy. Dates belong to the
// notice's year, except that New Year's Day ranges and make-up days may
// reach back into the December before (the 2023 notice begins its holiday
// on 2022-12-31; the 2012 one had 2011-12-31 worked).
func (y *Year) validate() error {
	if y.Year < 1990 || y.Year > 2999 {
		return fmt.Errorf("year: %d is not a plausible notice year", y.Year)
	}
	if strings.TrimSpace(y.Source) == "" {
		return errors.New("source: missing; name the notice the data comes from")
	}
	if len(y.Holidays) == 0 {
		return errors.New("holidays: none listed; every notice has holidays")
	}
	ranges, err := y.holidayRanges()
	if err != nil {
		return err
	}
	return y.validateWorkdays(ranges)
}

// inScope reports whether d may appear in year y's file.
func (y *Year) inScope(d day) bool {
	t := d.start()
	return t.Year() == y.Year || t.Year() == y.Year-1 && t.Month() == time.December
}

type span struct{ from, to day }

func (y *Year) holidayRanges() ([]span, error) {
	out := make([]span, 0, len(y.Holidays))
	for i, h := range y.Holidays {
		field := fmt.Sprintf("holidays[%d]", i)
		if strings.TrimSpace(h.Name) == "" {
			return nil, fmt.Errorf("%s.name: missing", field)
		}
		from, err := y.scopedDay(field+".from", h.From)
		if err != nil {
			return nil, err
		}
		to, err := y.scopedDay(field+".to", h.To)
		if err != nil {
			return nil, err
		}
		if to < from {
			return nil, fmt.Errorf("%s: to %s is before from %s", field, to, from)
		}
		if to.year() != y.Year {
			return nil, fmt.Errorf("%s.to: %s is not in %d", field, to, y.Year)
		}
		if n := int(to-from) + 1; h.Days != 0 && h.Days != n {
			return nil, fmt.Errorf("%s.days: %s..%s holds %d days, not %d", field, from, to, n, h.Days)
		}
		if i > 0 && from <= out[i-1].to {
			return nil, fmt.Errorf("%s: %s starts before the previous holiday ends (%s); list holidays in date order without overlap",
				field, from, out[i-1].to)
		}
		out = append(out, span{from, to})
	}
	return out, nil
}

func (y *Year) validateWorkdays(holidays []span) error {
	var prev day
	for i, w := range y.Workdays {
		field := fmt.Sprintf("workdays[%d]", i)
		d, err := y.scopedDay(field+".date", w.Date)
		if err != nil {
			return err
		}
		if !d.weekend() {
			return fmt.Errorf("%s.date: %s is a %s; make-up working days are Saturdays or Sundays",
				field, d, d.start().Weekday())
		}
		for j, h := range holidays {
			if d >= h.from && d <= h.to {
				return fmt.Errorf("%s.date: %s is also a holiday (holidays[%d] %s)", field, d, j, y.Holidays[j].Name)
			}
		}
		if i > 0 && d <= prev {
			return fmt.Errorf("%s.date: %s is not after %s; list workdays in date order, once each", field, d, prev)
		}
		prev = d
	}
	return nil
}

func (y *Year) scopedDay(field, s string) (day, error) {
	d, err := parseDay(s)
	if err != nil {
		return 0, fmt.Errorf("%s: %v", field, err)
	}
	if !y.inScope(d) {
		return 0, fmt.Errorf("%s: %s is outside %d (a notice covers its year and at most the December before)", field, d, y.Year)
	}
	return d, nil
}

// LoadFile reads one year file from disk.
func LoadFile(path string) (Year, error) {
	f, err := os.Open(path)
	if err != nil {
		return Year{}, fmt.Errorf("load holiday calendar: %w", err)
	}
	defer f.Close()
	y, err := ParseYear(f, path)
	if err != nil {
		return Year{}, err
	}
	if err := checkFileYear(path, y.Year); err != nil {
		return Year{}, err
	}
	return y, nil
}

// LoadDir reads every *.json file in dir, in name order. Other files are
// ignored so that a README can sit beside the data.
func LoadDir(dir string) ([]Year, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("load holiday calendar %s: %w", dir, err)
	}
	if len(paths) == 0 {
		if _, err := os.Stat(dir); err != nil {
			return nil, fmt.Errorf("load holiday calendar: %w", err)
		}
		return nil, fmt.Errorf("load holiday calendar %s: no *.json year files", dir)
	}
	sort.Strings(paths)
	years := make([]Year, 0, len(paths))
	for _, p := range paths {
		y, err := LoadFile(p)
		if err != nil {
			return nil, err
		}
		years = append(years, y)
	}
	return years, nil
}

// checkFileYear catches a file copied to a new year's name but not
// edited: a file named like a year must hold that year.
func checkFileYear(path string, year int) error {
	base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	n, err := strconv.Atoi(base)
	if err != nil || len(base) != 4 {
		return nil
	}
	if n != year {
		return fmt.Errorf("%s: year: the file holds %d but is named for %d", path, year, n)
	}
	return nil
}
