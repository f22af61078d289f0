package sitefile

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// colNone marks a CSV column with an empty header: Excel leaves those
// behind when a column once held something.
const colNone column = -1

// csvSource reads CSV records by the header's columns.
type csvSource struct {
	name  string
	r     *csv.Reader
	cols  []column // by field position
	index int
}

func newCSVSource(r io.Reader, name string) (*csvSource, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1 // a wrong count is the row's problem, not the file's
	cr.ReuseRecord = true
	s := &csvSource{name: name, r: cr}
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %w: want a header line naming the columns", name, ErrEmpty)
	}
	if err != nil {
		return nil, s.fatal(err)
	}
	line, _ := cr.FieldPos(0)
	if s.cols, err = headerColumns(name, line, header); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *csvSource) fatal(err error) error {
	var ee *encodingError
	if errors.As(err, &ee) {
		return fmt.Errorf("%s:%d: %s", s.name, ee.line, ee.msg)
	}
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s:%d:%d: %v", s.name, pe.Line, pe.Column, pe.Err)
	}
	return fmt.Errorf("%s: %w", s.name, err)
}

func (s *csvSource) next(rec *record) error {
	for {
		fields, err := s.r.Read()
		if errors.Is(err, io.EOF) {
			return io.EOF
		}
		if err != nil {
			return s.fatal(err)
		}
		if blank(fields) {
			continue // Excel writes rows of empty cells below the data
		}
		rec.line, _ = s.r.FieldPos(0)
		rec.index = s.index
		s.index++
		fillRecord(s.name, rec, fields, s.cols)
		return nil
	}
}

// headerColumns reads a header row (CSV or a sheet's first row) on line:
// every name must be a known column, once, and domains must be there.
func headerColumns(name string, line int, header []string) ([]column, error) {
	var cols []column
	var errs []error
	seen := make(map[column]bool)
	for _, h := range header {
		h = strings.TrimPrefix(h, "\ufeff") // a second BOM, from a file concatenated
		if strings.TrimSpace(h) == "" {
			cols = append(cols, colNone)
			continue
		}
		c, ok := columnByName(h)
		switch {
		case !ok:
			errs = append(errs, fmt.Errorf("%s:%d: unknown column %q", name, line, strings.TrimSpace(h)))
		case seen[c]:
			errs = append(errs, fmt.Errorf("%s:%d: column %q appears twice", name, line, c))
		default:
			seen[c] = true
		}
		cols = append(cols, c)
	}
	if !seen[colDomains] {
		errs = append(errs, fmt.Errorf("%s:%d: no %q column; it is required", name, line, colDomains))
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return cols, nil
}

// fillRecord puts a row's fields in rec's cells by the header's columns;
// a wrong field count or a value under no header is the row's problem.
func fillRecord(name string, rec *record, fields []string, cols []column) {
	if len(fields) != len(cols) {
		rec.problems = append(rec.problems, &RowError{File: name, Line: rec.line,
			Message: fmt.Sprintf("%d fields, but the header has %d", len(fields), len(cols))})
		return
	}
	for i, f := range fields {
		v := unguard(strings.TrimSpace(f))
		switch c := cols[i]; {
		case c != colNone:
			rec.cells[c] = v
		case v != "":
			rec.problems = append(rec.problems, &RowError{File: name, Line: rec.line,
				Message: fmt.Sprintf("field %d has a value but its column has no header", i+1)})
		}
	}
}

func blank(fields []string) bool {
	for _, f := range fields {
		if strings.TrimSpace(f) != "" {
			return false
		}
	}
	return true
}

// formulaStart are the first characters that make a spreadsheet read a
// cell as a formula (CSV injection). Export guards such cells with a
// leading apostrophe, which Excel hides; import takes it off again.
const formulaStart = "=+-@\t\r"

// GuardCell prefixes a cell that a spreadsheet would run as a formula
// with an apostrophe: every CSV the tool writes guards its cells with it
// (customer text is anyone's text).
func GuardCell(s string) string {
	if s != "" && strings.IndexByte(formulaStart, s[0]) >= 0 {
		return "'" + s
	}
	return s
}

// unguard undoes GuardCell.
func unguard(s string) string {
	if len(s) > 1 && s[0] == '\'' && strings.IndexByte(formulaStart, s[1]) >= 0 {
		return strings.TrimSpace(s[1:])
	}
	return s
}
