package lexicon

import (
	"bytes"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// fast extracts the visible text of src with a byte scanner that yields
// the tokens x/net/html's tokenizer would, without its costs: the
// tokenizer copies every attribute key twice to deduplicate it (two
// allocations an attribute, thousands a page) and reads byte by byte
// through an io.Reader, where this finds the next '<' with IndexByte and
// reads only tags byte by byte. The scanner is a port of the tokenizer's
// own code (token.go's Next, readTag, readComment, readScript…) over a
// byte slice, and it gives up (false, v left dirty) on the few things it
// does not reproduce, which the tokenizer then handles:
//
//   - an inline style value with an entity (display&#58;none);
//   - a NUL byte in a tag name;
//   - a start tag ending in an unquoted value that ends in '/'
//     (<a href=/>), whose self-closing flag depends on attribute
//     deduplication.
//
// FuzzFastVisible holds it to the tokenizer's result.
func (v *visible) fast(src []byte) bool {
	i, text := 0, 0 // the scan position; where the pending text starts
	for {
		j := bytes.IndexByte(src[i:], '<')
		if j < 0 {
			v.textToken(src[text:])
			return true
		}
		lt := i + j
		if lt+1 >= len(src) {
			v.textToken(src[text:]) // a final '<' is text
			return true
		}
		c := src[lt+1]
		switch {
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
			v.textToken(src[text:lt])
			t := &v.tag
			if !readTag(src, lt+1, t) {
				return true // unterminated tag: the tokenizer stops there
			}
			if t.unsure {
				return false
			}
			name, ok := v.tagName(src[t.nameStart:t.nameEnd])
			if !ok {
				return false
			}
			class := classify(name)
			switch {
			case t.selfClosing:
				v.selfClosingTag(class)
			case t.styleEntity && v.skipDepth == 0:
				return false
			default:
				v.startTag(name, class, t.hidden)
			}
			i = t.end
			if class&raw != 0 {
				i = v.rawText(src, i, rawTag(name))
			}
		case c == '/':
			v.textToken(src[text:lt])
			if lt+2 >= len(src) {
				v.textToken(src[lt:]) // "</" at the end is text
				return true
			}
			switch c := src[lt+2]; {
			case c == '>':
				i = lt + 3 // "</>" is no token at all
			case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
				t := &v.tag
				if !readTag(src, lt+2, t) {
					return true
				}
				name, ok := v.tagName(src[t.nameStart:t.nameEnd])
				if !ok {
					return false
				}
				v.endTag(name, classify(name))
				i = t.end
			default:
				i = closeAngle(src, lt+2) // a bogus comment
			}
		case c == '!':
			v.textToken(src[text:lt])
			if bytes.HasPrefix(src[lt+2:], []byte("--")) {
				i = commentEnd(src, lt+4)
			} else {
				i = closeAngle(src, lt+2) // doctype, CDATA or a bogus comment
			}
		case c == '?':
			v.textToken(src[text:lt])
			i = closeAngle(src, lt+1)
		default:
			i = lt + 1 // '<' not starting markup is text
			continue
		}
		text = i
	}
}

// textToken takes the bytes of a text token as they stand in the page:
// entities are decoded here, as the tokenizer's Text does.
func (v *visible) textToken(raw []byte) {
	if len(raw) == 0 || v.skipDepth > 0 {
		return
	}
	if bytes.IndexByte(raw, '&') >= 0 {
		raw = v.unescape(raw)
	}
	v.out, v.space = appendCollapsed(v.out, raw, v.space)
}

// tagName returns name lower-cased, as the tokenizer's TagName does; false
// for a NUL in it, which the tokenizer would rewrite.
func (v *visible) tagName(name []byte) ([]byte, bool) {
	upper := false
	for _, c := range name {
		switch {
		case c == 0:
			return nil, false
		case 'A' <= c && c <= 'Z':
			upper = true
		}
	}
	if !upper {
		return name, true
	}
	v.scratch = append(v.scratch[:0], name...)
	for i, c := range v.scratch {
		if 'A' <= c && c <= 'Z' {
			v.scratch[i] = c + 'a' - 'A'
		}
	}
	return v.scratch, true
}

// rawTag is the name of a raw element (classify), as a constant.
func rawTag(name []byte) string {
	switch string(name) {
	case "iframe":
		return "iframe"
	case "noembed":
		return "noembed"
	case "noframes":
		return "noframes"
	case "noscript":
		return "noscript"
	case "plaintext":
		return "plaintext"
	case "script":
		return "script"
	case "style":
		return "style"
	case "textarea":
		return "textarea"
	case "title":
		return "title"
	case "xmp":
		return "xmp"
	}
	return ""
}

// rawText reads the raw text of a tag element from src[i:] and returns
// where the markup starts again (the end tag's '<', or len(src)).
func (v *visible) rawText(src []byte, i int, tag string) int {
	end := len(src)
	switch tag {
	case "plaintext":
	case "script":
		end = scriptEnd(src, i)
	default:
		end = rawEnd(src, i, tag)
	}
	if v.skipDepth > 0 || end == i {
		return end
	}
	// A raw text token: NUL becomes U+FFFD, and only a title's or a
	// textarea's entities are decoded.
	text := src[i:end]
	if bytes.IndexByte(text, 0) >= 0 {
		v.scratch = bytes.ReplaceAll(text, []byte{0}, []byte("\uFFFD"))
		text = v.scratch
	}
	if (tag == "title" || tag == "textarea") && bytes.IndexByte(text, '&') >= 0 {
		text = []byte(html.UnescapeString(string(text)))
	}
	v.out, v.space = appendCollapsed(v.out, text, v.space)
	return end
}

// tag is what readTag found.
type tag struct {
	nameStart, nameEnd int
	end                int // just past the '>'
	selfClosing        bool
	hidden             bool // a hidden attribute, or the first style is display:none
	styleEntity        bool // the first style has an entity: the scanner cannot judge it
	unsure             bool // the self-closing flag needs deduplicated attributes
}

// readTag reads a start or end tag whose name starts at src[i] into t, as
// the tokenizer's readTag (and readStartTag's self-closing test) does;
// false when the input ends inside it, where the tokenizer stops.
func readTag(src []byte, i int, t *tag) bool {
	*t = tag{nameStart: i}
	// readTagName: the first byte is a letter.
	p := i + 1
	for ; ; p++ {
		if p >= len(src) {
			return false
		}
		c := src[p]
		if !ends(c, nameEnds) {
			continue
		}
		t.nameEnd = p
		if isSpace(c) {
			p++
		}
		break
	}
	lastVal := -1 // end of the last attribute's value
	seenStyle := false
	for {
		p = skipSpace(src, p)
		if p >= len(src) {
			return false
		}
		if src[p] == '>' {
			p++
			break
		}
		// readTagAttrKey
		keyStart := p
		for ; ; p++ {
			if p >= len(src) {
				return false
			}
			if c := src[p]; ends(c, keyEnds) && (c != '=' || p > keyStart) {
				break // a leading '=' is part of the name
			}
		}
		key := src[keyStart:p]
		// readTagAttrVal
		valStart, valEnd := p, p
		p = skipSpace(src, p)
		if p >= len(src) {
			return false
		}
		switch src[p] {
		case '/':
			p++
		case '=':
			p = skipSpace(src, p+1)
			if p >= len(src) {
				return false
			}
			switch q := src[p]; q {
			case '>':
			case '"', '\'':
				k := bytes.IndexByte(src[p+1:], q)
				if k < 0 {
					return false
				}
				valStart, valEnd = p+1, p+1+k
				p = valEnd + 1
			default:
				valStart = p
				for p++; ; p++ {
					if p >= len(src) {
						return false
					}
					if c := src[p]; ends(c, valueEnds) {
						valEnd = p
						if c != '>' {
							p++
						}
						break
					}
				}
			}
		}
		lastVal = valEnd
		switch {
		case asciiLowerIs(key, "hidden"):
			t.hidden = true
		case asciiLowerIs(key, "style") && !seenStyle:
			// Only the first of duplicate attributes counts.
			seenStyle = true
			val := src[valStart:valEnd]
			if bytes.IndexByte(val, '&') >= 0 {
				t.styleEntity = true
			} else if displayNone(val) {
				t.hidden = true
			}
		}
	}
	t.end = p
	if src[p-2] == '/' {
		// <p a=/> is not self-closing: the '/' is the value's. The
		// tokenizer decides by the last attribute it kept, after
		// dropping duplicates; this scanner does not track those.
		if lastVal >= 0 && lastVal-1 == p-2 {
			t.unsure = true
		} else {
			t.selfClosing = true
		}
	}
	return true
}

// The bytes that end a tag's name, an attribute's name and an unquoted
// value, as masks for ends: a tag's bytes are read one by one, and one
// comparison and a bit test cost less than four comparisons.
const (
	spaceBytes = 1<<' ' | 1<<'\t' | 1<<'\n' | 1<<'\r' | 1<<'\f'
	nameEnds   = spaceBytes | 1<<'/' | 1<<'>'
	keyEnds    = nameEnds | 1<<'='
	valueEnds  = spaceBytes | 1<<'>'
)

// ends reports whether c is one of the bytes of mask (all below 64).
func ends(c byte, mask uint64) bool { return c < 64 && (uint64(1)<<c)&mask != 0 }

func skipSpace(src []byte, p int) int {
	for p < len(src) && isSpace(src[p]) {
		p++
	}
	return p
}

// asciiLowerIs reports whether b, its ASCII letters lower-cased (as the
// tokenizer does, and no other folding), is s.
func asciiLowerIs(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != s[i] {
			return false
		}
	}
	return true
}

