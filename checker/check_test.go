package checker

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

const (
	icpOK   = `<a href="https://beian.miit.gov.cn/">京ICP备2021034567号-1</a>`
	psbOK   = `<a href="https://beian.mps.gov.cn/#/query/webSearch?code=11010502045678"><img src="/备案图标.png">京公网安备11010502045678号</a>`
	pageFmt = `<!DOCTYPE html><html><head><meta charset="utf-8"><title>t</title></head><body><main><h1>示例网站</h1><p>欢迎访问我们的网站,这里有很多内容。</p></main><footer>%s</footer></body></html>`
)

func checkHTML(t *testing.T, body []byte, contentType string) Report {
	t.Helper()
	u, _ := url.Parse("https://example.cn/")
	return Check(Page{Target: "example.cn", URL: u, Status: 200, Body: body,
		Header:    http.Header{"Content-Type": {contentType}},
		FetchedAt: time.Date(2026, 11, 27, 4, 0, 0, 0, time.UTC)}, Expect{})
}

func page(footer string) []byte { return []byte(sprintf(pageFmt, footer)) }

// TestVisibility pins down what counts as seen: each footer holds the ICP
// number once, and the test says whether a visitor sees it.
func TestVisibility(t *testing.T) {
	tests := []struct {
		name    string
		footer  string
		visible []bool // per ICP occurrence; nil = none reported
	}{
		{"plain", icpOK, []bool{true}},
		{"comment", `<!-- ` + icpOK + ` -->`, nil},
		{"script", `<script>document.write('京ICP备2021034567号-1')</script>`, nil},
		{"noscript", `<noscript>` + icpOK + `</noscript>`, nil},
		{"template", `<template>` + icpOK + `</template>`, nil},
		{"attribute", `<a title="京ICP备2021034567号-1" href="#">备案</a>`, nil},
		{"hidden attribute", `<p hidden>` + icpOK + `</p>`, []bool{false}},
		{"display none on ancestor", `<div style="DISPLAY: none"><p>` + icpOK + `</p></div>`, []bool{false}},
		{"visibility hidden", `<p style="visibility:hidden">` + icpOK + `</p>`, []bool{false}},
		{"visibility restored by child", `<p style="visibility:hidden"><span style="visibility:visible">` + icpOK + `</span></p>`, []bool{true}},
		{"font-size 0", `<p style="font-size:0px">` + icpOK + `</p>`, []bool{false}},
		{"font-size 0 container, sized child", `<p style="font-size:0"><span style="font-size:12px">` + icpOK + `</span></p>`, []bool{true}},
		{"opacity 0 cannot be undone", `<p style="opacity:0.0"><span style="opacity:1">` + icpOK + `</span></p>`, []bool{false}},
		{"off-screen", `<p style="position:absolute;left:-9999px">` + icpOK + `</p>`, []bool{false}},
		{"split across elements", `<a href="https://beian.miit.gov.cn/">京ICP备<span>2021034567</span>号-<b>1</b></a>`, []bool{true}},
		{"hidden junk inside", `<a href="https://beian.miit.gov.cn/">京ICP备<span style="display:none">99</span>2021034567号-1</a>`, []bool{true}},
		{"visible and hidden copies", icpOK + `<div hidden>` + icpOK + `</div>`, []bool{true, false}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := checkHTML(t, page(tt.footer), "text/html")
			var got []bool
			for _, e := range r.ICP {
				got = append(got, e.Visible)
				if e.Number != "京ICP备2021034567号-1" {
					t.Errorf("number = %q, want 京ICP备2021034567号-1", e.Number)
				}
			}
			if !slices.Equal(got, tt.visible) {
				t.Errorf("visible = %v, want %v", got, tt.visible)
			}
		})
	}
}

