package checker

import (
	"net/url"

	"golang.org/x/net/html"
)

// psbOcc is one PSB number as it appears in the page.
type psbOcc struct {
	entry  PSB
	num    PSBNumber
	block  []*html.Node
	reason hideReason
}

// collectPSB finds every PSB number in the page, with its link and icon.
func collectPSB(d *document, base *url.URL) []psbOcc {
	var occs []psbOcc
	for _, buf := range []*textBuf{&d.vis, &d.hid} {
		for _, m := range buf.psbMatches() {
			occs = append(occs, newPSBOcc(buf, m, buf == &d.vis, base))
		}
	}
	return occs
}

func newPSBOcc(buf *textBuf, m psbMatch, visible bool, base *url.URL) psbOcc {
	start, end := buf.norm.orig(m.start), buf.norm.origEnd(m.end)
	nodes, reason := buf.nodes(start, end)
	text := collapseSpace(buf.raw[start:end])
	o := psbOcc{num: m.num, reason: reason}
	o.entry = PSB{Text: text, LinkStyle: LinkNone, Visible: visible}
	if !isPlaceholderValue(m.num.Digits) {
		o.entry.Number = m.num.Digits
	}
	if p, ok := m.num.Province(); ok {
		o.entry.Province = p.Name
	} else if p, ok := m.num.DigitsProvince(); ok {
		o.entry.Province = p.Name
	}
	start0 := lca(nodes)
	if start0 == nil {
		return o
	}
	o.block = blockChain(start0, runeCount(text), !visible)

	// The link: an <a> around the number, else a PSB link in the badge
	// block (an icon link beside a text span), the nearest level first and
	// the one carrying this number's code preferred.
	var link *html.Node
	for _, n := range nodes {
		if link = closestLink(n); link != nil {
			break
		}
	}
	// The target is classified once (it parses the URL).
	var href, style, code string
	if link != nil {
		href = linkHref(link)
		style, code = psbTarget(href, base)
	}
	if link == nil || style == LinkOther {
		if l := findPSBLink(o.block, o.entry.Number, base); l != nil {
			link, href = l, linkHref(l)
			style, code = psbTarget(href, base)
		}
	}
	if link != nil {
		o.entry.LinkURL = href
		o.entry.LinkStyle, o.entry.LinkCode = style, code
		o.entry.Linked = style == LinkMPS || style == LinkLegacy
	}

	// The icon: any image inside the link or the innermost two levels of
	// the block; further out only an image that looks like the badge, so a
	// company logo in the same footer is not taken for it.
	if link != nil && hasImage(link, isImage) {
		o.entry.Icon = true
	}
	inPSBLink := func(n *html.Node) bool {
		a := closestLink(n)
		return isImage(n) && a != nil && isPSBLink(base)(a)
	}
	for i, n := range o.block {
		if o.entry.Icon {
			break
		}
		// An image in a PSB link of the block counts at any level: the
		// icon and the number often sit in two links (or table cells).
		ok := func(n *html.Node) bool { return isBadgeImage(n) || inPSBLink(n) }
		if i < 2 {
			ok = isImage
		}
		o.entry.Icon = hasImage(n, ok)
	}
	return o
}

func findPSBLink(chain []*html.Node, number string, base *url.URL) *html.Node {
	isLink := isPSBLink(base)
	for _, n := range chain {
		// Links below n in document order, then n itself: the order of
		// the goquery selection (Find, then AddSelection) this replaced.
		var links []*html.Node
		for d := range n.Descendants() {
			if (isHrefLink(d) || isScriptLink(d)) && isLink(d) {
				links = append(links, d)
			}
		}
		if (isHrefLink(n) || isScriptLink(n)) && isLink(n) {
			links = append(links, n)
		}
		if len(links) == 0 {
			continue
		}
		for _, l := range links {
			if _, code := psbTarget(linkHref(l), base); code == number {
				return l
			}
		}
		return links[0]
	}
	return nil
}

// isHrefLink is the selector a[href].
func isHrefLink(n *html.Node) bool {
	if n.Type != html.ElementNode || n.Data != "a" {
		return false
	}
	for _, a := range n.Attr {
		if a.Key == "href" {
			return true
		}
	}
	return false
}