// closeAngle returns the position just past the next '>' from src[i], or
// len(src): the end of a bogus comment or a doctype.
func closeAngle(src []byte, i int) int {
	if k := bytes.IndexByte(src[i:], '>'); k >= 0 {
		return i + k + 1
	}
	return len(src)
}

// commentEnd returns the position just past the comment whose data starts
// at src[i] (after "<!--"), by the tokenizer's readComment: it ends at
// "-->" or "--!>", or at once for "<!-->" and "<!--->".
func commentEnd(src []byte, i int) int {
	dashes, beginning := 0, true
	for i < len(src) {
		c := src[i]
		i++
		switch c {
		case '-':
			dashes++
			continue
		case '>':
			if dashes >= 2 || beginning {
				return i
			}
		case '!':
			if dashes >= 2 {
				if i >= len(src) {
					return i
				}
				c = src[i]
				i++
				if c == '>' {
					return i
				}
				if c == '-' {
					dashes, beginning = 1, false
					continue
				}
			}
		}
		dashes, beginning = 0, false
	}
	return len(src)
}

// rawEndTag reports whether src[i:] (just after "</") is the end tag of
// tag: its name in any case, then white space, '/' or '>'.
func rawEndTag(src []byte, i int, tag string) bool {
	if len(src)-i <= len(tag) {
		return false // the input ends first: the raw text runs to the end
	}
	for k := range len(tag) {
		if c := src[i+k]; c != tag[k] && c != tag[k]-('a'-'A') {
			return false
		}
	}
	switch src[i+len(tag)] {
	case ' ', '\n', '\r', '\t', '\f', '/', '>':
		return true
	}
	return false
}

