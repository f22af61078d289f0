package checker

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
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
