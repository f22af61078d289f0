package checker

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"
)

// FuzzCheck feeds arbitrary bodies and Content-Types to Check: it must not
// panic, and every report must be well-formed. The seed corpus is every
// page in testdata/pages (plus what go test -fuzz saved in
// testdata/fuzz/FuzzCheck).
func FuzzCheck(f *testing.F) {
	pages, _ := filepath.Glob(filepath.Join("testdata", "pages", "*.html"))
	for _, p := range pages {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, "text/html")
	}
	f.Add([]byte("京ICP备2021034567号-1 <a href=https://beian.mps.gov.cn/#/query/webSearch?code=1>京公网安备11010502045678号</a>"), "text/html; charset=gbk")
	u, _ := url.Parse("https://example.cn/")
	at := time.Date(2026, 11, 27, 4, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		p := Page{Target: "example.cn", URL: u, Status: 200, Header: http.Header{"Content-Type": {contentType}}, Body: body, FetchedAt: at}
		r := Check(p, Expect{ICP: "京ICP备2021034567号-1", PSB: "11010502045678", Registered: true})
		switch r.Verdict {
		case VerdictPass, VerdictFail, VerdictError:
		default:
			t.Fatalf("verdict %q", r.Verdict)
		}
		for _, fd := range r.Findings {
			if len(fd.Evidence) > maxEvidence || fd.Code == "" || fd.Message == "" || fd.MessageZH == "" {
				t.Fatalf("malformed finding %+v", fd)
			}
		}
		if len(r.ICP) > 2*maxNumbers+maxNumbers || len(r.PSB) > 2*maxNumbers {
			t.Fatalf("%d ICP and %d PSB entries, over the bound", len(r.ICP), len(r.PSB))
		}
	})
}

// FuzzFastPath checks the fast path against the full parse on arbitrary
// bodies: the same report, and, when the scanner follows the page, the
// same text, images, scripts and element tree as newDocument reads from
// html.Parse. Seeds: the corpus, the scanner samples and the fast-path
// bodies (plus what go test -fuzz saved in testdata/fuzz/FuzzFastPath).
// Run: go test ./checker -run '^$' -fuzz FuzzFastPath -fuzztime 3m
func FuzzFastPath(f *testing.F) {
	pages, _ := filepath.Glob(filepath.Join("testdata", "pages", "*.html"))
	for _, p := range pages {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, "text/html")
	}
	for _, bodies := range []map[string]string{scanSamples, fastPathBodies} {
		for _, b := range bodies {
			f.Add([]byte(b), "text/html; charset=utf-8")
		}
	}
	want := Expect{ICP: "京ICP备2021034567号-1", PSB: "11010502045678", Registered: true}
	f.Fuzz(func(t *testing.T, body []byte, contentType string) {
		p := fuzzPage(body, contentType)
		fast, _ := checkPath(p, want, false)
		full := check(p, want, true)
		if d := cmp.Diff(full, fast); d != "" {
			t.Fatalf("fast path differs from the full parse (-full +fast):\n%s", d)
		}
		text := decode(body, contentType).text
		if got, ok := scanViewOf(text); ok {
			if _, err := html.Parse(strings.NewReader(text)); err != nil {
				t.Fatalf("scanner followed a page html.Parse rejects: %v", err)
			}
			if d := cmp.Diff(treeView(t, text), got); d != "" {
				t.Fatalf("scan differs from the tree (-tree +scan):\n%s", d)
			}
		}
	})
}

// FuzzStyleSheet feeds arbitrary style sheets to the sheet's parser and
// cascade: they must not panic, keep at most maxSheetRules rules, and a
// sheet that styleMayHide says cannot hide keeps none. Seeds: the
// sheets of the corpus's hiding cases (plus testdata/fuzz/FuzzStyleSheet).
func FuzzStyleSheet(f *testing.F) {
	for _, s := range []string{
		`.footer .beian-ga{display:none}`,
		`#footer p.icp{visibility:hidden !important}#footer .copy{font-size:13px}`,
		`@media (max-width:768px){.nav{display:none}} .x{opacity:0}`,
		`.a > .b{font:0/0 a} [data-k="v"]{position:absolute;left:-9999px}`,
		`.c:not(.d){height:0;overflow:hidden} a ~ b + c{text-indent:-999em}`,
		`/* } */ .e{display:none}}}{{ .f{display:block!important`,
	} {
		f.Add(s)
	}
	doc, _ := html.Parse(strings.NewReader(`<div id="footer" class="foot beian-ga"><p class="icp" data-k="v" style="visibility:visible"><a>京ICP备2021034567号-1</a></p></div>`))
	var nodes []*html.Node
	for n := range doc.Descendants() {
		if n.Type == html.ElementNode {
			nodes = append(nodes, n)
		}
	}
	f.Fuzz(func(t *testing.T, css string) {
		g, colons := hidingDecls(css, true)
		sh := newSheet([]string{css}, [][]int{colons}, g)
		if styleMayHide(css) == 0 {
			if sh.groups != 0 || len(sh.rules) != 0 {
				t.Fatalf("a sheet that cannot hide kept %d rules", len(sh.rules))
			}
			return
		}
		if len(sh.rules) > maxSheetRules {
			t.Fatalf("%d rules, over the bound", len(sh.rules))
		}
		// The first reading (the hiding blocks only) finds a hiding rule
		// for the same elements as the whole sheet.
		full := &sheet{groups: sh.groups, texts: sh.texts}
		full.parseAll()
		for _, n := range nodes {
			if sh.partial && sh.hidesNow(n) != full.hidesNow(n) {
				t.Fatalf("hiding blocks say %v for <%s class=%q>, the whole sheet %v", sh.hidesNow(n), n.Data, attr(n, "class"), full.hidesNow(n))
			}
		}
		for _, n := range nodes {
			if _, cascaded := sh.stateOf(n); cascaded && !slices.ContainsFunc(sh.rules, func(r sheetRule) bool { return r.hides }) {
				t.Fatalf("cascade worked out with no hiding rule")
			}
		}
	})
}

// FuzzFindPSB checks findPSB on arbitrary text: matches in order, inside
// the text, and digits joined from groups only as a PSB number's 12–14.
func FuzzFindPSB(f *testing.F) {
	for _, s := range []string{
		"浙公网安备 3301 0602 0123 45号", "京公网安备1101 2024 版权所有", "京公网安备 110105 020456 78 号",
		"北京市公安局海淀分局备案编号：11010818900", "粤公网安备44xxxxxxxxxxxx号", "闽公网安备{$cfg_psb}号", "苏公网安备号",
		"公网安备 12 34 56 78 90 12 34 56",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		s = normalize(s).s
		last := 0
		for _, m := range findPSB(s) {
			if m.start < last || m.end < m.start || m.end > len(s) {
				t.Fatalf("match [%d,%d) out of order or bounds (after %d, len %d)", m.start, m.end, last, len(s))
			}
			last = m.start
			d := m.num.Digits
			if !strings.Contains(strings.ToUpper(s[m.start:m.end]), strings.ToUpper(d)) && (len(d) < 12 || len(d) > 14 || strings.Trim(d, "0123456789") != "") {
				t.Fatalf("joined digits %q from %q", d, s[m.start:m.end])
			}
		}
	})
}
