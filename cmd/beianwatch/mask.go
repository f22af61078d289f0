package main

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Masking of personal data for display (domain.md §6): enough to recognise
// a record, not to contact the person. The same rules as sitefile's
// exports: 张三 → 张*, 13812345678 → 138****5678, zhang@example.com →
// z***@example.com.

// maskName keeps the first character. Chinese names get one star whatever
// their length, so the mask does not tell it.
func maskName(s string) string {
	if s == "" {
		return ""
	}
	r, _ := utf8.DecodeRuneInString(s)
	if unicode.Is(unicode.Han, r) {
		return string(r) + "*"
	}
	return string(r) + "***"
}

// maskPhone keeps the first three and the last four digits; separators
// stay. Numbers of seven digits or fewer are masked whole.
func maskPhone(s string) string {
	if s == "" {
		return ""
	}
	digits := 0
	for _, r := range s {
		if r >= '0' && r <= '9' {
			digits++
		}
	}
	var b strings.Builder
	i := 0
	for _, r := range s {
		if r < '0' || r > '9' {
			b.WriteRune(r)
			continue
		}
		if digits > 7 && (i < 3 || i >= digits-4) {
			b.WriteRune(r)
		} else {
			b.WriteByte('*')
		}
		i++
	}
	return b.String()
}

// maskEmail keeps the local part's first character and the domain.
func maskEmail(s string) string {
	at := strings.LastIndexByte(s, '@')
	if at <= 0 {
		return maskName(s)
	}
	return maskName(s[:at]) + s[at:]
}
