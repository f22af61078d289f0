package checker

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"
)

// scanView is what the check reads of a document, node pointers aside:
// the rendered text, where each text node's run sits, the images, the
// scripts and the element tree's shape.
type scanView struct {
	Vis, Hid           string
	VisSegs, HidSegs   []string
	Images             []string
	ScriptSrc, Scripts int
	ScriptText         string
	Elems              []string
}

// treeView describes the document newDocument builds from html.Parse.
func treeView(t testing.TB, text string) scanView {
	root, err := html.Parse(strings.NewReader(text))
	if err != nil {
		t.Fatal(err)
	}
	d := newDocument(root)
	index := map[*html.Node]int{}
	var elems []string
	for n := range root.Descendants() {
		if n.Type == html.ElementNode {
			index[n] = len(elems)
			p := -1
			if n.Parent.Type == html.ElementNode {
				p = index[n.Parent]
			}
			elems = append(elems, fmt.Sprintf("%s %s<%d", n.Namespace, strings.ToLower(n.Data), p))
		}
	}
	segs := func(b *textBuf) []string {
		var out []string
		for i, s := range b.segs {
			out = append(out, fmt.Sprintf("%d-%d %q in %d", s.start, s.end, s.reason, index[b.node(i).Parent]))
		}
		return out
	}
	v := scanView{Vis: d.vis.raw, Hid: d.hid.raw, VisSegs: segs(&d.vis), HidSegs: segs(&d.hid),
		ScriptSrc: d.scriptSrc, Scripts: d.scriptBytes, ScriptText: d.scriptText(), Elems: elems}
	for _, im := range d.images {
		v.Images = append(v.Images, fmt.Sprintf("%d %v", index[im.node], im.hidden))
	}
	return v
}

// scanViewOf describes the document scanPage builds, or reports that the
// scanner gave up.
func scanViewOf(text string) (scanView, bool) {
	d, ok := scanPage(text)
	if !ok {
		return scanView{}, false
	}
	ps := d.scan
	var elems []string
	for i := range ps.elems {
		e := &ps.elems[i]
		ns := ""
		if e.svg {
			ns = "svg"
		}
		elems = append(elems, fmt.Sprintf("%s %s<%d", ns, strings.ToLower(ps.elemName(e)), e.parent))
	}
	segs := func(b *textBuf) []string {
		var out []string
		for _, s := range b.segs {
			out = append(out, fmt.Sprintf("%d-%d %q in %d", s.start, s.end, s.reason, ps.texts[s.ord].parent))
		}
		return out
	}
	v := scanView{Vis: d.vis.raw, Hid: d.hid.raw, VisSegs: segs(&d.vis), HidSegs: segs(&d.hid),
		ScriptSrc: d.scriptSrc, Scripts: d.scriptBytes, ScriptText: d.scriptText(), Elems: elems}
	for _, im := range d.images {
		v.Images = append(v.Images, fmt.Sprintf("%d %v", im.elem, im.hidden))
	}
	return v, true
}

