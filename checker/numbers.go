package checker

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Traditional forms (備 號 網 證) are accepted for Big5 pages.
//
// The finders run on normalised text (see normalize): half-width digits and
// letters, '-' for every dash, ' ' for every space. They are lenient on
// purpose (spaces, labels, missing 号, the -N suffix before 号) so that what
// a visitor reads as a number is found; validation then says what is wrong.
var (
	// icpAt matches at an "ICP" found by indexFold; the province is looked
	// up behind it separately.
	icpAt = regexp.MustCompile(`^(?i:ICP)\s*([备備证證])\s*(?:案\s*)?(?:编?[号號]\s*)?:?\s*` + numberValue + `(?:\s*-\s*(\d{1,3})((?i:[AXK]))?)?(\s*[号號])?(?:\s*-\s*(\d{1,3})((?i:[AXK]))?)?`)
	psbAt = regexp.MustCompile(`^公\s*(?:(?:[网網]\s*安|安\s*[网網])\s*[备備]\s*(?:案\s*)?|安\s*[备備]\s*案\s*)(?:编?[号號]\s*)?:?\s*` + numberValue + `(\s*[号號])?`)
	// telecomAt matches value-added telecom licences: 粤B2-20090059,
	// A2.B1.B2-20090003, 合字B1.B2-20130004, 粤B2-20090191-18.
	telecomAt = regexp.MustCompile(`^(合字)?((?:[AB][12]\.)*[AB][12])\s*-\s*(\d{8})(?:-(\d{1,3}))?`)
)

// labelRunes may stand right before "ICP" or "公网安备" as part of a label
// ("备案号ICP备…"), so they are not taken for a fake province.
const labelRunes = "号案备站码证为是的及與与和或：:"

// maxNumbers bounds how many numbers of one kind are taken from a page, so
// a hostile page cannot make the check slow.
const maxNumbers = 32

// icpMatch is one ICP filing or licence number found in normalised text.
type icpMatch struct {
	start, end int // byte offsets in the normalised text
	num        ICPNumber
}

// ICPNumber is a parsed ICP filing, ICP licence or telecom licence number.
type ICPNumber struct {
	Kind string // KindFiling or KindLicense
	// Prefix is the rune before "ICP" (or before the telecom licence);
	// 0 when there is none. It may not be a province: see Problems.
	Prefix rune
	// Class is "ICP备", "ICP证" or the telecom class ("B2", "A2.B1.B2").
	Class string
	// Digits is the number proper; Xs for a placeholder written as xxxx.
	Digits string
	// Suffix is the service suffix after '-': "1", "2A" …
	Suffix string
	// SuffixBeforeHao and NoHao record non-standard spellings.
	SuffixBeforeHao, NoHao bool
	// Foreign marks 合字 (foreign-invested) licences.
	Foreign bool
}

// Canonical is the normalised text of the number: 京ICP备12345678号-1.
func (n ICPNumber) Canonical() string {
	var b strings.Builder
	if n.Foreign {
		b.WriteString("合字")
	}
	if n.Prefix != 0 {
		b.WriteRune(n.Prefix)
	}
	if n.telecom() {
		b.WriteString(n.Class + "-" + n.Digits)
	} else {
		b.WriteString(n.Class + n.Digits + "号")
	}
	if n.Suffix != "" {
		b.WriteString("-" + n.Suffix)
	}
	return b.String()
}

// telecom reports a value-added telecom licence (粤B2-20090059).
func (n ICPNumber) telecom() bool { return n.Class != "ICP备" && n.Class != "ICP证" }

// Entity is the number without its service suffix.
func (n ICPNumber) Entity() string {
	n.Suffix = ""
	return n.Canonical()
}

// Province returns the province the prefix names.
func (n ICPNumber) Province() (Province, bool) { return provinceOf(n.Prefix, false) }

// problem is one thing wrong with a number, as a finding code and the
// arguments of its message.
type problem struct {
	code string
	args []any
}

// Problems validates an ICP number. now is the check time, which bounds the
// year of 10-digit numbers.
func (n ICPNumber) Problems(text string, nowYear int) []problem {
	var ps []problem
	switch {
	case n.Prefix == 0:
		ps = append(ps, problem{CodeICPProvinceMissing, []any{text}})
	default:
		if _, ok := n.Province(); !ok {
			ps = append(ps, problem{CodeICPProvinceInvalid, []any{string(n.Prefix), text}})
		}
	}
	if isPlaceholderValue(n.Digits) || isPlaceholderDigits(n.Digits) {
		return append(ps, problem{CodeICPPlaceholder, []any{text}})
	}
	if why := n.malformed(nowYear); why.en != "" {
		ps = append(ps, problem{CodeICPMalformed, []any{text, why}})
	}
	return ps
}