// hasImage reports an image under n (n included) that ok accepts.
func hasImage(n *html.Node, ok func(*html.Node) bool) bool {
	if mayBeImage(n) && ok(n) {
		return true
	}
	for d := range n.Descendants() {
		if mayBeImage(d) && ok(d) {
			return true
		}
	}
	return false
}

// mayBeImage is the selector "img, input, [style]": the elements isImage
// can accept.
func mayBeImage(n *html.Node) bool {
	if n.Type != html.ElementNode {
		return false
	}
	if n.Data == "img" || n.Data == "input" {
		return true
	}
	for _, a := range n.Attr {
		if a.Key == "style" {
			return true
		}
	}
	return false
}

// psbRules judges the PSB numbers and badges a visitor sees.
func (c *checkRun) psbRules() {
	var shown []*psbOcc
	for i := range c.psb {
		o := &c.psb[i]
		if !o.entry.Visible {
			c.add(o.block, CodePSBHidden, o.display(), o.reason)
			continue
		}
		shown = append(shown, o)
	}
	if len(shown) == 0 && c.scriptPSB == "" && c.scriptICP == "" {
		if img := c.imageBadge(psbImage); img != nil {
			c.addAt(img, CodePSBImageOnly, imageName(img))
			c.psbImageOnly = true
		} else {
			c.add(nil, CodePSBMissing, hiddenNote(len(c.psb) > 0, " (only in hidden elements)"))
			c.psbMissing = true
		}
	}
	for _, g := range groupPSB(shown) {
		c.psbNumberRules(g)
	}
	c.psbExpectRules(shown)
}

func (o *psbOcc) display() string {
	if o.entry.Number != "" {
		return o.entry.Number
	}
	return o.entry.Text
}

func groupPSB(occs []*psbOcc) [][]*psbOcc {
	var groups [][]*psbOcc
	index := map[string]int{}
	for _, o := range occs {
		i, ok := index[o.display()]
		if !ok {
			i = len(groups)
			index[o.display()] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], o)
	}
	return groups
}

// psbNumberRules judges one distinct PSB number: validity, then the best
// of its occurrences for link, code and icon.
func (c *checkRun) psbNumberRules(g []*psbOcc) {
	first := g[0]
	for _, p := range first.num.Problems(first.entry.Text) {
		if p.code == CodePSBPlaceholder && c.want.PSB != "" && c.wantPSB.Digits == first.num.Digits {
			continue
		}
		c.add(first.block, p.code, p.args...)
	}
	best := first
	for _, o := range g {
		if psbScore(o) > psbScore(best) {
			best = o
		}
	}
	e := best.entry
	switch e.LinkStyle {
	case LinkNone:
		c.add(best.block, CodePSBNotLinked, best.display())
	case LinkOther:
		c.add(best.block, CodePSBLinkWrong, best.display(), quoteHref(e.LinkURL))
	default:
		if e.LinkStyle == LinkLegacy {
			c.add(best.block, CodePSBLinkLegacy, best.display())
		}
		if e.LinkCode != e.Number {
			code := e.LinkCode
			if code == "" {
				code = "(none)"
			}
			c.add(best.block, CodePSBLinkCodeMismatch, best.display(), code)
		}
	}
	if !e.Icon {
		c.add(best.block, CodePSBNoIcon, best.display())
	}
}

func psbScore(o *psbOcc) int {
	s := 0
	if o.entry.Linked {
		s += 4
	}
	if o.entry.LinkCode == o.entry.Number {
		s += 2
	}
	if o.entry.Icon {
		s++
	}
	return s
}

// psbExpectRules compares the page with the registry's PSB number.
func (c *checkRun) psbExpectRules(shown []*psbOcc) {
	if len(shown) == 0 {
		return
	}
	if c.want.PSB == "" {
		if c.want.Registered {
			c.add(shown[0].block, CodePSBNotInRegistry, shown[0].display())
		}
		return
	}
	for _, o := range shown {
		if o.num.Digits == c.wantPSB.Digits {
			return
		}
	}
	c.add(shown[0].block, CodePSBMismatch, shown[0].display(), c.wantPSB.Digits)
}
