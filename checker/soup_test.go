package checker

import (
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// soupPieces are the bits random pages are made of: the tags whose
// parsing rules the scanner follows (and some it leaves to the full
// parse), attributes that hide, text with numbers, entities and odd
// newlines.
var soupPieces = []string{
	"<p>", "</p>", "<div>", "</div>", "<span>", "</span>", "<li>", "</li>", "<ul>", "</ul>", "<ol>", "</ol>",
	"<dl>", "<dt>", "<dd>", "</dd>", "</dl>", "<h1>", "</h1>", "<h3>", "</h2>", "<b>", "</b>", "<i>", "</i>",
	"<font color=red>", "</font>", "<a href=\"https://beian.miit.gov.cn/\">", "<a href=\"https://beian.mps.gov.cn/#/query/webSearch?code=11010502045678\">",
	"</a>", "<br>", "</br>", "<hr>", "<img src=\"/gongan.png\">", "<img alt=\"11010502045678\">", "<input type=image src=x>",
	"<pre>", "</pre>", "<textarea>\nt</textarea>", "<script>var a='京ICP备1号'</script>", "<script src=/a.js></script>",
	"<style>p{}</style>", "<title>t</title>", "<noscript>n</noscript>", "<!-- c -->", "<!---->", "<!doctype html>",
	"<form>", "</form>", "<button>", "</button>", "<object>", "</object>", "<svg>", "</svg>", "<svg/>", "<path/>",
	"<g>", "</g>", "<text>", "</text>", "<table>", "<tr>", "<td>", "<select>", "<template>", "</template>",
	"<html>", "</html>", "<head>", "</head>", "<body>", "</body>", "<meta charset=utf-8>", "<link rel=x>",
	"<section style=\"display:none\">", "</section>", "<span hidden>", "<div style=\"font-size:0\">",
	"<em style=\"font-size:14px\">", "</em>", "<p style=\"visibility:hidden\">", "<nav id=\"footer\" class=\"a b\">", "</nav>",
	"<custom-tag>", "</custom-tag>", "<address>", "</address>", "<center>", "</center>", "<xmp>x</xmp>",
	"京ICP备2021034567号-1", "京公网安备11010502045678号", "粤B2-20090059", "ICP备案：", "公网安备", "号",
	"text ", "\n", "\r\n", "  ", "&nbsp;", "&copy", "&amp;", "a < b", "</>", "<?x?>",
}

// leftToFullParse are the pieces that make the scanner give up.
var leftToFullParse = []string{"<table>", "<tr>", "<td>", "<select>", "<template>", "</template>", "<html>",
	"<body>", "</br>", "<?x?>", "<button>"}

// TestFastPathRandomMarkup builds random tag soup from soupPieces (and
// from the pieces the scanner follows only, so that most pages take the
// fast path) and holds the scanner to the tree and the fast path to the
// full parse.
func TestFastPathRandomMarkup(t *testing.T) {
	var followed []string
	for _, p := range soupPieces {
		if !slices.Contains(leftToFullParse, p) {
			followed = append(followed, p)
		}
	}
	n := 4000
	if testing.Short() {
		n = 400
	}
	for _, vocab := range []struct {
		name   string
		pieces []string
	}{{"all", soupPieces}, {"followed", followed}} {
		t.Run(vocab.name, func(t *testing.T) { randomMarkup(t, vocab.pieces, n) })
	}
}

func randomMarkup(t *testing.T, pieces []string, n int) {
	r := rand.New(rand.NewPCG(1, 2))
	want := Expect{ICP: "京ICP备2021034567号-1", PSB: "11010502045678", Registered: true}
	scanned, fast := 0, 0
	for i := 0; i < n; i++ {
		var b strings.Builder
		for k := r.IntN(60); k >= 0; k-- {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		body := b.String()
		if got, ok := scanViewOf(body); ok {
			scanned++
			if d := cmp.Diff(treeView(t, body), got); d != "" {
				t.Fatalf("%q: scan differs from the tree (-tree +scan):\n%s", body, d)
			}
		}
		p := fuzzPage([]byte(body), "text/html; charset=utf-8")
		got, isFast := checkPath(p, want, false)
		if isFast {
			fast++
		}
		if d := cmp.Diff(check(p, want, true), got); d != "" {
			t.Fatalf("%q: fast path differs from the full parse (-full +fast):\n%s", body, d)
		}
	}
	t.Logf("%d random pages: %d scanned, %d judged on the fast path", n, scanned, fast)
}
