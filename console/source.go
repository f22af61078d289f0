package console

import (
	"strings"

	"golang.org/x/net/html"
)

// srcPiece is a run of evidence source with its highlighting class. The
// template writes Text as escaped text: the evidence is shown, never
// rendered.
type srcPiece struct {
	Class string
	Text  string
}

// highlight splits HTML source into tags, attribute values, comments and
// text, keeping every byte of it: the pieces joined are the source.
func highlight(src string) []srcPiece {
	var out []srcPiece
	z := html.NewTokenizer(strings.NewReader(src))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			// The rest (an unterminated tag, say) as it stands.
			if rest := string(z.Raw()); rest != "" {
				out = append(out, srcPiece{"text", rest})
			}
			return out
		}
		raw := string(z.Raw())
		switch tt {
		case html.StartTagToken, html.EndTagToken, html.SelfClosingTagToken:
			out = append(out, tagPieces(raw)...)
		case html.CommentToken, html.DoctypeToken:
			out = append(out, srcPiece{"comment", raw})
		default:
			out = append(out, srcPiece{"text", raw})
		}
	}
}

// tagPieces splits a tag's source into the tag and its quoted attribute
// values.
func tagPieces(raw string) []srcPiece {
	var out []srcPiece
	for raw != "" {
		i := strings.IndexAny(raw, `"'`)
		if i < 0 {
			break
		}
		j := strings.IndexByte(raw[i+1:], raw[i])
		if j < 0 {
			break
		}
		out = append(out, srcPiece{"tag", raw[:i]}, srcPiece{"attr", raw[i : i+j+2]})
		raw = raw[i+j+2:]
	}
	if raw != "" {
		out = append(out, srcPiece{"tag", raw})
	}
	return out
}
