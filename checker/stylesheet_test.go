package checker

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestStyleSheetHides: a page's own <style> hides a number as inline
// styles do, by the cascade; the fast path and the full parse agree.
func TestStyleSheetHides(t *testing.T) {
	footer := `<div id="footer" class="foot"><p class="beian" data-kind="icp">` + icpOK + `</p></div>`
	tests := []struct {
		name, css string
		hidden    bool
	}{
		{"no sheet", ``, false},
		{"class display none", `.beian{display:none}`, true},
		{"type and class", `p.beian{visibility:hidden}`, true},
		{"id descendant", `#footer a{font-size:0}`, true},
		{"child combinator", `.foot > .beian{opacity:0}`, true},
		{"child combinator misses", `body > .beian{opacity:0}`, false},
		{"attribute selector", `[data-kind="icp"]{display:none}`, true},
		{"off-screen", `.beian{position:absolute;left:-9999px}`, true},
		{"zero height", `.beian{height:0;overflow:hidden}`, true},
		{"later rule wins", `.beian{display:none} .beian{display:block}`, false},
		{"specificity wins over order", `#footer .beian{display:block} .beian{display:none}`, false},
		{"important wins over specificity", `#footer .beian{display:block} .beian{display:none!important}`, true},
		{"inline wins over the sheet", `.beian a{visibility:hidden}`, false},
		{"media query left out", `@media (max-width:600px){.beian{display:none}}`, false},
		{"other element hidden", `.mobile-nav{display:none}`, false},
		{"hover left out", `.beian:hover{display:none}`, false},
		{"sibling combinator", `main ~ footer{display:none}`, true},
		{"comment and junk", `/* .beian{display:none} */ .beian{color:red} }}} .x{display:none}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := footer
			if tt.name == "inline wins over the sheet" {
				f = strings.Replace(f, "<a ", `<a style="visibility:visible" `, 1)
			}
			body := strings.Replace(string(page(f)), "<head>", "<head><style>"+tt.css+"</style>", 1)
			if !strings.Contains(body, "<style>") {
				body = "<style>" + tt.css + "</style>" + body
			}
			p := fuzzPage([]byte(body), "text/html; charset=utf-8")
			fast, _ := checkPath(p, Expect{}, false)
			full := check(p, Expect{}, true)
			if d := cmp.Diff(full, fast); d != "" {
				t.Fatalf("fast path differs from the full parse (-full +fast):\n%s", d)
			}
			if got := full.Has(CodeICPHidden); got != tt.hidden {
				t.Errorf("ICP_HIDDEN = %v, want %v (%v)", got, tt.hidden, codeSet(full))
			}
		})
	}
}

func TestStyleMayHide(t *testing.T) {
	tests := []struct {
		css  string
		want hideGroup
	}{
		{`a{text-decoration:none;display:block}`, 0},
		{`.x{display: none}`, hideDisplay},
		{`.x{visibility:hidden}`, hideVisibility},
		{`.x{font-size:0}.y{font:0/0 a}`, hideFont},
		{`.x{opacity:0}`, hideOpacity},
		{`.x{text-indent:-9999px}`, hideOffscreen},
		{`.x{height:0;overflow:hidden}`, hideHeight},
		{`.x{line-height:20px;margin-left:-5px}`, 0}, // margin-left is not left
		{`a:hover{color:red} .y{ LEFT : -9999px }`, hideOffscreen},
	}
	for _, tt := range tests {
		if got := styleMayHide(tt.css); got != tt.want {
			t.Errorf("styleMayHide(%q) = %b, want %b", tt.css, got, tt.want)
		}
	}
}