// rawEnd returns where the raw text of tag starting at src[i] ends: at
// the '<' of its end tag, or len(src).
func rawEnd(src []byte, i int, tag string) int {
	for {
		k := bytes.Index(src[i:], []byte("</"))
		if k < 0 {
			return len(src)
		}
		if rawEndTag(src, i+k+2, tag) {
			return i + k
		}
		i += k + 2
	}
}

// scriptEnd returns where a script's raw text starting at src[i] ends:
// at the '<' of its end tag, or len(src). Script text with no "<!--"
// before the first </script> ends there (only "<!--" leaves the
// tokenizer's plain script state); with one, the tokenizer's readScript
// is followed, escaped and double-escaped states and all.
func scriptEnd(src []byte, i int) int {
	end := rawEnd(src, i, "script")
	if bytes.Contains(src[i:end], []byte("<!--")) {
		return readScript(src, i)
	}
	return end
}

// readScript is the tokenizer's readScript over a slice.
func readScript(src []byte, p int) int {
	var c byte
	read := func() bool {
		if p >= len(src) {
			return false
		}
		c = src[p]
		p++
		return true
	}
	// endTag is readRawEndTag after "</": on success p is back at '<'.
	endTag := func() bool {
		if rawEndTag(src, p, "script") {
			p -= 2
			return true
		}
		// The tokenizer consumes the matching prefix of "script" and
		// gives back only the byte that failed to match.
		for k := range len("script") {
			if p >= len(src) {
				return false
			}
			if c := src[p]; c != "script"[k] && c != "SCRIPT"[k] {
				return false
			}
			p++
		}
		// The byte after "script" (neither space nor '/' nor '>') is
		// read and given back: p stays.
		return false
	}

scriptData:
	if !read() {
		return len(src)
	}
	if c == '<' {
		goto scriptDataLessThanSign
	}
	goto scriptData

scriptDataLessThanSign:
	if !read() {
		return len(src)
	}
	switch c {
	case '/':
		goto scriptDataEndTagOpen
	case '!':
		goto scriptDataEscapeStart
	}
	p--
	goto scriptData

scriptDataEndTagOpen:
	if endTag() {
		return p
	}
	if p >= len(src) {
		return len(src)
	}
	goto scriptData

scriptDataEscapeStart:
	if !read() {
		return len(src)
	}
	if c == '-' {
		goto scriptDataEscapeStartDash
	}
	p--
	goto scriptData

scriptDataEscapeStartDash:
	if !read() {
		return len(src)
	}
	if c == '-' {
		goto scriptDataEscapedDashDash
	}
	p--
	goto scriptData

scriptDataEscaped:
	if !read() {
		return len(src)
	}
	switch c {
	case '-':
		goto scriptDataEscapedDash
	case '<':
		goto scriptDataEscapedLessThanSign
	}
	goto scriptDataEscaped

scriptDataEscapedDash:
	if !read() {
		return len(src)
	}
	switch c {
	case '-':
		goto scriptDataEscapedDashDash
	case '<':
		goto scriptDataEscapedLessThanSign
	}
	goto scriptDataEscaped

scriptDataEscapedDashDash:
	if !read() {
		return len(src)
	}
	switch c {
	case '-':
		goto scriptDataEscapedDashDash
	case '<':
		goto scriptDataEscapedLessThanSign
	case '>':
		goto scriptData
	}
	goto scriptDataEscaped

scriptDataEscapedLessThanSign:
	if !read() {
		return len(src)
	}
	if c == '/' {
		goto scriptDataEscapedEndTagOpen
	}
	if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' {
		goto scriptDataDoubleEscapeStart
	}
	p--
	goto scriptData

