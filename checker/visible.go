package checker

import (
	"strconv"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// visState is what an element's inline styles and attributes, and its
// ancestors', say about whether its text is rendered. Each property
// inherits the way CSS does: display:none and opacity:0 hide a whole
// subtree for good, while a descendant can undo visibility:hidden
// (visibility:visible) and font-size:0 (any non-zero font-size; footers
// use font-size:0 containers to remove the gaps between inline blocks).
type visState struct {
	display   hideReason // why the subtree is not displayed, notHidden if it is
	opacity   bool
	visHidden bool
	fontZero  bool
	offscreen bool
}

// hideReason says why text is not seen. It is a number, not the string
// a finding shows, so that the scan's tables hold no pointers: the
// collector neither scans them nor fences every write to them.
type hideReason uint8

// Reasons text is not seen.
const (
	notHidden hideReason = iota
	byHiddenAttr
	byDisplayNone
	byZeroHeight
	byOpacity
	byVisibility
	byFontSize
	byOffscreen
)

// String is the reason as findings give it, "" for notHidden.
func (r hideReason) String() string {
	switch r {
	case byHiddenAttr:
		return "hidden attribute"
	case byDisplayNone:
		return "display:none"
	case byZeroHeight:
		return "height:0 with overflow:hidden"
	case byOpacity:
		return "opacity:0"
	case byVisibility:
		return "visibility:hidden"
	case byFontSize:
		return "font-size:0"
	case byOffscreen:
		return "positioned off-screen"
	}
	return ""
}

// zh is the reason in Chinese, for MessageZH (see zhArg).
func (r hideReason) zh() string {
	switch r {
	case byHiddenAttr:
		return "hidden 属性"
	case byDisplayNone:
		return "display:none"
	case byZeroHeight:
		return "高度为 0 且 overflow:hidden"
	case byOpacity:
		return "opacity:0"
	case byVisibility:
		return "visibility:hidden"
	case byFontSize:
		return "font-size:0"
	case byOffscreen:
		return "定位在屏幕之外"
	}
	return ""
}

// hidden says why text under this state is not seen, notHidden if it is.
func (s visState) hidden() hideReason {
	switch {
	case s.display != notHidden:
		return s.display
	case s.opacity:
		return byOpacity
	case s.visHidden:
		return byVisibility
	case s.fontZero:
		return byFontSize
	case s.offscreen:
		return byOffscreen
	}
	return notHidden
}

// child derives an element's state from its parent's.
func (s visState) child(n *html.Node) visState {
	for _, a := range n.Attr {
		s = s.attr(a.Key, a.Val)
	}
	return s
}

// attr applies one attribute.
func (s visState) attr(key, val string) visState {
	switch key {
	case "hidden":
		if s.display == notHidden {
			s.display = byHiddenAttr
		}
	case "style":
		s = s.withStyle(val)
	}
	return s
}

// withStyle applies the declarations of an inline style attribute.
func (s visState) withStyle(style string) visState {
	var posAbs, overflowHidden, zeroHeight bool
	for _, decl := range strings.Split(style, ";") {
		k, v, ok := strings.Cut(decl, ":")
		if !ok {
			continue
		}
		k = strings.ToLower(strings.TrimSpace(k))
		v = strings.ToLower(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "!important")))
		switch k {
		case "display":
			if v == "none" && s.display == notHidden {
				s.display = byDisplayNone
			}
		case "visibility":
			s.visHidden = v == "hidden" || v == "collapse"
		case "font-size":
			// em, %, ex, ch and smaller/larger scale the parent's size, so
			// under a zero-size parent they stay zero.
			s.fontZero = isZeroLength(v) || s.fontZero && relativeSize(v)
		case "font":
			// The image-replacement hack `font: 0/0 a`.
			if f := strings.Fields(v); len(f) > 0 {
				size, _, _ := strings.Cut(f[0], "/")
				s.fontZero = isZeroLength(size)
			}
		case "opacity":
			if isZeroNumber(v) {
				s.opacity = true
			}
		case "position":
			posAbs = v == "absolute" || v == "fixed"
		case "left", "top":
			if posAbs && farNegative(v) {
				s.offscreen = true
			}
		case "text-indent":
			if farNegative(v) {
				s.offscreen = true
			}
		case "overflow":
			overflowHidden = v == "hidden" || v == "clip"
		case "height", "max-height":
			zeroHeight = isZeroLength(v)
		}
	}
	if overflowHidden && zeroHeight && s.display == notHidden {
		s.display = byZeroHeight
	}
	return s
}

// isZeroLength reports whether a CSS length is zero: 0, 0px, 0.0em, 0% …
func isZeroLength(v string) bool {
	num := strings.TrimRight(v, "abcdefghijklmnopqrstuvwxyz%")
	return num != "" && isZeroNumber(num)
}

func relativeSize(v string) bool {
	for _, u := range []string{"em", "%", "ex", "ch", "smaller", "larger", "inherit"} {
		if strings.HasSuffix(v, u) && !strings.HasSuffix(v, "rem") {
			return true
		}
	}
	return false
}

func isZeroNumber(v string) bool {
	v = strings.TrimSuffix(v, "%")
	f, err := strconv.ParseFloat(v, 64)
	return err == nil && f <= 0
}

// farNegative reports a length of -999px or less, the usual way of moving
// text off-screen.
func farNegative(v string) bool {
	num := strings.TrimRight(v, "abcdefghijklmnopqrstuvwxyz%")
	f, err := strconv.ParseFloat(num, 64)
	if err != nil {
		return false
	}
	if strings.HasSuffix(v, "em") || strings.HasSuffix(v, "rem") {
		f *= 16
	}
	return f <= -999
}

// skipped elements render none of their text content: scripts, styles,
// templates, the title and fallback content of embedded objects. The head
// is walked (its scripts count) but holds no text: the parser moves stray
// text into the body.
func skipped(n *html.Node) bool {
	return skippedTag(n.DataAtom, n.Data, n.Namespace == "svg")
}

func skippedTag(a atom.Atom, name string, svg bool) bool {
	if svg {
		return name == "title" || name == "desc" || name == "script" || name == "style"
	}
	switch a {
	case atom.Script, atom.Style, atom.Noscript, atom.Template, atom.Title,
		atom.Iframe, atom.Object, atom.Canvas, atom.Video, atom.Audio, atom.Noembed,
		atom.Noframes, atom.Datalist, atom.Frameset, atom.Textarea, atom.Select:
		return true
	}
	return false
}

// breaks reports elements that start a new line (block boxes, <br>, table
// cells): text on either side does not run together.
func breaks(n *html.Node) bool { return breaksAtom(n.DataAtom) }

func breaksAtom(a atom.Atom) bool {
	switch a {
	case atom.Address, atom.Article, atom.Aside, atom.Blockquote, atom.Br, atom.Center,
		atom.Dd, atom.Details, atom.Dialog, atom.Div, atom.Dl, atom.Dt, atom.Fieldset,
		atom.Figcaption, atom.Figure, atom.Footer, atom.Form, atom.H1, atom.H2, atom.H3,
		atom.H4, atom.H5, atom.H6, atom.Header, atom.Hgroup, atom.Hr, atom.Li, atom.Main,
		atom.Nav, atom.Ol, atom.P, atom.Pre, atom.Section, atom.Summary, atom.Table,
		atom.Tbody, atom.Td, atom.Tfoot, atom.Th, atom.Thead, atom.Tr, atom.Ul, atom.Caption,
		atom.Legend, atom.Body, atom.Html:
		return true
	}
	return false
}
