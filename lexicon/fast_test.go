package lexicon

import (
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"golang.org/x/net/html"

	"github.com/beianwatch/beianwatch/internal/farm"
)

// extractBoth runs the byte scanner and the reference tokenizer over src
// (UTF-8); fast reports whether the scanner kept it.
func extractBoth(src []byte) (got, want string, fast bool) {
	v := new(visible)
	fast = v.fast(src)
	got = string(v.out)
	v.reset()
	v.tokenize(src)
	return got, string(v.out), fast
}

// corpusPages is every HTML page the repository holds (checker's test
// corpus and benchmark pages, read only), decoded as VisibleText decodes
// them.
func corpusPages(tb testing.TB) map[string][]byte {
	tb.Helper()
	names, err := filepath.Glob("../checker/testdata/pages/*.html")
	if err != nil {
		tb.Fatal(err)
	}
	bench, _ := filepath.Glob("../checker/testdata/bench/*.html")
	pages := make(map[string][]byte)
	for _, name := range append(names, bench...) {
		b, err := os.ReadFile(name)
		if err != nil {
			tb.Fatal(err)
		}
		pages[name] = decodeHTML(b, "")
	}
	if len(pages) == 0 {
		tb.Skip("checker's corpus not present")
	}
	return pages
}

// farmPages renders n of internal/farm's home pages (the load test's),
// UTF-8 and GBK, with their Content-Type.
func farmPages(tb testing.TB, n int) (bodies [][]byte, types []string) {
	tb.Helper()
	f := farm.New(farm.Config{Sites: n, Seed: 1})
	for i := 1; i <= n; i++ {
		req := httptest.NewRequest("GET", "http://www."+farm.HostName(i)+"/index.html", nil)
		rec := httptest.NewRecorder()
		f.ServeHTTP(rec, req)
		if rec.Code != 200 {
			continue // a hostile or redirecting site
		}
		bodies = append(bodies, rec.Body.Bytes())
		types = append(types, rec.Header().Get("Content-Type"))
	}
	if len(bodies) == 0 {
		tb.Fatal("the farm served no pages")
	}
	return bodies, types
}

// TestFastMatchesTokenizer holds the byte scanner to the tokenizer on
// every real page the repository has, and requires it to handle the
// benchmark and farm pages itself (else the speed is silently lost).
func TestFastMatchesTokenizer(t *testing.T) {
	kept := 0
	pages := corpusPages(t)
	for name, src := range pages {
		got, want, fast := extractBoth(src)
		if fast {
			kept++
			if got != want {
				t.Errorf("%s: fast = %.300q\nwant %.300q", name, got, want)
			}
		}
		if !fast && filepath.Base(filepath.Dir(name)) == "bench" {
			t.Errorf("%s: the byte scanner gave up on a benchmark page", name)
		}
	}
	bodies, types := farmPages(t, 40)
	for i, b := range bodies {
		got, want, fast := extractBoth(decodeHTML(b, types[i]))
		if !fast {
			t.Errorf("farm page %d: the byte scanner gave up", i)
		} else if got != want {
			t.Errorf("farm page %d: fast = %.300q\nwant %.300q", i, got, want)
		}
	}
	t.Logf("byte scanner kept %d of %d corpus pages", kept, len(pages))
}