func (n ICPNumber) malformed(nowYear int) biText {
	d := n.Digits
	switch n.Class {
	case "ICP备":
		switch len(d) {
		case 6, 7, 8:
		case 10:
			// 4-digit year of first approval + 6-digit sequence.
			if y, _ := strconv.Atoi(d[:4]); y < 2000 || y > nowYear+1 {
				return biText{fmt.Sprintf("a 10-digit number starts with its year, and %s is not one", d[:4]),
					fmt.Sprintf("10 位备案号以年份开头,%s 不是年份", d[:4])}
			}
		default:
			return biText{fmt.Sprintf("%d digits; ICP filing numbers have 8 or 10 (6–7 on old ones)", len(d)),
				fmt.Sprintf("共 %d 位数字,ICP 备案号应为 8 或 10 位(旧号 6–7 位)", len(d))}
		}
	case "ICP证":
		if len(d) != 6 {
			return biText{fmt.Sprintf("%d digits; ICP licences have 6", len(d)),
				fmt.Sprintf("共 %d 位数字,ICP 许可证号应为 6 位", len(d))}
		}
	}
	if n.Suffix != "" && n.Suffix[0] == '0' {
		return biText{"the site suffix -" + n.Suffix + " starts with 0", "网站后缀 -" + n.Suffix + " 以 0 开头"}
	}
	return biText{}
}

// nonstandard reports whether the displayed text deviates from the
// canonical spelling (spaces, full-width, missing 号, suffix before 号 …).
func (n ICPNumber) nonstandard(display string) bool {
	return strings.Join(strings.Fields(display), "") != n.Canonical() || strings.ContainsRune(display, ' ')
}

func isPlaceholderDigits(d string) bool {
	if d == "" {
		return false
	}
	if strings.Count(d, d[:1]) == len(d) {
		return true // 00000000, 88888888
	}
	switch d {
	case "123456", "1234567", "12345678", "123456789", "1234567890", "0123456789", "87654321",
		"12345678901234", "235487154313", "11000002000001":
		return true
	}
	// Year (or PSB unit) prefix followed by a zero sequence: 10000000,
	// 2024000000.
	switch len(d) {
	case 8, 10:
		return strings.Trim(d[len(d)-6:], "0") == ""
	case 14:
		return strings.Trim(d[8:], "0") == ""
	}
	return false
}

// findICP finds ICP filing and licence numbers ("ICP备", "ICP证") in
// normalised text.
func findICP(s string) []icpMatch {
	var ms []icpMatch
	for from := 0; len(ms) < maxNumbers; {
		i := indexFold(s[from:], "ICP")
		if i < 0 {
			break
		}
		i += from
		from = i + 3
		loc := icpAt.FindStringSubmatchIndex(s[i:])
		if loc == nil {
			// Nothing where the number goes (京ICP备号): a template whose
			// variable printed nothing.
			if e := emptyNumber.FindStringIndex(s[i:]); e != nil {
				m := icpMatch{start: i, end: i + e[1], num: ICPNumber{Kind: KindFiling, Class: "ICP备"}}
				if r, at := prefixRune(s, i); r != 0 && !strings.ContainsRune(labelRunes, r) {
					m.num.Prefix, m.start = r, at
				}
				ms = append(ms, m)
				from = m.end
			}
			continue
		}
		m := icpMatch{start: i, end: i + loc[1]}
		g := func(k int) string {
			if loc[2*k] < 0 {
				return ""
			}
			return s[i+loc[2*k] : i+loc[2*k+1]]
		}
		m.num.Kind = KindFiling
		m.num.Class = "ICP备"
		if g(1) != "备" && g(1) != "備" {
			m.num.Kind, m.num.Class = KindLicense, "ICP证"
		}
		m.num.Digits = valueDigits(g(2))
		m.num.NoHao = g(5) == ""
		switch {
		case g(3) != "":
			m.num.Suffix = g(3) + strings.ToUpper(g(4))
			m.num.SuffixBeforeHao = !m.num.NoHao
		case g(6) != "":
			if m.end < len(s) && isDigit(s[m.end]) {
				// "号-2023 版权所有": a year, not a suffix.
				m.end = i + max(loc[2*2+1], loc[2*3+1], loc[2*4+1], loc[2*5+1])
			} else {
				m.num.Suffix = g(6) + strings.ToUpper(g(7))
			}
		}
		// A label such as "ICP备案号:" before the number means no province
		// prefix was meant, whatever precedes it.
		labelled := strings.ContainsAny(s[i:i+loc[2*2]], "案号")
		if r, at := prefixRune(s, i); r != 0 {
			if _, ok := abbrev[r]; ok || (!labelled && !strings.ContainsRune(labelRunes, r)) {
				m.num.Prefix, m.start = r, at
			}
		}
		ms = append(ms, m)
		from = m.end
	}
	return ms
}

