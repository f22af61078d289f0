package checker

import (
	"slices"
	"sort"
	"strings"
	"unicode"
	"unsafe"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// segment is one text node's run inside a textBuf. It holds no pointers
// (the node is in textBuf.segNodes), so that the fast path's thousands of
// them cost the collector nothing.
type segment struct {
	// ord is the text node's ordinal among the page's walked text nodes
	// (on the fast path).
	ord        int32
	reason     hideReason
	start, end int // byte offsets in textBuf.raw
}

// textBuf is the text of a page as rendered, one for what a visitor sees
// and one for what is in the page but hidden, each with a map back to the
// text nodes it came from.
type textBuf struct {
	// b is the text so far. It is not a strings.Builder: its WriteString
	// stores the buffer's pointer back on every call, a write barrier
	// each while the collector runs, a thousand times a page; b is
	// resliced in place (see write) and stored only when it grows.
	b []byte
	// pooled says b is the pool's memory (the fast path's), not the
	// text's own: raw is then valid only until the document is released.
	pooled bool
	raw    string
	segs   []segment
	// segNodes holds the text node of each segment. On the fast path it
	// is nil until a region is parsed (see region.go), and then a node is
	// nil until the region holding it has been.
	segNodes []*html.Node
	// spareNodes is zeroed memory for segNodes, from the pool.
	spareNodes []*html.Node
	norm       normText
	// normBuf is the memory norm.s is in, nil when norm.s is raw.
	normBuf []byte

	icp                []icpMatch
	psb                []psbMatch
	icpFound, psbFound bool
}

func (t *textBuf) add(n *html.Node, reason hideReason) {
	if n.Data == "" {
		return
	}
	t.addText(n.Data, reason, -1)
	t.segNodes = append(t.segNodes, n)
}

// addText adds a text node's run; the fast path gives its node later
// (setNode).
func (t *textBuf) addText(data string, reason hideReason, ord int32) {
	if data == "" {
		return
	}
	start := len(t.b)
	t.write(data)
	t.segs = append(t.segs, segment{ord: ord, start: start, end: len(t.b), reason: reason})
}

// node returns segment i's text node, nil if not made yet.
func (t *textBuf) node(i int) *html.Node {
	if i < len(t.segNodes) {
		return t.segNodes[i]
	}
	return nil
}

// setNode records segment i's text node, once the text is finished.
func (t *textBuf) setNode(i int, n *html.Node) {
	if t.segNodes == nil {
		t.segNodes = slices.Grow(t.spareNodes[:0], len(t.segs))[:len(t.segs)]
		t.spareNodes = nil
	}
	t.segNodes[i] = n
}

// extend appends to the last segment: more text for the same node (the
// parser joins adjacent text into one node).
func (t *textBuf) extend(seg int, data string) bool {
	if seg != len(t.segs)-1 || t.segs[seg].end != len(t.b) {
		return false
	}
	t.write(data)
	t.segs[seg].end = len(t.b)
	return true
}

// write appends data to b, storing only b's length while it has room.
func (t *textBuf) write(data string) {
	n := len(t.b)
	if len(data) > cap(t.b)-n {
		t.b = append(t.b, data...)
		return
	}
	t.b = t.b[:n+len(data)]
	copy(t.b[n:], data)
}

// sep ends a line, so text either side of a block does not run together.
func (t *textBuf) sep() {
	if n := len(t.b); n > 0 && t.b[n-1] != '\n' {
		t.write("\n")
	}
}

// finish ends the text; marks and buf are memory for its normalisation's
// marks and text (nil for none).
func (t *textBuf) finish(marks []normMark, buf []byte) {
	// Nothing writes b again: the string can share its memory (as a
	// strings.Builder's would).
	t.raw = unsafe.String(unsafe.SliceData(t.b), len(t.b))
	t.norm, t.normBuf = normalizeInto(t.raw, marks, buf)
}

// nodes returns the text nodes behind raw[start:end], and the reason the
// first one is hidden.
func (t *textBuf) nodes(start, end int) ([]*html.Node, hideReason) {
	i, j := t.segRange(start, end)
	var ns []*html.Node
	reason := notHidden
	for ; i < j; i++ {
		if reason == notHidden {
			reason = t.segs[i].reason
		}
		ns = append(ns, t.node(i))
	}
	return ns, reason
}

// segRange returns the segments behind raw[start:end] as segs[i:j].
func (t *textBuf) segRange(start, end int) (i, j int) {
	i = sort.Search(len(t.segs), func(i int) bool { return t.segs[i].end > start })
	for j = i; j < len(t.segs) && t.segs[j].start < end; j++ {
	}
	return i, j
}

// icpMatches returns the ICP filing, licence and telecom numbers in the
// text, in page order (found once, for the region and the rules alike).
func (t *textBuf) icpMatches() []icpMatch {
	if !t.icpFound {
		t.icp = append(findICP(t.norm.s), findTelecom(t.norm.s)...)
		slices.SortStableFunc(t.icp, func(a, b icpMatch) int { return a.start - b.start })
		t.icpFound = true
	}
	return t.icp
}

// psbMatches returns the PSB numbers in the text.
func (t *textBuf) psbMatches() []psbMatch {
	if !t.psbFound {
		t.psb, t.psbFound = findPSB(t.norm.s), true
	}
	return t.psb
}

// image is an <img> or an element painted with a CSS background image.
type image struct {
	node   *html.Node
	hidden bool
	elem   int32 // on the fast path, its index in the scan (node is made on demand)
}

// document is a parsed page with its rendered text.
type document struct {
	root     *html.Node
	vis, hid textBuf
	images   []image
	// scriptSrc counts external scripts; scriptBytes sums inline ones.
	scriptSrc, scriptBytes int
	// scripts holds the start of the inline scripts' text (and JSON data
	// such as __NEXT_DATA__), where script-drawn footers keep their numbers.
	// On the fast path it stays empty and scriptSpans say where in the
	// page each script's text is (see scriptText).
	scripts     strings.Builder
	scriptSpans []span
	// chars counts the non-space characters a visitor sees; charsKnown
	// says it has been counted (only script shells need it).
	chars      int
	charsKnown bool
	// styles are the texts of the <style> elements that can hide
	// something (styleMayHide), and sheet their rules, once parsed.
	styles      []string
	styleColons [][]int
	styleGroups hideGroup
	sheet       *sheet
	// scan is the fast path's view of the page (nil after a full parse).
	scan *pageScan
	// bufs is the pooled memory the fast path works in (nil after a full
	// parse); release hands it back.
	bufs *scanBufs
}

// visibleChars counts the non-space characters a visitor sees.
func (d *document) visibleChars() int {
	if !d.charsKnown {
		d.chars, d.charsKnown = runeCount(d.vis.raw), true
	}
	return d.chars
}

// maxScriptText bounds how much inline script text is kept for the
// script-only number search.
const maxScriptText = 512 << 10

// newDocument walks the tree once, without recursion (fuzzed pages nest
// deeply), collecting visible and hidden text.
func newDocument(root *html.Node) *document {
	d := &document{root: root}
	type frame struct {
		n    *html.Node
		st   visState
		exit bool
	}
	stack := make([]frame, 1, 256)
	stack[0] = frame{n: root}
	for len(stack) > 0 {
		f := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		n := f.n
		if f.exit {
			if breaks(n) {
				d.vis.sep()
				d.hid.sep()
			}
			continue
		}
		st := f.st
		switch n.Type {
		case html.TextNode:
			if r := st.hidden(); r != notHidden {
				d.hid.add(n, r)
			} else {
				d.vis.add(n, notHidden)
				// Visible text between two hidden runs keeps them apart.
				d.hid.sep()
			}
			continue
		case html.ElementNode:
			if n.DataAtom == atom.Script {
				d.countScript(n)
			}
			if n.DataAtom == atom.Style && n.Namespace == "" && n.FirstChild != nil && n.FirstChild.Type == html.TextNode {
				d.addStyle(n.FirstChild.Data)
			}
			if skipped(n) {
				continue
			}
			st = st.child(n)
			if isImage(n) {
				d.images = append(d.images, image{node: n, hidden: st.hidden() != notHidden})
			}
			if breaks(n) {
				d.vis.sep()
				d.hid.sep()
			}
			stack = append(stack, frame{n: n, exit: true})
		case html.DocumentNode:
		default:
			continue // comments, doctypes
		}
		for c := n.LastChild; c != nil; c = c.PrevSibling {
			stack = append(stack, frame{n: c, st: st})
		}
	}
	d.vis.finish(nil, nil)
	d.hid.finish(nil, nil)
	return d
}

// span is the offsets of a stretch of the page's text.
type span struct{ start, end int32 }

// scriptText returns the text the inline scripts start with, as
// countScript collects it.
func (d *document) scriptText() string {
	if d.scan != nil {
		for _, sp := range d.scriptSpans {
			d.addScript(textData(d.scan.src[sp.start:sp.end], false))
		}
		d.scriptSpans = d.scriptSpans[:0]
	}
	return d.scripts.String()
}

func (d *document) addScript(text string) {
	if room := maxScriptText - d.scripts.Len(); room > 0 {
		d.scripts.WriteString(text[:min(room, len(text))])
		d.scripts.WriteByte('\n')
	}
}

func (d *document) countScript(n *html.Node) {
	if attr(n, "src") != "" {
		d.scriptSrc++
		return
	}
	if c := n.FirstChild; c != nil && c.Type == html.TextNode {
		d.scriptBytes += len(c.Data)
		d.addScript(c.Data)
	}
}

func isImage(n *html.Node) bool {
	if n.DataAtom == atom.Img || (n.DataAtom == atom.Input && strings.EqualFold(attr(n, "type"), "image")) {
		return true
	}
	return hasBackgroundImage(n)
}

func hasBackgroundImage(n *html.Node) bool {
	s := strings.ToLower(attr(n, "style"))
	return strings.Contains(s, "background") && strings.Contains(s, "url(")
}

// attr returns an attribute's value, "" when absent.
func attr(n *html.Node, key string) string {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

// textLen counts non-space runes of the text under n (the visible text
// only, unless hidden is set), stopping once it passes limit.
func textLen(n *html.Node, limit int, hidden bool) int {
	count := 0
	var walk func(*html.Node, int) bool
	walk = func(n *html.Node, depth int) bool {
		if depth > 64 {
			return true
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			switch c.Type {
			case html.TextNode:
				for _, r := range c.Data {
					if !unicode.IsSpace(r) {
						count++
					}
				}
			case html.ElementNode:
				if skipped(c) || !hidden && (visState{}).child(c).hidden() != notHidden {
					continue
				}
				if !walk(c, depth+1) {
					return false
				}
			}
			if count > limit {
				return false
			}
		}
		return true
	}
	walk(n, 0)
	return count
}

// runeCount is utf8.RuneCountInString without spaces.
func runeCount(s string) int {
	n := 0
	for _, r := range s {
		if !unicode.IsSpace(r) {
			n++
		}
	}
	return n
}
