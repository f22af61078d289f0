// Package reporttext renders a check's report as text for people: the
// block `beianwatch check` prints and `/probe?debug=true` answers.
package reporttext

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/beianwatch/beianwatch/checker"
)

// ANSI colours, used only when asked for (a terminal without NO_COLOR).
const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
)

// painter colours text, or leaves it as it is.
type painter struct{ color bool }

// Render formats one report for people: the target, the page, the
// verdict, the numbers found, the filing clocks and the findings. note,
// when set, says where the expectations came from. color paints it with
// ANSI codes, for a terminal.
func Render(r checker.Report, note string, color bool) string {
	p := painter{color: color}
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
	field("HTTP", HTTPStatus(r.HTTPStatus))
	field("Encoding", orDash(r.Encoding))
	field("Verdict", p.verdict(r.Verdict))
	if note != "" {
		field("Expect", note)
	}
	field("Policy", orDash(r.Policy))
	if r.Verdict != checker.VerdictError || len(r.ICP)+len(r.PSB) > 0 {
		list("ICP", icpLines(r.ICP))
		list("PSB", psbLines(r.PSB))
		field("Deadlines", "PSB filing "+Deadline(r.Deadlines.PSBFiling)+"; badge "+Deadline(r.Deadlines.Badge))
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

func (p painter) paint(code, s string) string {
	if !p.color {
		return s
	}
	return code + s + ansiReset
}

func (p painter) verdict(v checker.Verdict) string {
	s := strings.ToUpper(string(v))
	switch v {
	case checker.VerdictPass:
		return p.paint(ansiGreen+ansiBold, s)
	case checker.VerdictFail:
		return p.paint(ansiRed+ansiBold, s)
	}
	return p.paint(ansiYellow+ansiBold, s)
}

func (p painter) severity(s checker.Severity) string {
	up := strings.ToUpper(string(s))
	switch s {
	case checker.SeverityError:
		return p.paint(ansiRed, up)
	case checker.SeverityWarning:
		return p.paint(ansiYellow, up)
	}
	return p.paint(ansiCyan, up)
}

// HTTPStatus is an HTTP status code, or "-" when there was no answer.
func HTTPStatus(code int) string {
	if code == 0 {
		return "-"
	}
	return strconv.Itoa(code)
}

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

// Deadline describes a filing clock: "met", "pending, due 2026-01-05 (12
// days left)", "overdue, due 2025-12-01 (3 days ago)".
func Deadline(d checker.Deadline) string {
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
