package checker

import (
	"slices"
	"strings"

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
//
// By phase: this file holds the scan's state and its loop; scan_token.go
// the tokenizer, scan_tree.go the tree building, scan_elements.go the
// element table and scan_entities.go the character references.

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
