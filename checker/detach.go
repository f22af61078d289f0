package checker

import (
	"strings"
	"unsafe"
)

// detach gives the report's strings memory of their own where they share
// src, the page text the fast path read. A UTF-8 page's text is the
// caller's body itself (see decoded.text), which the caller may reuse once
// Check returns; and a substring of any page's text (a link's href, the
// name of an unknown tag in a path) would keep the whole page alive for as
// long as the report is kept.
func detach(r *Report, src string) {
	for i := range r.ICP {
		e := &r.ICP[i]
		own(&e.Text, src)
		own(&e.Number, src)
		own(&e.Province, src)
		own(&e.Kind, src)
		own(&e.LinkURL, src)
	}
	for i := range r.PSB {
		e := &r.PSB[i]
		own(&e.Text, src)
		own(&e.Number, src)
		own(&e.Province, src)
		own(&e.LinkStyle, src)
		own(&e.LinkURL, src)
		own(&e.LinkCode, src)
	}
	for i := range r.Findings {
		f := &r.Findings[i]
		own(&f.Code, src)
		own((*string)(&f.Severity), src)
		own(&f.Message, src)
		own(&f.MessageZH, src)
		own(&f.Evidence, src)
		own(&f.Path, src)
	}
	own(&r.Error, src)
}

// own copies *s when it shares memory with src.
func own(s *string, src string) {
	if within(*s, src) {
		*s = strings.Clone(*s)
	}
}

// within reports whether s starts inside src's memory.
func within(s, src string) bool {
	if s == "" || src == "" {
		return false
	}
	p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
	b := uintptr(unsafe.Pointer(unsafe.StringData(src)))
	return b <= p && p < b+uintptr(len(src))
}
