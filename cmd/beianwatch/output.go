package main

import (
	"cmp"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/internal/reporttext"
)

// printer writes reports in a machine format (-o) or as human-readable
// blocks.
type printer struct {
	w     io.Writer
	rw    *recordWriter[checker.Report] // nil for human output
	color bool
	bar   *progressbar.ProgressBar // cleared before each block, if set
}

func newPrinter(w io.Writer, format string, color bool) (*printer, error) {
	p := &printer{w: w, color: color}
	if format != formatTable {
		var err error
		if p.rw, err = newRecordWriter(w, format, reportCSVHeader, reportCSVRow); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// close ends a machine-format list.
func (p *printer) close() error {
	if p.rw == nil {
		return nil
	}
	return p.rw.close()
}

// reportCSVHeader and reportCSVRow are check -o csv: a report a row,
// numbers and finding codes ;-separated as in the registry's files.
var reportCSVHeader = []string{"target", "url", "http_status", "checked_at", "verdict", "icp", "psb", "findings", "psb_filing_deadline", "badge_deadline", "error", "policy"}

func reportCSVRow(r checker.Report) []string {
	var icp, psb, codes []string
	for _, n := range r.ICP {
		icp = append(icp, cmp.Or(n.Number, n.Text))
	}
	for _, n := range r.PSB {
		psb = append(psb, cmp.Or(n.Number, n.Text))
	}
	for _, f := range r.Findings {
		codes = append(codes, f.Code)
	}
	return []string{r.Target, r.URL, strconv.Itoa(r.HTTPStatus), csvTime(r.CheckedAt), string(r.Verdict),
		strings.Join(icp, ";"), strings.Join(psb, ";"), strings.Join(codes, ";"),
		deadline(r.Deadlines.PSBFiling), deadline(r.Deadlines.Badge), r.Error, r.Policy}
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// print writes one report. note, when set, says where its expectations
// came from (human output only: JSON keeps its contract).
func (p *printer) print(r checker.Report, note string) error {
	if p.bar != nil {
		_ = p.bar.Clear()
	}
	if p.rw != nil {
		return p.rw.write(r)
	}
	_, err := io.WriteString(p.w, reporttext.Render(r, note, p.color))
	return err
}

// printable escapes the control characters in stored text (\x1b, \n,
// \u009b …) for human output: text from an import, a page or a webhook's
// answer must not move the cursor, recolour or clear an operator's
// terminal, nor fake a line of its own. JSON output needs no such care.
func printable(s string) string {
	if !strings.ContainsFunc(s, isControl) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if !isControl(r) {
			b.WriteRune(r)
			continue
		}
		q := strconv.QuoteRune(r) // '\x1b', '\n', '\u009b'
		b.WriteString(q[1 : len(q)-1])
	}
	return b.String()
}

// isControl reports C0 and C1 control characters and DEL.
func isControl(r rune) bool { return r < 0x20 || r == 0x7f || (0x80 <= r && r < 0xa0) }

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// httpStatus is a status code or "-" (see reporttext.HTTPStatus).
func httpStatus(code int) string { return reporttext.HTTPStatus(code) }

// deadline describes a filing clock (see reporttext.Deadline).
func deadline(d checker.Deadline) string { return reporttext.Deadline(d) }
