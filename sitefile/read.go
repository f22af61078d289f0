package sitefile

import (
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"

	"github.com/beianwatch/beianwatch/registry"
)

// Formats of a site file.
const (
	FormatCSV  = "csv"
	FormatJSON = "json"
)

// ErrEmpty is returned for a file with no header (CSV) or no JSON value.
var ErrEmpty = errors.New("empty file")

// ReadOptions say how to read a file. The zero value reads UTF-8 and picks
// the format from the file name.
type ReadOptions struct {
	// Format is FormatCSV, FormatJSON or FormatXLSX; "" picks it from
	// the name's extension (.csv, .json or .xlsx).
	Format string
	// Encoding is EncodingUTF8 (or ""; a BOM is skipped), EncodingGBK or
	// EncodingGB18030. A workbook (.xlsx) has its own, and takes none.
	Encoding string
	// Now is the time of the import: dates after its China Standard Time
	// date are in the future, and it bounds the year of 10-digit ICP
	// numbers. Zero means time.Now().
	Now time.Time
}

// RowError is one problem found in one row: an error, which rejects the
// row, or a warning (Row.Warnings), which does not. Its message never holds
// personal data.
type RowError struct {
	File string
	// Line is the row's line in the file (see Row.Line).
	Line int
	// Column is the column's header name, or "" for the whole row.
	Column  string
	Message string
	Warning bool
}

// Error formats the problem as file:line: column: message, the way
// compilers do, so that editors can jump to it.
func (e *RowError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d: ", e.File, e.Line)
	if e.Warning {
		b.WriteString("warning: ")
	}
	if e.Column != "" {
		b.WriteString(e.Column + ": ")
	}
	b.WriteString(e.Message)
	return b.String()
}

// Row is one row of a file, validated.
type Row struct {
	// Line is where the row starts: for CSV the physical line of its first
	// field (a quoted field may span lines), for JSON the line of its
	// object's opening brace.
	Line int
	// Index counts the file's rows from 0, blank CSV rows left out.
	Index int
	// Site is the row as a site. It is complete only when Errors is empty.
	Site     registry.Site
	Errors   []*RowError
	Warnings []*RowError
}

// record is one row's raw cells, as the format read them.
type record struct {
	line, index int
	cells       [numColumns]string
	// problems are the format's own complaints about the row (a wrong
	// field count, an unknown JSON key).
	problems []*RowError
}

// source reads records of one format.
type source interface {
	// next fills rec with the next record; io.EOF after the last. Any
	// other error is fatal and already names the file and line.
	next(rec *record) error
}

// Reader reads and validates a site file row by row, holding only the
// current row and the domains seen so far (to find duplicates).
type Reader struct {
	src source
	v   *validator
}

// NewReader returns a Reader for r. name is the file's name, used in
// messages and, without opts.Format, to pick the format. It reads the CSV
// header (or the opening of the JSON array) and fails if that is wrong: an
// empty file (ErrEmpty), an unknown, duplicated or missing column, text not
// in the encoding.
func NewReader(r io.Reader, name string, opts ReadOptions) (*Reader, error) {
	format, err := pickFormat(name, opts.Format)
	if err != nil {
		return nil, err
	}
	var src source
	switch format {
	case FormatXLSX:
		if _, e, err := textEncoding(opts.Encoding); err != nil || e != nil {
			return nil, fmt.Errorf("%s: an Excel workbook has no text encoding to set (want utf-8, the default)", name)
		}
		src, err = newXLSXSource(r, name)
	default:
		var text io.Reader
		if text, err = decodeText(r, opts.Encoding); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if format == FormatCSV {
			src, err = newCSVSource(text, name)
		} else {
			src, err = newJSONSource(text, name)
		}
	}
	if err != nil {
		return nil, err
	}
	now := opts.Now
	if now.IsZero() {
		now = time.Now()
	}
	return &Reader{src: src, v: newValidator(name, now)}, nil
}

func pickFormat(name, format string) (string, error) {
	if format == "" {
		format = strings.TrimPrefix(strings.ToLower(filepath.Ext(name)), ".")
		if format != FormatCSV && format != FormatJSON && format != FormatXLSX {
			return "", fmt.Errorf("%s: cannot tell the format from the name: want a .csv, .json or .xlsx file", name)
		}
	}
	switch f := strings.ToLower(format); f {
	case FormatCSV, FormatJSON, FormatXLSX:
		return f, nil
	}
	return "", fmt.Errorf("unknown format %q: want csv, json or xlsx", format)
}

// Next returns the next row, io.EOF after the last one. A row with
// problems is returned with its Errors set, and reading may go on; any
// error returned is fatal (a broken file) and names the file and line.
func (r *Reader) Next() (*Row, error) {
	var rec record
	if err := r.src.next(&rec); err != nil {
		return nil, err
	}
	return r.v.row(&rec), nil
}

// Read reads a whole file: the rows that passed validation (with their
// warnings) and the errors of those that did not. The error is fatal, as
// from NewReader or Reader.Next. To handle a large file row by row, use a
// Reader.
func Read(r io.Reader, name string, opts ReadOptions) ([]Row, []*RowError, error) {
	rd, err := NewReader(r, name, opts)
	if err != nil {
		return nil, nil, err
	}
	var rows []Row
	var bad []*RowError
	for {
		row, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return rows, bad, nil
		}
		if err != nil {
			return nil, nil, err
		}
		if len(row.Errors) > 0 {
			bad = append(bad, row.Errors...)
			continue
		}
		rows = append(rows, *row)
	}
}
