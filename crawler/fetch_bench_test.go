package crawler_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/beianwatch/beianwatch/crawler"
)

// BenchmarkFetch fetches a 60 KB page, uncompressed, from a loopback
// server, each time from a new host name (as serve does: nearly every
// fetch is to a new site), through the Collector as serve does and
// through a bare net/http client that reads the body whole: the
// difference is what fetching costs beyond the network.
//
//	go test ./crawler -run '^$' -bench Fetch -benchmem
func BenchmarkFetch(b *testing.B) {
	page := strings.Repeat("<p>示例网站的首页内容，足够长的一段文字。</p>\n", 60_000/60)
	srv, _ := serve(b, func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, page) })
	addr := srv.Listener.Addr().String()
	b.Run("collector", func(b *testing.B) {
		c := newCollector(b, crawler.CollectorConfig{
			FetchConfig: crawler.FetchConfig{AllowCIDRs: loopback,
				Resolve: []crawler.ResolveRule{mustResolve(b, "*.example.test:"+addr)}},
			Concurrency: 4,
		})
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++
			page, err := c.Fetch(context.Background(), fmt.Sprintf("http://site%d.example.test/", i))
			if err != nil {
				b.Fatal(err)
			}
			c.Recycle(page.Body)
		}
	})
	b.Run("bare", func(b *testing.B) {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, network, addr)
		}
		defer tr.CloseIdleConnections()
		client := &http.Client{Transport: tr}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			i++
			resp, err := client.Get(fmt.Sprintf("http://site%d.example.test/", i))
			if err != nil {
				b.Fatal(err)
			}
			io.ReadAll(resp.Body)
			resp.Body.Close()
		}
	})
}
