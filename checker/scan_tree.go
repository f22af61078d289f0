package checker

import (
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// The fast path's tree building: the insertion modes it follows (head and
// body, implied html/head/body, the implicit closing of <p>, <li>,
// <dd>/<dt> and headings, raw text, inline SVG), the stack of open
// elements and the rendered text, as x/net/html's parser would build
// them; where it cannot be sure, it gives up (the full parse follows).

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