// scanSamples are pages that exercise the parser rules the scanner
// follows (and some it leaves to the full parse).
var scanSamples = map[string]string{
	"implied everything":   `京ICP备2021034567号-1`,
	"head whitespace":      "<!DOCTYPE html>\n<html>\n<head>\n<meta charset=utf-8>\n<title>x</title>\n</head>\n<body>\n<p>a</p>\n</body>\n</html>\n",
	"late head elements":   "<html><head></head>\n<script>var a</script>\n<link rel=x><body>b",
	"text after body":      "<body><p>a</p></body>\n<!-- c -->\n</html>\n<script>x</script>tail",
	"implicit p":           `<p>a<div>b</div><p>c<p>d<h1>e</h1><ul><li>f<li>g</ul>`,
	"nested lists":         `<ul><li>a<ul><li>b</li></ul></li><li>c</ul><dl><dt>x<dd>y<dt>z</dl>`,
	"pre newline":          "<pre>\nline</pre><pre><!-- c -->\nx</pre><textarea>\nq</textarea>",
	"entities":             `<p>a&nbsp;b &copy 2026 &amp;&lt;&#x41;&#65;</p><a title="x&amp;y&copy=1">t</a>`,
	"crlf":                 "<p>a\r\nb\rc</p><div style=\"display:\r\nnone\">d</div>",
	"stray end tags":       `<div>a</span>b</b>c</font>d</div></p2>e`,
	"formatting closed":    `<p><b>x</b><a href=/>y<span>z</a>w</p>`,
	"formatting misnested": `<p><b>x<i>y</b>z</i></p>`,
	"hidden":               `<div hidden>a<p style="display:none">b</p></div><span style="font-size:0">c<b style="font-size:12px">d</b></span>`,
	"hidden order":         `<p style="display:none" hidden>a</p><p hidden style="display:none">b</p><p STYLE="opacity:0" style="x">c</p>`,
	"images":               `<img src=a.png><input type=IMAGE src=b><div style="background:url(c.png)">d</div><span hidden><img src=e></span>`,
	"scripts":              `<script src=a.js></script><script>var x = "京ICP备1号";</script><script src="">y</script><noscript><script>z</script></noscript>`,
	"script escapes":       `<script><!-- document.write("<script>a</script>"); --></script><p>after</p><script><!--x--></script>`,
	"raw text":             `<style>p{}</p></style><title>t&amp;</title><xmp><b>x</b></xmp><iframe><p>i</iframe><noembed>n</noembed>`,
	"svg":                  `<p>a<svg viewBox="0 0 1 1"><path d="M0"/><title>t</title><text>京ICP备1号</text><clipPath id=c></clipPath></svg>b</p>`,
	"svg self-closing":     `<svg/><p>x</p><svg><g><use/></g></svg>`,
	"svg slash in value":   `<svg><path d=M0/><text>a</text></svg><svg><g d=x D=y/><text>b</text></svg>`,
	"svg font":             `<svg><font FACE=x><text>a</text></font></svg>`,
	"comments":             `<p>a<!-- b -->c<!---->d<!-->e<!--->f<!--x--!>g</p></>h<?php i ?>j<!bogus>k`,
	"self-closing":         `<div/>a<br/>b<span/>c<p a=/>d</p>`,
	"attributes":           `<div class=a class=b id="x" data-v='1'/ hidden>a</div><p =x style = "display : none">b</p>`,
	"key starts with =":    `<p =">">x</p><p ==a>y</p><p = "b>"c>z</p>`,
	"form":                 `<form><p>a<form>b</form>c</form><div><form>d</div>e</form>`,
	"object":               `<object><p>a</p><param name=x></object><video><source src=x>v</video>`,
	"table":                `<table><tr><td>京ICP备2021034567号</td></tr></table>`,
	"select":               `<select><option>a<option>b</select>`,
	"body attributes":      `<body style="display:none"><p>a</p>`,
	"headings":             `<h1>a<h2>b</h2><p>c<h3>d</h1>`,
	"button":               `<button>a<p>b</button><button>c<button>d`,
	"hr in p":              `<p>a<hr>b`,
	"less than":            `<p>a < b, 1<2, <3 and <> and <</p>`,
	"custom elements":      `<my-footer style="display:none"><beian-icp>京ICP备1号</beian-icp></my-footer>`,
	"doctype late":         `<p>a<!DOCTYPE html>b</p>`,
	"unclosed at end":      `<div><p>a<span>b`,
	"unclosed comment":     `<p>a<!-- b`,
	"unclosed tag":         `<p>a<div class="b`,
	"unclosed script":      `<p>a<script>b`,
	"deep":                 strings.Repeat("<div>", 600) + "x",
	"nul":                  "<p>a\x00b</p>",
	"frameset":             `<frameset><frame src=a></frameset>`,
	"head text":            `<head><meta charset=utf-8> text<title>t</title></head><body>b`,
	"after after body":     `<html><body>a</body></html><!-- c --><p>d</p>`,
	"doctype after body":   `<body>a</body><!DOCTYPE x><!-- c -->b`,
	"comment after html":   `<pre></html><!---->京ICP备2021034567号-1</pre>`,
	"svg after body":       `<body><svg></body><g/>a`,
	"li in div":            `<ul><li><div><li>x</div></ul>`,
	"template":             `<template><p>a</p></template>`,
	"math":                 `<math><mi>x</mi></math>`,
	"uppercase":            `<DIV STYLE="DISPLAY:NONE"><P>A</P></DIV><SCRIPT SRC=X></SCRIPT>`,
}

// TestScanMatchesTree holds the scanner to newDocument on html.Parse's
// tree, for the samples and every corpus and benchmark page it does not
// give up on; the pages of the corpus it must not give up on.
func TestScanMatchesTree(t *testing.T) {
	pages := map[string]string{}
	for name, body := range scanSamples {
		pages["sample/"+name] = body
	}
	for _, c := range loadCorpus(t) {
		pages["corpus/"+c.name] = decode(c.page.Body, c.page.Header.Get("Content-Type")).text
	}
	bench, _ := filepath.Glob(filepath.Join("testdata", "bench", "*.html"))
	for _, b := range bench {
		body, err := os.ReadFile(b)
		if err != nil {
			t.Fatal(err)
		}
		pages["bench/"+filepath.Base(b)] = string(body)
	}
	scanned := map[string]int{}
	for name, text := range pages {
		got, ok := scanViewOf(text)
		kind, _, _ := strings.Cut(name, "/")
		if !ok {
			t.Logf("%s: left to the full parse", name)
			continue
		}
		scanned[kind]++
		if d := cmp.Diff(treeView(t, text), got); d != "" {
			t.Errorf("%s: scan differs from the tree (-tree +scan):\n%s", name, d)
		}
	}
	t.Logf("scanned %v of %d pages", scanned, len(pages))
	if scanned["bench"] != len(bench) {
		t.Errorf("scanned %d of %d benchmark pages, want all", scanned["bench"], len(bench))
	}
}
