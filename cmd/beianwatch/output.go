package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"

	"github.com/beianwatch/beianwatch/checker"
)

// ANSI colours, used only on a terminal without NO_COLOR.
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
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
		icp = append(icp, numberText(n.Number, n.Text))
	}
	for _, n := range r.PSB {
		psb = append(psb, numberText(n.Number, n.Text))
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
	_, err := io.WriteString(p.w, p.block(r, note))
	return err
}

// block formats one report for people.
func (p *printer) block(r checker.Report, note string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", p.paint(ansiBold, r.Target))
	field := func(name, value string) {
		if name != "" {
			name += ":"
		}
		fmt.Fprintf(&b, "  %-10s %s\n", name, value)
	}
	list := func(name string, lines []string) {
		for _, line := range lines {
			field(name, line)
			name = "" // the label once, the numbers aligned below it
		}
	}
	field("URL", r.URL)
	field("HTTP", httpStatus(r.HTTPStatus))
	field("Encoding", orDash(r.Encoding))
	field("Verdict", p.verdict(r.Verdict))
	if note != "" {
		field("Expect", note)
	}
	field("Policy", orDash(r.Policy))
	if r.Verdict != checker.VerdictError || len(r.ICP)+len(r.PSB) > 0 {
		list("ICP", icpLines(r.ICP))
		list("PSB", psbLines(r.PSB))
		field("Deadlines", "PSB filing "+deadline(r.Deadlines.PSBFiling)+"; badge "+deadline(r.Deadlines.Badge))
	}
	if len(r.Findings) > 0 {
		fmt.Fprintf(&b, "  Findings:\n")
	}
	for _, f := range r.Findings {
		head := p.severity(f.Severity) + " " + f.Code + " "
		fmt.Fprintf(&b, "    %s%s\n", head, f.Message)
		if f.MessageZH != "" {
			// Align the Chinese message under the English one.
			fmt.Fprintf(&b, "    %s%s\n", strings.Repeat(" ", len(string(f.Severity))+len(f.Code)+2), f.MessageZH)
		}
	}
	if r.Error != "" {
		field("Error", p.paint(ansiRed, r.Error))
	}
	b.WriteString("\n")
	return b.String()
}

func (p *printer) paint(code, s string) string {
	if !p.color {
		return s
	}
	return code + s + ansiReset
}

func (p *printer) verdict(v checker.Verdict) string {
	s := strings.ToUpper(string(v))
	switch v {
	case checker.VerdictPass:
		return p.paint(ansiGreen+ansiBold, s)
	case checker.VerdictFail:
		return p.paint(ansiRed+ansiBold, s)
	}
	return p.paint(ansiYellow+ansiBold, s)
}

func (p *printer) severity(s checker.Severity) string {
	up := strings.ToUpper(string(s))
	switch s {
	case checker.SeverityError:
		return p.paint(ansiRed, up)
	case checker.SeverityWarning:
		return p.paint(ansiYellow, up)
	}
	return p.paint(ansiCyan, up)
}

func httpStatus(code int) string {
	if code == 0 {
		return "-"
	}
	return strconv.Itoa(code)
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

// icpLines describes each ICP number found, or says there is none.
func icpLines(icps []checker.ICP) []string {
	if len(icps) == 0 {
		return []string{"none found"}
	}
	var out []string
	for _, n := range icps {
		flags := []string{linked(n.Linked, "")}
		if n.Kind == checker.KindLicense {
			flags = append([]string{"licence"}, flags...)
		}
		flags = append(flags, visible(n.Visible))
		out = append(out, numberText(n.Number, n.Text)+"  ("+strings.Join(flags, ", ")+")")
	}
	return out
}

// psbLines describes each PSB number found, or says there is none.
func psbLines(psbs []checker.PSB) []string {
	if len(psbs) == 0 {
		return []string{"none found"}
	}
	var out []string
	for _, n := range psbs {
		icon := "no icon"
		if n.Icon {
			icon = "icon"
		}
		flags := []string{linked(n.Linked, n.LinkStyle), icon, visible(n.Visible)}
		out = append(out, numberText(n.Text, n.Number)+"  ("+strings.Join(flags, ", ")+")")
	}
	return out
}

// numberText prefers the first non-empty of its arguments.
func numberText(first, second string) string {
	if first != "" {
		return first
	}
	return second
}

func linked(ok bool, style string) string {
	switch {
	case !ok:
		return "not linked"
	case style == "" || style == checker.LinkNone:
		return "linked"
	}
	return "linked: " + style
}

func visible(ok bool) string {
	if ok {
		return "visible"
	}
	return "hidden"
}

// deadline describes a filing clock: "met", "pending, due 2026-01-05 (12
// days left)", "overdue, due 2025-12-01 (3 days ago)".
func deadline(d checker.Deadline) string {
	s := string(d.Status)
	if !d.Due.IsZero() {
		s += ", due " + d.Due.String()
	}
	if d.DaysLeft != nil && d.Status != checker.DeadlineMet && d.Status != checker.DeadlineMetLate {
		switch n := *d.DaysLeft; {
		case n >= 0:
			s += fmt.Sprintf(" (%d days left)", n)
		default:
			s += fmt.Sprintf(" (%d days ago)", -n)
		}
	}
	return s
}
