package checker

import (
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// The fast path's character references: text with the common ones
// (&nbsp; &gt; &copy;, numeric references) is unescaped into the scan's
// pooled memory; anything rarer is left to html.UnescapeString.

// unescapeText is html.UnescapeString(s) for text whose character
// references are all common ones (commonEntity's names and numbers that
// stand for themselves, each closed by ';'), made in buf's memory; ok is
// false for any other text, which the caller unescapes with x/net/html.
// UnescapeString decodes the text rune by rune to its first '&' and then
// makes two copies: for the handful of &nbsp; and &gt; a page has, that
// was a thirtieth of its check.
func unescapeText(s string, buf []byte) (text string, mem []byte, ok bool) {
	b := buf[:0]
	for {
		i := strings.IndexByte(s, '&')
		if i < 0 {
			b = append(b, s...)
			break
		}
		b = append(b, s[:i]...)
		s = s[i:]
		// The reference: as the tokenizer reads it, letters and digits
		// (after '#' or "#x" for a number), here always up to a ';'.
		j := 1
		if j < len(s) && s[j] == '#' {
			j++
		}
		for j < len(s) && (isLetter(s[j]) || '0' <= s[j] && s[j] <= '9') {
			j++
		}
		if j >= len(s) || s[j] != ';' {
			return "", b, false
		}
		r := entityRune(s[1:j])
		if r < 0 {
			return "", b, false
		}
		b = utf8.AppendRune(b, r)
		s = s[j+1:]
	}
	return unsafe.String(unsafe.SliceData(b), len(b)), b, true
}

// entityRune returns the rune a common named reference or a plain number
// stands for, -1 for any other.
func entityRune(name string) rune {
	switch name {
	case "nbsp":
		return '\u00a0'
	case "amp":
		return '&'
	case "lt":
		return '<'
	case "gt":
		return '>'
	case "quot":
		return '"'
	case "copy":
		return '©'
	case "reg":
		return '®'
	case "middot":
		return '·'
	case "raquo":
		return '»'
	case "laquo":
		return '«'
	case "mdash":
		return '—'
	case "ndash":
		return '–'
	case "hellip":
		return '…'
	case "ldquo":
		return '“'
	case "rdquo":
		return '”'
	case "times":
		return '×'
	}
	if len(name) < 2 || name[0] != '#' {
		return -1
	}
	base, digits := 10, name[1:]
	if digits[0] == 'x' || digits[0] == 'X' {
		base, digits = 16, digits[1:]
	}
	// A number the tokenizer takes as it is: not 0, not in the range
	// it maps from Windows-1252, no surrogate, nothing past Unicode.
	if len(digits) == 0 || len(digits) > 6 {
		return -1
	}
	n, err := strconv.ParseUint(digits, base, 32)
	if err != nil || n == 0 || 0x80 <= n && n <= 0x9F || 0xD800 <= n && n <= 0xDFFF || n > 0x10FFFF {
		return -1
	}
	return rune(n)
}
