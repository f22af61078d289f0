package checker

import (
	"strings"

	"golang.org/x/net/html/atom"
)

// The fast path's element table: which elements it numbers (<p> and the
// formatting elements), their names, and the classes the HTML parsing
// algorithm gives elements (special, formatting, headings, SVG
// integration points and breakouts, the common tag names).

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

// elemName returns an element's name (the node's Data).
func (ps *pageScan) elemName(e *scanElem) string {
	if e.atom != 0 {
		return e.atom.String()
	}
	return ps.names[e.name]
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
