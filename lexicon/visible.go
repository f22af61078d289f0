package lexicon

import (
	"bytes"
	"encoding/binary"
	"sync"
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
// It is a cheap approximation for phrase scanning, one pass over the
// tokens with no DOM (a byte scanner that yields x/net/html's tokens, or
// the tokenizer itself where the scanner gives up; see fast.go):
// checker's visibility rules (opacity, font-size:0, off-screen
// positioning, CSS inheritance) are richer, and an element hidden by a
// stylesheet counts as visible here.
func VisibleText(body []byte, contentType string) string {
	v := getVisible()
	defer putVisible(v)
	v.extract(decodeHTML(body, contentType))
	return string(v.out)
}

// visible collects a page's visible text from its tokens. The same state
// machine runs behind both tokenizers (fast.go's byte scanner and
// x/net/html's), so the two can differ only in the tokens they see.
type visible struct {
	out       []byte
	skipTag   []byte // name of the element whose content is skipped
	skipDepth int    // how many skipTag elements are open
	space     bool   // a space is owed before the next text
	tag       tag    // the fast scanner's current tag
	// scratch holds a token's bytes when they must be rewritten (entities
	// decoded, a tag name lower-cased) before use.
	scratch []byte
}

// visiblePool keeps the buffers of finished extractions: a page's text is
// tens of KB, and a crawl cycle extracts thousands of pages.
var visiblePool = sync.Pool{New: func() any { return new(visible) }}

func getVisible() *visible {
	v := visiblePool.Get().(*visible)
	v.reset()
	return v
}

// maxPooled bounds the buffers kept for reuse, so that one huge page does
// not pin its memory for the life of the process.
const maxPooled = 1 << 20

func putVisible(v *visible) {
	if cap(v.out) <= maxPooled && cap(v.scratch) <= maxPooled {
		visiblePool.Put(v)
	}
}

func (v *visible) reset() {
	v.out, v.skipTag, v.skipDepth, v.space = v.out[:0], v.skipTag[:0], 0, false
}

// extract sets v.out to the visible text of src (UTF-8): by the byte
// scanner when it can follow the markup, else by x/net/html's tokenizer.
func (v *visible) extract(src []byte) {
	if v.fast(src) {
		return
	}
	v.reset()
	v.tokenize(src)
}

// tokenize is the reference extraction: x/net/html's tokenizer.
func (v *visible) tokenize(src []byte) {
	z := html.NewTokenizer(bytes.NewReader(src))
	for {
		switch z.Next() {
		case html.ErrorToken:
			return
		case html.StartTagToken:
			name, hasAttr := z.TagName()
			v.startTag(name, classify(name), hasAttr && hiddenAttrs(z))
		case html.EndTagToken:
			name, _ := z.TagName()
			v.endTag(name, classify(name))
		case html.SelfClosingTagToken:
			name, _ := z.TagName()
			v.selfClosingTag(classify(name))
		case html.TextToken:
			v.text(z.Text())
		}
	}
}

func (v *visible) startTag(name []byte, c tagClass, hidden bool) {
	if v.skipDepth > 0 {
		if bytes.Equal(name, v.skipTag) && c&autoClosed == 0 {
			v.skipDepth++
		}
		return
	}
	if c&invisible != 0 || hidden {
		if c&void == 0 {
			v.skipTag, v.skipDepth = append(v.skipTag[:0], name...), 1
		}
		return
	}
	v.space = v.space || c&inline == 0
}

func (v *visible) endTag(name []byte, c tagClass) {
	if v.skipDepth > 0 {
		if bytes.Equal(name, v.skipTag) {
			v.skipDepth--
		}
		return
	}
	v.space = v.space || c&inline == 0
}

func (v *visible) selfClosingTag(c tagClass) {
	if v.skipDepth == 0 {
		v.space = v.space || c&inline == 0
	}
}

// text takes a text token, entities already decoded.
func (v *visible) text(text []byte) {
	if v.skipDepth == 0 {
		v.out, v.space = appendCollapsed(v.out, text, v.space)
	}
}

// appendCollapsed appends text with each run of white space written as one
// space; sep asks for a space before the text. It returns whether the
// text ended in white space still to be written.
func appendCollapsed(b, text []byte, sep bool) ([]byte, bool) {
	for i := 0; i < len(text); {
		if isSpace(text[i]) {
			sep = true
			i++
			continue
		}
		j := i + 1
		for j < len(text) && !isSpace(text[j]) {
			j++
		}
		if sep && len(b) > 0 {
			b = append(b, ' ')
		}
		b = append(b, text[i:j]...)
		sep = false
		i = j
	}
	return b, sep
}

// isSpace reports HTML white space. It runs on every byte of text: one
// comparison and a bit test, rather than five comparisons.
func isSpace(c byte) bool { return ends(c, spaceBytes) }

// tagClass says what an element is to VisibleText, bit by bit.
type tagClass uint8

const (
	// inline elements flow with the text around them: splitting words at
	// them would let <b>澳门</b>赌场 slip past the phrase 澳门赌场.
	inline tagClass = 1 << iota
	// invisible elements' content is never shown.
	invisible
	// void elements have no content or end tag.
	void
	// autoClosed elements are closed by a sibling of the same name, so a
	// second <p> inside a skipped <p> is not nested in it.
	autoClosed
	// raw elements' content is raw text to the tokenizer, markup and all,
	// up to the element's end tag.
	raw
)

// classify looks a tag name up once for all the questions above.
func classify(name []byte) tagClass {
	switch string(name) {
	case "a", "abbr", "b", "bdi", "bdo", "big", "cite", "code", "data", "dfn", "em", "font", "i", "kbd",
		"label", "mark", "q", "s", "samp", "small", "span", "strike", "strong", "sub", "sup", "time", "tt", "u", "var":
		return inline
	case "script", "style", "noscript", "title":
		return invisible | raw
	case "template":
		return invisible
	case "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr":
		return void
	case "p", "li", "dt", "dd", "option", "tr", "td", "th":
		return autoClosed
	case "iframe", "noembed", "noframes", "plaintext", "textarea", "xmp":
		return raw
	}
	return 0
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
	for len(style) > 0 {
		var decl []byte
		decl, style, _ = bytes.Cut(style, []byte(";"))
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

// validUTF8 is utf8.Valid, quicker on Chinese text: eight ASCII bytes at
// a time as utf8.Valid does, and the three-byte sequences whose lead byte
// (E1–EC, which holds the CJK ideographs) puts no bound on the next byte
// other than being a continuation, inline.
func validUTF8(b []byte) bool {
	for i := 0; i < len(b); {
		if len(b)-i >= 8 && binary.LittleEndian.Uint64(b[i:])&0x8080808080808080 == 0 {
			i += 8
			continue
		}
		c := b[i]
		switch {
		case c < utf8.RuneSelf:
			i++
		case 0xE1 <= c && c <= 0xEC && len(b)-i >= 3 && b[i+1]&0xC0 == 0x80 && b[i+2]&0xC0 == 0x80:
			i += 3
		default:
			r, n := utf8.DecodeRune(b[i:])
			if r == utf8.RuneError && n == 1 {
				return false
			}
			i += n
		}
	}
	return true
}

// decodeHTML returns body as UTF-8.
func decodeHTML(body []byte, contentType string) []byte {
	if validUTF8(body) {
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
