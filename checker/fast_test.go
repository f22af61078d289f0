package checker

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// Tests of the helpers that make the check cheaper: each must answer
// exactly as the plainer code it stands in for.

func TestHasRuneError(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    string
		want bool
	}{
		{"empty", "", false},
		{"ascii", "<p>京ICP备</p>", false},
		{"replacement char", "a\uFFFDb", true},
		{"gbk bytes", "\xbe\xa9ICP\xb1\xb8", true},
		{"lone continuation", "a\x80", true},
		{"cut rune", "京"[:2], true},
		{"surrogate", "\xed\xa0\x80", true},
		{"overlong", "\xc0\xaf", true},
		{"max rune", "\U0010FFFF", false},
		{"beyond max", "\xf4\x90\x80\x80", true},
	} {
		if got := hasRuneError([]byte(tc.b)); got != tc.want {
			t.Errorf("%s: hasRuneError(%q) = %v, want %v", tc.name, tc.b, got, tc.want)
		}
		if want := bytes.ContainsRune([]byte(tc.b), utf8.RuneError); tc.want != want {
			t.Errorf("%s: the table says %v, bytes.ContainsRune says %v", tc.name, tc.want, want)
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	alphabet := []string{"a", "<", "京", "\uFFFD", "\xef", "\xbf", "\xbd", "\x80", "\xe4\xb8", "\xf0\x9f\x98\x80", "\xc3"}
	for range 5000 {
		var b strings.Builder
		for range r.IntN(12) {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		s := []byte(b.String())
		if got, want := hasRuneError(s), bytes.ContainsRune(s, utf8.RuneError); got != want {
			t.Fatalf("hasRuneError(%q) = %v, bytes.ContainsRune says %v", s, got, want)
		}
	}
}

func TestCommonTag(t *testing.T) {
	for _, tc := range []struct {
		name string
		want atom.Atom
	}{
		{"a", atom.A}, {"div", atom.Div}, {"span", atom.Span}, {"li", atom.Li}, {"p", atom.P},
		{"img", atom.Img}, {"ul", atom.Ul}, {"i", atom.I}, {"br", atom.Br}, {"td", atom.Td},
		{"tr", atom.Tr}, {"dd", atom.Dd}, {"dt", atom.Dt}, {"em", atom.Em}, {"b", atom.B},
		{"h2", atom.H2}, {"h3", atom.H3}, {"strong", atom.Strong}, {"script", atom.Script},
		{"input", atom.Input}, {"option", atom.Option}, {"meta", atom.Meta}, {"link", atom.Link},
		// Left to atom.Lookup: other names, and any spelled in capitals.
		{"DIV", 0}, {"Span", 0}, {"table", 0}, {"x-footer", 0}, {"", 0}, {"divv", 0},
	} {
		if got := commonTag(tc.name); got != tc.want {
			t.Errorf("commonTag(%q) = %v, want %v", tc.name, got, tc.want)
		}
		if tc.want != 0 && atom.Lookup([]byte(tc.name)) != tc.want {
			t.Errorf("commonTag(%q) = %v, but atom.Lookup says %v", tc.name, tc.want, atom.Lookup([]byte(tc.name)))
		}
	}
	// Whatever the path, tagName lower-cases and finds the atom.
	var sc scanner
	for _, raw := range []string{"a", "DIV", "Span", "table", "x-Footer", "foreignObject"} {
		name, a := sc.tagName(raw)
		if want := strings.ToLower(raw); name != want || a != atom.Lookup([]byte(want)) {
			t.Errorf("tagName(%q) = %q, %v, want %q, %v", raw, name, a, want, atom.Lookup([]byte(want)))
		}
	}
}

func TestHideReasonString(t *testing.T) {
	for _, tc := range []struct {
		st   visState
		want string
	}{
		{visState{}, ""},
		{visState{}.attr("hidden", ""), "hidden attribute"},
		{visState{}.attr("style", "display:none"), "display:none"},
		{visState{}.attr("style", "height:0;overflow:hidden"), "height:0 with overflow:hidden"},
		{visState{}.attr("style", "opacity:0"), "opacity:0"},
		{visState{}.attr("style", "visibility:hidden"), "visibility:hidden"},
		{visState{}.attr("style", "font-size:0"), "font-size:0"},
		{visState{}.attr("style", "position:absolute;left:-9999px"), "positioned off-screen"},
		{visState{}.attr("hidden", "").attr("style", "display:none"), "hidden attribute"},
		{visState{}.attr("style", "opacity:0;visibility:hidden"), "opacity:0"},
	} {
		if got := tc.st.hidden().String(); got != tc.want {
			t.Errorf("%+v: hidden() = %q, want %q", tc.st, got, tc.want)
		}
	}
}

func TestTextBufNodes(t *testing.T) {
	a, b := &html.Node{Type: html.TextNode, Data: "京ICP备"}, &html.Node{Type: html.TextNode, Data: "2021034567号"}
	// The full parse gives each segment its node as it goes.
	var tree textBuf
	tree.add(a, notHidden)
	tree.add(&html.Node{Type: html.TextNode}, notHidden) // empty: no segment
	tree.add(b, byDisplayNone)
	tree.finish(nil, nil)
	if ns, reason := tree.nodes(0, len(tree.raw)); len(ns) != 2 || ns[0] != a || ns[1] != b || reason != byDisplayNone {
		t.Errorf("tree nodes = %v, %q, want [a b], display:none", ns, reason)
	}
	// The fast path gives them later, one region at a time.
	var fast textBuf
	fast.addText(a.Data, notHidden, 0)
	fast.addText(b.Data, notHidden, 1)
	fast.finish(nil, nil)
	if n := fast.node(1); n != nil {
		t.Errorf("fast node(1) before any region = %v, want nil", n)
	}
	fast.setNode(1, b)
	if ns, _ := fast.nodes(0, len(fast.raw)); len(ns) != 2 || ns[0] != nil || ns[1] != b {
		t.Errorf("fast nodes = %v, want [nil b]", ns)
	}
}

func TestDecodeGB(t *testing.T) {
	encs := []struct {
		name string
		enc  encoding.Encoding
	}{{"gbk", simplifiedchinese.GBK}, {"gb18030", simplifiedchinese.GB18030}}
	for _, e := range encs {
		for _, tc := range []struct {
			name string
			b    string
		}{
			{"empty", ""},
			{"ascii", "<p>ICP</p>"},
			{"gbk", "<p>\xbe\xa9ICP\xb1\xb82021034567\xba\xc5-1</p>"},
			{"ascii trail byte", "\x81\x40\x81\x7e<a>"},
			{"trail 0x7f", "\x81\x7fab"},
			{"euro", "a\x80b"},
			{"ff", "a\xffb"},
			{"lead at end", "abc\x81"},
			{"lead then one ascii", "\x81a"},
			{"lead then two ascii", "\x81ab"},
			{"four bytes", "a\x81\x30\x81\x30b"},
			{"four bytes at end", "\x95\x32\x82\x36"},
			{"four bytes cut", "a\x81\x30\x81"},
			{"lead digit ascii", "\x81\x30ab\xb1\xb8"},
			{"lead digit lead ascii", "\x81\x30\x81a"},
			{"lead digit lead bad", "\x81\x30\x81\x7f\x81"},
			{"beyond unicode", "\xfe\x39\xfe\x39x"},
			{"digits between", "\xb1\xb81\xba\xc52\xb1"},
		} {
			got, err := decodeGB([]byte(tc.b), e.name, e.enc, nil)
			want, werr := e.enc.NewDecoder().Bytes([]byte(tc.b))
			if err != nil || werr != nil || !bytes.Equal(got, want) {
				t.Errorf("%s %s: decodeGB(%q) = %q, %v, want %q, %v", e.name, tc.name, tc.b, got, err, want, werr)
			}
		}
	}
	// Random bytes drawn mostly from the bytes that decide where a
	// character ends.
	r := rand.New(rand.NewPCG(3, 4))
	alphabet := []byte{'a', '<', ' ', '0', '9', 0x30, 0x39, 0x3a, 0x40, 0x7e, 0x7f, 0x80, 0x81, 0x82, 0xa1, 0xb1, 0xfe, 0xff}
	for range 20000 {
		b := make([]byte, r.IntN(40))
		for i := range b {
			b[i] = alphabet[r.IntN(len(alphabet))]
		}
		for _, e := range encs {
			got, err := decodeGB(b, e.name, e.enc, nil)
			want, _ := e.enc.NewDecoder().Bytes(b)
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("%s: decodeGB(%q) = %q, %v, want %q", e.name, b, got, err, want)
			}
		}
	}
}

// FuzzDecodeGB holds decodeGB to the decoders it stands in for.
// Run: go test ./checker -run '^$' -fuzz FuzzDecodeGB -fuzztime 1m
func FuzzDecodeGB(f *testing.F) {
	for _, s := range []string{"", "<p>\xbe\xa9ICP\xb1\xb8</p>", "\x81\x30\x81\x30", "\x81\x30ab", "a\x80\xff\x81"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for name, enc := range map[string]encoding.Encoding{"gbk": simplifiedchinese.GBK, "gb18030": simplifiedchinese.GB18030} {
			got, err := decodeGB(b, name, enc, nil)
			want, werr := enc.NewDecoder().Bytes(b)
			if err != nil || werr != nil || !bytes.Equal(got, want) {
				t.Fatalf("%s: decodeGB(%q) = %q, %v, want %q, %v", name, b, got, err, want, werr)
			}
		}
	})
}

