package checker

import (
	"golang.org/x/net/html/charset"
)

// garbleRule raises ENCODING_GARBLES_BADGE when the page was read with an
// encoding other than the one it declares and a browser, which follows
// the declaration, shows the filing number garbled: a UTF-8 page labelled
// GBK shows 娴欏叕缃戝畨澶�, not 浙公网安备. The number is read as the
// page means it (the rules judge that); this finding says what visitors
// see instead.
func garbleRule(r *Report, dec decoded) {
	if dec.declared == "" || dec.declared == dec.encoding {
		return
	}
	meant := shownNumberText(r)
	if meant == "" {
		return
	}
	seen, ok := seenAs(meant, dec.encoding, dec.declared)
	if !ok || seen == meant {
		return
	}
	r.Findings = append(r.Findings, newFinding(CodeEncodingGarbles, seen, meant, dec.declared))
	if r.Error == "" {
		r.Verdict = VerdictFail
	}
}

// shownNumberText is the text of the first visible PSB number (the badge),
// else of the first visible ICP number; "" if none is shown.
func shownNumberText(r *Report) string {
	for _, p := range r.PSB {
		if p.Visible {
			return p.Text
		}
	}
	for _, i := range r.ICP {
		if i.Visible {
			return i.Text
		}
	}
	return ""
}

// seenAs returns text as a browser shows it when its bytes in encoding
// from are decoded as encoding as; ok is false when either is unknown or
// text has no bytes in from.
func seenAs(text, from, as string) (string, bool) {
	var b []byte
	if from == "utf-8" {
		b = []byte(text)
	} else {
		enc, _ := charset.Lookup(from)
		if enc == nil {
			return "", false
		}
		var err error
		if b, err = enc.NewEncoder().Bytes([]byte(text)); err != nil {
			return "", false
		}
	}
	if as == "utf-8" {
		return string(replaceInvalidCopy(b)), true
	}
	enc, _ := charset.Lookup(as)
	if enc == nil {
		return "", false
	}
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		return "", false
	}
	return string(out), true
}

// replaceInvalidCopy is replaceInvalid for bytes that may be valid.
func replaceInvalidCopy(b []byte) string {
	if validUTF8(b) {
		return string(b)
	}
	return replaceInvalid(b)
}
