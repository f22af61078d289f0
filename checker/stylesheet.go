package checker

import (
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
	prop      int // index in sheetProps
	val       string
	important bool
}

// sheetRule is a rule of the sheet: its selector group, compiled when
// first matched (most rules never are: see sheet.hides), its place in the
// sheet, and the declarations withStyle reads.
type sheetRule struct {
	text     string
	group    cascadia.SelectorGroup
	compiled bool
	order    int
	decls    []sheetDecl
	// hides says a declaration hides (display:none …): only such rules
	// are matched until one matches.
	hides bool
	// complex says the selector looks at siblings or contents (+, ~,
	// :has, :empty, :contains), which the fast path's partial tree
	// cannot answer.
	complex bool
}

// match reports whether the rule applies to n, and the specificity it
// applies with (the highest of its group's selectors that match).
func (r *sheetRule) match(n *html.Node) (bool, cascadia.Specificity) {
	if !r.compiled {
		// A group cascadia cannot parse (a pseudo-element, a vendor
		// extension, :hover) matches nothing, as a browser drops it or
		// applies it only on the visitor's action.
		r.group, _ = cascadia.ParseGroup(r.text)
		r.compiled = true
	}
	var spec cascadia.Specificity
	ok := false
	for _, sel := range r.group {
		if sel.Match(n) {
			if sp := sel.Specificity(); !ok || spec.Less(sp) {
				spec = sp
			}
			ok = true
		}
	}
	return ok, spec
}

// sheet is the rules of a page's <style> elements that set a property
// of the groups the sheets hide by, in document order.
type sheet struct {
	groups hideGroup
	texts  []string
	// partial says rules are only those of the hiding blocks so far.
	partial bool
	rules   []sheetRule
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
	g, _ := hidingDecls(text, false)
	return g
}

// hidingDecls is styleMayHide that also returns, when at is set, where
// each hiding declaration's colon is.
func hidingDecls(text string, at bool) (g hideGroup, colons []int) {
	// One pass over the declarations, by their colons: the property is
	// the word before, the value runs to ';' or '}'. Selectors' colons
	// (a:hover) give words that are no property.
	for from := 0; ; {
		i := strings.IndexByte(text[from:], ':')
		if i < 0 {
			return g, colons
		}
		i += from
		from = i + 1
		j := i
		for j > 0 && text[j-1] == ' ' {
			j--
		}
		k := j
		for k > 0 && (isLetter(text[k-1]) || text[k-1] == '-') {
			k--
		}
		prop := propIndexFold(text[k:j])
		if prop < 0 {
			continue
		}
		v := text[i+1:]
		if e := strings.IndexAny(v, ";}"); e >= 0 {
			v = v[:e]
		}
		if hidingValue(sheetProps[prop], strings.ToLower(strings.TrimSpace(v))) {
			g |= propGroups[prop]
			if at {
				colons = append(colons, i)
			}
		}
	}
}

// hidingBlocks returns the top-level blocks of text (a rule, or an
// at-rule with its rules) that hold one of the hiding declarations at
// colons, as spans to parse first: most pages' hiding rules match no
// number's element, and then the rest of the sheet need not be read. It
// counts braces, which is enough to find blocks, not to read them (the
// parser reads them); ok is false when a brace stands in a comment or
// string, and counting cannot be trusted.
func hidingBlocks(text string, colons []int) (spans [][2]int, ok bool) {
	depth, start, k := 0, 0, 0
	for i := 0; i < len(text) && k < len(colons); i++ {
		// Straight to the next byte that matters (most of a sheet is
		// names and values).
		j := strings.IndexAny(text[i:], "{}/\"';")
		if j < 0 {
			break
		}
		i += j
		switch c := text[i]; c {
		case '/':
			if i+1 < len(text) && text[i+1] == '*' {
				e := strings.Index(text[i+2:], "*/")
				if e < 0 || strings.ContainsAny(text[i+2:i+2+e], "{}") {
					return nil, false
				}
				i += 2 + e + 1
			}
		case '"', '\'':
			e := strings.IndexByte(text[i+1:], c)
			if e < 0 || strings.ContainsAny(text[i+1:i+1+e], "{}\\") {
				return nil, false
			}
			i += 1 + e
		case ';':
			if depth == 0 && strings.HasPrefix(strings.TrimLeft(text[start:i], " \t\r\n\f"), "@") {
				start = i + 1 // after @import …; (a rule's selector runs on over ';')
			}
		case '{':
			depth++
		case '}':
			if depth == 0 {
				continue
			}
			if depth--; depth > 0 {
				continue
			}
			in := false
			for ; k < len(colons) && colons[k] < i; k++ {
				in = in || colons[k] > start
			}
			if in {
				spans = append(spans, [2]int{start, i + 1})
			}
			start = i + 1
		}
	}
	if k < len(colons) {
		return nil, false // a declaration outside any block: let the parser judge
	}
	return spans, true
}

