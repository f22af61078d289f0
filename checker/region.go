package checker

import (
	"cmp"
	"slices"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// Regions. After a scan, the rules need real nodes only around the numbers
// found: the badge block (the element holding a number and up to four
// ancestors, with the links and images inside them), the path up to <html>
// for the finding's CSS path, and the images imageBadge looks at. A region
// is the outermost element a number's block can climb to. When the scan's
// table holds all its nodes (elements and walked text, nothing else) they
// are made from the table, as the tree the scan follows has them;
// otherwise its source is parsed on its own with html.ParseFragment, in
// the context of its parent, and checked against the scan: the same
// elements, the same text nodes with the same text and visibility, the
// same images. Its ancestors are
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

// parseRegion makes element r's nodes and puts them in place of its
// stand-in: from the scan's table when it holds every node of the region
// (tableHolds), else by parsing r's source in the context of its parent
// and checking the nodes against the scan.
func (ps *pageScan) parseRegion(d *document, r int32) bool {
	return ps.makeRegion(d, r, ps.tableHolds(r))
}

// makeRegion is parseRegion that makes the nodes from the table (build)
// when fromTable is set, and parses the region's source otherwise.
func (ps *pageScan) makeRegion(d *document, r int32, fromTable bool) bool {
	e := &ps.elems[r]
	if e.start < 0 || e.end < 0 || e.svg || e.parent < 0 {
		return false
	}
	parent := ps.node(e.parent)
	if parent == nil {
		return false
	}
	stub := ps.node(r)
	var n *html.Node
	if fromTable {
		n = ps.build(d, r)
	} else {
		nodes, err := html.ParseFragment(strings.NewReader(ps.src[e.start:e.end]), parent)
		if err != nil || len(nodes) != 1 {
			return false
		}
		n = nodes[0]
		if n.Type != html.ElementNode || n.Data != ps.elemName(e) || n.Namespace != "" {
			return false
		}
		v := regionCheck{ps: ps, d: d, next: r, text: e.text0, img: e.img0}
		if !v.walk(n, ps.elems[e.parent].st, e.skip) || v.next != e.last+1 || v.text != e.text1 || v.img != e.img1 {
			return false
		}
	}
	parent.InsertBefore(n, stub)
	parent.RemoveChild(stub)
	return true
}

// tableHolds reports whether the scan's table holds every node under
// element r: its elements and walked text nodes are all there are, with
// no comments, no skipped elements (whose text is not walked) and no SVG.
// Then the region's nodes are made from the table (build), as the tree
// that the scan follows has them, rather than parsed: parsing the region
// cost a tenth of a check.
func (ps *pageScan) tableHolds(r int32) bool {
	for j := r; j <= ps.elems[r].last; j++ {
		if e := &ps.elems[j]; e.svg || e.skip || e.comment {
			return false
		}
	}
	return true
}

// build makes the nodes of element i and everything under it from the
// table, recording them as regionCheck does for a parsed region: element
// i's children are its child elements and the text nodes whose parent it
// is, in document order (a text node comes before the first child element
// that started after it).
func (ps *pageScan) build(d *document, i int32) *html.Node {
	// The nodes come from one allocation, not one each: the region
	// holds its elements and the text nodes between its first and last.
	e := &ps.elems[i]
	slab := make([]html.Node, int(e.last-i+1)+int(e.text1-e.text0))
	return ps.buildIn(d, i, &slab)
}

// buildIn is build that takes the nodes from the front of slab.
func (ps *pageScan) buildIn(d *document, i int32, slab *[]html.Node) *html.Node {
	newNode := func() *html.Node {
		n := &(*slab)[0]
		*slab = (*slab)[1:]
		return n
	}
	e := &ps.elems[i]
	n := newNode()
	*n = html.Node{Type: html.ElementNode, Data: ps.elemName(e), DataAtom: e.atom, Attr: ps.attrs(i)}
	if isFormatting(e.atom) {
		// x/net/html sorts a formatting element's attributes (to compare
		// them for the Noah's Ark clause), and the evidence shows them in
		// that order.
		slices.SortFunc(n.Attr, func(a, b html.Attribute) int {
			return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Key, b.Key), cmp.Compare(a.Val, b.Val))
		})
	}
	ps.made[i] = madeNode{node: n, attrs: true, filled: true}
	t := e.text0
	text := func(before int32) {
		for ; t < before; t++ {
			ref := ps.texts[t]
			if ref.parent != i {
				continue
			}
			buf := &d.vis
			if ref.hid {
				buf = &d.hid
			}
			seg := &buf.segs[ref.seg]
			c := newNode()
			*c = html.Node{Type: html.TextNode, Data: buf.raw[seg.start:seg.end]}
			buf.setNode(int(ref.seg), c)
			n.AppendChild(c)
		}
	}
	for j := i + 1; j <= e.last; j = ps.elems[j].last + 1 {
		text(ps.elems[j].text0)
		n.AppendChild(ps.buildIn(d, j, slab))
	}
	text(e.text1)
	for k := e.img0; k < e.img1; k++ {
		if im := &d.images[k]; im.elem == i {
			im.node = n
		}
	}
	return n
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
	src := ps.tagSource(i)
	sc := &scanner{pageScan: ps, pos: int(e.start) + 1, attrs: ps.attrBuf}
	defer func() { ps.attrBuf = sc.attrs[:0] }()
	if _, _, _, ok := sc.readTag(keepAll); ok {
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

// scannedImageIs answers is(img, a) for image k, an element without
// content that the scan found, from stand-ins for it and for the closest
// <a> around it (nil if none): the same tag, attributes and link as the
// nodes imageNode would make, without making its ancestors' children.
// Any other image is made by imageNode, so it answers true.
//
// hint, given the source of the image's start tag (link false) and of the
// link's (link true), says whether is could be true: when neither tag
// passes, no stand-in is made.
func (d *document) scannedImageIs(k int, hint func(tag string, link bool) bool, is func(img, a *html.Node) bool) bool {
	ps := d.scan
	if ps == nil {
		return true
	}
	i := d.images[k].elem
	e := &ps.elems[i]
	if !isVoid(e.atom) || e.svg {
		return true
	}
	a := int32(-1)
	for j := e.parent; j >= 0; j = ps.elems[j].parent {
		// closestLink: an <a>, or an element whose onclick navigates
		// (looked for in its tag's source before its attributes are
		// read).
		if ps.elems[j].atom == atom.A {
			a = j
			break
		}
		if containsFoldASCII(ps.tagSource(j), "onclick") {
			attrs := ps.attrs(j)
			if attrs == nil {
				return true // unread: the node will tell
			}
			if scriptURL(attrOf(attrs, "onclick")) != "" {
				a = j
				break
			}
		}
	}
	if !hint(ps.tagSource(i), false) && (a < 0 || !hint(ps.tagSource(a), true)) {
		return false
	}
	img := html.Node{Type: html.ElementNode, Data: ps.elemName(e), DataAtom: e.atom, Attr: ps.attrs(i)}
	if a < 0 {
		return is(&img, nil)
	}
	p := &ps.elems[a]
	return is(&img, &html.Node{Type: html.ElementNode, Data: ps.elemName(p), DataAtom: p.atom, Attr: ps.attrs(a)})
}

// tagSource returns the source of element i's start tag ("" for an
// implied element).
func (ps *pageScan) tagSource(i int32) string {
	e := &ps.elems[i]
	if e.start < 0 {
		return ""
	}
	return ps.src[e.start:e.tagEnd]
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
