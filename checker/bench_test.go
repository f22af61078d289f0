package checker

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkCheck measures Check on realistic pages (testdata/bench): a
// small page, a typical portal homepage and a very long one, each with its
// badges in the footer. Run: go test ./checker -run '^$' -bench Check -benchmem
func BenchmarkCheck(b *testing.B) {
	u, _ := url.Parse("https://example.cn/")
	for _, name := range []string{"page10k", "page60k", "page500k"} {
		body, err := os.ReadFile(filepath.Join("testdata", "bench", name+".html"))
		if err != nil {
			b.Fatal(err)
		}
		p := Page{Target: "example.cn", URL: u, Status: 200, Body: body,
			Header: http.Header{"Content-Type": {"text/html; charset=utf-8"}}, FetchedAt: time.Now()}
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				Check(p, Expect{})
			}
		})
		// As serve checks: on every core at once (its workers share the
		// pooled scan memory and the garbage collector).
		b.Run(name+"/parallel", func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					Check(p, Expect{})
				}
			})
		})
	}
}
