package checker

import (
	"io"
	"strings"

	"github.com/andybalholm/cascadia"
	"github.com/tdewolff/parse/v2"
	"github.com/tdewolff/parse/v2/css"
	"golang.org/x/net/html"
)

// The page's own style sheets (its <style> elements) hide a badge as
// inline styles do. Only the properties withStyle reads matter, and only
// a sheet that can hide something is parsed at all (styleMayHide): most
// pages' sheets set colours and margins. External sheets (<link>) are
// not fetched: the check is static.

// sheetProps are the properties withStyle reads, in the order it must
// see them (position before left and top; overflow and height together).
var sheetProps = [...]string{"display", "visibility", "font", "font-size", "opacity", "position", "left", "top", "text-indent", "overflow", "height", "max-height"}

// hideGroup is a set of the ways a sheet can hide text, each a group of
// sheetProps that work together.
type hideGroup uint8

const (
	hideDisplay hideGroup = 1 << iota
	hideVisibility
	hideFont
	hideOpacity
	hideOffscreen
	hideHeight
)

// propGroups gives the group of each of sheetProps.
var propGroups = [len(sheetProps)]hideGroup{hideDisplay, hideVisibility, hideFont, hideFont, hideOpacity,
	hideOffscreen, hideOffscreen, hideOffscreen, hideOffscreen, hideHeight, hideHeight, hideHeight}

// sheetDecl is one declaration of a property withStyle reads.
type sheetDecl struct {
	prop, val string
	important bool
}

// sheetRule is a rule of the sheet: one selector of a rule's group (each
// has its own specificity), its place in the sheet, and the declarations
// withStyle reads.
type sheetRule struct {
	sel   cascadia.Sel
	spec  cascadia.Specificity
	order int
	decls []sheetDecl
	// complex says the selector looks at siblings or states (+, ~, :…),
	// which the fast path's partial tree cannot answer.
	complex bool
}

// sheet is the rules of a page's <style> elements that set a property
// of the groups the sheets hide by, in document order.
type sheet struct {
	groups hideGroup
	rules  []sheetRule
}

// styleMayHide is the cheap test a <style> element's text must pass to be
// parsed: it says which ways of hiding the text uses (display none,
// visibility hidden, a zero font size or opacity, a far negative
// position, a zero height), none for most sheets. Only declarations of
// those groups are then kept: a font-size:12px matters only where
// something else makes a size zero. A sheet that hides nothing can still
// un-hide (display:block !important); that is let go: what a page hides
// by its inline styles alone stays as it was.
func styleMayHide(text string) hideGroup {
	var g hideGroup
	for _, p := range []struct {
		name  string
		group hideGroup
	}{{"display", hideDisplay}, {"visibility", hideVisibility}, {"font", hideFont}, {"opacity", hideOpacity},
		{"left", hideOffscreen}, {"top", hideOffscreen}, {"text-indent", hideOffscreen}, {"height", hideHeight}} {
		for from := 0; g&p.group == 0; {
			i := strings.Index(text[from:], p.name)
			if i < 0 {
				break
			}
			i += from
			from = i + len(p.name)
			v := text[from:]
			if strings.HasPrefix(v, "-size") {
				v = v[len("-size"):]
			}
			j := strings.IndexByte(v, ':')
			if j < 0 || strings.TrimSpace(v[:j]) != "" {
				continue
			}
			v = v[j+1:]
			if k := strings.IndexAny(v, ";}"); k >= 0 {
				v = v[:k]
			}
			if hidingValue(p.name, strings.ToLower(strings.TrimSpace(v))) {
				g |= p.group
			}
		}
	}
	return g
}

// hidingValue reports a value of property p that may hide text.
func hidingValue(p, v string) bool {
	v = strings.TrimSpace(strings.TrimSuffix(v, "!important"))
	switch p {
	case "display":
		return v == "none"
	case "visibility":
		return v == "hidden" || v == "collapse"
	case "font":
		return strings.HasPrefix(v, "0")
	case "opacity":
		return isZeroNumber(v)
	case "height":
		return isZeroLength(v)
	default: // left, top, text-indent
		return strings.HasPrefix(v, "-")
	}
}

// maxSheetRules bounds the rules kept from a page's sheets, so that a
// hostile page cannot make every element match thousands of selectors.
const maxSheetRules = 512