// hidingValue reports a value of property p that may hide text.
func hidingValue(p, v string) bool {
	v = strings.TrimSpace(strings.TrimSuffix(v, "!important"))
	switch p {
	case "display":
		return v == "none"
	case "visibility":
		return v == "hidden" || v == "collapse"
	case "font", "font-size":
		return strings.HasPrefix(v, "0")
	case "opacity":
		return isZeroNumber(v)
	case "height", "max-height":
		return isZeroLength(v)
	case "left", "top", "text-indent":
		return strings.HasPrefix(v, "-")
	}
	return false // position, overflow: hiding only with another
}

// maxSheetRules bounds the rules kept from a page's sheets, so that a
// hostile page cannot make every element match thousands of selectors.
const maxSheetRules = 512

// parse adds the rules of a style sheet's text to sh, read from the
// tokens of tdewolff's CSS lexer (its parser copies every token, a
// hundred allocations a sheet; the rules here need only selectors and
// declarations). Rules inside at-rules (@media, @supports) are left out:
// they apply only to some screens, and a desktop visitor's is the one
// judged. Nothing is allocated for a rule that declares no property kept.
func (sh *sheet) parse(text string) {
	l := css.NewLexer(parse.NewInputString(text))
	// Selectors and values are read into these first (a string is made
	// only for what is kept).
	var selBuf, valBuf [128]byte
	var (
		depth   int          // braces open
		skipTo  = -1         // inside an at-rule's block: skip until depth is back to this
		atRule  bool         // in an at-rule's prelude
		sel     = selBuf[:0] // the rule's selector text
		val     = valBuf[:0] // a declaration's value
		prop    = -1         // the declaration's property (index in sheetProps), -1 if not kept
		inValue bool         // after the declaration's colon
		decls   []sheetDecl
		hides   bool
	)
	for n := 0; n <= len(text); n++ {
		tt, data := l.Next()
		if tt == css.ErrorToken {
			return
		}
		if tt == css.CommentToken || tt == css.CDOToken || tt == css.CDCToken {
			continue
		}
		switch {
		case tt == css.LeftBraceToken:
			depth++
			switch {
			case skipTo >= 0 || depth > 1:
			case atRule:
				skipTo, atRule = depth-1, false
			default:
				decls, hides, prop, inValue, val = nil, false, -1, false, val[:0]
			}
			continue
		case tt == css.RightBraceToken:
			if depth == 0 {
				continue // a stray brace: dropped, as a browser does
			}
			depth--
			if skipTo >= 0 {
				if depth == skipTo {
					skipTo, sel = -1, sel[:0]
				}
				continue
			}
			if depth == 0 {
				decls, hides = endDecl(decls, hides, prop, inValue, val)
				prop, inValue, val = -1, false, val[:0]
				sh.addRule(bytesTrimSpace(sel), decls, hides)
				sel = sel[:0]
			}
			continue
		}
		switch {
		case skipTo >= 0 || depth > 1:
		case depth == 0:
			switch {
			case tt == css.AtKeywordToken && len(bytesTrimSpace(sel)) == 0:
				atRule = true // starts the statement: an at-rule
			case atRule:
				if tt == css.SemicolonToken {
					atRule, sel = false, sel[:0] // @import …; @charset …;
				}
			case tt == css.WhitespaceToken:
				if len(sel) > 0 && sel[len(sel)-1] != ' ' {
					sel = append(sel, ' ')
				}
			default:
				sel = append(sel, data...)
			}
		case tt == css.SemicolonToken:
			decls, hides = endDecl(decls, hides, prop, inValue, val)
			prop, inValue, val = -1, false, val[:0]
		case inValue:
			if tt == css.WhitespaceToken {
				val = append(val, ' ')
			} else {
				val = append(val, data...)
			}
		case tt == css.ColonToken:
			inValue = true
		case tt == css.IdentToken && prop < 0:
			if i := propIndexBytes(data); i >= 0 && propGroups[i]&sh.groups != 0 {
				prop = i
			}
		}
	}
}

