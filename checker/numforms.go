package checker

import (
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// The less common ways a page writes a number: placeholders, digits
// grouped by spaces, and the local PSB numbers that predate the national
// platform.

// numberValue is what stands where a number's digits go: the digits, a
// masked number (xxxxxxxx, ********, 44xxxxxxxxxxxx) or a template
// variable printed raw because the template was not filled ({$cfg_beian},
// {{ site.icp }}, ${icp}, {dede:global.cfg_beian/}, <%=icp%>; a raw
// <?php … ?> is a comment to the parser and leaves nothing, see
// emptyNumber). Masks and variables are placeholders (isPlaceholderValue).
const numberValue = `(\d*(?i:[X*]){2,}(?i:[\dX*])*|\d+|\{\{[^{}]{1,40}\}\}|[$]?\{[$]?[A-Za-z_][^{}]{0,40}\}|\{dede:[^{}]{1,40}\}|<[%?][^<>]{1,60}[%?]>)`

// emptyNumber matches a label with nothing where the number goes but 号
// (京ICP备号, 京公网安备号): what a visitor sees of ICP备<?php echo $icp ?>号
// when the PHP did not run.
var emptyNumber = regexp.MustCompile(`^(?:(?i:ICP)\s*[备備]|公\s*[网網]\s*安\s*[备備])\s*[号號]`)

// valueDigits is the number's digits as found: a mask in upper case
// (XXXXXXXX), a template variable as written.
func valueDigits(v string) string {
	if strings.ContainsAny(v, "{<") {
		return v
	}
	return strings.ToUpper(v)
}

// isPlaceholderValue reports a masked number or a template variable in
// place of the digits: no number to report, only a placeholder.
func isPlaceholderValue(d string) bool {
	return d == "" || strings.ContainsAny(d, "Xx*{}<>")
}

// groupedDigits joins a run of digits (digits, ending at end) with the
// groups that follow it one or two spaces apart (浙公网安备 3301 0602 0123
// 45号) when together they make a PSB number's 12–14 digits: a visitor
// reads one number. It returns the digits and where the last group ends;
// ok is false when there is nothing to join, or the groups make no such
// number (京公网安备1101 2024: a number and a year).
func groupedDigits(s string, end int, digits string) (joined string, to int, ok bool) {
	if len(digits) < 2 || len(digits) >= 12 || strings.Trim(digits, "0123456789") != "" {
		return digits, end, false
	}
	d, j := digits, end
	for len(d) < 14 {
		k := j
		for k < len(s) && s[k] == ' ' && k-j < 2 {
			k++
		}
		if k == j {
			break
		}
		e := k
		for e < len(s) && isDigit(s[e]) {
			e++
		}
		if e == k || e-k > 6 {
			break
		}
		d, j = d+s[k:e], e
	}
	if j == end || len(d) < 12 || len(d) > 14 || j < len(s) && isDigit(s[j]) {
		return digits, end, false
	}
	return d, j, true
}

// legacyAt matches a local PSB number after its issuer: 备案编号:
// 11010818900 (11–13 digits), as pre-2016 badges printed it after
// 北京市公安局海淀分局.
var legacyAt = regexp.MustCompile(`^[备備]案[编編][号號]\s*:?\s*(\d{11,13})(\s*[号號])?`)

// maxIssuer bounds how far back an issuer's name is looked for, in runes.
const maxIssuer = 20

// withLegacyPSB adds to ms (findPSB's matches in s) the legacy local
// numbers of s, in page order.
func withLegacyPSB(s string, ms []psbMatch) []psbMatch {
	const label = "备案编号"
	n := len(ms)
	for from := 0; len(ms) < maxNumbers; {
		i := indexByLast(s[from:], label)
		if i < 0 {
			break
		}
		i += from
		from = i + len(label)
		loc := legacyAt.FindStringSubmatchIndex(s[i:])
		if loc == nil || i+loc[1] < len(s) && isDigit(s[i+loc[1]]) {
			continue
		}
		issuer, at := issuerBefore(s, i)
		if issuer == "" {
			continue
		}
		m := psbMatch{start: at, end: i + loc[1]}
		m.num = PSBNumber{Digits: s[i+loc[2] : i+loc[3]], NoHao: loc[4] < 0, Issuer: issuer}
		ms = append(ms, m)
		from = m.end
	}
	if len(ms) > n && n > 0 {
		slices.SortStableFunc(ms, func(a, b psbMatch) int { return a.start - b.start })
	}
	return ms
}

// issuerBefore returns the public-security office named just before
// s[i:] (北京市公安局海淀分局) and where its name starts, or "" when the
// Han text before i names none.
func issuerBefore(s string, i int) (string, int) {
	j := i
	for k := 0; k < maxIssuer && j > 0; k++ {
		r, n := utf8.DecodeLastRuneInString(s[:j])
		if !unicode.Is(unicode.Han, r) {
			break
		}
		j -= n
	}
	name := s[j:i]
	if !strings.Contains(name, "公安") {
		return "", i
	}
	return name, j
}
