package checker

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// maxEvidence bounds a finding's evidence (outer HTML), in bytes.
const maxEvidence = 1024

var errEnough = errors.New("enough")

// limitWriter keeps the first max bytes and then fails, which stops
// html.Render early on a big block.
type limitWriter struct {
	b   strings.Builder
	max int
}

func (w *limitWriter) Write(p []byte) (int, error) {
	room := w.max - w.b.Len()
	if len(p) > room {
		w.b.Write(p[:room])
		return room, errEnough
	}
	return w.b.Write(p)
}

// outerHTML renders n, cut to maxEvidence bytes on a rune boundary.
func outerHTML(n *html.Node) string {
	if n == nil {
		return ""
	}
	const ellipsis = "…"
	w := &limitWriter{max: maxEvidence + 1}
	err := html.Render(w, n)
	s := w.b.String()
	if err == nil && len(s) <= maxEvidence {
		return s
	}
	// Too long, or the tree holds what html.Render refuses although the
	// parser built it (a <link> with content inside <svg>): then what
	// rendered before that.
	s = s[:min(len(s), maxEvidence-len(ellipsis))]
	for len(s) > 0 && !utf8.ValidString(s[len(s)-min(3, len(s)):]) {
		s = s[:len(s)-1]
	}
	return s + ellipsis
}

// cssPath returns a selector for n: from the nearest ancestor with an id
// (or from html) down, with the first class of each step for the reader
// and :nth-of-type where siblings share the tag.
func cssPath(n *html.Node) string {
	var steps []string
	for ; n != nil && n.Type == html.ElementNode; n = n.Parent {
		step := n.Data
		if id := attr(n, "id"); isIdent(id) {
			steps = append(steps, step+"#"+id)
			break
		}
		if cls := strings.Fields(attr(n, "class")); len(cls) > 0 && isIdent(cls[0]) {
			step += "." + cls[0]
		}
		if k, same := nthOfType(n); same {
			step += fmt.Sprintf(":nth-of-type(%d)", k)
		}
		steps = append(steps, step)
		if len(steps) > 32 {
			break
		}
	}
	for i, j := 0, len(steps)-1; i < j; i, j = i+1, j-1 {
		steps[i], steps[j] = steps[j], steps[i]
	}
	return strings.Join(steps, " > ")
}

// nthOfType returns n's position among its siblings of the same tag, and
// whether it has any such siblings.
func nthOfType(n *html.Node) (int, bool) {
	k, same := 1, false
	for s := n.Parent.FirstChild; s != nil; s = s.NextSibling {
		if s == n || s.Type != html.ElementNode || s.Data != n.Data {
			continue
		}
		same = true
		if isBefore(s, n) {
			k++
		}
	}
	return k, same
}

func isBefore(a, b *html.Node) bool {
	for s := a.NextSibling; s != nil; s = s.NextSibling {
		if s == b {
			return true
		}
	}
	return false
}

// isIdent keeps selectors simple: ids and classes that need no escaping.
func isIdent(s string) bool {
	if s == "" || len(s) > 64 || s[0] >= '0' && s[0] <= '9' {
		return false
	}
	for _, c := range s {
		if !(c == '-' || c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// elementOf returns n if it is an element, else its parent.
func elementOf(n *html.Node) *html.Node {
	for n != nil && n.Type != html.ElementNode {
		n = n.Parent
	}
	return n
}

// lca returns the deepest element containing all of ns.
func lca(ns []*html.Node) *html.Node {
	if len(ns) == 0 {
		return nil
	}
	anc := elementOf(ns[0].Parent)
	for _, n := range ns[1:] {
		for anc != nil && !contains(anc, n) {
			anc = anc.Parent
		}
	}
	return anc
}

func contains(a, n *html.Node) bool {
	for ; n != nil; n = n.Parent {
		if n == a {
			return true
		}
	}
	return false
}

// isPageRoot reports the elements a badge block never climbs into.
func isPageRoot(n *html.Node) bool {
	return n == nil || n.Type != html.ElementNode || n.DataAtom == atom.Body || n.DataAtom == atom.Html
}

// blockChain returns the badge block around a number: the element holding
// its text, then up to four ancestors while they hold little more text
// than the number itself (a badge's <a>, <p>, <div class="beian">…),
// innermost first. The last one is the badge block.
//
// For a hidden number the text counted includes hidden text, so the block
// stays inside the hidden element.
func blockChain(start *html.Node, numberLen int, hidden bool) []*html.Node {
	chain := []*html.Node{start}
	limit := numberLen + 30
	for n := start.Parent; len(chain) < 5 && !isPageRoot(n); n = n.Parent {
		if textLen(n, limit, hidden) > limit {
			break
		}
		chain = append(chain, n)
	}
	return chain
}
