package registry

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"time"

	"github.com/beianwatch/beianwatch/checker"
)

// Column types that read and write the same on both engines.

// timeLayout is how times are written: UTC, microseconds (PostgreSQL's
// precision, so a time reads back equal on both engines) and fixed width,
// so that SQLite, which keeps them as text, orders text as time.
const timeLayout = "2006-01-02T15:04:05.000000Z07:00"

// dbTime is a timestamp column; the zero time is NULL.
type dbTime time.Time

// ts makes t a query argument.
func ts(t time.Time) dbTime { return dbTime(t) }

// utcMicro is t as the store keeps it.
func utcMicro(t time.Time) time.Time {
	if t.IsZero() {
		return time.Time{}
	}
	return t.UTC().Truncate(time.Microsecond)
}

func (t dbTime) Value() (driver.Value, error) {
	if time.Time(t).IsZero() {
		return nil, nil
	}
	return utcMicro(time.Time(t)).Format(timeLayout), nil
}

func (t *dbTime) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*t = dbTime{}
	case time.Time: // lib/pq
		*t = dbTime(v.UTC())
	case string: // SQLite
		return t.parse(v)
	case []byte:
		return t.parse(string(v))
	default:
		return fmt.Errorf("scan time: unexpected %T", v)
	}
	return nil
}

func (t *dbTime) parse(s string) error {
	p, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("scan time: %w", err)
	}
	*t = dbTime(p.UTC())
	return nil
}

// dbDate is a date column (TEXT YYYY-MM-DD on SQLite, DATE on
// PostgreSQL); the zero Date is NULL.
type dbDate checker.Date

func (d dbDate) Value() (driver.Value, error) {
	if checker.Date(d).IsZero() {
		return nil, nil
	}
	return checker.Date(d).String(), nil
}

func (d *dbDate) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*d = dbDate{}
	case time.Time:
		// lib/pq reads a DATE as midnight in UTC: take the calendar date
		// as written, without moving it to CST.
		*d = dbDate{Year: v.Year(), Month: v.Month(), Day: v.Day()}
	case string:
		return d.parse(v)
	case []byte:
		return d.parse(string(v))
	default:
		return fmt.Errorf("scan date: unexpected %T", v)
	}
	return nil
}

func (d *dbDate) parse(s string) error {
	if len(s) > len(time.DateOnly) { // a driver may add a time of day
		s = s[:len(time.DateOnly)]
	}
	p, err := checker.ParseDate(s)
	*d = dbDate(p)
	return err
}

// jsonList is a column holding a list as JSON (TEXT on SQLite, JSONB on
// PostgreSQL). A nil list is written as [] and [] reads back as nil, so
// that empty lists compare equal however they were made.
type jsonList[T any] []T

func (l jsonList[T]) Value() (driver.Value, error) {
	if len(l) == 0 {
		return "[]", nil
	}
	b, err := json.Marshal([]T(l))
	return string(b), err
}

func (l *jsonList[T]) Scan(v any) error {
	var b []byte
	switch v := v.(type) {
	case string:
		b = []byte(v)
	case []byte:
		b = v
	default:
		return fmt.Errorf("scan JSON: unexpected %T", v)
	}
	*l = nil
	if err := json.Unmarshal(b, l); err != nil {
		return fmt.Errorf("scan JSON: %w", err)
	}
	if len(*l) == 0 {
		*l = nil
	}
	return nil
}