// findTelecom finds value-added telecom licence numbers (粤B2-20090059).
// Without a province prefix, a dotted class or 合字, the text before must
// say it is a licence, so that product codes are not taken for one.
func findTelecom(s string) []icpMatch {
	var ms []icpMatch
	for _, start := range telecomCandidates(s) {
		loc := telecomAt.FindStringSubmatchIndex(s[start:])
		if loc == nil {
			continue
		}
		for i := range loc {
			if loc[i] >= 0 {
				loc[i] += start
			}
		}
		if start > 0 && isAlnum(s[start-1]) || loc[1] < len(s) && isDigit(s[loc[1]]) {
			continue
		}
		n := ICPNumber{Kind: KindLicense, Class: s[loc[4]:loc[5]], Digits: s[loc[6]:loc[7]], Foreign: loc[2] >= 0}
		if loc[8] >= 0 {
			n.Suffix = s[loc[8]:loc[9]]
		}
		if !n.Foreign {
			if r, at := prefixRune(s, start); r != 0 {
				if _, ok := provinceOf(r, false); ok {
					n.Prefix, start = r, at
				}
			}
		}
		ctx := s[max(0, start-40):start]
		if n.Prefix == 0 && !n.Foreign && !strings.Contains(n.Class, ".") &&
			!strings.Contains(ctx, "许可证") && !strings.Contains(ctx, "经营许可") && !strings.Contains(ctx, "ICP证") {
			continue
		}
		ms = append(ms, icpMatch{start: start, end: loc[1], num: n})
		if len(ms) == maxNumbers {
			break
		}
	}
	return ms
}

// telecomCandidates returns where a licence class chain (A2.B1.B2, 合字B1)
// may start: before each "[AB][12] -" in the text. Scanning for the dash
// is much cheaper than running the pattern over a whole page.
func telecomCandidates(s string) []int {
	var starts []int
	for from := 0; len(starts) < 4*maxNumbers; {
		i := strings.IndexByte(s[from:], '-')
		if i < 0 {
			break
		}
		i += from
		from = i + 1
		j := i
		for j > 0 && s[j-1] == ' ' {
			j--
		}
		if j < 2 || (s[j-1] != '1' && s[j-1] != '2') || (s[j-2] != 'A' && s[j-2] != 'B') {
			continue
		}
		start := j - 2
		for start >= 3 && s[start-1] == '.' && (s[start-2] == '1' || s[start-2] == '2') && (s[start-3] == 'A' || s[start-3] == 'B') {
			start -= 3
		}
		if strings.HasSuffix(s[:start], "合字") {
			start -= len("合字")
		}
		if len(starts) > 0 && starts[len(starts)-1] == start {
			continue
		}
		starts = append(starts, start)
	}
	return starts
}

// PSBNumber is a parsed public-security filing number.
type PSBNumber struct {
	Prefix rune // abbreviation before 公网安备, 0 if none
	Digits string
	NoHao  bool
	// Issuer is the office a legacy local number names instead of an
	// abbreviation (北京市公安局海淀分局备案编号11010818900), "" otherwise.
	Issuer string
}

// Province returns the province the abbreviation names.
func (n PSBNumber) Province() (Province, bool) { return provinceOf(n.Prefix, true) }

// DigitsProvince returns the province the first two digits name.
func (n PSBNumber) DigitsProvince() (Province, bool) {
	if len(n.Digits) < 2 {
		return Province{}, false
	}
	return ProvinceByCode(n.Digits[:2])
}

// Canonical is the normalised text: 京公网安备11010502045678号.
func (n PSBNumber) Canonical() string {
	if n.Issuer != "" {
		return n.Issuer + "备案编号" + n.Digits
	}
	p := ""
	if n.Prefix != 0 {
		p = string(n.Prefix)
	}
	return p + "公网安备" + n.Digits + "号"
}

