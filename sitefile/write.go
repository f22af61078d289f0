package sitefile

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"strconv"
	"strings"
	"time"

	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/registry"
)

// WriteOptions say how to write an export. The zero value writes CSV with
// personal data masked and no check results.
type WriteOptions struct {
	// Format is FormatCSV (or ""), FormatJSON or FormatXLSX.
	Format string
	// WithResults adds the result columns: verdict, findings (their
	// codes), psb_filing_deadline, badge_deadline, last_check_at,
	// last_pass_at, failing_since and failing_checks (the checks of the
	// current run of failures).
	WithResults bool
	// IncludePersonal writes personal data as stored. Otherwise names,
	// phones and emails are masked (张*, 138****5678, z***@example.com).
	IncludePersonal bool
	// Now is when the deadlines are judged. Zero means time.Now().
	Now time.Time
}

// Writer writes sites to an export file, one at a time. Close it to end
// the file.
type Writer struct {
	opts    WriteOptions
	cols    []column
	buf     *bufio.Writer
	csv     *csv.Writer // set for CSV only
	xlsx    *xlsxWriter // set for XLSX only
	out     io.Writer
	n       int // sites written
	cells   []string
	scratch bytes.Buffer // one JSON value at a time
}

// NewWriter starts an export on w: the byte-order mark and header of a
// CSV file, the opening bracket of a JSON array.
func NewWriter(w io.Writer, opts WriteOptions) (*Writer, error) {
	format := strings.ToLower(opts.Format)
	if format == "" {
		format = FormatCSV
	}
	if format != FormatCSV && format != FormatJSON && format != FormatXLSX {
		return nil, fmt.Errorf("unknown format %q: want csv, json or xlsx", opts.Format)
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	wr := &Writer{opts: opts, buf: bufio.NewWriter(w), out: w}
	n := numSiteColumns
	if opts.WithResults {
		n = numColumns
	}
	for c := range n {
		wr.cols = append(wr.cols, c)
	}
	switch format {
	case FormatJSON:
		wr.buf.WriteString("[")
		return wr, nil
	case FormatXLSX:
		var err error
		wr.xlsx, err = newXLSXWriter(Columns(opts.WithResults))
		return wr, err
	}
	// Excel reads a CSV file without a BOM as the system's code page (GBK
	// in China), which garbles UTF-8; with the BOM it reads UTF-8. CRLF is
	// what Excel writes itself.
	wr.buf.Write(utf8BOM)
	wr.csv = csv.NewWriter(wr.buf)
	wr.csv.UseCRLF = true
	if err := wr.csv.Write(Columns(opts.WithResults)); err != nil {
		return nil, err
	}
	return wr, nil
}

// Write writes one site. st is its check state, nil if it has none.
func (w *Writer) Write(s *registry.Site, st *registry.State) error {
	values := w.values(s, st)
	w.n++
	switch {
	case w.csv != nil:
		w.cells = w.cells[:0]
		for _, v := range values {
			w.cells = append(w.cells, GuardCell(csvText(v)))
		}
		return w.csv.Write(w.cells)
	case w.xlsx != nil:
		// No guard: a text cell is never run as a formula.
		w.cells = w.cells[:0]
		for _, v := range values {
			w.cells = append(w.cells, csvText(v))
		}
		return w.xlsx.write(w.cells)
	}
	return w.writeJSON(values)
}

// Close ends the file and flushes it. It does not close the underlying
// writer.
func (w *Writer) Close() error {
	if w.xlsx != nil {
		return w.xlsx.close(w.out)
	}
	if w.csv != nil {
		w.csv.Flush()
		if err := w.csv.Error(); err != nil {
			return err
		}
	} else {
		if w.n > 0 {
			w.buf.WriteString("\n")
		}
		w.buf.WriteString("]\n")
	}
	return w.buf.Flush()
}

// Write writes an export of sites to w: a Writer for simple cases.
func Write(w io.Writer, sites iter.Seq2[*registry.Site, *registry.State], opts WriteOptions) error {
	wr, err := NewWriter(w, opts)
	if err != nil {
		return err
	}
	for s, st := range sites {
		if err := wr.Write(s, st); err != nil {
			return err
		}
	}
	return wr.Close()
}

// values returns the site's value for each column: a string, a []string
// for lists, a bool for interactive.
func (w *Writer) values(s *registry.Site, st *registry.State) []any {
	vs := make([]any, 0, len(w.cols))
	for _, c := range w.cols {
		vs = append(vs, w.value(c, s, st))
	}
	return vs
}

func (w *Writer) value(c column, s *registry.Site, st *registry.State) any {
	switch c {
	case colDomains:
		ds := make([]string, len(s.Domains))
		for i, d := range s.Domains {
			ds[i] = d.Unicode
		}
		return ds
	case colSiteName:
		return s.Name
	case colICPNumber:
		return s.ICPNumber
	case colICPApprovedOn:
		return s.ICPApprovedOn.String()
	case colLaunchedOn:
		return s.LaunchedOn.String()
	case colPSBNumber:
		return s.PSBNumber
	case colPSBFiledOn:
		return s.PSBFiledOn.String()
	case colPSBApprovedOn:
		return s.PSBApprovedOn.String()
	case colIPs:
		ips := make([]string, len(s.IPs))
		for i, a := range s.IPs {
			ips[i] = a.String()
		}
		return ips
	case colCheckURL:
		return s.CheckURL
	case colCustomerID:
		return s.CustomerID
	case colOperatorType:
		return string(s.Operator.Type)
	case colOperatorName:
		if s.Operator.Type != registry.OperatorOrganization {
			return w.personal(s.Operator.Name, MaskName)
		}
		return s.Operator.Name
	case colContactName:
		return w.personal(s.Contact.Name, MaskName)
	case colContactPhone:
		return w.personal(s.Contact.Phone, MaskPhone)
	case colContactEmail:
		return w.personal(s.Contact.Email, MaskEmail)
	case colAccessProvider:
		return s.AccessProvider
	case colRegistrar:
		return s.Registrar
	case colInteractive:
		return s.Interactive
	case colLanguages:
		return nonNil(s.Languages)
	case colTags:
		return nonNil(s.Tags)
	}
	return w.result(c, s, st)
}

// result returns the value of a result column.
func (w *Writer) result(c column, s *registry.Site, st *registry.State) any {
	if st == nil {
		st = &registry.State{Verdict: registry.VerdictUnchecked}
	}
	switch c {
	case colVerdict:
		return string(st.Verdict)
	case colFindings:
		codes := make([]string, 0, len(st.Findings))
		for _, f := range st.Findings {
			codes = append(codes, f.Code)
		}
		return codes
	case colPSBFilingDeadline:
		return deadlineText(s.Deadlines(st, w.opts.Now).PSBFiling)
	case colBadgeDeadline:
		return deadlineText(s.Deadlines(st, w.opts.Now).Badge)
	case colLastCheckAt:
		return exportTime(st.LastCheckAt)
	case colLastPassAt:
		return exportTime(st.LastPassAt)
	case colFailingSince:
		return exportTime(st.FailingSince)
	case colFailingChecks:
		if st.FailingSince.IsZero() {
			return ""
		}
		return strconv.Itoa(st.FailStreak)
	}
	panic(fmt.Sprintf("sitefile: no value for column %d", c))
}

// deadlineText is a deadline's status and, where known, its due date:
// "pending 2026-12-20", "met", "unknown".
func deadlineText(d checker.Deadline) string {
	if d.Due.IsZero() {
		return string(d.Status)
	}
	return string(d.Status) + " " + d.Due.String()
}

func (w *Writer) personal(s string, mask func(string) string) string {
	if w.opts.IncludePersonal || s == "" {
		return s
	}
	return mask(s)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// csvText is a value as a CSV cell: lists ;-separated, booleans yes/no.
func csvText(v any) string {
	switch v := v.(type) {
	case []string:
		return strings.Join(v, ";")
	case bool:
		if v {
			return "yes"
		}
		return "no"
	}
	return v.(string)
}

// writeJSON writes one object, keys in column order, one object a line.
func (w *Writer) writeJSON(values []any) error {
	w.scratch.Reset()
	enc := json.NewEncoder(&w.scratch)
	enc.SetEscapeHTML(false) // keep URLs with & readable
	if w.n > 1 {
		w.buf.WriteString(",")
	}
	w.buf.WriteString("\n{")
	for i, v := range values {
		if i > 0 {
			w.buf.WriteString(",")
		}
		w.scratch.Reset()
		enc.Encode(w.cols[i].String())
		w.buf.Write(bytes.TrimSuffix(w.scratch.Bytes(), []byte("\n")))
		w.buf.WriteString(":")
		w.scratch.Reset()
		if err := enc.Encode(v); err != nil {
			return err
		}
		w.buf.Write(bytes.TrimSuffix(w.scratch.Bytes(), []byte("\n")))
	}
	_, err := w.buf.WriteString("}")
	return err
}

// exportTime is a time in an export: Beijing time with its offset (the
// people reading the export are there, and the offset keeps it
// unambiguous), "" for none.
func exportTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(checker.CST).Format(time.RFC3339)
}
