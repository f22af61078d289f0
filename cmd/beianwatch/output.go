package main

import (
	"encoding/json"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/internal/reporttext"
)

// printer writes reports as JSON lines or as human-readable blocks.
type printer struct {
	w     io.Writer
	enc   *json.Encoder // nil for human output
	color bool
	bar   *progressbar.ProgressBar // cleared before each block, if set
}

func newPrinter(w io.Writer, asJSON, color bool) *printer {
	p := &printer{w: w, color: color}
	if asJSON {
		p.enc = json.NewEncoder(w)
		// Keep Chinese text and the HTML in evidence readable.
		p.enc.SetEscapeHTML(false)
	}
	return p
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
	if p.enc != nil {
		return p.enc.Encode(r)
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