// Problems validates a PSB number.
func (n PSBNumber) Problems(text string) []problem {
	var ps []problem
	abbr, abbrOK := n.Province()
	switch {
	case n.Issuer != "":
		// A local number names its office, not a province.
	case n.Prefix == 0:
		ps = append(ps, problem{CodePSBProvinceMissing, []any{text}})
	case !abbrOK:
		ps = append(ps, problem{CodePSBProvinceInvalid, []any{string(n.Prefix), text}})
	}
	if isPlaceholderValue(n.Digits) {
		// A mask or a variable: the text says more than its characters.
		return append(ps, problem{CodePSBPlaceholder, []any{text}})
	}
	if isPlaceholderDigits(n.Digits) {
		return append(ps, problem{CodePSBPlaceholder, []any{n.Digits}})
	}
	switch l := len(n.Digits); {
	case l == 14 && n.Issuer == "":
	case l == 12 || l == 13 || n.Issuer != "":
		ps = append(ps, problem{CodePSBLegacyFormat, []any{n.Digits, len(n.Digits)}})
	default:
		return append(ps, problem{CodePSBMalformed, []any{text, biText{fmt.Sprintf("%d digits; PSB numbers have 14", len(n.Digits)),
			fmt.Sprintf("共 %d 位数字,公安备案号应为 14 位", len(n.Digits))}}})
	}
	dp, ok := n.DigitsProvince()
	switch {
	case !ok:
		ps = append(ps, problem{CodePSBMalformed, []any{text, biText{n.Digits[:2] + " is not a province code", n.Digits[:2] + " 不是省级行政区代码"}}})
	case abbrOK && dp.Code != abbr.Code:
		ps = append(ps, problem{CodePSBProvinceMismatch, []any{n.Digits, n.Digits[:2], biText{dp.Name, dp.NameZH}, string(n.Prefix), biText{abbr.Name, abbr.NameZH}}})
	}
	return ps
}

type psbMatch struct {
	start, end int
	num        PSBNumber
}

// findPSB finds 公网安备 numbers (and the common misspelling 公安网备).
// Every match starts with 公, so the pattern runs anchored at each 公 in
// turn: the same leftmost, non-overlapping matches as running it over the
// whole text, at a fraction of the cost on a page full of 公司.
func findPSB(s string) []psbMatch {
	var ms []psbMatch
	for from := 0; len(ms) < maxNumbers; {
		i := indexByLast(s[from:], "公")
		if i < 0 {
			break
		}
		i += from
		// Most 公 begin 公司, 公告 …: psbAt needs 网, 網 or 安 after
		// the spaces (\s) that follow, and only then is it run.
		next := skipSpace(s, i+len("公"))
		if !strings.HasPrefix(s[next:], "网") && !strings.HasPrefix(s[next:], "網") && !strings.HasPrefix(s[next:], "安") {
			from = i + len("公")
			continue
		}
		loc := psbAt.FindStringSubmatchIndex(s[i:])
		if loc == nil {
			from = i + len("公")
			// Nothing where the number goes (京公网安备号): a template
			// whose variable printed nothing.
			if e := emptyNumber.FindStringIndex(s[i:]); e != nil {
				m := psbMatch{start: i, end: i + e[1]}
				if r, at := prefixRune(s, i); r != 0 && !strings.ContainsRune(labelRunes, r) {
					m.num.Prefix, m.start = r, at
				}
				ms = append(ms, m)
				from = m.end
			}
			continue
		}
		for k := range loc {
			if loc[k] >= 0 {
				loc[k] += i
			}
		}
		from = loc[1]
		m := psbMatch{start: loc[0], end: loc[1]}
		m.num.Digits = valueDigits(s[loc[2]:loc[3]])
		m.num.NoHao = loc[4] < 0
		if m.num.NoHao {
			if d, end, ok := groupedDigits(s, loc[3], m.num.Digits); ok {
				m.num.Digits, m.end, m.num.NoHao = d, end, true
				if h := skipSpace(s, end); strings.HasPrefix(s[h:], "号") || strings.HasPrefix(s[h:], "號") {
					m.end, m.num.NoHao = h+len("号"), false
				}
				from = m.end
			}
		}
		if r, at := prefixRune(s, loc[0]); r != 0 && !strings.ContainsRune(labelRunes, r) {
			m.num.Prefix, m.start = r, at
		}
		ms = append(ms, m)
	}
	return withLegacyPSB(s, ms)
}

// prefixRune returns the Han rune just before i (skipping up to three
// spaces) and its offset, or 0.
func prefixRune(s string, i int) (rune, int) {
	for k := 0; k < 3 && i > 0 && (s[i-1] == ' ' || s[i-1] == '\n' || s[i-1] == '\t'); k++ {
		i--
	}
	r, n := utf8.DecodeLastRuneInString(s[:i])
	if n == 0 || !unicode.Is(unicode.Han, r) {
		return 0, i
	}
	return r, i - n
}

