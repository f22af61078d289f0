package checker

import (
	"math/bits"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// The fast path's tokenizer: it finds tags, attributes, text, raw text
// (script, style …) and comments in the page as x/net/html's tokenizer
// would, a word at a time where it can, keeping only the attributes the
// scan asks about. scan_tree.go gives the tokens their place in the tree.

// attrSpan is one attribute of a tag as the tokenizer reads it: offsets
// of its key (not lower-cased) and value (not unescaped) in the page.
// Offsets rather than strings: the slice is rewritten for every tag, and
// pointers would cost a write barrier each.
type attrSpan struct {
	k0, k1, v0, v1 int32
}

func (sc *scanner) key(a attrSpan) string { return sc.src[a.k0:a.k1] }

func (sc *scanner) val(a attrSpan) string { return sc.src[a.v0:a.v1] }

// nextMarkup returns the offset of the next '<' that starts a tag,
// comment or doctype, or len(s) and false. plain says the text before it
// holds no '&' and no '\r', so textToken need not look for them again.
func nextMarkup(s string, from int) (i int, ok, plain bool) {
	plain = true
	for {
		i = indexTextStop(s, from)
		if i < 0 {
			return len(s), false, plain
		}
		if c := s[i]; c != '<' {
			plain = false
		} else if i+1 < len(s) {
			if c := s[i+1]; isLetter(c) || c == '/' || c == '!' || c == '?' {
				return i, true, plain
			}
		}
		from = i + 1
	}
}

// Words of eight equal bytes, for finding a byte in a word (hasByte).
const (
	ones     = 0x0101010101010101
	highBits = 0x8080808080808080
)

// indexTextStop returns the offset of the first '<', '&' or '\r' in
// s[from:] (-1 if none), a word at a time. The text between two tags is
// mostly a few bytes long, or none at all: strings.IndexByte cost more to
// call than to search it, and a text then took two more calls, for '&'
// and '\r'.
func indexTextStop(s string, i int) int {
	for ; i+8 <= len(s); i += 8 {
		w := load64(s, i)
		if m := hasByte(w, '<') | hasByte(w, '&') | hasByte(w, '\r'); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for ; i < len(s); i++ {
		if c := s[i]; c == '<' || c == '&' || c == '\r' {
			return i
		}
	}
	return -1
}

// hasByte returns a mask with the high bit set in the bytes of w that
// equal c, and maybe in bytes above the lowest of them (a borrow carries
// into them): only the lowest set bit is exact.
func hasByte(w uint64, c byte) uint64 {
	x := w ^ (ones * uint64(c))
	return (x - ones) &^ x & highBits
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func isSpaceByte(c byte) bool { return inSet(spaceSet, c) }

// Sets of bytes below 64, as bit masks: the tokenizer's loops stop at
// such bytes, and one shift tells them apart where a chain of compares
// took five.
const (
	spaceSet   = 1<<' ' | 1<<'\n' | 1<<'\r' | 1<<'\t' | 1<<'\f'
	nameEndSet = spaceSet | 1<<'/' | 1<<'>' // a tag name ends
	keyEndSet  = nameEndSet | 1<<'='        // an attribute key ends
	valEndSet  = spaceSet | 1<<'>'          // an unquoted value ends
)

// inSet reports whether c is in set (a mask of bytes below 64).
func inSet(set uint64, c byte) bool { return c < 64 && set>>c&1 != 0 }

// tag is a start or end tag as read.
type tag struct {
	name        string // lower-cased
	atom        atom.Atom
	start, end  int // offsets of '<' and after '>'
	selfClosing bool
}

// attrKeep says which of a tag's attributes readTag keeps in sc.attrs.
type attrKeep uint8

const (
	// keepNone keeps none: an end tag's attributes are dropped.
	keepNone attrKeep = iota
	// keepScan keeps those the scan may ask about (scanReads), for the
	// element it opens; the nodes made later read the tag again.
	keepScan
	// keepAll keeps all, as the tokenizer does.
	keepAll
)

// readTag reads a tag whose name starts at sc.pos (just after "<" or
// "</"), as the tokenizer's readTag does, leaving the attributes keep
// asks for in sc.attrs and sc.pos after its '>'. It fails at the end of
// input. (What it read comes back in registers: a tag struct returned
// was copied through the stack in pieces the CPU could not forward, and
// one filled through a pointer paid a write barrier for its name.)
func (sc *scanner) readTag(keep attrKeep) (name string, a atom.Atom, selfClosing, ok bool) {
	s := sc.src
	i := sc.pos
	nameStart := i
	for i < len(s) && !inSet(nameEndSet, s[i]) {
		i++
	}
	name, a = sc.tagName(s[nameStart:i])
	sc.attrs = sc.attrs[:0]
	// lastValEnd is valEnd of the last attribute kept, lastEnd of the
	// last one read with a key.
	lastValEnd, lastEnd := -1, -1
	i = skipSpace(s, i)
	for {
		if i >= len(s) {
			return name, a, false, false
		}
		if s[i] == '>' {
			i++
			break
		}
		// readTagAttrKey: a key may start with '=', and runs to a space,
		// '/', '>' or '='.
		ks := i
		if s[i] == '=' {
			i++
		}
		for i < len(s) && !inSet(keyEndSet, s[i]) {
			i++
		}
		key, i0 := s[ks:i], i
		// readTagAttrVal
		v0, v1, valEnd := 0, 0, -1
		j := skipSpace(s, i)
		switch {
		case j+1 < len(s) && s[j] == '=' && (s[j+1] == '"' || s[j+1] == '\''):
			// key="value", as nearly every attribute is written.
			k := strings.IndexByte(s[j+2:], s[j+1])
			if k < 0 {
				return name, a, false, false
			}
			v0, v1, valEnd = j+2, j+2+k, j+2+k
			i = valEnd + 1
		case j >= len(s):
			i = j
		case s[j] == '/':
			i = j + 1
		case s[j] != '=':
			i = j
		default:
			j = skipSpace(s, j+1)
			switch {
			case j >= len(s):
				i = j
			case s[j] == '>':
				i = j
			case s[j] == '"' || s[j] == '\'':
				q := s[j]
				k := strings.IndexByte(s[j+1:], q)
				if k < 0 {
					return name, a, false, false
				}
				v0, v1, valEnd = j+1, j+1+k, j+1+k
				i = valEnd + 1
			default:
				k := j
				for k < len(s) && !inSet(valEndSet, s[k]) {
					k++
				}
				v0, v1, valEnd = j, k, k
				i = k
			}
		}
		if key != "" {
			lastEnd = valEnd
			if (keep == keepAll || keep == keepScan && scanReads(key)) && !sc.seenAttr(key) {
				sc.attrs = append(sc.attrs, attrSpan{int32(ks), int32(i0), int32(v0), int32(v1)})
				lastValEnd = valEnd
				if valEnd < 0 {
					// A value-less attribute: its value span is empty at
					// the end of the key (the tokenizer's pendingAttr[1]).
					lastValEnd = -2
				}
			}
		}
		i = skipSpace(s, i)
	}
	// The tokenizer's self-closing test: a '/' just before '>' that is not
	// the last character of the last attribute's value (of the last one
	// it kept: a duplicate is dropped).
	if s[i-2] == '/' {
		switch {
		case lastEnd != i-1:
			// No value ran up to the '>': the '/' is no value's.
			selfClosing = true
		case keep != keepAll:
			// Whether the value's attribute was a duplicate takes them
			// all (<a href=/x/>, rare).
			sc.pos = nameStart
			return sc.readTag(keepAll)
		default:
			selfClosing = len(sc.attrs) == 0 || lastValEnd == -2 || i-2 != lastValEnd-1
		}
	}
	sc.pos = i
	return name, a, selfClosing, true
}

// scanReads reports a key the scan may ask about (scanner.attr): hidden
// and style for every element, type for <input>, src for <script>, and
// color, face and size for <font> in SVG. It tells them by length and
// first letter only (a few others pass: class, href …), which is enough
// to spare the scan keeping most attributes.
func scanReads(key string) bool {
	c := key[0] | 0x20 // ASCII lower case
	switch len(key) {
	case 3:
		return c == 's' // src
	case 4:
		return c == 't' || c == 'f' || c == 's' // type, face, size
	case 5:
		return c == 's' || c == 'c' // style, color
	case 6:
		return c == 'h' // hidden
	}
	return false
}

func skipSpace(s string, i int) int {
	for i < len(s) && isSpaceByte(s[i]) {
		i++
	}
	return i
}

// seenAttr reports an attribute key already read in this tag (the
// tokenizer keeps the first of duplicates, ignoring case).
func (sc *scanner) seenAttr(key string) bool {
	for _, a := range sc.attrs {
		if asciiLowerEqual(sc.key(a), key) {
			return true
		}
	}
	return false
}

// asciiLowerEqual compares two keys after ASCII lower-casing only (the
// tokenizer's lower); strings.EqualFold also folds some non-ASCII runes.
func asciiLowerEqual(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// tagName lower-cases a tag name and looks up its atom.
func (sc *scanner) tagName(raw string) (string, atom.Atom) {
	if a := commonTag(raw); a != 0 {
		return raw, a // spelled as its atom is
	}
	if len(raw) <= len(sc.name) {
		b := sc.name[:len(raw)]
		for i := 0; i < len(raw); i++ {
			c := raw[i]
			if 'A' <= c && c <= 'Z' {
				c += 'a' - 'A'
			}
			b[i] = c
		}
		if a := atom.Lookup(b); a != 0 {
			return a.String(), a
		}
	}
	return asciiLower(raw), 0
}

func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// attr returns the raw value of the current tag's attribute key (lower
// case, one that scanReads passes) and whether it is there.
func (sc *scanner) attr(key string) (string, bool) {
	for _, a := range sc.attrs {
		if asciiLowerEqual(sc.key(a), key) {
			return sc.val(a), true
		}
	}
	return "", false
}

// attrValue turns a raw attribute value into what the tree holds:
// newlines converted and character references decoded as in attributes.
// ok is false for the rare value that cannot be handed to the tokenizer.
func attrValue(raw string) (string, bool) {
	if strings.IndexByte(raw, '&') < 0 && strings.IndexByte(raw, '\r') < 0 {
		return raw, true
	}
	q := byte('"')
	if strings.IndexByte(raw, '"') >= 0 {
		if strings.IndexByte(raw, '\'') >= 0 {
			return "", false
		}
		q = '\''
	}
	z := html.NewTokenizer(strings.NewReader("<a v=" + string(q) + raw + string(q) + ">"))
	z.Next()
	_, val, _ := z.TagAttr()
	return string(val), true
}

// textData is what the tokenizer makes of a run of text.
func textData(raw string, unescape bool) string {
	if strings.IndexByte(raw, '\r') >= 0 {
		raw = convertNewlines(raw)
	}
	if unescape && strings.IndexByte(raw, '&') >= 0 {
		raw = html.UnescapeString(raw)
	}
	return raw
}

// convertNewlines turns "\r\n" and "\r" into "\n".
func convertNewlines(s string) string {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.ReplaceAll(s, "\r", "\n")
}

const whitespace = " \t\r\n\f"

// readRaw finds the end of a raw text or RCDATA element's text: the
// offset of "</name" followed by a space, '/' or '>'; -1 if none.
func readRaw(s string, from int, name string) int {
	for {
		i := strings.Index(s[from:], "</")
		if i < 0 {
			return -1
		}
		i += from
		if ok, next := rawEndTagAt(s, i+2, name); ok {
			return i
		} else if next < 0 {
			return -1
		}
		from = i + 2
	}
}

// Script data states of the tokenizer's readScript.
const (
	sData = iota
	sLessThan
	sEndTagOpen
	sEscapeStart
	sEscapeStartDash
	sEscaped
	sEscapedDash
	sEscapedDashDash
	sEscapedLessThan
	sEscapedEndTagOpen
	sDoubleEscapeStart
	sDoubleEscaped
	sDoubleEscapedDash
	sDoubleEscapedDashDash
	sDoubleEscapedLessThan
	sDoubleEscapeEnd
)

// readScript finds the end of a script's text (the offset of its end
// tag's '<'), following the tokenizer's script data states, the "<!--"
// escapes included, step for step; -1 if the text runs to the end.
func readScript(s string, i int) int {
	st := sData
	for {
		if st == sData {
			j := strings.IndexByte(s[i:], '<')
			if j < 0 {
				return -1
			}
			i += j + 1
			st = sLessThan
			continue
		}
		if i >= len(s) {
			return -1
		}
		switch st {
		case sEndTagOpen, sEscapedEndTagOpen, sDoubleEscapeEnd:
			ok, next := rawEndTagAt(s, i, "script")
			switch {
			case next < 0:
				return -1
			case ok && st == sDoubleEscapeEnd:
				i, st = i-2+len("</script>"), sEscaped
			case ok:
				return i - 2
			case st == sEndTagOpen:
				i, st = next, sData
			case st == sEscapedEndTagOpen:
				i, st = next, sEscaped
			default:
				i, st = next, sDoubleEscaped
			}
			continue
		case sDoubleEscapeStart:
			st = sDoubleEscaped
			for k := 0; k < len("script"); k++ {
				if i >= len(s) {
					return -1
				}
				if c := s[i]; c != "script"[k] && c != "SCRIPT"[k] {
					st = sEscaped
					break
				}
				i++
			}
			if st == sEscaped {
				continue
			}
			if i >= len(s) {
				return -1
			}
			if c := s[i]; !isSpaceByte(c) && c != '/' && c != '>' {
				st = sEscaped
				continue
			}
			i++
			continue
		}
		c := s[i]
		i++
		switch st {
		case sLessThan:
			switch c {
			case '/':
				st = sEndTagOpen
			case '!':
				st = sEscapeStart
			default:
				i, st = i-1, sData
			}
		case sEscapeStart, sEscapeStartDash:
			switch {
			case c != '-':
				i, st = i-1, sData
			case st == sEscapeStart:
				st = sEscapeStartDash
			default:
				st = sEscapedDashDash
			}
		case sEscaped, sEscapedDash, sEscapedDashDash:
			switch {
			case c == '-' && st == sEscaped:
				st = sEscapedDash
			case c == '-':
				st = sEscapedDashDash
			case c == '<':
				st = sEscapedLessThan
			case c == '>' && st == sEscapedDashDash:
				st = sData
			default:
				st = sEscaped
			}
		case sEscapedLessThan:
			switch {
			case c == '/':
				st = sEscapedEndTagOpen
			case isLetter(c):
				i, st = i-1, sDoubleEscapeStart
			default:
				i, st = i-1, sData
			}
		case sDoubleEscaped, sDoubleEscapedDash, sDoubleEscapedDashDash:
			switch {
			case c == '-' && st == sDoubleEscaped:
				st = sDoubleEscapedDash
			case c == '-':
				st = sDoubleEscapedDashDash
			case c == '<':
				st = sDoubleEscapedLessThan
			case c == '>' && st == sDoubleEscapedDashDash:
				st = sData
			default:
				st = sDoubleEscaped
			}
		case sDoubleEscapedLessThan:
			if c == '/' {
				st = sDoubleEscapeEnd
			} else {
				i, st = i-1, sDoubleEscaped
			}
		}
	}
}

// rawEndTagAt is the tokenizer's readRawEndTag at s[i:] (just after
// "</"): whether name and then a space, '/' or '>' follow, and where
// reading goes on when they do not (-1 at the end of input).
func rawEndTagAt(s string, i int, name string) (bool, int) {
	for k := 0; k < len(name); k++ {
		if i >= len(s) {
			return false, -1
		}
		if c := s[i]; c != name[k] && c != name[k]-('a'-'A') {
			return false, i
		}
		i++
	}
	if i >= len(s) {
		return false, -1
	}
	if c := s[i]; isSpaceByte(c) || c == '/' || c == '>' {
		return true, i
	}
	return false, i
}

// commentEnd returns the offset after a comment whose text starts at i,
// as the tokenizer's readComment finds it; -1 at the end of input.
func commentEnd(s string, i int) int {
	dashes := 0
	beginning := true
	for i < len(s) {
		c := s[i]
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
				if i >= len(s) {
					return -1
				}
				c = s[i]
				i++
				if c == '>' {
					return i
				}
				if c == '-' {
					dashes = 1
					beginning = false
					continue
				}
			}
		}
		dashes = 0
		beginning = false
	}
	return -1
}
