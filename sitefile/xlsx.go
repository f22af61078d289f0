package sitefile

import (
	"fmt"
	"io"
	"strings"

	"github.com/xuri/excelize/v2"
)

// FormatXLSX is an Excel workbook: the sites on its first sheet, a header
// row naming the columns first, as in a CSV file.
const FormatXLSX = "xlsx"

// MediaTypeXLSX is an Excel workbook's media type, for HTTP.
const MediaTypeXLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

// xlsxSheet is the name of the sheet an export writes.
const xlsxSheet = "sites"

// xlsxUnzipLimit bounds what a workbook may unzip to: an .xlsx is a zip
// file, and a small one can expand to gigabytes.
const xlsxUnzipLimit = 1 << 30

// xlsxSource reads the rows of a workbook's first sheet. Its line numbers
// are the sheet's row numbers, as Excel shows them.
type xlsxSource struct {
	name  string
	f     *excelize.File
	rows  *excelize.Rows
	cols  []column
	row   int // the number of the row last read
	index int
}

func newXLSXSource(r io.Reader, name string) (*xlsxSource, error) {
	f, err := excelize.OpenReader(r, excelize.Options{UnzipSizeLimit: xlsxUnzipLimit})
	if err != nil {
		return nil, fmt.Errorf("%s: not an Excel workbook (.xlsx): %w", name, err)
	}
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		f.Close()
		return nil, fmt.Errorf("%s: %w: the workbook has no sheet", name, ErrEmpty)
	}
	rows, err := f.Rows(sheets[0])
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: sheet %q: %w", name, sheets[0], err)
	}
	s := &xlsxSource{name: name, f: f, rows: rows}
	// The header is the first row that is not blank.
	for {
		cells, err := s.read()
		if err == io.EOF {
			s.close()
			return nil, fmt.Errorf("%s: %w: want a header row naming the columns", name, ErrEmpty)
		}
		if err != nil {
			s.close()
			return nil, err
		}
		if blank(cells) {
			continue
		}
		if s.cols, err = headerColumns(name, s.row, cells); err != nil {
			s.close()
			return nil, err
		}
		return s, nil
	}
}

// read returns the next row's cells, io.EOF after the last.
func (s *xlsxSource) read() ([]string, error) {
	if !s.rows.Next() {
		if err := s.rows.Error(); err != nil {
			return nil, fmt.Errorf("%s:%d: %w", s.name, s.row+1, err)
		}
		return nil, io.EOF
	}
	s.row++
	cells, err := s.rows.Columns()
	if err != nil {
		return nil, fmt.Errorf("%s:%d: %w", s.name, s.row, err)
	}
	return cells, nil
}

func (s *xlsxSource) next(rec *record) error {
	for {
		cells, err := s.read()
		if err == io.EOF {
			s.close()
			return io.EOF
		}
		if err != nil {
			return err
		}
		if blank(cells) {
			continue
		}
		rec.line, rec.index = s.row, s.index
		s.index++
		// A sheet leaves out the empty cells at the end of a row, and may
		// keep empty ones past the header's last column.
		for len(cells) > len(s.cols) && strings.TrimSpace(cells[len(cells)-1]) == "" {
			cells = cells[:len(cells)-1]
		}
		for len(cells) < len(s.cols) {
			cells = append(cells, "")
		}
		fillRecord(s.name, rec, cells, s.cols)
		return nil
	}
}

func (s *xlsxSource) close() {
	s.rows.Close()
	s.f.Close()
}

// xlsxWriter writes an export's rows on one sheet, streamed; the workbook
// is written out by close. Every cell is text, so that no value (a date, a
// number with leading zeros, "=…") is turned into anything else.
type xlsxWriter struct {
	f   *excelize.File
	sw  *excelize.StreamWriter
	row int
}

func newXLSXWriter(header []string) (*xlsxWriter, error) {
	f := excelize.NewFile()
	if err := f.SetSheetName(f.GetSheetName(0), xlsxSheet); err != nil {
		return nil, err
	}
	sw, err := f.NewStreamWriter(xlsxSheet)
	if err != nil {
		return nil, err
	}
	x := &xlsxWriter{f: f, sw: sw}
	// The header row stays in view while scrolling.
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return nil, err
	}
	return x, x.write(header)
}

func (x *xlsxWriter) write(cells []string) error {
	x.row++
	vals := make([]any, len(cells))
	for i, c := range cells {
		vals[i] = c
	}
	cell, err := excelize.CoordinatesToCellName(1, x.row)
	if err != nil {
		return err
	}
	return x.sw.SetRow(cell, vals)
}

func (x *xlsxWriter) close(w io.Writer) error {
	defer x.f.Close()
	if err := x.sw.Flush(); err != nil {
		return err
	}
	return x.f.Write(w)
}