// parse adds the rules of a style sheet's text to sh. Rules inside
// at-rules (@media, @supports) are left out: they apply only to some
// screens, and a desktop visitor's is the one judged.
func (sh *sheet) parse(text string) {
	p := css.NewParser(parse.NewInputString(text), false)
	depth := 0     // at-rule blocks open
	var sel string // the rule's selectors; compiled only if it declares something kept
	var decls []sheetDecl
	for n := 0; n < len(text)+16; n++ {
		gt, _, data := p.Next()
		switch gt {
		case css.ErrorGrammar:
			if p.Err() == io.EOF {
				return
			}
		case css.BeginAtRuleGrammar:
			depth++
		case css.EndAtRuleGrammar:
			depth = max(0, depth-1)
		case css.BeginRulesetGrammar:
			sel, decls = "", nil
			if depth == 0 {
				sel = tokensText(p.Values())
			}
		case css.DeclarationGrammar:
			if sel == "" {
				continue
			}
			prop := strings.ToLower(string(data))
			if i := propIndex(prop); i < 0 || propGroups[i]&sh.groups == 0 {
				continue
			}
			val := strings.ToLower(strings.TrimSpace(tokensText(p.Values())))
			d := sheetDecl{prop: prop, val: val}
			if v, ok := strings.CutSuffix(val, "important"); ok {
				if v, ok = strings.CutSuffix(strings.TrimSpace(v), "!"); ok {
					d.val, d.important = strings.TrimSpace(v), true
				}
			}
			decls = append(decls, d)
		case css.EndRulesetGrammar:
			if sel != "" && len(decls) > 0 {
				sh.add(sel, decls)
			}
			sel = ""
		}
	}
}

// add adds a rule's selectors (a group) with their declarations; a group
// cascadia cannot parse (a pseudo-element, a vendor extension) is left
// out, as a browser drops it.
func (sh *sheet) add(sel string, decls []sheetDecl) {
	g, err := cascadia.ParseGroup(sel)
	if err != nil {
		return
	}
	complexSel := strings.ContainsAny(sel, "+~:")
	for _, s := range g {
		if len(sh.rules) == maxSheetRules {
			return
		}
		sh.rules = append(sh.rules, sheetRule{sel: s, spec: s.Specificity(), order: len(sh.rules), decls: decls, complex: complexSel})
	}
}

func sheetProp(p string) bool {
	for _, q := range sheetProps {
		if p == q {
			return true
		}
	}
	return false
}

// tokensText joins a parser's tokens back into text.
func tokensText(ts []css.Token) string {
	var b strings.Builder
	for _, t := range ts {
		b.Write(t.Data)
	}
	return b.String()
}

// complex reports a rule the fast path's partial tree cannot match.
func (sh *sheet) complex() bool {
	for _, r := range sh.rules {
		if r.complex {
			return true
		}
	}
	return false
}

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
	for _, r := range sh.rules {
		if !r.sel.Match(n) {
			continue
		}
		for _, d := range r.decls {
			i := propIndex(d.prop)
			c := cascaded{val: d.val, important: d.important, spec: r.spec, order: r.order, set: true}
			if win[i].beatenBy(c) {
				win[i] = c
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

func propIndex(p string) int {
	for i, q := range sheetProps {
		if p == q {
			return i
		}
	}
	return -1
}

// stateOf returns the visibility of n's content as the sheet and the
// inline styles of n and its ancestors make it.
func (sh *sheet) stateOf(n *html.Node) visState {
	var chain []*html.Node
	for ; n != nil; n = n.Parent {
		if n.Type == html.ElementNode {
			chain = append(chain, n)
		}
	}
	var st visState
	for i := len(chain) - 1; i >= 0; i-- {
		e := chain[i]
		if _, ok := attrValueOf(e, "hidden"); ok {
			st = st.attr("hidden", "")
		}
		st = st.withStyle(sh.styleOf(e))
	}
	return st
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

// newSheet parses the texts of a page's <style> elements that passed
// styleMayHide; nil when there are none.
func newSheet(texts []string) *sheet {
	if len(texts) == 0 {
		return nil
	}
	sh := &sheet{}
	for _, t := range texts {
		sh.groups |= styleMayHide(t)
	}
	for _, t := range texts {
		sh.parse(t)
	}
	return sh
}

// addStyle keeps a <style> element's text for the sheet when it can hide
// something.
func (d *document) addStyle(text string) {
	if styleMayHide(text) != 0 {
		d.styles = append(d.styles, text)
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
			o.entry.Visible, o.reason = sheetHides(sh, o.block[0], o.reason)
		}
	}
	for i := range c.psb {
		o := &c.psb[i]
		if o.entry.Visible && len(o.block) > 0 {
			o.entry.Visible, o.reason = sheetHides(sh, o.block[0], o.reason)
		}
	}
}

// sheetHides returns whether a number in n stays visible under the sheet,
// and why not.
func sheetHides(sh *sheet, n *html.Node, reason hideReason) (bool, hideReason) {
	if r := sh.stateOf(n).hidden(); r != notHidden {
		return false, r
	}
	return true, reason
}
