package checker

import (
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// fastPathBodies are pages for the fast path beyond the corpus: pages
// without any marker (where a script shell must still be told from a page
// without a footer), numbers in odd places, and markup the scanner leaves
// to the full parse.
var fastPathBodies = map[string]string{
	"plain page":      `<html><head><title>Hello</title></head><body><h1>欢迎</h1><p>这是一个没有页脚的页面,内容足够长,不是脚本外壳页面。Lorem ipsum dolor sit amet.</p><img src="/upload/20240101123456789.jpg"></body></html>`,
	"script shell":    `<!doctype html><html><head><title>App</title><script type="module" src="/assets/index-4f3a.js"></script></head><body><div id="app"></div></body></html>`,
	"inline bundle":   `<html><body><div id="root"></div><script>` + strings.Repeat("var a=function(){return 1};", 100) + `</script></body></html>`,
	"empty":           ``,
	"text only":       `just some text, long enough to count as a real page of content for sure`,
	"unclosed script": `<html><body><script src="/a.js">`,
	"numeric alt":     `<p>没有页脚的页面,内容足够长,不是脚本外壳页面。</p><img alt="11010502045678" src="a.png">`,
	"licence only":    `<p>增值电信业务经营许可证：A2-20213856 内容足够长,不是脚本外壳页面。</p>`,
	"footer":          `<div class="footer"><p><a href="https://beian.miit.gov.cn/">京ICP备2021034567号-1</a></p><p><a href="https://beian.mps.gov.cn/#/query/webSearch?code=11010502045678"><img src="/ga.png">京公网安备11010502045678号</a></p></div>`,
	"link around":     `<a href="https://beian.miit.gov.cn/"><div><div><div><div><div><span>京ICP备2021034567号-1</span></div></div></div></div></div></a>`,
	"number in body":  `<body>京ICP备2021034567号-1 京公网安备11010502045678号</body>`,
	"hidden numbers":  `<div id="f"><p style="display:none">京ICP备2021034567号-1</p><span hidden><a href="https://beian.mps.gov.cn/#/query/webSearch?code=11010502045678">京公网安备11010502045678号</a></span></div>`,
	"icon beside":     `<ul><li class="a"><a href="https://beian.mps.gov.cn/#/query/webSearch?code=11010502045678"><img src="/ga.png"></a><span>京公网安备11010502045678号</span></li><li>x</li></ul>`,
	"background icon": `<p><a href="https://beian.mps.gov.cn/#/query/webSearch?code=11010502045678" style="background:url(/ga.png) no-repeat">京公网安备11010502045678号</a></p>`,
	"image badge":     `<p>没有页脚的页面,内容足够长,不是脚本外壳页面。</p><p><a href="https://beian.mps.gov.cn/"><img src="/gongan.png" alt=""></a><span style="background:url(/icp.png)">ICP备案</span></p>`,
	// Images judged from the scan's table (scannedImageIs) against the
	// nodes the full parse makes: links around, nested and reopened.
	"image in link":     `<p>没有页脚的页面,内容足够长,不是脚本外壳页面。</p><div><a href="https://beian.miit.gov.cn/"><span><img src="/x.png"></span></a><img src="/y.png"></div>`,
	"image alt entity":  `<p>没有页脚的页面,内容足够长,不是脚本外壳页面。</p><img src="/a.png"><img alt="&#20844;网安备" src="/b.png"><img title="ICP&#22791;" src="/c.png">`,
	"image alt number":  `<p>没有页脚的页面,内容足够长,不是脚本外壳页面。</p><img src="/20240101123456.png"><img title="x 11010502045678 y" src="/c.png">`,
	"image nested a":    `<p>没有页脚的页面,内容足够长,不是脚本外壳页面。</p><a href="https://beian.mps.gov.cn/"><a href="/other"><img src="/ga.png"></a></a><a href="https://beian.miit.gov.cn/"><p><img src="/i.png"></p></a>`,
	"image in table":    `<p>没有页脚的页面,内容足够长,不是脚本外壳页面。</p><a href="https://beian.mps.gov.cn/"><table><img src="/ga.png"><tr><td><img src="/b.png"></td></tr></table></a>`,
	"image file escape": `<p>没有页脚的页面,内容足够长,不是脚本外壳页面。</p><img src="/img/%E5%85%AC%E7%BD%91%E5%AE%89%E5%A4%87.png"><input type="image" src="/ga.png" alt="公网安备">`,
	"image link ref":    `<p>没有页脚的页面,内容足够长,不是脚本外壳页面。</p><a href="https://&#98;eian.miit.gov.cn/"><img src="/x.png"></a><a href="HTTPS://BEIAN.MPS.GOV.CN/#/query/webSearch?code=11010502045678"><img src="/y.png"></a>`,
	"image link click":  `<p>没有页脚的页面,内容足够长,不是脚本外壳页面。</p><a href="javascript:;" onclick="window.open('https://beian.miit.gov.cn/')"><img src="/x.png"></a>`,
	"image link dotted": `<p>没有页脚的页面,内容足够长,不是脚本外壳页面。</p><a href="https://beİan.miit.gov.cn/"><img src="/x.png"></a><img alt="icp&#22791;案">`,
	"svg number":        `<svg><text>京ICP备2021034567号-1</text></svg>`,
	"split number":      `<p>京公网安备<span>11010502045678</span>号</p><p>京ICP备</p><p>2021034567号-1</p>`,
	"table footer":      `<table><tr><td>京ICP备2021034567号-1</td></tr></table>`,
	"late p":            `<div><p>a<div>京ICP备2021034567号-1</div></p></div>`,
	"nth of type":       `<div>a</div><div class="x">b</div><div><p>c</p><p><a href="http://beian.miit.gov.cn">京ICP备2021034567号-1</a></p><p>d</p></div><div>e</div>`,
	"id path":           `<div id="footer"><div><div><div><div><div><p>京ICP备2021034567号-1</p></div></div></div></div></div></div>`,
	"scripts only":      `<div id="app"></div><script src="/a.js"></script><script>document.write('京ICP备2021034567号-1')</script>`,
	"entity number":     `<p>京ICP备&#50;021034567号-1 &nbsp;京公网安备&nbsp;11010502045678号</p>`,
	"crlf footer":       "<div>\r\n<p>京ICP备2021034567号-1</p>\r\n</div>",
	"pre footer":        "<pre>\n京ICP备2021034567号-1</pre>",
	"after body":        "<body><p>x</p></body>\n</html>\n<div>京ICP备2021034567号-1</div>",
	// html.Render refuses a tree the parser builds: evidence must not panic.
	"render refused": `<svg><link>京ICP备2021034567号-1</link></svg>`,
}

// fastPathCases returns every corpus page, the bodies above, the scanner
// samples and the fuzz seeds saved in testdata/fuzz, each as a page with
// its expectations.
func fastPathCases(t *testing.T) map[string]corpusCase {
	cases := map[string]corpusCase{}
	for _, c := range loadCorpus(t) {
		cases["corpus/"+c.name] = c
	}
	want := Expect{ICP: "京ICP备2021034567号-1", PSB: "11010502045678", Registered: true}
	for name, body := range fastPathBodies {
		cases["body/"+name] = corpusCase{name: name, page: fuzzPage([]byte(body), "text/html; charset=utf-8"), want: want}
	}
	for name, body := range scanSamples {
		cases["sample/"+name] = corpusCase{name: name, page: fuzzPage([]byte(body), "text/html; charset=utf-8"), want: want}
	}
	for _, target := range []string{"FuzzCheck", "FuzzFastPath"} {
		files, _ := filepath.Glob(filepath.Join("testdata", "fuzz", target, "*"))
		for _, f := range files {
			raw, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			body, ct, err := readFuzzSeed(raw)
			if err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			cases["fuzz/"+target+"/"+filepath.Base(f)] = corpusCase{name: f, page: fuzzPage(body, ct), want: want}
		}
	}
	return cases
}

// fuzzPage is the page the fuzz targets check.
func fuzzPage(body []byte, contentType string) Page {
	u, _ := url.Parse("https://example.cn/")
	return Page{Target: "example.cn", URL: u, Status: 200, Body: body,
		Header: http.Header{"Content-Type": {contentType}}, FetchedAt: time.Date(2026, 11, 27, 4, 0, 0, 0, time.UTC)}
}

// TestFastPathCorpus checks that the fast path reports exactly what the
// full parse reports, on every page we have, and that it judges most of
// the corpus itself.
func TestFastPathCorpus(t *testing.T) {
	cases := fastPathCases(t)
	fast := map[string]int{}
	for name, c := range cases {
		got, isFast := checkPath(c.page, c.want, false)
		want := check(c.page, c.want, true)
		kind, _, _ := strings.Cut(name, "/")
		if isFast {
			fast[kind]++
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("%s: fast path (fast=%v) differs from the full parse (-full +fast):\n%s", name, isFast, d)
		}
	}
	t.Logf("fast path judged %v of %d pages", fast, len(cases))
	// If the fast path stopped judging the corpus, the reports would
	// still agree but the speed-up would be gone.
	if n := len(loadCorpus(t)); fast["corpus"]*10 < n*7 {
		t.Errorf("fast path judged %d of %d corpus pages, want at least 70%%", fast["corpus"], n)
	}
}

// TestFastPathBench checks that the benchmark pages take the fast path
// and report what the full parse reports.
func TestFastPathBench(t *testing.T) {
	for _, name := range []string{"page10k", "page60k", "page500k"} {
		body, err := os.ReadFile(filepath.Join("testdata", "bench", name+".html"))
		if err != nil {
			t.Fatal(err)
		}
		p := fuzzPage(body, "text/html; charset=utf-8")
		got, isFast := checkPath(p, Expect{}, false)
		if !isFast {
			t.Errorf("%s: not judged on the fast path", name)
		}
		if d := cmp.Diff(check(p, Expect{}, true), got); d != "" {
			t.Errorf("%s: fast path differs from the full parse (-full +fast):\n%s", name, d)
		}
	}
}

// readFuzzSeed reads a seed file saved by go test -fuzz for FuzzCheck or
// FuzzFastPath: a body and a Content-Type.
func readFuzzSeed(raw []byte) ([]byte, string, error) {
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	if len(lines) != 3 || lines[0] != "go test fuzz v1" {
		return nil, "", fmt.Errorf("not a two-value fuzz seed")
	}
	var vals []string
	for _, l := range lines[1:] {
		l = strings.TrimSpace(l)
		for _, p := range []string{"[]byte(", "string("} {
			if strings.HasPrefix(l, p) && strings.HasSuffix(l, ")") {
				l = l[len(p) : len(l)-1]
			}
		}
		v, err := strconv.Unquote(l)
		if err != nil {
			return nil, "", fmt.Errorf("seed value %s: %w", l, err)
		}
		vals = append(vals, v)
	}
	return []byte(vals[0]), vals[1], nil
}
