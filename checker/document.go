package checker

import (
	"sort"
	"strings"
	"unicode"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// segment is one text node's run inside a textBuf.
type segment struct {
	node       *html.Node
	start, end int // byte offsets in textBuf.raw
	reason     string
}

// textBuf is the text of a page as rendered, one for what a visitor sees
// and one for what is in the page but hidden, each with a map back to the
// text nodes it came from.
type textBuf struct {
	b    strings.Builder
	raw  string
	segs []segment
	norm normText
}

func (t *textBuf) add(n *html.Node, reason string) {
	if n.Data == "" {
		return
	}
	start := t.b.Len()
	t.b.WriteString(n.Data)
	t.segs = append(t.segs, segment{node: n, start: start, end: t.b.Len(), reason: reason})
}

// sep ends a line, so text either side of a block does not run together.
func (t *textBuf) sep() {
	if t.b.Len() == 0 {
		return
	}
	if s := t.b.String(); s[len(s)-1] != '\n' {
		t.b.WriteByte('\n')
	}
}

func (t *textBuf) finish() {
	t.raw = t.b.String()
	t.b = strings.Builder{}
	t.norm = normalize(t.raw)
}

// nodes returns the text nodes behind raw[start:end], and the reason the
// first one is hidden.
func (t *textBuf) nodes(start, end int) ([]*html.Node, string) {
	i := sort.Search(len(t.segs), func(i int) bool { return t.segs[i].end > start })
	var ns []*html.Node
	reason := ""
	for ; i < len(t.segs) && t.segs[i].start < end; i++ {
		if reason == "" {
			reason = t.segs[i].reason
		}
		ns = append(ns, t.segs[i].node)
	}
	return ns, reason
}

// image is an <img> or an element painted with a CSS background image.
type image struct {
	node   *html.Node
	hidden bool
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
	scripts strings.Builder
	// chars counts the non-space characters a visitor sees.
	chars int
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
			if r := st.hiddenReason(); r != "" {
				d.hid.add(n, r)
			} else {
				d.vis.add(n, "")
				// Visible text between two hidden runs keeps them apart.
				d.hid.sep()
			}
			continue
		case html.ElementNode:
			if n.DataAtom == atom.Script {
				d.countScript(n)
			}
			if skipped(n) {
				continue
			}
			st = st.child(n)
			if isImage(n) {
				d.images = append(d.images, image{n, st.hiddenReason() != ""})
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
	d.vis.finish()
	d.hid.finish()
	d.chars = runeCount(d.vis.raw)
	return d
}

func (d *document) countScript(n *html.Node) {
	if attr(n, "src") != "" {
		d.scriptSrc++
		return
	}
	if c := n.FirstChild; c != nil && c.Type == html.TextNode {
		d.scriptBytes += len(c.Data)
		if room := maxScriptText - d.scripts.Len(); room > 0 {
			d.scripts.WriteString(c.Data[:min(room, len(c.Data))])
			d.scripts.WriteByte('\n')
		}
	}
}

// markers are what any filing number, badge or badge link has in its
// source. A page with none of them needs no parse tree. The ASCII ones are
// matched ignoring case.
var (
	markers      = []string{"备", "備", "ｉｃｐ", "ＩＣＰ", "公安", "网安", "網安"}
	asciiMarkers = []string{"ICP", "BEIAN", "GONGAN", "POLICE", "MIIT", "B1-", "B2-", "A2.", "B1.", "GHS"}
)

// mayHaveNumbers reports whether text holds any marker.
func mayHaveNumbers(text string) bool {
	for _, m := range markers {
		if strings.Contains(text, m) {
			return true
		}
	}
	for _, m := range asciiMarkers {
		if indexFold(text, m) >= 0 {
			return true
		}
	}
	return false
}

// scanDocument is the cheap stand-in for newDocument on a page with no
// markers: a token scan that counts scripts and visible characters, and
// stops as soon as the page has too much text to be a script shell.
func scanDocument(text string) *document {
	d := &document{}
	z := html.NewTokenizer(strings.NewReader(text))
	raw := "" // the raw-text or head element we are in
	for {
		switch z.Next() {
		case html.ErrorToken:
			return d
		case html.StartTagToken, html.SelfClosingTagToken:
			name, more := z.TagName()
			tag := atom.Lookup(name)
			switch tag {
			case atom.Script:
				for more {
					var k []byte
					k, _, more = z.TagAttr()
					if string(k) == "src" {
						d.scriptSrc++
					}
				}
				raw = "script"
			case atom.Style, atom.Noscript, atom.Template, atom.Title, atom.Textarea, atom.Head:
				raw = tag.String()
			case atom.Body:
				raw = ""
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			if string(name) == raw {
				raw = ""
			}
		case html.TextToken:
			switch raw {
			case "script":
				d.scriptBytes += len(z.Raw())
			case "":
				d.chars += runeCount(string(z.Text()))
				if d.chars >= shellMaxChars {
					return d
				}
			}
		}
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
				if skipped(c) || !hidden && (visState{}).child(c).hiddenReason() != "" {
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
