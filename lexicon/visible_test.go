package lexicon

import (
	"os"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"
)

func TestVisibleText(t *testing.T) {
	tests := []struct {
		name, html, want string
	}{
		{"plain", `<p>你好，世界</p>`, "你好，世界"},
		{"elements joined by a space", `<div>首页</div><div>关于</div>`, "首页 关于"},
		{"white space collapsed", "<p>  a \n\t b  </p>", "a b"},
		{"inline elements do not split words", `<p>澳门<b>赌<span style="color:red">场</span></b></p><p>下一段</p>`, "澳门赌场 下一段"},
		{"entities decoded", `<p>A&amp;B &lt;x&gt;</p>`, "A&B <x>"},
		{"script and style skipped", `<script>var s="赌场";</script><style>.a{}</style><p>正文</p>`, "正文"},
		{"head title skipped, body kept", `<html><head><title>标题</title><meta charset="utf-8"></head><body>正文</body></html>`, "正文"},
		{"head without end tag", `<head><title>标题</title><body>正文`, "正文"},
		{"noscript and template skipped", `<noscript>请开启脚本</noscript><template><p>模板</p></template>正文`, "正文"},
		{"hidden attribute", `<div hidden><p>隐藏</p></div><p>可见</p>`, "可见"},
		{"display none", `<div style="color:red; DISPLAY : none !important"><div>隐藏</div></div>可见`, "可见"},
		{"display block is visible", `<div style="display:block">可见</div>`, "可见"},
		{"nested same tag inside hidden", `<div hidden><div>a</div><div>b</div></div>c`, "c"},
		{"hidden p closed by a sibling p", `<p hidden>隐藏<p>也隐藏</p>可见`, "可见"},
		{"hidden void element", `<input hidden value="x"><p>可见</p>`, "可见"},
		{"comments skipped", `<!-- 赌场 -->正文`, "正文"},
		{"br separates", `一<br>二`, "一 二"},
		{"space before an inline element kept", `<p>a <b>b</b> c</p>`, "a b c"},
		{"space after an inline element kept", `<p><b>a</b> b</p>`, "a b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := VisibleText([]byte(tt.html), "text/html"); got != tt.want {
				t.Errorf("VisibleText(%q) = %q, want %q", tt.html, got, tt.want)
			}
		})
	}
}

func TestVisibleTextDecodes(t *testing.T) {
	page := `<html><head><meta charset="gbk"></head><body><p>澳门赌场</p></body></html>`
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(page)
	if err != nil {
		t.Fatal(err)
	}
	noMeta, err := simplifiedchinese.GBK.NewEncoder().String("<p>澳门赌场</p>")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, body, contentType string
	}{
		{"meta charset", gbk, "text/html"},
		{"header charset", noMeta, "text/html; charset=GBK"},
		{"nothing declared", noMeta, ""},
	}
	for _, tt := range tests {
		if got := VisibleText([]byte(tt.body), tt.contentType); got != "澳门赌场" {
			t.Errorf("%s: VisibleText = %q, want %q", tt.name, got, "澳门赌场")
		}
	}
}

// TestVisibleTextBenchPage reads the checker's benchmark page (read only)
// to keep VisibleText honest on a real-sized page.
func TestVisibleTextBenchPage(t *testing.T) {
	b, err := os.ReadFile("../checker/testdata/bench/page60k.html")
	if err != nil {
		t.Skip("checker's benchmark page not present:", err)
	}
	text := VisibleText(b, "text/html; charset=utf-8")
	if len(text) < 1000 || strings.Contains(text, "<script") || strings.Contains(text, "function(") {
		t.Errorf("VisibleText(page60k.html) = %d bytes starting %.200q: want page text without markup or scripts", len(text), text)
	}
}
