package checker

import (
	"strings"

	"golang.org/x/net/html"
)

// maxTokenDepth is how deep parseTokens nests elements: past it, they
// are children of the deepest one, side by side. It is well past
// x/net/html's own limit of 512 open elements, whose error this stands in
// for (nothing that walks the tree recurses without a bound), and bounds
// the stack a hostile page makes.
const maxTokenDepth = 4096

// parseTokens builds a tree from the page's tokens for a page html.Parse
// gives up on (more than 512 elements open at once: hostile or broken
// nesting). It follows none of the parser's insertion rules but these:
// void and self-closing elements take no children, an end tag closes up
// to its element if one is open, text goes in the current element. What
// a visitor sees of the numbers is then judged from it, rather than
// nothing at all: a page with no ICP number fails, it is not an error.
func parseTokens(text string) *html.Node {
	doc := &html.Node{Type: html.DocumentNode}
	stack := []*html.Node{doc}
	z := html.NewTokenizer(strings.NewReader(text))
	for {
		tt := z.Next()
		top := stack[len(stack)-1]
		switch tt {
		case html.ErrorToken:
			return doc
		case html.TextToken:
			appendText(top, string(z.Text()))
		case html.StartTagToken, html.SelfClosingTagToken:
			t := z.Token()
			n := &html.Node{Type: html.ElementNode, Data: t.Data, DataAtom: t.DataAtom, Attr: t.Attr}
			top.AppendChild(n)
			if tt == html.StartTagToken && !isVoid(t.DataAtom) && len(stack) < maxTokenDepth {
				stack = append(stack, n)
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			for i := len(stack) - 1; i > 0; i-- {
				if stack[i].Data == string(name) {
					stack = stack[:i]
					break
				}
			}
		case html.CommentToken:
			top.AppendChild(&html.Node{Type: html.CommentNode, Data: string(z.Text())})
		}
	}
}

// appendText adds text to n, joined to its last child when that is text
// (as the parser joins adjacent text).
func appendText(n *html.Node, s string) {
	if s == "" {
		return
	}
	if l := n.LastChild; l != nil && l.Type == html.TextNode {
		l.Data += s
		return
	}
	n.AppendChild(&html.Node{Type: html.TextNode, Data: s})
}

// parseErrorText is a parse error for a message, in English and Chinese.
func parseErrorText(err error) biText {
	zh := "HTML 解析出错"
	if strings.Contains(err.Error(), "exceeds") {
		zh = "元素嵌套超过 512 层"
	}
	return biText{err.Error(), zh}
}