// indexByLast is strings.Index for a short needle, found by its last byte:
// in Chinese text the lead byte of a Han rune (0xE5 for 公) begins one
// rune in six, and strings.Index stopped at each, where a continuation
// byte (0xAC) ends one in thirty.
func indexByLast(s, needle string) int {
	last := needle[len(needle)-1]
	for from := len(needle) - 1; from < len(s); {
		k := strings.IndexByte(s[from:], last)
		if k < 0 {
			return -1
		}
		end := from + k + 1
		if s[end-len(needle):end] == needle {
			return end - len(needle)
		}
		from = end
	}
	return -1
}

// indexFold is strings.Index for an upper-case ASCII needle, ignoring case.
func indexFold(s, upper string) int {
	first, lower := upper[0], upper[0]
	if 'A' <= first && first <= 'Z' {
		lower += 'a' - 'A'
	}
	// The next upper- and lower-case first byte, each found with
	// IndexByte (vectorised, where IndexAny goes byte by byte) and kept
	// until passed.
	nu, nl := -1, -1
	for i := 0; i+len(upper) <= len(s); {
		if nu < i {
			nu = indexByteFrom(s, i, first)
		}
		if nl < i {
			nl = indexByteFrom(s, i, lower)
		}
		j := min(nu, nl)
		if j+len(upper) > len(s) {
			return -1
		}
		if strings.EqualFold(s[j:j+len(upper)], upper) {
			return j
		}
		i = j + 1
	}
	return -1
}

// indexByteFrom returns the offset of the first c in s[from:], or len(s).
func indexByteFrom(s string, from int, c byte) int {
	if k := strings.IndexByte(s[from:], c); k >= 0 {
		return from + k
	}
	return len(s)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlnum(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '.'
}

// ErrNoNumber is returned by ParseICP and ParsePSB for text holding none.
var ErrNoNumber = errors.New("checker: no filing number found")

// ParseICP parses an ICP filing or licence number written in any of the
// spellings found on pages (京ICP备 12345678号-1, 京ICP证030173号,
// 粤B2-20090059). It does not validate: see ICPNumber.Problems.
func ParseICP(s string) (ICPNumber, error) {
	t := normalize(strings.TrimSpace(s)).s
	// An empty 号 (京ICP备号) is a placeholder on a page, but no number.
	if ms := findICP(t); len(ms) > 0 && ms[0].num.Digits != "" {
		return ms[0].num, nil
	}
	if ms := findTelecom("许可证" + t); len(ms) > 0 {
		return ms[0].num, nil
	}
	return ICPNumber{}, fmt.Errorf("parse ICP number %q: %w", s, ErrNoNumber)
}

// ParsePSB parses a PSB number: the bare digits or the whole 公网安备 text.
func ParsePSB(s string) (PSBNumber, error) {
	t := normalize(strings.TrimSpace(s)).s
	if ms := findPSB(t); len(ms) > 0 && ms[0].num.Digits != "" {
		return ms[0].num, nil
	}
	if t != "" && strings.Trim(t, "0123456789") == "" {
		return PSBNumber{Digits: t}, nil
	}
	return PSBNumber{}, fmt.Errorf("parse PSB number %q: %w", s, ErrNoNumber)
}

// Validate returns an error naming every error-severity problem of an ICP
// number (warnings such as a missing province on a telecom licence pass),
// for import validation. nowYear bounds the year of 10-digit numbers.
func (n ICPNumber) Validate(nowYear int) error {
	text := n.Canonical()
	var ps []problem
	for _, p := range n.Problems(text, nowYear) {
		if p.code == CodeICPProvinceMissing && n.telecom() {
			continue
		}
		ps = append(ps, p)
	}
	return problemsError("ICP number "+text, ps)
}

// Validate returns an error naming every error-severity problem of a PSB
// number: digit count, province code, abbreviation, placeholder.
func (n PSBNumber) Validate() error {
	return problemsError("PSB number "+n.Digits, n.Problems(n.Canonical()))
}

func problemsError(what string, ps []problem) error {
	var msgs []string
	for _, p := range ps {
		if codeIndex[p.code].Severity != SeverityError {
			continue
		}
		msgs = append(msgs, newFinding(p.code, p.args...).Message)
	}
	if len(msgs) == 0 {
		return nil
	}
	return fmt.Errorf("%s: %s", what, strings.Join(msgs, "; "))
}