scriptDataEscapedEndTagOpen:
	if endTag() {
		return p
	}
	if p >= len(src) {
		return len(src)
	}
	goto scriptDataEscaped

scriptDataDoubleEscapeStart:
	p--
	for k := range len("script") {
		if !read() {
			return len(src)
		}
		if c != "script"[k] && c != "SCRIPT"[k] {
			p--
			goto scriptDataEscaped
		}
	}
	if !read() {
		return len(src)
	}
	switch c {
	case ' ', '\n', '\r', '\t', '\f', '/', '>':
		goto scriptDataDoubleEscaped
	}
	p--
	goto scriptDataEscaped

scriptDataDoubleEscaped:
	if !read() {
		return len(src)
	}
	switch c {
	case '-':
		goto scriptDataDoubleEscapedDash
	case '<':
		goto scriptDataDoubleEscapedLessThanSign
	}
	goto scriptDataDoubleEscaped

scriptDataDoubleEscapedDash:
	if !read() {
		return len(src)
	}
	switch c {
	case '-':
		goto scriptDataDoubleEscapedDashDash
	case '<':
		goto scriptDataDoubleEscapedLessThanSign
	}
	goto scriptDataDoubleEscaped

scriptDataDoubleEscapedDashDash:
	if !read() {
		return len(src)
	}
	switch c {
	case '-':
		goto scriptDataDoubleEscapedDashDash
	case '<':
		goto scriptDataDoubleEscapedLessThanSign
	case '>':
		goto scriptData
	}
	goto scriptDataDoubleEscaped