// fastCases are markup the byte scanner must follow exactly, or leave
// to the tokenizer.
var fastCases = []struct {
	name, html string
	fast       bool // the scanner keeps it
}{
	{"plain", `<p>你好</p>`, true},
	{"upper-case tags", `<DIV>a</DIV><B>b</B><SCRIPT>x</SCRIPT>c`, true},
	{"lone less-than", `a < b <3 c<`, true},
	{"end tag at the end", `a</`, true},
	{"empty end tag", `a</>b`, true},
	{"bogus end tag", `a</ x>b`, true},
	{"unterminated tag", `a<div class="x`, true},
	{"unterminated end tag", `a</div`, true},
	{"doctype", `<!DOCTYPE html><p>a</p>`, true},
	{"processing instruction", `<?xml version="1.0"?>a`, true},
	{"cdata is a bogus comment", `<![CDATA[x]]>a`, true},
	{"short comments", `<!-->a<!--->b<!---->c`, true},
	{"comment ended by --!>", `<!-- x --!>a`, true},
	{"comment with dashes", `<!-- a -- b --->c`, true},
	{"unterminated comment", `a<!-- b`, true},
	{"markup declaration at the end", `a<!`, true},
	{"quoted greater-than", `<a title="x>y">a</a>b`, true},
	{"single quotes", `<a title='x>y'>a</a>`, true},
	{"unquoted value", `<a href=/x/>a</a>`, false},
	{"unquoted value then space", `<a href=/x/ >a</a>`, true},
	{"self-closing", `<br/>a<div/>b</div>c`, true},
	{"self-closing hidden", `<div hidden/>a`, true},
	{"self-closing script", `<script/>a</script>b`, true},
	{"self-closing title", `<title/>a&amp;b</title>c`, true},
	{"leading equals in a name", `<a =b=c>x</a>`, true},
	{"slash attributes", `<a / b / >x</a>`, true},
	{"hidden upper case", `<DIV HIDDEN>a</DIV>b`, true},
	{"duplicate style: the first counts", `<div style="color:red" style="display:none">a</div>`, true},
	{"duplicate style: the first hides", `<div style="display:none" style="color:red">a</div>b`, true},
	{"style with an entity", `<div style="display&#58;none">a</div>b`, false},
	{"style with an entity, inside hidden", `<div hidden><p style="display&#58;none">a</p></div>b`, true},
	{"long s is not s", "<div \u017ftyle=\"display:none\">a</div>", true},
	{"NUL in a tag name", "<di\x00v>a</di\x00v>", false},
	{"NUL in text", "a\x00b", true},
	{"NUL in raw text", "<textarea>a\x00b</textarea>", true},
	{"textarea decodes entities", `<textarea>a&lt;b</textarea>`, true},
	{"iframe does not", `<iframe>a&lt;b</iframe>c`, true},
	{"xmp", `<xmp><b>x</b></xmp>`, true},
	{"plaintext", `<plaintext><b>x</b>&amp;`, true},
	{"raw end tag needs a delimiter", `<style>a</stylex>b</style >c`, true},
	{"raw text unterminated", `<style>a</sty`, true},
	{"script with a comment", `<script><!-- x </script> y --></script>z`, true},
	{"script double escaped", `<script><!--<script>x</script>y--></script>z`, true},
	{"script double escaped, unterminated", `<script><!--<script>x</script>`, true},
	{"script escape, end tag inside", `<script><!-- a </SCRIPT>b`, true},
	{"script, end tag before comment", `<script>a</script><!-- b -->c`, true},
	{"script, less-than bang", `<script><!x</script>y`, true},
	{"entities", `a&amp;b&lt;&gt;&quot;&nbsp;&copy;&#65;&#x4E2D;&#X4e2d;c`, true},
	{"entities without semicolon", `&amp &notit; &notin; &ampx &#65 &#x41 &#; &#x; &`, true},
	{"entity replacements", `&#0; &#128; &#xD800; &#1114112; &#00000065;`, true},
	{"entity next to white space", "&amp\n&lt&gt;", true},
	{"two-rune entity", `&NotEqualTilde;`, true},
	{"white space entities", `a&#32;&#10;b&Tab;c`, true},
	{"carriage returns", "a\r\nb\rc", true},
	{"inline and block", `<p>澳门<b>赌<span>场</span></b></p><p>下一段</p>`, true},
	{"nested hidden", `<div hidden><div>a</div><div>b</div></div>c`, true},
	{"auto-closed hidden p", `<p hidden>a<p>b</p>c`, true},
	{"void hidden", `<input hidden><p>a</p>`, true},
	{"tag name with odd bytes", `<a"b>x</a"b><a<b>y`, true},
	{"attribute at EOF", `<a b`, true},
	{"value at EOF", `<a b=`, true},
	{"quoted value at EOF", `<a b="x`, true},
}

func TestFastCases(t *testing.T) {
	for _, tt := range fastCases {
		t.Run(tt.name, func(t *testing.T) {
			got, want, fast := extractBoth([]byte(tt.html))
			if fast != tt.fast {
				t.Errorf("fast(%q) kept = %v, want %v", tt.html, fast, tt.fast)
			}
			if fast && got != want {
				t.Errorf("fast(%q) = %q, want %q (the tokenizer's)", tt.html, got, want)
			}
			if vt := VisibleText([]byte(tt.html), "text/html; charset=utf-8"); vt != want {
				t.Errorf("VisibleText(%q) = %q, want %q", tt.html, vt, want)
			}
		})
	}
}

// TestCommonEntities: the scanner's short list decodes as x/net/html does.
func TestCommonEntities(t *testing.T) {
	for _, s := range []string{"&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&nbsp;", "&copy;", "&reg;", "&middot;",
		"&raquo;", "&laquo;", "&hellip;", "&mdash;", "&ndash;", "&ldquo;", "&rdquo;", "&lsquo;", "&rsquo;", "&times;",
		"&yen;", "&emsp;", "&ensp;", "&bull;", "&#65;", "&#x4e2d;", "&#X4E2D;", "&#127;", "&#160;", "&#65533;", "&#1114111;"} {
		r, n := commonEntity([]byte(s + "x"))
		if n != len(s) {
			t.Errorf("commonEntity(%q) took %d bytes, want %d", s, n, len(s))
			continue
		}
		if got, want := string(r), html.UnescapeString(s); got != want {
			t.Errorf("commonEntity(%q) = %q, want %q", s, got, want)
		}
	}
}

// FuzzFastVisible: wherever the byte scanner keeps a page, it extracts
// exactly what the tokenizer does.
func FuzzFastVisible(f *testing.F) {
	for _, tt := range fastCases {
		f.Add([]byte(tt.html))
	}
	for _, name := range []string{"page10k.html"} {
		if b, err := os.ReadFile("../checker/testdata/bench/" + name); err == nil {
			f.Add(b)
		}
	}
	small, _ := filepath.Glob("../checker/testdata/pages/*.html")
	for _, name := range small {
		if b, err := os.ReadFile(name); err == nil && len(b) < 8<<10 {
			f.Add(decodeHTML(b, ""))
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		got, want, fast := extractBoth(src)
		if fast && got != want {
			t.Errorf("fast(%q) = %q, want %q (the tokenizer's)", src, got, want)
		}
	})
}
