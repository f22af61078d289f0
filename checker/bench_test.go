package checker

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// benchCase is one page BenchmarkCheck checks.
type benchCase struct {
	name        string
	body        []byte
	contentType string
	parallel    bool
}

// benchCases returns the benchmark pages: those in testdata/bench (a
// small page, a typical portal homepage and a very long one, each with its
// badges in the footer), and two variants of the typical page that serve
// meets often: the same page in GBK, declared by its <meta> only, and the
// page without its PSB badge (the rules then look at every image for one).
func benchCases(tb testing.TB) []benchCase {
	var cases []benchCase
	for _, name := range []string{"page10k", "page60k", "page500k"} {
		body, err := os.ReadFile(filepath.Join("testdata", "bench", name+".html"))
		if err != nil {
			tb.Fatal(err)
		}
		cases = append(cases, benchCase{name: name, body: body, contentType: "text/html; charset=utf-8", parallel: true})
	}
	page := string(cases[1].body)
	gbkText, err := redeclare(page, "gbk", false)
	if err != nil {
		tb.Fatal(err)
	}
	gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(gbkText))
	if err != nil {
		tb.Fatal(err)
	}
	cases = append(cases, benchCase{name: "page60k-gbk", body: gbk, contentType: "text/html"})
	i := strings.Index(page, `<a href="https://beian.mps.gov.cn/`)
	j := strings.Index(page[i:], "</a>")
	if i < 0 || j < 0 {
		tb.Fatal("page60k has no PSB badge to take out")
	}
	cases = append(cases, benchCase{name: "page60k-nopsb", body: []byte(page[:i] + page[i+j+len("</a>"):]),
		contentType: "text/html; charset=utf-8"})
	return cases
}

// BenchmarkCheck measures Check on realistic pages (see benchCases).
// Run: go test ./checker -run '^$' -bench Check -benchmem
func BenchmarkCheck(b *testing.B) {
	u, _ := url.Parse("https://example.cn/")
	for _, bc := range benchCases(b) {
		p := Page{Target: "example.cn", URL: u, Status: 200, Body: bc.body,
			Header: http.Header{"Content-Type": {bc.contentType}}, FetchedAt: time.Now()}
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(bc.body)))
			b.ReportAllocs()
			for b.Loop() {
				Check(p, Expect{})
			}
		})
		if !bc.parallel {
			continue
		}
		// As serve checks: on every core at once (its workers share the
		// pooled scan memory and the garbage collector).
		b.Run(bc.name+"/parallel", func(b *testing.B) {
			b.SetBytes(int64(len(bc.body)))
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					Check(p, Expect{})
				}
			})
		})
	}
}
