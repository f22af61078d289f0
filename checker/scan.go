package checker

import (
	"math/bits"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// The fast path. Building x/net/html's whole tree is most of what a check
// costs, yet a filing number lives in a small part of the page (usually the
// footer). scanPage reads the page once, the way x/net/html's tokenizer and
// tree builder would, but keeps only a table of elements and the rendered
// text, exactly as newDocument would collect it from the tree. Only the
// subtrees that hold a number are then parsed into nodes (see region.go).
//
// The scanner follows the HTML parsing algorithm only for well-behaved
// markup: the head and body modes, implied html/head/body, the implicit
// closing of <p>, <li>, <dd>/<dt> and headings, raw text elements, inline
// SVG. Anything whose tree it cannot know for certain (tables, foster
// parenting, misnested formatting elements that the parser would adopt or
// reconstruct, forms closed out of order, frames, templates, <select>,
// MathML, NUL bytes, markup cut off by the end of the page …) makes it give
// up, and the page gets the full parse. TestFastPathCorpus and FuzzFastPath
// hold it to the full parse's reports.

// maxScanDepth stays under x/net/html's limit of 512 open elements, past
// which Parse fails (and the check reports the error).
const maxScanDepth = 500

type scanMode uint8

const (
	modeInitial scanMode = iota
	modeBeforeHTML
	modeBeforeHead
	modeInHead
	modeAfterHead
	modeInBody
	modeAfterBody
	modeAfterAfterBody
)

// scanElem is one element of the page, in document order. It holds no
// pointers, so that the collector neither scans the table nor fences the
// writes that fill it.
type scanElem struct {
	// name is the node's Data: the atom's name, or when atom is 0 the
	// name at this index of pageScan.names.
	name   int32
	atom   atom.Atom
	svg    bool
	skip   bool  // a skipped element or inside one: nothing under it is walked
	parent int32 // -1 for <html>
	// start is the offset of the start tag's '<' (-1 for an implied
	// element), tagEnd the offset after its '>'.
	start, tagEnd int32
	// end is the offset after the end tag that closed the element, or -1
	// when something else closed it (then its source is not a fragment
	// that parses on its own).
	end  int32
	last int32 // index of the last element inside it
	// text0, text1 and img0, img1 bound the ordinals of the walked text
	// nodes and images inside it.
	text0, text1 int32
	img0, img1   int32
	st           visState // the state its children inherit
	lastText     int32    // the text node that is its last child, -1 if none
	hasChild     bool
	// comment says a comment is among its children: the table does not
	// hold them, so its nodes cannot be made from the table alone.
	comment bool
}

// textRef says where a walked text node's text went.
type textRef struct {
	hid    bool
	seg    int32
	parent int32
}

// pageScan is the scanner's view of a page: the element table, where each
// text node's text went, and the nodes made for it so far.
type pageScan struct {
	src   string
	elems []scanElem
	names []string // the names of elements that have no atom
	texts []textRef
	made  []madeNode // nodes made for elements, by index (region.go)
	// spareMade is zeroed memory for made, from the pool.
	spareMade []madeNode
	// attrBuf is memory for the attributes attrs reads again, the
	// scanner's (and then the pool's).
	attrBuf []attrSpan
	// failed is set when a region could not be made; the check is then
	// redone on the full parse.
	failed bool
}

type scanner struct {
	*pageScan
	d     *document
	pos   int
	mode  scanMode
	stack []int32
	head  int32 // the head element, -1 until there is one
	form  int32 // the parser's form element pointer, -1 when unset
	attrs []attrSpan
	name  [32]byte
	// opened counts the open HTML elements of each kind openIndex
	// numbers: whether one is open is asked on nearly every tag, and
	// walking the stack for the answer was a tenth of the scan's work on
	// tags.
	opened [openKinds]int32
	// unesc is memory for text with character references (textToken).
	unesc []byte
}

// openKinds is how many kinds of element openIndex numbers.
const openKinds = 15

// openIndex numbers <p> (which block start tags close) and the
// formatting elements (whose tags ask whether one is open); -1 for any
// other element.
func openIndex(a atom.Atom) int {
	switch a {
	case atom.P:
		return 0
	case atom.A:
		return 1
	case atom.B:
		return 2
	case atom.Big:
		return 3
	case atom.Code:
		return 4
	case atom.Em:
		return 5
	case atom.Font:
		return 6
	case atom.I:
		return 7
	case atom.Nobr:
		return 8
	case atom.S:
		return 9
	case atom.Small:
		return 10
	case atom.Strike:
		return 11
	case atom.Strong:
		return 12
	case atom.Tt:
		return 13
	case atom.U:
		return 14
	}
	return -1
}

// attrSpan is one attribute of a tag as the tokenizer reads it: offsets
// of its key (not lower-cased) and value (not unescaped) in the page.
// Offsets rather than strings: the slice is rewritten for every tag, and
// pointers would cost a write barrier each.
type attrSpan struct {
	k0, k1, v0, v1 int32
}

// elemName returns an element's name (the node's Data).
func (ps *pageScan) elemName(e *scanElem) string {
	if e.atom != 0 {
		return e.atom.String()
	}
	return ps.names[e.name]
}

func (sc *scanner) key(a attrSpan) string { return sc.src[a.k0:a.k1] }
func (sc *scanner) val(a attrSpan) string { return sc.src[a.v0:a.v1] }

// scanPage reads text the way html.Parse would and returns the document
// newDocument would build from the tree, without the tree. ok is false
// when the page holds anything the scanner does not follow exactly.
func scanPage(text string) (d *document, ok bool) {
	if strings.IndexByte(text, 0) >= 0 {
		return nil, false
	}
	// Sizes from what typical pages have: about one element and one text
	// node for every two '<' (with room to spare: growing costs more), a
	// quarter of the page rendered text.
	// The tables come from the pool, grown to that size only when the
	// last page they served was smaller.
	n := strings.Count(text, "<")*5/8 + 16
	b := getScanBufs()
	d = &document{bufs: b, images: b.images, scriptSpans: b.scriptSpans}
	// The text goes to pooled memory too: the report is detached from it
	// (see fastPath).
	d.vis.b, d.vis.pooled = slices.Grow(b.visText, len(text)/4), true
	d.hid.b, d.hid.pooled = b.hidText, true
	d.vis.segs = slices.Grow(b.visSegs, n)
	d.hid.segs = b.hidSegs
	d.vis.spareNodes, d.hid.spareNodes = b.visNodes, b.hidNodes
	ps := &pageScan{src: text, elems: slices.Grow(b.elems, n), texts: slices.Grow(b.texts, n), spareMade: b.made}
	d.scan = ps
	sc := &scanner{pageScan: ps, d: d, head: -1, form: -1, stack: slices.Grow(b.stack, 64), attrs: b.attrs, unesc: b.unesc}
	ok = sc.run() && !ps.failed
	if ok {
		for sc.mode < modeInBody {
			sc.implied()
		}
		for len(sc.stack) > 0 {
			sc.pop(false)
		}
	}
	// The scanner's own slices hold no pointers: back they go as they are
	// (the attributes' once the regions are made, see release).
	b.stack, b.attrs = sc.stack[:0], sc.attrs[:0]
	ps.attrBuf = sc.attrs[:0]
	if cap(sc.unesc) <= maxPooledText {
		b.unesc = sc.unesc[:0]
	}
	if !ok {
		d.release()
		return nil, false
	}
	d.vis.finish(b.visMarks, b.visNorm)
	d.hid.finish(b.hidMarks, nil)
	return d, true
}

// run is the tokenizer loop.
func (sc *scanner) run() bool {
	s := sc.src
	for sc.pos < len(s) {
		i, ok, plain := nextMarkup(s, sc.pos)
		if i > sc.pos {
			if !sc.textToken(s[sc.pos:i], plain) {
				return false
			}
			sc.pos = i
		}
		if !ok {
			return true
		}
		if i+2 >= len(s) {
			return false // markup cut off by the end of the page
		}
		if len(sc.stack) >= maxScanDepth {
			return false
		}
		if sc.mode >= modeAfterBody && len(sc.stack) > 0 && sc.elems[sc.top()].svg {
			// The parser keeps the after-body mode while foreign content
			// takes the tokens.
			return false
		}
		var good bool
		switch c := s[i+1]; {
		case isLetter(c):
			good = sc.startTagToken()
		case c == '/':
			switch c2 := s[i+2]; {
			case c2 == '>': // "</>" is an empty comment
				sc.pos = i + 3
				good = sc.comment()
			case isLetter(c2):
				good = sc.endTagToken()
			default:
				good = sc.bogusComment(i + 2)
			}
		case c == '!':
			good = sc.markupDeclaration()
		default: // '?'
			good = sc.bogusComment(i + 1)
		}
		if !good {
			return false
		}
	}
	return true
}

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

// commonTag returns the atom of the tags that make up most of a page,
// spelled in lower case as they nearly always are, without hashing the
// name as atom.Lookup does; 0 for any other name.
func commonTag(raw string) atom.Atom {
	// By length first, then ==, which compiles to a load or two: a switch
	// on the strings themselves ordered them with calls to compare.
	switch len(raw) {
	case 1:
		switch raw[0] {
		case 'a':
			return atom.A
		case 'p':
			return atom.P
		case 'i':
			return atom.I
		case 'b':
			return atom.B
		}
	case 2:
		switch {
		case raw == "li":
			return atom.Li
		case raw == "ul":
			return atom.Ul
		case raw == "br":
			return atom.Br
		case raw == "td":
			return atom.Td
		case raw == "tr":
			return atom.Tr
		case raw == "dd":
			return atom.Dd
		case raw == "dt":
			return atom.Dt
		case raw == "em":
			return atom.Em
		case raw == "h2":
			return atom.H2
		case raw == "h3":
			return atom.H3
		}
	case 3:
		switch {
		case raw == "div":
			return atom.Div
		case raw == "img":
			return atom.Img
		}
	case 4:
		switch {
		case raw == "span":
			return atom.Span
		case raw == "meta":
			return atom.Meta
		case raw == "link":
			return atom.Link
		}
	case 5:
		if raw == "input" {
			return atom.Input
		}
	case 6:
		switch {
		case raw == "strong":
			return atom.Strong
		case raw == "script":
			return atom.Script
		case raw == "option":
			return atom.Option
		}
	}
	return 0
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

// textToken handles a text token in the current insertion mode; plain
// says it holds no '&' and no '\r' (nextMarkup looked).
func (sc *scanner) textToken(raw string, plain bool) bool {
	d := raw
	if !plain && strings.IndexByte(d, '\r') >= 0 {
		d = convertNewlines(d)
	}
	if !plain && strings.IndexByte(d, '&') >= 0 {
		// The unescaped text is in the scanner's memory until the next
		// text token: what takes it (addText) copies it.
		var ok bool
		var t string
		if t, sc.unesc, ok = unescapeText(d, sc.unesc); ok {
			d = t
		} else {
			d = html.UnescapeString(d)
		}
	}
	for {
		switch sc.mode {
		case modeInitial, modeBeforeHTML, modeBeforeHead:
			if d = strings.TrimLeft(d, whitespace); d == "" {
				return true
			}
			if !sc.implied() {
				return false
			}
		case modeInHead, modeAfterHead:
			s := strings.TrimLeft(d, whitespace)
			if len(s) < len(d) {
				sc.addText(d[:len(d)-len(s)])
				if s == "" {
					return true
				}
				d = s
			}
			if !sc.implied() {
				return false
			}
		case modeInBody:
			sc.bodyText(d)
			return true
		case modeAfterBody, modeAfterAfterBody:
			if strings.TrimLeft(d, whitespace) == "" {
				sc.bodyText(d)
				return true
			}
			sc.mode = modeInBody
		}
	}
}

// implied takes the step the parser takes for a token its mode does not
// expect: the implied <html>, <head>, </head> or <body>.
func (sc *scanner) implied() bool {
	switch sc.mode {
	case modeInitial:
		sc.mode = modeBeforeHTML
	case modeBeforeHTML:
		sc.push("html", atom.Html, -1, -1)
		sc.mode = modeBeforeHead
	case modeBeforeHead:
		sc.head = sc.push("head", atom.Head, -1, -1)
		sc.mode = modeInHead
	case modeInHead:
		sc.pop(false)
		sc.mode = modeAfterHead
	case modeAfterHead:
		sc.push("body", atom.Body, -1, -1)
		sc.mode = modeInBody
	default:
		return false
	}
	return true
}

// bodyText inserts text in the body.
func (sc *scanner) bodyText(d string) {
	top := &sc.elems[sc.top()]
	if (top.atom == atom.Pre || top.atom == atom.Listing) && !top.svg && !top.hasChild {
		// The parser drops a newline at the start of a <pre>.
		d = strings.TrimPrefix(d, "\r")
		d = strings.TrimPrefix(d, "\n")
	}
	if d != "" {
		sc.addText(d)
	}
}

func (sc *scanner) top() int32 { return sc.stack[len(sc.stack)-1] }

// addText appends text to the current node: to its last child when that
// is text (as the parser does), else as a new text node.
func (sc *scanner) addText(d string) {
	ti := sc.top()
	t := &sc.elems[ti]
	t.hasChild = true
	if t.skip {
		return
	}
	if o := t.lastText; o >= 0 {
		ref := sc.texts[o]
		buf := &sc.d.vis
		if ref.hid {
			buf = &sc.d.hid
		}
		if !buf.extend(int(ref.seg), d) {
			sc.failed = true
		}
		if !ref.hid {
			sc.d.hid.sep()
		}
		return
	}
	o := int32(len(sc.texts))
	t.lastText = o
	if r := t.st.hidden(); r != notHidden {
		sc.texts = append(sc.texts, textRef{hid: true, seg: int32(len(sc.d.hid.segs)), parent: ti})
		sc.d.hid.addText(d, r, o)
		return
	}
	sc.texts = append(sc.texts, textRef{seg: int32(len(sc.d.vis.segs)), parent: ti})
	sc.d.vis.addText(d, notHidden, o)
	sc.d.hid.sep()
}

// push adds an element as a child of the current node and opens it. An
// implied element (start < 0) has no attributes; any other has those of
// the tag just read.
func (sc *scanner) push(name string, a atom.Atom, start, tagEnd int) int32 {
	if start < 0 {
		saved := sc.attrs
		sc.attrs = nil
		defer func() { sc.attrs = saved }()
	}
	return sc.pushIn(-1, name, a, false, start, tagEnd)
}

// pushIn adds an element under parent (the current node when -1).
func (sc *scanner) pushIn(parent int32, name string, a atom.Atom, svg bool, start, tagEnd int) int32 {
	if parent < 0 && len(sc.stack) > 0 {
		parent = sc.top()
	}
	idx := int32(len(sc.elems))
	// The element is filled in place: one built on the stack and appended
	// was copied in wide loads from its narrow stores, which the CPU could
	// not forward.
	sc.elems = append(sc.elems, scanElem{})
	e := &sc.elems[idx]
	e.name, e.atom, e.svg, e.parent = -1, a, svg, parent
	e.start, e.tagEnd, e.end, e.lastText = int32(start), int32(tagEnd), -1, -1
	e.text0, e.img0 = int32(len(sc.texts)), int32(len(sc.d.images))
	if a == 0 {
		e.name = int32(len(sc.names))
		sc.names = append(sc.names, name)
	}
	if parent >= 0 {
		p := &sc.elems[parent]
		p.lastText = -1
		p.hasChild = true
		e.skip = p.skip
		e.st = p.st
	}
	if !e.skip && skippedTag(a, name, svg) {
		e.skip = true
		e.st = visState{}
	}
	if !e.skip {
		style, hasStyle := "", false
		for _, at := range sc.attrs {
			switch k := sc.key(at); {
			case asciiLowerEqual(k, "hidden"):
				e.st = e.st.attr("hidden", "")
			case asciiLowerEqual(k, "style"):
				style, _ = attrValue(sc.val(at))
				hasStyle = true
				e.st = e.st.attr("style", style)
			}
		}
		if sc.isImageTag(a, style, hasStyle) {
			sc.d.images = append(sc.d.images, image{hidden: e.st.hidden() != notHidden, elem: idx})
		}
		if breaksAtom(a) {
			sc.d.vis.sep()
			sc.d.hid.sep()
		}
	}
	if !svg {
		if k := openIndex(a); k >= 0 {
			sc.opened[k]++
		}
	}
	sc.stack = append(sc.stack, idx)
	return idx
}

// isImageTag is isImage for the current tag, whose style attribute (its
// value as the tree holds it) pushIn has found.
func (sc *scanner) isImageTag(a atom.Atom, style string, hasStyle bool) bool {
	if a == atom.Img {
		return true
	}
	if a == atom.Input {
		if v, ok := sc.attr("type"); ok {
			v, _ = attrValue(v)
			if strings.EqualFold(v, "image") {
				return true
			}
		}
	}
	if !hasStyle {
		return false
	}
	v := strings.ToLower(style)
	return strings.Contains(v, "background") && strings.Contains(v, "url(")
}

// pop closes the current element; clean says its own end tag closed it,
// ending at sc.pos.
func (sc *scanner) pop(clean bool) {
	idx := sc.top()
	sc.stack = sc.stack[:len(sc.stack)-1]
	e := &sc.elems[idx]
	if !e.svg {
		if k := openIndex(e.atom); k >= 0 {
			sc.opened[k]--
		}
	}
	e.last = int32(len(sc.elems) - 1)
	e.text1 = int32(len(sc.texts))
	e.img1 = int32(len(sc.d.images))
	if clean {
		e.end = int32(sc.pos)
	}
	if !e.skip && breaksAtom(e.atom) {
		sc.d.vis.sep()
		sc.d.hid.sep()
	}
}

// popTo closes the elements above stack[i] (implicitly: a formatting
// element closed so would be reconstructed by the parser, which the
// scanner does not follow) and then stack[i] itself.
func (sc *scanner) popTo(i int, clean bool) bool {
	for len(sc.stack)-1 > i {
		if e := sc.elems[sc.top()]; !e.svg && isFormatting(e.atom) {
			return false
		}
		sc.pop(false)
	}
	sc.pop(clean)
	return true
}

// Scopes of the parser's "has an element in scope" tests.
type scanScope uint8

const (
	scopeDefault scanScope = iota
	scopeListItem
	scopeButton
)

// inScope returns the stack index of the topmost HTML element that match
// accepts, if it is in scope, else -1.
func (sc *scanner) inScope(s scanScope, match func(atom.Atom) bool) int {
	for i := len(sc.stack) - 1; i >= 0; i-- {
		e := &sc.elems[sc.stack[i]]
		if e.svg {
			if svgIntegrationPoint(sc.elemName(e)) {
				return -1
			}
			continue
		}
		if match(e.atom) {
			return i
		}
		switch e.atom {
		case atom.Applet, atom.Caption, atom.Html, atom.Table, atom.Td, atom.Th, atom.Marquee, atom.Object,
			atom.Template, atom.Select:
			return -1
		case atom.Ol, atom.Ul:
			if s == scopeListItem {
				return -1
			}
		case atom.Button:
			if s == scopeButton {
				return -1
			}
		}
	}
	return -1
}

func is(a atom.Atom) func(atom.Atom) bool { return func(b atom.Atom) bool { return a == b } }

// closeP closes an open <p> in button scope, as many start tags do.
func (sc *scanner) closeP() bool {
	if i := sc.pInButtonScope(); i >= 0 {
		return sc.popTo(i, false)
	}
	return true
}

// pInButtonScope is inScope(scopeButton, is(atom.P)), answered at once
// when no <p> is open.
func (sc *scanner) pInButtonScope() int {
	if sc.opened[0] == 0 {
		return -1
	}
	return sc.inScope(scopeButton, is(atom.P))
}

// startTagToken reads a start tag and processes it.
func (sc *scanner) startTagToken() bool {
	start := sc.pos
	sc.pos++
	name, a, self, ok := sc.readTag(keepScan)
	if !ok {
		return false
	}
	var t tag
	t.name, t.atom, t.start, t.end, t.selfClosing = name, a, start, sc.pos, self
	for {
		switch sc.mode {
		case modeInitial, modeBeforeHTML:
			if sc.mode == modeBeforeHTML && t.atom == atom.Html {
				sc.push("html", atom.Html, t.start, t.end)
				sc.mode = modeBeforeHead
				return true
			}
			sc.implied()
		case modeBeforeHead:
			switch t.atom {
			case atom.Head:
				sc.head = sc.push("head", atom.Head, t.start, t.end)
				sc.mode = modeInHead
				return true
			case atom.Html:
				return false
			}
			sc.implied()
		case modeInHead:
			switch t.atom {
			case atom.Html, atom.Template:
				return false
			case atom.Head:
				return true
			case atom.Base, atom.Basefont, atom.Bgsound, atom.Link, atom.Meta:
				sc.void(&t)
				return true
			case atom.Noscript, atom.Script, atom.Title, atom.Noframes, atom.Style:
				return sc.rawElement(&t)
			}
			sc.implied()
		case modeAfterHead:
			switch t.atom {
			case atom.Html, atom.Frameset, atom.Template:
				return false
			case atom.Body:
				sc.push("body", atom.Body, t.start, t.end)
				sc.mode = modeInBody
				return true
			case atom.Head:
				return true
			case atom.Base, atom.Basefont, atom.Bgsound, atom.Link, atom.Meta:
				// The parser puts these in the head, closed already.
				sc.stack = append(sc.stack, sc.head)
				sc.void(&t)
				sc.stack = sc.stack[:len(sc.stack)-1]
				sc.elems[sc.head].last = int32(len(sc.elems) - 1)
				return true
			case atom.Noframes, atom.Script, atom.Style, atom.Title:
				sc.stack = append(sc.stack, sc.head)
				if !sc.rawElement(&t) {
					return false
				}
				sc.stack = sc.stack[:len(sc.stack)-1]
				sc.elems[sc.head].last = int32(len(sc.elems) - 1)
				return true
			}
			sc.implied()
		case modeInBody:
			return sc.bodyStartTag(&t)
		case modeAfterBody, modeAfterAfterBody:
			if t.atom == atom.Html {
				return false
			}
			sc.mode = modeInBody
		}
	}
}

// void adds an element that has no content.
func (sc *scanner) void(t *tag) {
	sc.push(t.name, t.atom, t.start, t.end)
	sc.pop(false)
}

// rawElement adds a raw text element (script, style, title, textarea …)
// and reads its text up to its end tag.
func (sc *scanner) rawElement(t *tag) bool {
	idx := sc.push(t.name, t.atom, t.start, t.end)
	s := sc.src
	var end int
	if t.atom == atom.Script {
		end = readScript(s, sc.pos)
	} else {
		end = readRaw(s, sc.pos, t.name)
	}
	if end < 0 {
		return false // text up to the end of the page
	}
	d := textData(s[sc.pos:end], t.atom == atom.Title || t.atom == atom.Textarea)
	if t.atom == atom.Textarea {
		d = strings.TrimPrefix(d, "\r")
		d = strings.TrimPrefix(d, "\n")
	}
	if d != "" {
		sc.addText(d)
	}
	if t.atom == atom.Script && !sc.elems[sc.elems[idx].parent].skip {
		sc.countScript(d, sc.pos, end)
	}
	if t.atom == atom.Style && d != "" && !sc.elems[idx].svg && !sc.elems[sc.elems[idx].parent].skip {
		sc.d.addStyle(d)
	}
	// The end tag: "</" and the name, then attributes as in any tag.
	sc.pos = end + 2
	if _, _, _, ok := sc.readTag(keepNone); !ok {
		return false
	}
	sc.pop(true)
	return true
}

// countScript is document.countScript for the current tag, whose text
// (src[start:end] as read) is text. The text is not copied: the rules
// rarely want it (see document.scriptText), and it is found again by
// its offsets when they do.
func (sc *scanner) countScript(text string, start, end int) {
	d := sc.d
	// The attributes read last are still the script's start tag's.
	if v, ok := sc.attr("src"); ok && v != "" {
		d.scriptSrc++
		return
	}
	if text != "" {
		d.scriptBytes += len(text)
		d.scriptSpans = append(d.scriptSpans, span{int32(start), int32(end)})
	}
}

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

// endTagToken reads an end tag and processes it.
func (sc *scanner) endTagToken() bool {
	start := sc.pos
	sc.pos += 2
	name, a, self, ok := sc.readTag(keepNone)
	if !ok {
		return false
	}
	var t tag
	t.name, t.atom, t.start, t.end, t.selfClosing = name, a, start, sc.pos, self
	for {
		switch sc.mode {
		case modeInitial:
			sc.mode = modeBeforeHTML
		case modeBeforeHTML, modeBeforeHead, modeAfterHead:
			switch t.atom {
			case atom.Head, atom.Body, atom.Html, atom.Br:
				if sc.mode == modeAfterHead && t.atom == atom.Head {
					return true
				}
				sc.implied()
			case atom.Template:
				return false
			default:
				return true
			}
		case modeInHead:
			switch t.atom {
			case atom.Head:
				sc.pop(true)
				sc.mode = modeAfterHead
				return true
			case atom.Body, atom.Html, atom.Br:
				sc.implied()
			case atom.Template:
				return false
			default:
				return true
			}
		case modeInBody:
			return sc.bodyEndTag(&t)
		case modeAfterBody:
			if t.atom == atom.Html {
				sc.mode = modeAfterAfterBody
				return true
			}
			sc.mode = modeInBody
		case modeAfterAfterBody:
			sc.mode = modeInBody
		}
	}
}

// markupDeclaration reads "<!…": a comment, a doctype or a bogus comment.
func (sc *scanner) markupDeclaration() bool {
	s := sc.src
	i := sc.pos + 2
	if strings.HasPrefix(s[i:], "--") {
		end := commentEnd(s, i+2)
		if end < 0 {
			return false
		}
		sc.pos = end
		return sc.comment()
	}
	if len(s)-i < 2 {
		return false
	}
	if top := sc.topElem(); top != nil && top.svg {
		return false // CDATA sections are read in foreign content
	}
	if len(s)-i >= 7 && strings.EqualFold(s[i:i+7], "DOCTYPE") {
		end := strings.IndexByte(s[i:], '>')
		if end < 0 {
			return false
		}
		sc.pos = i + end + 1
		switch sc.mode {
		case modeInitial:
			sc.mode = modeBeforeHTML
		case modeAfterBody:
			sc.mode = modeInBody // and there it is ignored
		}
		return true // elsewhere a doctype is ignored
	}
	if len(s)-i < 7 && strings.HasPrefix("DOCTYPE", strings.ToUpper(s[i:])) {
		return false
	}
	return sc.bogusComment(i)
}

func (sc *scanner) topElem() *scanElem {
	if len(sc.stack) == 0 {
		return nil
	}
	return &sc.elems[sc.top()]
}

// bogusComment reads a comment that runs from i to the next '>'.
func (sc *scanner) bogusComment(i int) bool {
	end := strings.IndexByte(sc.src[i:], '>')
	if end < 0 {
		return false
	}
	sc.pos = i + end + 1
	return sc.comment()
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

// comment handles a comment token: a node under the current one (which
// ends a run of text), or under the document or <html> in the modes that
// put it there.
func (sc *scanner) comment() bool {
	if (sc.mode == modeAfterBody || sc.mode == modeAfterAfterBody) && len(sc.stack) > 2 {
		// After </body> or </html> a comment goes to <html> or the
		// document even while elements stay open: their source would
		// hold a comment their tree does not.
		return false
	}
	switch sc.mode {
	case modeInitial, modeBeforeHTML, modeAfterAfterBody:
		return true // a child of the document
	case modeAfterBody:
		html := &sc.elems[sc.stack[0]]
		html.lastText = -1
		html.hasChild = true
		html.comment = true
		return true
	}
	t := &sc.elems[sc.top()]
	t.lastText = -1
	t.hasChild = true
	t.comment = true
	return true
}

// bodyStartTag is the "in body" insertion mode for start tags (and the
// rules for foreign content inside <svg>).
func (sc *scanner) bodyStartTag(t *tag) bool {
	if top := &sc.elems[sc.top()]; top.svg {
		if svgIntegrationPoint(sc.elemName(top)) {
			return false
		}
		return sc.foreignStartTag(t)
	}
	switch t.atom {
	case atom.Html, atom.Body, atom.Frameset, atom.Template, atom.Table, atom.Nobr, atom.Image,
		atom.Select, atom.Option, atom.Optgroup, atom.Rb, atom.Rtc, atom.Rp, atom.Rt, atom.Math, atom.Plaintext:
		return false
	case atom.Base, atom.Basefont, atom.Bgsound, atom.Link, atom.Meta,
		atom.Area, atom.Br, atom.Embed, atom.Img, atom.Keygen, atom.Wbr, atom.Input, atom.Param, atom.Source, atom.Track:
		sc.void(t)
	case atom.Noframes, atom.Script, atom.Style, atom.Title, atom.Textarea, atom.Iframe, atom.Noembed, atom.Noscript:
		return sc.rawElement(t)
	case atom.Xmp:
		if !sc.closeP() {
			return false
		}
		return sc.rawElement(t)
	case atom.Address, atom.Article, atom.Aside, atom.Blockquote, atom.Center, atom.Details, atom.Dialog,
		atom.Dir, atom.Div, atom.Dl, atom.Fieldset, atom.Figcaption, atom.Figure, atom.Footer, atom.Header,
		atom.Hgroup, atom.Main, atom.Menu, atom.Nav, atom.Ol, atom.P, atom.Search, atom.Section, atom.Summary,
		atom.Ul, atom.Pre, atom.Listing:
		if !sc.closeP() {
			return false
		}
		sc.push(t.name, t.atom, t.start, t.end)
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
		if !sc.closeP() {
			return false
		}
		if isHeading(sc.elems[sc.top()].atom) {
			sc.pop(false)
		}
		sc.push(t.name, t.atom, t.start, t.end)
	case atom.Form:
		if sc.form >= 0 {
			return true // the parser ignores a form inside a form
		}
		if !sc.closeP() {
			return false
		}
		sc.form = sc.push(t.name, t.atom, t.start, t.end)
	case atom.Li, atom.Dd, atom.Dt:
		if !sc.closeListItem(t.atom) || !sc.closeP() {
			return false
		}
		sc.push(t.name, t.atom, t.start, t.end)
	case atom.Button:
		if sc.inScope(scopeDefault, is(atom.Button)) >= 0 {
			return false
		}
		sc.push(t.name, t.atom, t.start, t.end)
	case atom.A:
		if sc.open(atom.A) {
			return false // the adoption agency would run
		}
		sc.push(t.name, t.atom, t.start, t.end)
	case atom.Hr:
		if i := sc.pInButtonScope(); i >= 0 && !sc.popTo(i, false) {
			return false
		}
		sc.void(t)
	case atom.Svg:
		sc.pushIn(-1, t.name, t.atom, true, t.start, t.end)
		if t.selfClosing {
			sc.pop(false)
		}
	case atom.Caption, atom.Col, atom.Colgroup, atom.Frame, atom.Head, atom.Tbody, atom.Td, atom.Tfoot,
		atom.Th, atom.Thead, atom.Tr:
		// Ignored in the body.
	default:
		sc.push(t.name, t.atom, t.start, t.end)
	}
	return true
}

// closeListItem is the parser's walk for <li>, <dd> and <dt>: it closes
// an open item of the same kind unless a special element comes first.
func (sc *scanner) closeListItem(a atom.Atom) bool {
	for i := len(sc.stack) - 1; i >= 0; i-- {
		e := &sc.elems[sc.stack[i]]
		if !e.svg {
			switch {
			case a == atom.Li && e.atom == atom.Li, a != atom.Li && (e.atom == atom.Dd || e.atom == atom.Dt):
				return sc.popTo(i, false)
			case e.atom == atom.Address || e.atom == atom.Div || e.atom == atom.P:
				continue
			}
		}
		if sc.isSpecial(e) {
			return true
		}
	}
	return true
}

func isHeading(a atom.Atom) bool {
	switch a {
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
		return true
	}
	return false
}

func svgIntegrationPoint(name string) bool {
	return name == "desc" || name == "title" || strings.EqualFold(name, "foreignObject")
}

// foreignStartTag adds an SVG element. Tags that break out of foreign
// content, and raw text elements, are left to the full parse.
func (sc *scanner) foreignStartTag(t *tag) bool {
	if svgBreakout(t.atom) {
		return false
	}
	if t.atom == atom.Font {
		for _, k := range []string{"color", "face", "size"} {
			if _, ok := sc.attr(k); ok {
				return false
			}
		}
	}
	if t.atom == atom.Script {
		return false
	}
	sc.pushIn(-1, t.name, t.atom, true, t.start, t.end)
	if t.selfClosing {
		sc.pop(false)
	}
	return true
}

func svgBreakout(a atom.Atom) bool {
	switch a {
	case atom.B, atom.Big, atom.Blockquote, atom.Body, atom.Br, atom.Center, atom.Code, atom.Dd, atom.Div,
		atom.Dl, atom.Dt, atom.Em, atom.Embed, atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6,
		atom.Head, atom.Hr, atom.I, atom.Img, atom.Li, atom.Listing, atom.Menu, atom.Meta, atom.Nobr,
		atom.Ol, atom.P, atom.Pre, atom.Ruby, atom.S, atom.Small, atom.Span, atom.Strong, atom.Strike,
		atom.Sub, atom.Sup, atom.Table, atom.Tt, atom.U, atom.Ul, atom.Var:
		return true
	}
	return false
}

// bodyEndTag is the "in body" insertion mode for end tags.
func (sc *scanner) bodyEndTag(t *tag) bool {
	if top := &sc.elems[sc.top()]; top.svg {
		// Foreign content: only the end tag of the current element.
		if !strings.EqualFold(sc.elemName(top), t.name) {
			return false
		}
		sc.pop(true)
		return true
	}
	switch t.atom {
	case atom.Body, atom.Html:
		if sc.inScope(scopeDefault, is(atom.Body)) >= 0 {
			sc.mode = modeAfterBody
			if t.atom == atom.Html {
				sc.mode = modeAfterAfterBody
			}
		}
		return true
	case atom.Address, atom.Article, atom.Aside, atom.Blockquote, atom.Button, atom.Center, atom.Details,
		atom.Dialog, atom.Dir, atom.Div, atom.Dl, atom.Fieldset, atom.Figcaption, atom.Figure, atom.Footer,
		atom.Header, atom.Hgroup, atom.Listing, atom.Main, atom.Menu, atom.Nav, atom.Ol, atom.Pre,
		atom.Search, atom.Section, atom.Select, atom.Summary, atom.Ul,
		atom.Dd, atom.Dt, atom.Applet, atom.Marquee, atom.Object:
		if i := sc.inScope(scopeDefault, is(t.atom)); i >= 0 {
			return sc.popTo(i, true)
		}
		return true
	case atom.Li:
		if i := sc.inScope(scopeListItem, is(atom.Li)); i >= 0 {
			return sc.popTo(i, true)
		}
		return true
	case atom.P:
		i := sc.pInButtonScope()
		if i < 0 {
			// A </p> with no <p> open: the parser inserts an empty one.
			sc.push("p", atom.P, -1, -1)
			sc.pop(false)
			return true
		}
		return sc.popTo(i, true)
	case atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6:
		if i := sc.inScope(scopeDefault, isHeading); i >= 0 {
			return sc.popTo(i, true)
		}
		return true
	case atom.Form:
		form := sc.form
		sc.form = -1
		i := sc.inScope(scopeDefault, is(atom.Form))
		if form < 0 || i < 0 || sc.stack[i] != form {
			return true
		}
		for {
			switch sc.elems[sc.top()].atom {
			case atom.Dd, atom.Dt, atom.Li, atom.Optgroup, atom.Option, atom.P, atom.Rb, atom.Rp, atom.Rt, atom.Rtc:
				sc.pop(false)
				continue
			}
			break
		}
		if sc.top() != form {
			return false // the parser takes the form out of the middle of the stack
		}
		sc.pop(true)
		return true
	case atom.A, atom.B, atom.Big, atom.Code, atom.Em, atom.Font, atom.I, atom.Nobr, atom.S, atom.Small,
		atom.Strike, atom.Strong, atom.Tt, atom.U:
		// The adoption agency, in the one case where it only pops: the
		// element is open and nothing special or formatting is above it.
		if !sc.open(t.atom) {
			return true // not open: ignored
		}
		for i := len(sc.stack) - 1; i >= 0; i-- {
			e := &sc.elems[sc.stack[i]]
			if e.svg {
				return false
			}
			if e.atom == t.atom {
				return sc.popTo(i, true)
			}
			if sc.isSpecial(e) || isFormatting(e.atom) {
				return false
			}
		}
		return true
	case atom.Br, atom.Template:
		return false
	}
	// Any other end tag.
	for i := len(sc.stack) - 1; i >= 0; i-- {
		e := &sc.elems[sc.stack[i]]
		if !e.svg && e.atom == t.atom && (t.atom != 0 || sc.elemName(e) == t.name) {
			return sc.popTo(i, true)
		}
		if sc.isSpecial(e) {
			return true
		}
	}
	return true
}

// open reports an open HTML element with the atom.
func (sc *scanner) open(a atom.Atom) bool {
	if k := openIndex(a); k >= 0 {
		return sc.opened[k] > 0
	}
	for _, i := range sc.stack {
		if e := &sc.elems[i]; !e.svg && e.atom == a {
			return true
		}
	}
	return false
}

func (sc *scanner) isSpecial(e *scanElem) bool {
	if e.svg {
		return svgIntegrationPoint(sc.elemName(e))
	}
	return isSpecialAtom(e.atom)
}

// isSpecialAtom lists x/net/html's special elements.
func isSpecialAtom(a atom.Atom) bool {
	switch a {
	case atom.Address, atom.Applet, atom.Area, atom.Article, atom.Aside, atom.Base, atom.Basefont,
		atom.Bgsound, atom.Blockquote, atom.Body, atom.Br, atom.Button, atom.Caption, atom.Center,
		atom.Col, atom.Colgroup, atom.Dd, atom.Details, atom.Dir, atom.Div, atom.Dl, atom.Dt, atom.Embed,
		atom.Fieldset, atom.Figcaption, atom.Figure, atom.Footer, atom.Form, atom.Frame, atom.Frameset,
		atom.H1, atom.H2, atom.H3, atom.H4, atom.H5, atom.H6, atom.Head, atom.Header, atom.Hgroup, atom.Hr,
		atom.Html, atom.Iframe, atom.Img, atom.Input, atom.Keygen, atom.Li, atom.Link, atom.Listing,
		atom.Main, atom.Marquee, atom.Menu, atom.Meta, atom.Nav, atom.Noembed, atom.Noframes,
		atom.Noscript, atom.Object, atom.Ol, atom.P, atom.Param, atom.Plaintext, atom.Pre, atom.Script,
		atom.Section, atom.Select, atom.Source, atom.Style, atom.Summary, atom.Table, atom.Tbody, atom.Td,
		atom.Template, atom.Textarea, atom.Tfoot, atom.Th, atom.Thead, atom.Title, atom.Tr, atom.Track,
		atom.Ul, atom.Wbr, atom.Xmp:
		return true
	}
	return false
}

// isFormatting lists the formatting elements, which the parser
// reconstructs when they are closed out of order.
func isFormatting(a atom.Atom) bool {
	switch a {
	case atom.A, atom.B, atom.Big, atom.Code, atom.Em, atom.Font, atom.I, atom.Nobr, atom.S, atom.Small,
		atom.Strike, atom.Strong, atom.Tt, atom.U:
		return true
	}
	return false
}

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
