package sitefile

import (
	"net/mail"
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Phone numbers: a mainland mobile (domain.md §6), optionally with +86, or
// a landline with its area code (010-12345678, 0755 1234567-801), or a
// 400/800 service number.
var (
	mobileRE   = regexp.MustCompile(`^(?:\+?86[ -]?)?1[3-9]\d{9}$`)
	landlineRE = regexp.MustCompile(`^(?:0\d{2,3}[ -]?\d{7,8}(?:[ -]\d{1,6})?|[48]00[ -]?\d{3}[ -]?\d{4})$`)
)

// msgMasked is the error for a cell an export masked: importing it would
// overwrite the real value with stars.
const msgMasked = "a masked value from an export; export with personal data included to edit and re-import it"

// Personal values are checked without ever being echoed (domain.md §6).

// notMasked rejects a name masked by an export.
func (c *rowCheck) notMasked(col column, s string) {
	if strings.Contains(s, "*") {
		c.errorf(col, msgMasked)
	}
}

func (c *rowCheck) phone(s string) string {
	switch {
	case s == "":
	case strings.Contains(s, "*"):
		c.errorf(colContactPhone, msgMasked)
	case !mobileRE.MatchString(s) && !landlineRE.MatchString(s):
		c.errorf(colContactPhone, "not a phone number")
	}
	return s
}

func (c *rowCheck) email(s string) string {
	if s == "" {
		return ""
	}
	if strings.Contains(s, "*") {
		c.errorf(colContactEmail, msgMasked)
		return s
	}
	// A bare address only: "张三 <z@example.com>" would put a name where
	// the masking does not look for one.
	a, err := mail.ParseAddress(s)
	if err != nil || a.Name != "" || a.Address != s || !strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".") {
		c.errorf(colContactEmail, "not an email address")
	}
	return s
}

// MaskName keeps a name's first character: 张三 → 张*, John Smith → J***.
// Chinese names are masked to one star whatever their length, so that the
// mask does not tell it.
func MaskName(s string) string {
	if s == "" {
		return ""
	}
	r, _ := utf8.DecodeRuneInString(s)
	if unicode.Is(unicode.Han, r) {
		return string(r) + "*"
	}
	return string(r) + "***"
}

// MaskPhone keeps the first three and the last four digits, as Chinese
// sites show phone numbers: 13812345678 → 138****5678, 010-12345678 →
// 010-****5678. A +86 prefix is dropped; separators stay.
func MaskPhone(s string) string {
	s = strings.TrimLeft(strings.TrimPrefix(strings.TrimPrefix(s, "+"), "86"), " -")
	digits := 0
	for i := range len(s) {
		if isDigit(s[i]) {
			digits++
		}
	}
	b := []byte(s)
	for i, n := 0, 0; i < len(b); i++ {
		if !isDigit(b[i]) {
			continue
		}
		// Too short a number to show any of it.
		if n >= 3 && n < digits-4 || digits < 8 {
			b[i] = '*'
		}
		n++
	}
	return string(b)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// MaskEmail keeps the first character of the local part and the domain:
// zhangsan@example.com → z***@example.com.
func MaskEmail(s string) string {
	at := strings.LastIndexByte(s, '@')
	if at < 1 {
		return MaskName(s)
	}
	r, _ := utf8.DecodeRuneInString(s)
	return string(r) + "***" + s[at:]
}
