package lexicon

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// VisibleText returns the text a visitor would read on an HTML page, for
// Scan: the text outside script, style, template, noscript and title
// elements and outside elements marked hidden (the hidden attribute or an
// inline display:none), with runs of white space collapsed and block
// elements joined by a space (inline ones such as <b> or <span> are not,
// as a browser shows them). body is decoded first: UTF-8 when it is valid UTF-8,
// else by the Content-Type header or <meta> charset, and as GB18030 when
// nothing is declared (as a Chinese browser would).
//
// It is a cheap approximation for phrase scanning, one tokenizer pass with
// no DOM: checker's visibility rules (opacity, font-size:0, off-screen
// positioning, CSS inheritance) are richer, and an element hidden by a
// stylesheet counts as visible here.
func VisibleText(body []byte, contentType string) string {
	z := html.NewTokenizer(bytes.NewReader(decodeHTML(body, contentType)))
	var b strings.Builder
	var skipTag string // name of the element whose content is skipped
	skipDepth := 0     // how many skipTag elements are open
	space := false     // a space is owed before the next text
	for {
		switch z.Next() {
		case html.ErrorToken:
			return b.String()
		case html.StartTagToken:
			name, hasAttr := z.TagName()
			if skipDepth > 0 {
				if string(name) == skipTag && !autoClosed(skipTag) {
					skipDepth++
				}
				continue
			}
			if invisibleTag(name) || hasAttr && hiddenAttrs(z) {
				if !voidTag(name) {
					skipTag, skipDepth = string(name), 1
				}
				continue
			}
			space = space || !inlineTag(name)
		case html.EndTagToken:
			name, _ := z.TagName()
			if skipDepth > 0 {
				if string(name) == skipTag {
					skipDepth--
				}
				continue
			}
			space = space || !inlineTag(name)
		case html.SelfClosingTagToken:
			name, _ := z.TagName()
			space = space || !inlineTag(name)
		case html.TextToken:
			if skipDepth > 0 {
				continue
			}
			space = appendCollapsed(&b, z.Text(), space)
		}
	}
}

// appendCollapsed appends text with each run of white space written as one
// space; sep asks for a space before the text. It returns whether the
// text ended in white space still to be written.
func appendCollapsed(b *strings.Builder, text []byte, sep bool) bool {
	for i := 0; i < len(text); {
		if isSpace(text[i]) {
			sep = true
			i++
			continue
		}
		j := i
		for j < len(text) && !isSpace(text[j]) {
			j++
		}
		if sep && b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.Write(text[i:j])
		sep = false
		i = j
	}
	return sep
}

func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'
}

func invisibleTag(name []byte) bool {
	switch string(name) {
	case "script", "style", "template", "noscript", "title":
		return true
	}
	return false
}

// inlineTag elements flow with the text around them: splitting words at
// them would let <b>澳门</b>赌场 slip past the phrase 澳门赌场.
func inlineTag(name []byte) bool {
	switch string(name) {
	case "a", "abbr", "b", "bdi", "bdo", "big", "cite", "code", "data", "dfn", "em", "font", "i", "kbd",
		"label", "mark", "q", "s", "samp", "small", "span", "strike", "strong", "sub", "sup", "time", "tt", "u", "var":
		return true
	}
	return false
}

// voidTag elements have no content or end tag.
func voidTag(name []byte) bool {
	switch string(name) {
	case "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr":
		return true
	}
	return false
}

// autoClosed elements are closed by a sibling of the same name, so a
// second <p> inside a skipped <p> is not nested in it.
func autoClosed(name string) bool {
	switch name {
	case "p", "li", "dt", "dd", "option", "tr", "td", "th":
		return true
	}
	return false
}

// hiddenAttrs reads the current tag's attributes for hidden or an inline
// display:none.
func hiddenAttrs(z *html.Tokenizer) bool {
	for {
		k, v, more := z.TagAttr()
		switch string(k) {
		case "hidden":
			return true
		case "style":
			if displayNone(v) {
				return true
			}
		}
		if !more {
			return false
		}
	}
}

func displayNone(style []byte) bool {
	for _, decl := range bytes.Split(style, []byte(";")) {
		k, v, ok := bytes.Cut(decl, []byte(":"))
		if !ok || !bytes.EqualFold(bytes.TrimSpace(k), []byte("display")) {
			continue
		}
		v = bytes.TrimSpace(bytes.TrimSuffix(bytes.TrimSpace(v), []byte("!important")))
		if bytes.EqualFold(v, []byte("none")) {
			return true
		}
	}
	return false
}

// decodeHTML returns body as UTF-8.
func decodeHTML(body []byte, contentType string) []byte {
	if utf8.Valid(body) {
		return body
	}
	enc, name, certain := charset.DetermineEncoding(body, contentType)
	if !certain && name == "windows-1252" {
		// Nothing declared: DetermineEncoding falls back to the Western
		// default, but these are Chinese sites.
		enc = simplifiedchinese.GB18030
	}
	out, err := enc.NewDecoder().Bytes(body)
	if err != nil {
		return bytes.ToValidUTF8(body, []byte("\uFFFD"))
	}
	return out
}