scriptDataDoubleEscapedLessThanSign:
	if !read() {
		return len(src)
	}
	if c == '/' {
		goto scriptDataDoubleEscapeEnd
	}
	p--
	goto scriptDataDoubleEscaped

scriptDataDoubleEscapeEnd:
	if endTag() {
		p += len("</script>")
		goto scriptDataEscaped
	}
	if p >= len(src) {
		return len(src)
	}
	goto scriptDataDoubleEscaped
}

// unescape decodes the entities of a text token into v.scratch, as the
// tokenizer's Text does.
func (v *visible) unescape(raw []byte) []byte {
	out := v.scratch[:0]
	for {
		k := bytes.IndexByte(raw, '&')
		if k < 0 {
			v.scratch = append(out, raw...)
			return v.scratch
		}
		out = append(out, raw[:k]...)
		raw = raw[k:]
		r, n := commonEntity(raw)
		if n == 0 {
			// Not one of the common forms: x/net/html decides. An entity
			// ends at the first byte that is not alphanumeric, '#' or ';',
			// so decoding up to the next '&' or white space cuts none.
			e := 1
			for e < len(raw) && raw[e] != '&' && !isSpace(raw[e]) {
				e++
			}
			out = append(out, html.UnescapeString(string(raw[:e]))...)
			raw = raw[e:]
			continue
		}
		out = utf8.AppendRune(out, r)
		raw = raw[n:]
	}
}

// commonEntity decodes the entity at the start of b (b[0] is '&') when it
// is one of the forms pages use all the time: a named entity of the short
// list below with its ';', or a numeric one of an ordinary character with
// its ';'. n is 0 for anything else.
func commonEntity(b []byte) (r rune, n int) {
	end := bytes.IndexByte(b[:min(len(b), 12)], ';')
	if end < 2 {
		return 0, 0
	}
	name := b[1:end]
	if name[0] == '#' {
		x, hex := rune(0), false
		digits := name[1:]
		if len(digits) > 0 && (digits[0] == 'x' || digits[0] == 'X') {
			hex, digits = true, digits[1:]
		}
		if len(digits) == 0 || len(digits) > 7 {
			return 0, 0
		}
		for _, c := range digits {
			var d rune
			switch {
			case '0' <= c && c <= '9':
				d = rune(c - '0')
			case hex && 'a' <= c && c <= 'f':
				d = rune(c-'a') + 10
			case hex && 'A' <= c && c <= 'F':
				d = rune(c-'A') + 10
			default:
				return 0, 0
			}
			if hex {
				x = x*16 + d
			} else {
				x = x*10 + d
			}
		}
		// NUL, the C1 controls (read as Windows-1252), surrogates and
		// beyond Unicode have replacements: x/net/html decides those.
		if x == 0 || 0x80 <= x && x <= 0x9F || 0xD800 <= x && x <= 0xDFFF || x > utf8.MaxRune {
			return 0, 0
		}
		return x, end + 1
	}
	switch string(name) {
	case "amp":
		return '&', end + 1
	case "lt":
		return '<', end + 1
	case "gt":
		return '>', end + 1
	case "quot":
		return '"', end + 1
	case "apos":
		return '\'', end + 1
	case "nbsp":
		return '\u00A0', end + 1
	case "copy":
		return '©', end + 1
	case "reg":
		return '®', end + 1
	case "middot":
		return '·', end + 1
	case "raquo":
		return '»', end + 1
	case "laquo":
		return '«', end + 1
	case "hellip":
		return '…', end + 1
	case "mdash":
		return '—', end + 1
	case "ndash":
		return '–', end + 1
	case "ldquo":
		return '“', end + 1
	case "rdquo":
		return '”', end + 1
	case "lsquo":
		return '‘', end + 1
	case "rsquo":
		return '’', end + 1
	case "times":
		return '×', end + 1
	case "yen":
		return '¥', end + 1
	case "emsp":
		return '\u2003', end + 1
	case "ensp":
		return '\u2002', end + 1
	case "bull":
		return '•', end + 1
	}
	return 0, 0
}