// TestEncodings checks that a GBK, GB18030 or Big5 page reads exactly like
// its UTF-8 original, however its charset is declared.
func TestEncodings(t *testing.T) {
	footer := icpOK + psbOK + `<p>版权所有 示例公司</p>`
	utf := page(footer)
	want := checkHTML(t, utf, "text/html; charset=utf-8")
	gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes(utf)
	if err != nil {
		t.Fatalf("encode GBK: %v", err)
	}
	gb18030, err := simplifiedchinese.GB18030.NewEncoder().Bytes(utf)
	if err != nil {
		t.Fatalf("encode GB18030: %v", err)
	}
	big5Page := []byte(`<html><head><meta charset="utf-8"></head><body><p>歡迎光臨</p><footer><a href="https://beian.miit.gov.cn/">京ICP備2021034567號-1</a></footer></body></html>`)
	big5, err := traditionalchinese.Big5.NewEncoder().Bytes(big5Page)
	if err != nil {
		t.Fatalf("encode Big5: %v", err)
	}
	tests := []struct {
		name, contentType string
		body              []byte
		twin              []byte
		encoding          string
		codes             []string // encoding findings
	}{
		{"gbk by header", "text/html; charset=GBK", gbk, utf, "gbk", nil},
		{"gb2312 label", "text/html; charset=gb2312", gbk, utf, "gbk", nil},
		{"gb18030 by header", "text/html; charset=gb18030", gb18030, utf, "gb18030", nil},
		{"gbk, header says utf-8, meta says gbk", "text/html; charset=utf-8", replaceMeta(gbk, "gbk"), utf, "gbk", []string{CodeEncodingMismatch, CodeEncodingGarbles}},
		{"gbk undeclared", "text/html", replaceMeta(gbk, ""), utf, "gb18030", []string{CodeEncodingUndeclared}},
		{"utf-8 declared gbk", "text/html", replaceMeta(utf, "gbk"), utf, "utf-8", []string{CodeEncodingMismatch, CodeEncodingGarbles}},
		{"utf-8 bom", "", append([]byte{0xEF, 0xBB, 0xBF}, replaceMeta(utf, "")...), utf, "utf-8", nil},
		{"big5", "text/html; charset=big5", big5, big5Page, "big5", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := checkHTML(t, tt.body, tt.contentType)
			if got.Encoding != tt.encoding {
				t.Errorf("encoding = %s, want %s", got.Encoding, tt.encoding)
			}
			want := want
			if &tt.twin[0] != &utf[0] {
				want = checkHTML(t, tt.twin, "text/html; charset=utf-8")
			}
			if !slices.Equal(icpNumbers(got), icpNumbers(want)) || !slices.Equal(psbNumbers(got), psbNumbers(want)) {
				t.Errorf("numbers = %v %v, want %v %v", icpNumbers(got), psbNumbers(got), icpNumbers(want), psbNumbers(want))
			}
			var enc []string
			for _, f := range got.Findings {
				if strings.HasPrefix(f.Code, "ENCODING_") {
					enc = append(enc, f.Code)
				}
			}
			if !slices.Equal(enc, tt.codes) {
				t.Errorf("encoding findings = %v, want %v", enc, tt.codes)
			}
			if len(got.Findings)-len(enc) != len(want.Findings) {
				t.Errorf("findings = %+v, want %+v", got.Findings, want.Findings)
			}
		})
	}
}

// replaceMeta rewrites the page's <meta charset>; "" removes it.
func replaceMeta(b []byte, cs string) []byte {
	s := string(b)
	m := `<meta charset="utf-8">`
	if cs != "" {
		return []byte(replaceOnce(s, m, `<meta charset="`+cs+`">`))
	}
	return []byte(replaceOnce(s, m, ""))
}