// endDecl adds the declaration just read to decls when its property is
// kept, and says whether the rule hides so far.
func endDecl(decls []sheetDecl, hides bool, prop int, inValue bool, val []byte) ([]sheetDecl, bool) {
	if prop < 0 || !inValue {
		return decls, hides
	}
	d := declOf(prop, val)
	return append(decls, d), hides || hidingValue(sheetProps[prop], d.val)
}

// addRule keeps a rule outside at-rules that declares a property kept.
func (sh *sheet) addRule(sel []byte, decls []sheetDecl, hides bool) {
	if len(sel) == 0 || len(decls) == 0 || len(sh.rules) == maxSheetRules {
		return
	}
	t := string(sel)
	sh.rules = append(sh.rules, sheetRule{text: t, order: len(sh.rules), decls: decls, hides: hides, complex: complexSelector(t)})
}

func bytesTrimSpace(b []byte) []byte {
	for len(b) > 0 && b[0] == ' ' {
		b = b[1:]
	}
	for len(b) > 0 && b[len(b)-1] == ' ' {
		b = b[:len(b)-1]
	}
	return b
}

// declOf makes a declaration of property i from its value's text.
func declOf(i int, v []byte) sheetDecl {
	d := sheetDecl{prop: i, val: strings.ToLower(strings.TrimSpace(string(v)))}
	if v, ok := strings.CutSuffix(d.val, "important"); ok {
		if v, ok = strings.CutSuffix(strings.TrimSpace(v), "!"); ok {
			d.val, d.important = strings.TrimSpace(v), true
		}
	}
	return d
}

// complexSelector reports a selector that looks at siblings or contents.
func complexSelector(sel string) bool {
	if strings.ContainsAny(sel, "+~") {
		return true
	}
	for _, p := range []string{":has", ":empty", ":contains", ":matches"} {
		if strings.Contains(sel, p) {
			return true
		}
	}
	return false
}

// propIndexFold is propIndex ignoring ASCII case, without a copy.
func propIndexFold(p string) int {
	if len(p) < 3 || len(p) > len("text-indent") {
		return -1
	}
	for i, q := range sheetProps {
		if asciiLowerEqual(p, q) {
			return i
		}
	}
	return -1
}

func propIndexBytes(p []byte) int {
	for i, q := range sheetProps {
		if len(p) == len(q) && strings.EqualFold(string(p), q) {
			return i
		}
	}
	return -1
}

func sheetProp(p string) bool { return propIndex(p) >= 0 }

// complexHiding reports a hiding rule the fast path's partial tree cannot
// match.
func (sh *sheet) complexHiding() bool {
	for _, r := range sh.rules {
		if r.hides && r.complex {
			return true
		}
	}
	return false
}

// complex reports any rule the fast path's partial tree cannot match.
func (sh *sheet) complex() bool {
	for _, r := range sh.rules {
		if r.complex {
			return true
		}
	}
	return false
}

func propIndex(p string) int {
	for i, q := range sheetProps {
		if p == q {
			return i
		}
	}
	return -1
}
