package farm

import (
	"testing"
	"time"

	"github.com/beianwatch/beianwatch/checker"
)

// BenchmarkCheckLarge measures the checker on the large pages (a few
// MiB, Config.LargeEvery), which the load benchmark's -large farm sends.
//
//	go test ./internal/farm -run '^$' -bench CheckLarge -benchmem
func BenchmarkCheckLarge(b *testing.B) {
	const n = 8
	f := New(Config{Sites: n, Seed: 1, LargeEvery: 1, LargePause: time.Microsecond})
	if err := f.Start(); err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	c := client(f)
	pages := make([]checker.Page, n)
	wants := make([]checker.Expect, n)
	for i := range pages {
		pages[i] = fetch(b, c, "http://"+HostName(i+1)+"/")
		wants[i] = expect(f.Site(i + 1))
	}
	b.SetBytes(int64(len(pages[0].Body)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		checker.CheckText(pages[i%n], wants[i%n])
		i++
	}
}