func TestValidUTF8(t *testing.T) {
	for _, tc := range []struct {
		name string
		b    string
	}{
		{"empty", ""},
		{"ascii", "<p>class=\"footer\"</p> and more than eight bytes"},
		{"chinese", "京ICP备2021034567号-1，京公网安备11010502045678号"},
		{"e0 overlong", "\xe0\x80\x80"},
		{"e0 lowest", "\xe0\xa0\x80"},
		{"ed surrogate", "\xed\xa0\x80"},
		{"ed highest", "\xed\x9f\xbf"},
		{"ef replacement", "\uFFFD"},
		{"cut at end", "ab京"[:4]},
		{"bad continuation", "\xe4\xb8\x41"},
		{"two-byte", "©é"},
		{"four-byte", "😀"},
		{"f4 beyond", "\xf4\x90\x80\x80"},
		{"lone continuation", "abcdefgh\x80"},
		{"gbk", "\xbe\xa9ICP\xb1\xb8"},
	} {
		if got, want := validUTF8([]byte(tc.b)), utf8.ValidString(tc.b); got != want {
			t.Errorf("%s: validUTF8(%q) = %v, want %v", tc.name, tc.b, got, want)
		}
	}
	// Runs of three-byte runes long enough for the two-at-a-time loop,
	// with each byte in turn replaced by bytes that break it or lead
	// runes it must leave to the slow path (E0, ED, other lengths).
	run := "京ICP备京公网安备京华在线综合性新闻门户网站提供全天候新闻资讯服务"
	for i := 0; i < len(run); i++ {
		for _, c := range []byte{'a', 0x80, 0xbf, 0xc3, 0xe0, 0xed, 0xef, 0xf0, 0xff, 0xa0, 0x9f} {
			b := []byte(run)
			b[i] = c
			if got, want := validUTF8(b), utf8.Valid(b); got != want {
				t.Errorf("validUTF8(%q) = %v, want %v", b, got, want)
			}
			if got, want := validUTF8(b[:i+1]), utf8.Valid(b[:i+1]); got != want {
				t.Errorf("validUTF8(%q) = %v, want %v", b[:i+1], got, want)
			}
		}
	}
	r := rand.New(rand.NewPCG(5, 6))
	alphabet := []string{"a", "12345678", "京", "京华在线", "\xe0\xa0\x80", "\xed\x9f\xbf", "©", "😀", "\xe0", "\xed", "\xef", "\xe4", "\xa0", "\x80", "\xbf", "\x9f", "\xc3", "\xf4", "\x90"}
	for range 40000 {
		var b strings.Builder
		for range r.IntN(30) {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		s := []byte(b.String())
		if got, want := validUTF8(s), utf8.Valid(s); got != want {
			t.Fatalf("validUTF8(%q) = %v, utf8.Valid says %v", s, got, want)
		}
	}
}

// FuzzValidUTF8 holds validUTF8 to utf8.Valid.
// Run: go test ./checker -run '^$' -fuzz FuzzValidUTF8 -fuzztime 1m
func FuzzValidUTF8(f *testing.F) {
	for _, s := range []string{"", "京ICP备", "\xe0\x80\x80", "\xed\xa0\x80", "abcdefgh\xff"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if got, want := validUTF8(b), utf8.Valid(b); got != want {
			t.Fatalf("validUTF8(%q) = %v, utf8.Valid says %v", b, got, want)
		}
	})
}