// TestLinks checks how ICP and PSB links are classified.
func TestLinks(t *testing.T) {
	tests := []struct {
		name   string
		footer string
		codes  []string
		style  string
	}{
		{"compliant", icpOK + psbOK, nil, LinkMPS},
		{"protocol-relative miit link", `<a href="//beian.miit.gov.cn/#/Integrated/index">京ICP备2021034567号-1</a>` + psbOK, nil, LinkMPS},
		{"miit without www over http", `<a href="http://beian.miit.gov.cn">京ICP备2021034567号-1</a>` + psbOK, nil, LinkMPS},
		{"retired miit host", `<a href="http://www.miitbeian.gov.cn/">京ICP备2021034567号-1</a>` + psbOK, []string{CodeICPLinkOutdated}, LinkMPS},
		{"icp not linked", `京ICP备2021034567号-1 ` + psbOK, []string{CodeICPNotLinked}, LinkMPS},
		{"icp empty href", `<a href=" ">京ICP备2021034567号-1</a>` + psbOK, []string{CodeICPLinkWrong}, LinkMPS},
		{"icp to a look-alike host", `<a href="https://beian.miit.gov.cn.evil.example/">京ICP备2021034567号-1</a>` + psbOK, []string{CodeICPLinkWrong}, LinkMPS},
		{"legacy psb link with token", icpOK + `<a href="http://www.beian.gov.cn/portal/registerSystemInfo?recordcode=11010502045678&token=1b2c"><img src="ghs.png"><p>京公网安备 11010502045678号</p></a>`, []string{CodePSBLinkLegacy}, LinkLegacy},
		{"icon link beside the text", icpOK + `<div class="beian"><a href="https://beian.mps.gov.cn/#/query/webSearch?code=11010502045678"><img src="gongan.png"></a><span>京公网安备11010502045678号</span></div>`, nil, LinkMPS},
		{"code differs", icpOK + `<a href="https://beian.mps.gov.cn/#/query/webSearch?code=11010502045679"><img src="x.png">京公网安备11010502045678号</a>`, []string{CodePSBLinkCodeMismatch}, LinkMPS},
		{"psb not linked, no icon", icpOK + `<span>京公网安备11010502045678号</span>`, []string{CodePSBNoIcon, CodePSBNotLinked}, LinkNone},
		{"psb linked elsewhere", icpOK + `<a href="/about"><img src="police.png">京公网安备11010502045678号</a>`, []string{CodePSBLinkWrong}, LinkOther},
		{"css background icon", icpOK + `<a href="https://beian.mps.gov.cn/#/query/webSearch?code=11010502045678" style="background:url(/img/police.png) no-repeat left;padding-left:20px">京公网安备11010502045678号</a>`, nil, LinkMPS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := checkHTML(t, page(tt.footer), "text/html")
			if got := codeSet(r); !slices.Equal(got, sortedSet(tt.codes)) {
				t.Errorf("codes = %v, want %v", got, tt.codes)
			}
			if len(r.PSB) != 1 || r.PSB[0].LinkStyle != tt.style {
				t.Errorf("psb = %+v, want one with link style %s", r.PSB, tt.style)
			}
		})
	}
}

