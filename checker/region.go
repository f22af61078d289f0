package checker

import (
	"slices"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Regions. After a scan, the rules need real nodes only around the numbers
// found: the badge block (the element holding a number and up to four
// ancestors, with the links and images inside them), the path up to <html>
// for the finding's CSS path, and the images imageBadge looks at. A region
// is the outermost element a number's block can climb to; its source is
// parsed on its own with html.ParseFragment, in the context of its parent,
// and checked against the scan: the same elements, the same text nodes
// with the same text and visibility, the same images. Its ancestors are
// made from the scan (name and attributes), each with its element
// children as childless stand-ins, so that nth-of-type counts and link
// lookups see what the full tree has.

// madeNode is the node made for a scanned element.
type madeNode struct {
	node *html.Node
	// attrs says its attributes are set; filled, that its element
	// children are in place (as stand-ins or parsed).
	attrs, filled bool
}

// prepare makes the regions around every number found in the page's text.
// It reports false when one cannot be made; the check then takes the full
// parse.
func (d *document) prepare() bool {
	ps := d.scan
	var regions []int32
	for _, buf := range []*textBuf{&d.vis, &d.hid} {
		for _, m := range buf.icpMatches() {
			regions = append(regions, ps.region(buf, buf.norm.orig(m.start), buf.norm.origEnd(m.end)))
		}
		for _, m := range buf.psbMatches() {
			regions = append(regions, ps.region(buf, buf.norm.orig(m.start), buf.norm.origEnd(m.end)))
		}
	}
	// Outer regions first (document order), so a region inside another
	// is already made.
	slices.Sort(regions)
	for _, r := range regions {
		if r < 0 {
			return false
		}
		if ps.made != nil && ps.made[r].node != nil && ps.made[r].filled {
			continue
		}
		if !ps.parseRegion(d, r) {
			return false
		}
	}
	return !ps.failed
}

// region returns the element whose subtree holds everything the rules look
// at for a number behind raw[start:end] of buf, or -1.
func (ps *pageScan) region(buf *textBuf, start, end int) int32 {
	i, j := buf.segRange(start, end)
	if i == j {
		return -1
	}
	// The deepest element holding all the text nodes, as lca does.
	l := ps.texts[buf.segs[i].ord].parent
	for k := i + 1; k < j; k++ {
		p := ps.texts[buf.segs[k].ord].parent
		for !ps.contains(l, p) {
			l = ps.elems[l].parent
		}
	}
	if ps.pageRoot(l) {
		return -1 // the badge block would be the whole body
	}
	// blockChain climbs at most four ancestors, never into body or html.
	r := l
	for k := 0; k < 4; k++ {
		p := ps.elems[r].parent
		if ps.pageRoot(p) {
			break
		}
		r = p
	}
	// A link around the region would be looked into (its image): take
	// the outermost one in.
	for p := ps.elems[r].parent; !ps.pageRoot(p); p = ps.elems[p].parent {
		if ps.elems[p].atom == atom.A {
			r = p
		}
	}
	return r
}

// contains reports whether element a is element e or holds it.
func (ps *pageScan) contains(a, e int32) bool {
	return a <= e && e <= ps.elems[a].last
}

func (ps *pageScan) pageRoot(e int32) bool {
	return e < 0 || ps.elems[e].atom == atom.Body || ps.elems[e].atom == atom.Html
}

// parseRegion parses element r's source in the context of its parent,
// checks the nodes against the scan and puts them in place of its
// stand-in.
func (ps *pageScan) parseRegion(d *document, r int32) bool {
	e := &ps.elems[r]
	if e.start < 0 || e.end < 0 || e.svg || e.parent < 0 {
		return false
	}
	parent := ps.node(e.parent)
	if parent == nil {
		return false
	}
	stub := ps.node(r)
	nodes, err := html.ParseFragment(strings.NewReader(ps.src[e.start:e.end]), parent)
	if err != nil || len(nodes) != 1 {
		return false
	}
	n := nodes[0]
	if n.Type != html.ElementNode || n.Data != ps.elemName(e) || n.Namespace != "" {
		return false
	}
	v := regionCheck{ps: ps, d: d, next: r, text: e.text0, img: e.img0}
	if !v.walk(n, ps.elems[e.parent].st, e.skip) || v.next != e.last+1 || v.text != e.text1 || v.img != e.img1 {
		return false
	}
	parent.InsertBefore(n, stub)
	parent.RemoveChild(stub)
	return true
}

// regionCheck walks a parsed region the way newDocument walks the tree,
// matching it with the scan and recording its nodes.
type regionCheck struct {
	ps        *pageScan
	d         *document
	next      int32 // the scanned element expected next
	text, img int32 // the text node and image expected next
}

func (v *regionCheck) walk(n *html.Node, st visState, skip bool) bool {
	ps := v.ps
	i := v.next
	if int(i) >= len(ps.elems) {
		return false
	}
	e := &ps.elems[i]
	if !strings.EqualFold(n.Data, ps.elemName(e)) || (n.Namespace == "svg") != e.svg || n.Namespace != "" && n.Namespace != "svg" {
		return false
	}
	if p := n.Parent; p != nil && ps.made[e.parent].node != p {
		return false
	}
	ps.made[i] = madeNode{node: n, attrs: true, filled: true}
	v.next++
	skip = skip || skipped(n)
	if !skip {
		st = st.child(n)
		if isImage(n) {
			if int(v.img) >= len(v.d.images) {
				return false
			}
			im := &v.d.images[v.img]
			if im.elem != i || im.hidden != (st.hidden() != notHidden) {
				return false
			}
			im.node = n
			v.img++
		}
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		switch c.Type {
		case html.ElementNode:
			if !v.walk(c, st, skip) {
				return false
			}
		case html.TextNode:
			if !skip && !v.textNode(c, i, st.hidden()) {
				return false
			}
		}
	}
	return true
}

// textNode matches a text node with the scan's next one.
func (v *regionCheck) textNode(c *html.Node, parent int32, reason hideReason) bool {
	ps := v.ps
	if int(v.text) >= len(ps.texts) {
		return false
	}
	ref := ps.texts[v.text]
	buf := &v.d.vis
	if ref.hid {
		buf = &v.d.hid
	}
	seg := &buf.segs[ref.seg]
	if ref.parent != parent || ref.hid != (reason != notHidden) || seg.reason != reason || buf.raw[seg.start:seg.end] != c.Data {
		return false
	}
	buf.setNode(int(ref.seg), c)
	v.text++
	return true
}

// node returns the node for element i: parsed, if a region holds it, else
// a stand-in with the element's name and attributes whose parent has all
// its element children (nil for what a stand-in cannot be: SVG).
func (ps *pageScan) node(i int32) *html.Node {
	if ps.made == nil {
		// spareMade is all zeros, as the pool keeps it.
		ps.made = slices.Grow(ps.spareMade[:0], len(ps.elems))[:len(ps.elems)]
		ps.spareMade = nil
	}
	m := &ps.made[i]
	if m.node == nil {
		e := &ps.elems[i]
		if e.parent < 0 {
			// <html>, under a document node of its own.
			doc := &html.Node{Type: html.DocumentNode}
			m.node = &html.Node{Type: html.ElementNode, Data: ps.elemName(e), DataAtom: e.atom}
			doc.AppendChild(m.node)
		} else {
			p := ps.node(e.parent)
			if p == nil || !ps.fill(e.parent, p) {
				return nil
			}
		}
	}
	if m.node == nil || ps.elems[i].svg {
		return nil
	}
	if !m.attrs {
		m.node.Attr = ps.attrs(i)
		m.attrs = true
	}
	return m.node
}

// fill gives a stand-in its element children, as stand-ins.
func (ps *pageScan) fill(i int32, n *html.Node) bool {
	if ps.made[i].filled {
		return true
	}
	for j := i + 1; j <= ps.elems[i].last; j = ps.elems[j].last + 1 {
		c := &ps.elems[j]
		ns := ""
		if c.svg {
			ns = "svg"
		}
		k := &html.Node{Type: html.ElementNode, Data: ps.elemName(c), DataAtom: c.atom, Namespace: ns}
		n.AppendChild(k)
		ps.made[j].node = k
	}
	ps.made[i].filled = true
	return true
}

// attrs returns element i's attributes as the tree holds them.
func (ps *pageScan) attrs(i int32) []html.Attribute {
	e := &ps.elems[i]
	if e.start < 0 {
		return nil
	}
	src := ps.src[e.start:e.tagEnd]
	sc := &scanner{pageScan: ps, pos: int(e.start) + 1}
	if _, _, _, ok := sc.readTag(); ok {
		out := make([]html.Attribute, 0, len(sc.attrs))
		for _, a := range sc.attrs {
			v, ok := attrValue(sc.val(a))
			if !ok {
				out = nil
				break
			}
			out = append(out, html.Attribute{Key: asciiLower(sc.key(a)), Val: v})
		}
		if out != nil {
			return out
		}
	}
	// The tokenizer itself, for the rare value attrValue cannot pass on.
	z := html.NewTokenizer(strings.NewReader(src))
	z.Next()
	return z.Token().Attr
}

// imageNode returns the node of image k, making it when the scan found
// it: an element without content is made from its tag; any other is
// parsed as a region. On failure the check is redone on the full parse.
func (d *document) imageNode(k int) *html.Node {
	im := &d.images[k]
	if im.node != nil || d.scan == nil {
		return im.node
	}
	ps := d.scan
	e := &ps.elems[im.elem]
	switch {
	case isVoid(e.atom) && !e.svg:
		im.node = ps.node(im.elem)
	case ps.made != nil && ps.made[im.elem].filled:
		im.node = ps.made[im.elem].node
	default:
		// Parse it unless it holds a region made already (whose nodes
		// the rules may hold).
		for j := im.elem; ps.made != nil && j <= e.last; j++ {
			if ps.made[j].filled {
				ps.failed = true
				return nil
			}
		}
		if ps.parseRegion(d, im.elem) {
			im.node = ps.made[im.elem].node
		}
	}
	if im.node == nil {
		ps.failed = true
	}
	return im.node
}

// isVoid lists the elements the parser never gives content.
func isVoid(a atom.Atom) bool {
	switch a {
	case atom.Area, atom.Base, atom.Basefont, atom.Bgsound, atom.Br, atom.Embed, atom.Hr, atom.Img, atom.Input,
		atom.Keygen, atom.Link, atom.Meta, atom.Param, atom.Source, atom.Track, atom.Wbr:
		return true
	}
	return false
}
