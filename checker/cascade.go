package checker

import (
	"strings"

	"github.com/andybalholm/cascadia"
	"golang.org/x/net/html"
)

// The cascade: which of the sheet's declarations (and the inline ones)
// apply to an element, and what they make of a number's visibility.

// cascaded is one property's winning declaration so far.
type cascaded struct {
	val       string
	important bool
	inline    bool
	spec      cascadia.Specificity
	order     int
	set       bool
}

// beats reports whether a declaration d (from a rule, or inline) wins over
// the one already in place, by CSS's cascade: importance, then inline
// over the sheet, then specificity, then order.
func (c cascaded) beatenBy(d cascaded) bool {
	switch {
	case !c.set:
		return true
	case d.important != c.important:
		return d.important
	case d.inline != c.inline:
		return d.inline
	case d.inline:
		return true // later inline declarations win
	case d.spec != c.spec:
		return c.spec.Less(d.spec)
	}
	return d.order >= c.order
}

// styleOf returns n's style as the sheet and its style attribute make
// it, written as one inline style for withStyle.
func (sh *sheet) styleOf(n *html.Node) string {
	var win [len(sheetProps)]cascaded
	for i := range sh.rules {
		r := &sh.rules[i]
		ok, spec := r.match(n)
		if !ok {
			continue
		}
		for _, d := range r.decls {
			c := cascaded{val: d.val, important: d.important, spec: spec, order: r.order, set: true}
			if win[d.prop].beatenBy(c) {
				win[d.prop] = c
			}
		}
	}
	for _, decl := range strings.Split(attr(n, "style"), ";") {
		k, v, ok := strings.Cut(decl, ":")
		k = strings.ToLower(strings.TrimSpace(k))
		if !ok || !sheetProp(k) {
			continue
		}
		// Every inline declaration counts (withStyle reads them all).
		v = strings.ToLower(strings.TrimSpace(v))
		c := cascaded{val: v, inline: true, set: true}
		if s, ok := strings.CutSuffix(v, "!important"); ok {
			c.val, c.important = strings.TrimSpace(s), true
		}
		if i := propIndex(k); win[i].beatenBy(c) {
			win[i] = c
		}
	}
	var b strings.Builder
	for i, c := range win {
		if c.set {
			b.WriteString(sheetProps[i] + ":" + c.val + ";")
		}
	}
	return b.String()
}

// stateOf returns the visibility of n's content as the sheet and the
// inline styles of n and its ancestors make it, when a hiding rule
// matches one of them; the zero state (visible) when none does, which
// the callers read as "the sheet changes nothing".
func (sh *sheet) stateOf(n *html.Node) (st visState, cascaded bool) {
	if !sh.hides(n) {
		return st, false
	}
	var chain []*html.Node
	for ; n != nil; n = n.Parent {
		if n.Type == html.ElementNode {
			chain = append(chain, n)
		}
	}
	for i := len(chain) - 1; i >= 0; i-- {
		e := chain[i]
		if _, ok := attrValueOf(e, "hidden"); ok {
			st = st.attr("hidden", "")
		}
		st = st.withStyle(sh.styleOf(e))
	}
	return st, true
}

// hides reports a hiding rule that matches n or an ancestor: only then
// is the whole cascade worked out.
func (sh *sheet) hides(n *html.Node) bool {
	if !sh.hidesNow(n) {
		return false
	}
	if sh.partial {
		sh.parseAll() // a rule outside the hiding blocks may take part
		return sh.hidesNow(n)
	}
	return true
}

// hidesNow is hides over the rules read so far.
func (sh *sheet) hidesNow(n *html.Node) bool {
	for i := range sh.rules {
		r := &sh.rules[i]
		if !r.hides {
			continue
		}
		for e := n; e != nil; e = e.Parent {
			if e.Type != html.ElementNode {
				continue
			}
			if ok, _ := r.match(e); ok {
				return true
			}
		}
	}
	return false
}

// attrValueOf returns an attribute's value and whether n has it.
func attrValueOf(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

// newSheet reads the texts of a page's <style> elements that passed
// styleMayHide (colons: where their hiding declarations are, as
// hidingDecls found them), keeping the groups found; nil when there are
// none. At first only the blocks holding a hiding declaration are parsed
// (see hidingBlocks); the whole sheet is, once one of their rules matches
// (see hides).
func newSheet(texts []string, colons [][]int, groups hideGroup) *sheet {
	if len(texts) == 0 {
		return nil
	}
	sh := &sheet{groups: groups, texts: texts, partial: true}
	for i, t := range texts {
		spans, ok := hidingBlocks(t, colons[i])
		if !ok {
			sh.parseAll()
			return sh
		}
		for _, sp := range spans {
			sh.parse(t[sp[0]:sp[1]])
		}
	}
	return sh
}

// parseAll reads the whole sheet, in place of its hiding blocks.
func (sh *sheet) parseAll() {
	sh.rules, sh.partial = sh.rules[:0], false
	for _, t := range sh.texts {
		sh.parse(t)
	}
}

// addStyle keeps a <style> element's text for the sheet when it can hide
// something.
func (d *document) addStyle(text string) {
	if g, colons := hidingDecls(text, true); g != 0 {
		d.styles = append(d.styles, text)
		d.styleColons = append(d.styleColons, colons)
		d.styleGroups |= g
	}
}

// sheetRule hides the numbers the page's style sheet hides, as their
// inline styles would: a visible number whose element, or an ancestor,
// the sheet gives display:none (and the rest) is hidden for the rules.
// It only hides: a number hidden by its inline styles stays hidden.
func (c *checkRun) sheetRule() {
	sh := c.doc.sheet
	if sh == nil || len(sh.rules) == 0 {
		return
	}
	for i := range c.icp {
		o := &c.icp[i]
		if o.entry.Visible && len(o.block) > 0 {
			o.entry.Visible, o.reason = c.sheetHides(o.block[0], o.reason)
		}
	}
	for i := range c.psb {
		o := &c.psb[i]
		if o.entry.Visible && len(o.block) > 0 {
			o.entry.Visible, o.reason = c.sheetHides(o.block[0], o.reason)
		}
	}
}

// sheetHides returns whether a number in n stays visible under the sheet,
// and why not.
func (c *checkRun) sheetHides(n *html.Node, reason hideReason) (bool, hideReason) {
	if r := c.sheetState(n).hidden(); r != notHidden {
		return false, r
	}
	return true, reason
}

// sheetState is the sheet's stateOf n. On the fast path, a cascade that
// rules looking at siblings or contents take part in needs the whole
// tree: the scan is marked failed, and the full parse judges the page.
func (c *checkRun) sheetState(n *html.Node) visState {
	sh := c.doc.sheet
	st, cascaded := sh.stateOf(n)
	if cascaded && c.doc.scan != nil && sh.complex() {
		c.doc.scan.failed = true
	}
	return st
}