// TestRules pins down the number, registry and page-level rules.
func TestRules(t *testing.T) {
	u, _ := url.Parse("https://www.example.cn/")
	tests := []struct {
		name    string
		body    string
		want    Expect
		status  int
		redirs  []string
		verdict Verdict
		codes   []string
	}{
		{"compliant", string(page(icpOK + psbOK)), Expect{}, 200, nil, VerdictPass, nil},
		{"expected numbers", string(page(icpOK + psbOK)), Expect{ICP: "京ICP备2021034567号", PSB: "京公网安备 11010502045678号"}, 200, nil, VerdictPass, nil},
		{"other icp expected", string(page(icpOK + psbOK)), Expect{ICP: "京ICP备2021034568号-1"}, 200, nil, VerdictFail, []string{CodeICPMismatch}},
		{"other site number expected", string(page(icpOK + psbOK)), Expect{ICP: "京ICP备2021034567号-2"}, 200, nil, VerdictFail, []string{CodeICPMismatch}},
		{"other psb expected", string(page(icpOK + psbOK)), Expect{PSB: "11010502045679"}, 200, nil, VerdictFail, []string{CodePSBMismatch}},
		{"registry has none", string(page(icpOK + psbOK)), Expect{Registered: true}, 200, nil, VerdictPass, []string{CodeICPNotInRegistry, CodePSBNotInRegistry}},
		{"placeholder the registry confirms", string(page(`<a href="https://beian.miit.gov.cn/">京ICP备12345678号-1</a>` + psbOK)), Expect{ICP: "京ICP备12345678号-1"}, 200, nil, VerdictPass, nil},
		{"guangdong shows the site number", string(page(`<a href="https://beian.miit.gov.cn/">粤ICP备2023012345号-1</a>`)), Expect{}, 200, nil, VerdictFail, []string{CodeICPLevelRule, CodePSBMissing}},
		{"guangdong entity number", string(page(`<a href="https://beian.miit.gov.cn/">粤ICP备2023012345号</a>`)), Expect{}, 200, nil, VerdictFail, []string{CodePSBMissing}},
		{"provinces differ", string(page(icpOK + `<a href="https://beian.mps.gov.cn/#/query/webSearch?code=33010902004083"><img src="a.png">浙公网安备33010902004083号</a>`)), Expect{}, 200, nil, VerdictPass, []string{CodeProvincesDiffer}},
		{"psb overdue", string(page(icpOK)), Expect{Launched: d("2026-01-01")}, 200, nil, VerdictFail, []string{CodePSBMissing, CodePSBFilingOverdue}},
		{"psb pending", string(page(icpOK)), Expect{Launched: d("2026-11-20")}, 200, nil, VerdictPass, []string{CodePSBMissing, CodePSBFilingDueSoon}},
		{"psb pending from the icp approval", string(page(icpOK)), Expect{ICPApproved: d("2026-11-20")}, 200, nil, VerdictPass, []string{CodePSBMissing, CodePSBFilingDueSoon}},
		{"psb overdue from the icp approval", string(page(icpOK)), Expect{ICPApproved: d("2026-01-01")}, 200, nil, VerdictFail, []string{CodePSBMissing, CodePSBFilingOverdue}},
		{"no psb, no dates, lenient", string(page(icpOK)), Expect{Policy: lenient}, 200, nil, VerdictPass, []string{CodePSBMissing}},
		{"script shell", `<html><head><script src="/app.js"></script></head><body><div id="app"></div></body></html>`, Expect{}, 200, nil, VerdictError, []string{CodeScriptRendered}},
		{"footer written by script", string(page(`<script>document.write('<a href="https://beian.miit.gov.cn/">京ICP备2021034567号-1</a>')</script>` + psbOK)), Expect{}, 200, nil, VerdictError, []string{CodeScriptRendered}},
		{"psb badge image only", string(page(icpOK + `<a href="https://beian.mps.gov.cn/#/query/webSearch?code=11010502045678"><img src="/img/badge.png" alt="公安备案"></a>`)), Expect{}, 200, nil, VerdictFail, []string{CodePSBImageOnly}},
		{"timestamped image is no badge", string(page(icpOK + `<img src="/upload/20240101123456.jpg">`)), Expect{}, 200, nil, VerdictFail, []string{CodePSBMissing}},
		{"http error", string(page(icpOK + psbOK)), Expect{}, 503, nil, VerdictError, []string{CodeHTTPErrorStatus}},
		{"redirect to another domain", string(page(icpOK + psbOK)), Expect{}, 200, []string{"https://example.com.cn/"}, VerdictPass, []string{CodeRedirectOffsite}},
		{"redirect to www", string(page(icpOK + psbOK)), Expect{}, 200, []string{"https://example.cn/"}, VerdictPass, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Page{Target: "example.cn", URL: u, Status: tt.status, Body: []byte(tt.body), FetchedAt: time.Date(2026, 11, 27, 4, 0, 0, 0, time.UTC)}
			for _, r := range tt.redirs {
				ru, _ := url.Parse(r)
				p.Redirects = append(p.Redirects, ru)
			}
			r := Check(p, tt.want)
			if r.Verdict != tt.verdict {
				t.Errorf("verdict = %s, want %s (%s)", r.Verdict, tt.verdict, r.Error)
			}
			if got := codeSet(r); !slices.Equal(got, sortedSet(tt.codes)) {
				t.Errorf("codes = %v, want %v", got, sortedSet(tt.codes))
			}
		})
	}
}

// TestCheckText: CheckText judges as Check does and hands back the text it
// judged, decoded from the page's charset.
func TestCheckText(t *testing.T) {
	html := "<html><head><meta charset=gbk><title>标题</title><style>p{}</style></head><body><p>欢迎<b>光临</b></p><p hidden>隐藏</p><footer>京ICP备2021034567号-1</footer></body></html>"
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(html)
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse("https://example.cn/")
	page := Page{URL: u, Status: 200, Header: http.Header{}, Body: []byte(gbk), FetchedAt: time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)}
	r, text := CheckText(page, Expect{})
	if diff := cmp.Diff(Check(page, Expect{}), r); diff != "" {
		t.Errorf("CheckText's report differs from Check's (-Check +CheckText):\n%s", diff)
	}
	if want := "欢迎光临\n京ICP备2021034567号-1"; strings.TrimSpace(text) != want {
		t.Errorf("CheckText text = %q, want what a visitor reads: %q", text, want)
	}
	// The whole tree gives the same text as the fast path.
	c := newRun(page, Expect{}, true)
	c.run(page)
	if c.text != text {
		t.Errorf("full-parse text %q, fast-path text %q", c.text, text)
	}
	page.Status = 500
	if _, text := CheckText(page, Expect{}); text != "" {
		t.Errorf("CheckText of an HTTP 500 page = %q, want no text", text)
	}
}
