package farm

import (
	"testing"

	"github.com/beianwatch/beianwatch/checker"
)

// BenchmarkCheckFarm measures the checker on the load benchmark's mix of
// pages (a fifth with defects, some GBK, news and shop layouts), each
// with the expectation serve would give it: the checker's share of a
// serve cycle, without the network. Pages are fetched once, before the
// timer.
//
//	go test ./internal/farm -run '^$' -bench CheckFarm -benchmem
func BenchmarkCheckFarm(b *testing.B) {
	const n = 400
	f := New(Config{Sites: n, Seed: 1, Gzip: true})
	if err := f.Start(); err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	c := client(f)
	pages := make([]checker.Page, n)
	wants := make([]checker.Expect, n)
	var size int64
	for i := range pages {
		pages[i] = fetch(b, c, "http://"+HostName(i+1)+"/")
		wants[i] = expect(f.Site(i + 1))
		size += int64(len(pages[i].Body))
	}
	b.SetBytes(size / n)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		checker.Check(pages[i%n], wants[i%n])
		i++
	}
}