func TestIndexByLast(t *testing.T) {
	for _, tc := range []struct {
		s, needle string
	}{
		{"", "公"},
		{"公", "公"},
		{"公司公告京公网安备", "公网"},
		{"京公网安备11010502045678号", "公"},
		{"\xac\xac公", "公"},
		{"\x85\xac公", "公"},
		{"公"[:2], "公"},
		{"abc", "c"},
		{"abcabc", "ca"},
		{"aaa", "aa"},
		{"没有", "公"},
	} {
		if got, want := indexByLast(tc.s, tc.needle), strings.Index(tc.s, tc.needle); got != want {
			t.Errorf("indexByLast(%q, %q) = %d, want %d", tc.s, tc.needle, got, want)
		}
	}
	r := rand.New(rand.NewPCG(7, 8))
	alphabet := []string{"公", "网", "司", "a", " ", "\xe5", "\x85", "\xac", "公"[:2]}
	for range 20000 {
		var b strings.Builder
		for range r.IntN(10) {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		s := b.String()
		for _, needle := range []string{"公", "公网", "\xac\xac"} {
			if got, want := indexByLast(s, needle), strings.Index(s, needle); got != want {
				t.Fatalf("indexByLast(%q, %q) = %d, want %d", s, needle, got, want)
			}
		}
	}
}

// TestParseEmpty pins what newRun skips for an empty expectation: the zero
// number and an error.
func TestParseEmpty(t *testing.T) {
	if n, err := ParseICP(""); err == nil || n != (ICPNumber{}) {
		t.Errorf("ParseICP(\"\") = %+v, %v, want the zero number and an error", n, err)
	}
	if n, err := ParsePSB(""); err == nil || n != (PSBNumber{}) {
		t.Errorf("ParsePSB(\"\") = %+v, %v, want the zero number and an error", n, err)
	}
}

func TestMaybeTrad(t *testing.T) {
	passed := 0
	for r := rune(0x4E00); r <= 0x9FFF; r++ {
		if tradRune(r) != r && !maybeTrad(r) {
			t.Errorf("maybeTrad(%q) = false, but tradRune changes it to %q", r, tradRune(r))
		}
		if maybeTrad(r) {
			passed++
		}
	}
	// The filter is worth having only if it passes few ideographs.
	if total := 0x9FFF - 0x4E00 + 1; passed*5 > total {
		t.Errorf("maybeTrad passes %d of %d ideographs, want under a fifth", passed, total)
	}
}

func TestFirstChangeEveryRune(t *testing.T) {
	// Every rune of the Basic Multilingual Plane between two ASCII
	// letters: firstChange stops at it exactly when normRune changes it.
	for r := rune(0x80); r <= 0xFFFF; r++ {
		if r >= 0xD800 && r <= 0xDFFF {
			continue
		}
		s := "a" + string(r) + "b"
		want := len(s)
		if normRune(r) != r {
			want = 1
		}
		if got := firstChange(s, 0); got != want {
			t.Fatalf("firstChange(%q) = %d, want %d", s, got, want)
		}
	}
}

// firstChangePlain is what firstChange stands in for: rune by rune.
func firstChangePlain(raw string, from int) int {
	for i := from; i < len(raw); {
		r, n := utf8.DecodeRuneInString(raw[i:])
		if !(r == utf8.RuneError && n == 1) && normRune(r) != r {
			return i
		}
		i += n
	}
	return len(raw)
}

// TestFirstChangeAfterASCII: runs of ASCII of every length up to a few
// words (firstChange passes them a word at a time) before a rune that
// changes, one that does not and a byte that is not UTF-8, from every
// offset.
func TestFirstChangeAfterASCII(t *testing.T) {
	for n := 0; n <= 40; n++ {
		ascii := strings.Repeat("a1 <\n", 8)[:n]
		for _, tail := range []string{"，", "京", "網", "\xff", "", "京\u3000", "a，"} {
			s := ascii + tail + ascii + "號" + ascii
			for from := 0; from <= len(s); from++ {
				if got, want := firstChange(s, from), firstChangePlain(s, from); got != want {
					t.Fatalf("firstChange(%q, %d) = %d, want %d", s, from, got, want)
				}
			}
		}
	}
}

// TestUnescapeText holds unescapeText to html.UnescapeString: equal text
// when it takes the text on, and a refusal for any reference it does not
// know for certain.
func TestUnescapeText(t *testing.T) {
	for _, tc := range []struct {
		name, s string
		ok      bool
	}{
		{"none", "京ICP备12345678号", true},
		{"nbsp", "版权所有&nbsp;京华在线", true},
		{"several", "a&gt;b&lt;c&amp;d&quot;e&copy;2026&nbsp;", true},
		{"table", "&reg;&middot;&raquo;&laquo;&mdash;&ndash;&hellip;&ldquo;&rdquo;&times;", true},
		{"decimal", "&#39;&#160;&#20140;&#65;", true},
		{"hex", "&#x4EAC;&#X41;&#xa0;", true},
		{"newline number", "a&#13;b&#10;", true},
		{"no semicolon", "&nbsp京", false},
		{"legacy prefix", "&notit;", false},
		{"unknown", "&foo;", false},
		{"bare ampersand", "a & b", false},
		{"ampersand at end", "ab&", false},
		{"empty name", "&;", false},
		{"number without semicolon", "&#39 x", false},
		{"windows-1252 number", "&#150;", false},
		{"zero", "&#0;", false},
		{"surrogate", "&#xD800;", false},
		{"past unicode", "&#x110000;", false},
		{"long number", "&#0000065;", false},
		{"letters in a number", "&#12a;", false},
		{"empty hex", "&#x;", false},
		{"upper-case name", "&NBSP;", false},
	} {
		got, _, ok := unescapeText(tc.s, nil)
		if ok != tc.ok {
			t.Errorf("%s: unescapeText(%q) ok = %v, want %v", tc.name, tc.s, ok, tc.ok)
		}
		if want := html.UnescapeString(tc.s); ok && got != want {
			t.Errorf("%s: unescapeText(%q) = %q, html.UnescapeString %q", tc.name, tc.s, got, want)
		}
	}
	// Every name and small number entityRune knows, and random text
	// around them, reused memory and all.
	r := rand.New(rand.NewPCG(7, 8))
	pieces := []string{"a", "京", "&", ";", "#", "x", "1", "&nbsp;", "&gt;", "&amp;", "&copy;", "&times;", "&hellip;",
		"&#160;", "&#x4EAC;", "&#65", "&#", "&nbsp", "&not;", "&notin;", "\r"}
	var mem []byte
	for range 20000 {
		var b strings.Builder
		for range r.IntN(12) {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		s := b.String()
		var got string
		var ok bool
		got, mem, ok = unescapeText(s, mem)
		if want := html.UnescapeString(s); ok && got != want {
			t.Fatalf("unescapeText(%q) = %q, html.UnescapeString %q", s, got, want)
		}
		if !ok && !strings.Contains(s, "&") {
			t.Fatalf("unescapeText(%q) refused text without references", s)
		}
	}
	for n := 1; n <= 0x3000; n++ {
		for _, s := range []string{fmt.Sprintf("&#%d;", n), fmt.Sprintf("&#x%X;", n)} {
			if got, _, ok := unescapeText(s, nil); ok && got != html.UnescapeString(s) {
				t.Fatalf("unescapeText(%q) = %q, html.UnescapeString %q", s, got, html.UnescapeString(s))
			}
		}
	}
}

// TestFilingHostsSayBeian keeps badgeHint's premise: a link can be to a
// filing system only if its tag says "beian".
func TestFilingHostsSayBeian(t *testing.T) {
	hosts := []string{"beian.mps.gov.cn", "www.beian.gov.cn", "beian.gov.cn"} // psbTarget's
	for h := range miitHosts {
		hosts = append(hosts, h)
	}
	for _, h := range hosts {
		if !containsFoldASCII(h, "beian") {
			t.Errorf("filing host %q does not say beian: badgeHint would pass over its links", h)
		}
	}
	for _, href := range []string{"https://www.example.cn/beian", "https://beian.example.cn/", "https://icp.example.cn/"} {
		if s, _ := psbTarget(href, nil); s != LinkOther {
			t.Errorf("psbTarget(%q) = %s, want other: the host list changed, update TestFilingHostsSayBeian", href, s)
		}
		if m := miitTarget(href, nil); m != miitOther {
			t.Errorf("miitTarget(%q) = %s, want other", href, m)
		}
	}
}

func TestContainsFoldASCII(t *testing.T) {
	for _, tc := range []struct {
		s, word string
		want    bool
	}{
		{"", "icp", false},
		{"ic", "icp", false},
		{"icp", "icp", true},
		{`<img alt="京ICP备">`, "icp", true},
		{"xIcPx", "icp", true},
		{"i-c-p", "icp", false},
		{"HTTPS://BEIAN.MIIT.GOV.CN", "beian", true},
		{"BEIA", "beian", false},
	} {
		if got := containsFoldASCII(tc.s, tc.word); got != tc.want {
			t.Errorf("containsFoldASCII(%q, %q) = %v, want %v", tc.s, tc.word, got, tc.want)
		}
	}
}

func TestIndexTextStop(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    string
		from int
		want int
	}{
		{"empty", "", 0, -1},
		{"none", "京ICP备 2021 号", 0, -1},
		{"at once", "<p>", 0, 0},
		{"ampersand", "a&nbsp;<", 0, 1},
		{"carriage return", "abcdefghij\r\n<", 0, 10},
		{"in the tail", "abcdefgh<", 0, 8},
		{"past from", "<a>text<", 1, 7},
		{"borrow above", "\x00<\x3b\x3c", 0, 1}, // a byte one below '<' after it
		{"high bytes", "\xbc\xa6\x8d<", 0, 3},
	} {
		if got := indexTextStop(tc.s, tc.from); got != tc.want {
			t.Errorf("%s: indexTextStop(%q, %d) = %d, want %d", tc.name, tc.s, tc.from, got, tc.want)
		}
	}
	// Against strings.IndexAny at every offset of random text.
	r := rand.New(rand.NewPCG(3, 4))
	alphabet := []string{"a", "<", "&", "\r", "\n", ";", "=", "%", "\x00", "\xbc", "京", "  "}
	for range 3000 {
		var b strings.Builder
		for range r.IntN(40) {
			b.WriteString(alphabet[r.IntN(len(alphabet))])
		}
		s := b.String()
		for from := 0; from <= len(s); from++ {
			want := strings.IndexAny(s[from:], "<&\r")
			if want >= 0 {
				want += from
			}
			if got := indexTextStop(s, from); got != want {
				t.Fatalf("indexTextStop(%q, %d) = %d, want %d", s, from, got, want)
			}
		}
	}
}

// TestPSBImageWordsAreChinese: badgeHint passes over a tag that is all
// ASCII without looking for psbInImage's words, which holds only while
// none of them is ASCII.
func TestPSBImageWordsAreChinese(t *testing.T) {
	for _, w := range psbInImage {
		if !hasNonASCII([]byte(w)) {
			t.Errorf("psbInImage word %q is all ASCII", w)
		}
	}
}

func TestHasNonASCII(t *testing.T) {
	for n := 0; n <= 20; n++ {
		for at := -1; at < n; at++ {
			b := bytes.Repeat([]byte("a"), n)
			if at >= 0 {
				b[at] = 0x80
			}
			if got, want := hasNonASCII(b), at >= 0; got != want {
				t.Errorf("hasNonASCII(%q) = %v, want %v", b, got, want)
			}
		}
	}
}

// TestDecodeGBEveryPair: every two bytes a lead byte can start, between
// Chinese characters and ASCII, as the decoders decode them (decodeGB
// takes most from its table).
func TestDecodeGBEveryPair(t *testing.T) {
	for name, enc := range map[string]encoding.Encoding{"gbk": simplifiedchinese.GBK, "gb18030": simplifiedchinese.GB18030} {
		for c0 := 0x80; c0 <= 0xFF; c0++ {
			for c1 := 0x00; c1 <= 0xFF; c1++ {
				b := []byte{'a', 0xb1, 0xb8, byte(c0), byte(c1), 0xba, 0xc5, 'b', 'c'}
				got, err := decodeGB(b, name, enc, nil)
				want, werr := enc.NewDecoder().Bytes(b)
				if err != nil || werr != nil || !bytes.Equal(got, want) {
					t.Fatalf("%s: decodeGB(%q) = %q, %v, want %q, %v", name, b, got, err, want, werr)
				}
			}
		}
	}
}
