package lexicon

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/internal/farm"
	"github.com/beianwatch/beianwatch/lexicon/lexicontest"
)

// benchCorpus is the visible text of checker's 500 KB benchmark page (read
// only): real Chinese news-portal text, 120 KB of it.
func benchCorpus(tb testing.TB) string {
	tb.Helper()
	b, err := os.ReadFile("../checker/testdata/bench/page500k.html")
	if err != nil {
		tb.Skip("checker's benchmark page not present:", err)
	}
	return pageText(tb, b, "text/html; charset=utf-8")
}

// pageText is the visible text of a page as the checker renders it: the
// one reader of HTML, whose text serve hands to the lexicon.
func pageText(tb testing.TB, body []byte, contentType string) string {
	tb.Helper()
	u, _ := url.Parse("http://bench.test/")
	_, text := checker.CheckText(checker.Page{URL: u, Status: 200, Header: http.Header{"Content-Type": {contentType}}, Body: body}, checker.Expect{})
	return text
}

// farmPages are the home pages of n sites of internal/farm.
func farmPages(tb testing.TB, n int) (bodies [][]byte, types []string) {
	tb.Helper()
	f := farm.New(farm.Config{Sites: n, Seed: 1})
	for i := 1; i <= n; i++ {
		req := httptest.NewRequest("GET", "http://www."+farm.HostName(i)+"/index.html", nil)
		rec := httptest.NewRecorder()
		f.ServeHTTP(rec, req)
		if rec.Code != 200 {
			continue // a hostile or redirecting site
		}
		bodies = append(bodies, rec.Body.Bytes())
		types = append(types, rec.Header().Get("Content-Type"))
	}
	if len(bodies) == 0 {
		tb.Fatal("the farm served no pages")
	}
	return bodies, types
}

// benchLexicon builds a lexicon of n phrases, deterministically. Phrases
// are 2–6 characters drawn with the corpus's own character frequencies,
// so they share characters and prefixes with the pages as much as real
// phrases would at worst, and one in a hundred is cut from the corpus so
// that pages do match.
func benchLexicon(tb testing.TB, corpus string, n int) string {
	tb.Helper()
	var chars []rune
	for _, r := range corpus {
		if r >= 0x4E00 && r <= 0x9FFF {
			chars = append(chars, r)
		}
	}
	rng := rand.New(rand.NewPCG(1, uint64(n)))
	cats := Categories()
	seen := make(map[string]bool, n)
	var b strings.Builder
	for len(seen) < n {
		var p string
		if len(seen)%100 == 0 {
			start := rng.IntN(len(chars) - 8)
			p = string(chars[start : start+2+rng.IntN(5)])
		} else {
			k := 2 + rng.IntN(5)
			rs := make([]rune, k)
			for i := range rs {
				rs[i] = chars[rng.IntN(len(chars))]
			}
			p = string(rs)
		}
		if seen[p] {
			continue
		}
		seen[p] = true
		fmt.Fprintf(&b, "%s\t%s\n", cats[len(seen)%len(cats)], p)
	}
	return b.String()
}

// benchPages cuts count pages of size bytes (10–60 KB when size is 0)
// from the corpus, repeated end to end, at deterministic offsets.
func benchPages(corpus string, count, size int) []string {
	loop := corpus + " " + corpus
	rng := rand.New(rand.NewPCG(7, 8))
	pages := make([]string, count)
	for i := range pages {
		n := size
		if n == 0 {
			n = 10<<10 + rng.IntN(50<<10)
		}
		start := rng.IntN(len(corpus))
		for !utf8.RuneStart(loop[start]) {
			start++
		}
		end := min(start+n, len(loop))
		for end < len(loop) && !utf8.RuneStart(loop[end]) {
			end++
		}
		pages[i] = loop[start:end]
	}
	return pages
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkLoad reports the time and the memory kept by one lexicon.
func BenchmarkLoad(b *testing.B) {
	corpus := benchCorpus(b)
	for _, n := range []int{1000, 100000} {
		text := benchLexicon(b, corpus, n)
		b.Run(fmt.Sprintf("phrases=%d", n), func(b *testing.B) {
			var kept uint64
			for b.Loop() {
				before := heapInUse()
				l, err := Load(strings.NewReader(text), "bench.txt")
				if err != nil {
					b.Fatal(err)
				}
				kept = heapInUse() - before
				runtime.KeepAlive(l)
			}
			b.ReportMetric(float64(kept)/(1<<20), "MiB-kept")
		})
	}
}

func BenchmarkScan(b *testing.B) {
	corpus := benchCorpus(b)
	for _, n := range []int{1000, 100000} {
		l, err := Load(strings.NewReader(benchLexicon(b, corpus, n)), "bench.txt")
		if err != nil {
			b.Fatal(err)
		}
		for _, size := range []int{10 << 10, 60 << 10} {
			pages := benchPages(corpus, 16, size)
			b.Run(fmt.Sprintf("phrases=%d/text=%dKB", n, size>>10), func(b *testing.B) {
				b.SetBytes(int64(len(pages[0])))
				matches, i := 0, 0
				startCPU := cpuTime()
				for b.Loop() {
					matches += len(l.Scan(pages[i%len(pages)]))
					i++
				}
				b.ReportMetric(float64((cpuTime()-startCPU).Nanoseconds())/float64(i), "cpu-ns/op")
				b.ReportMetric(float64(matches)/float64(i), "matches/page")
			})
		}
	}
}

// cpuTime is the CPU time the process has used. Benchmarks report it
// beside wall time because on a shared machine wall time includes waiting
// for a core, and the figure to compare with a crawl cycle is CPU.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkScan10kPages scans 10,000 page texts of 10–60 KB, as the crawl
// cycle would (one Scan per page), and reports the cost per page, wall and
// CPU, to set against a cycle's CPU per site.
func BenchmarkScan10kPages(b *testing.B) {
	corpus := benchCorpus(b)
	pages := benchPages(corpus, 10000, 0)
	for _, n := range []int{1000, 100000} {
		l, err := Load(strings.NewReader(benchLexicon(b, corpus, n)), "bench.txt")
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("phrases=%d", n), func(b *testing.B) {
			var wall, cpu time.Duration
			for b.Loop() {
				start, startCPU := time.Now(), cpuTime()
				for _, p := range pages {
					l.Scan(p)
				}
				wall += time.Since(start)
				cpu += cpuTime() - startCPU
			}
			b.ReportMetric(float64(wall.Nanoseconds())/float64(b.N*len(pages)), "ns/page")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N*len(pages)), "cpu-ns/page")
		})
	}
}

// BenchmarkPage is the work the crawl cycle adds per page, as serve's
// --lexicon does it: a Scan of the text the check already rendered (the
// checker's, made once per page whether or not a lexicon is loaded), on
// internal/farm's home pages (the load test's: 60 KB, a sixth GBK) and on
// checker's benchmark pages, with lexicontest's lexicons of 1,000 and
// 100,000 phrases.
func BenchmarkPage(b *testing.B) {
	farmBodies, farmTypes := farmPages(b, 200)
	sets := []struct {
		name   string
		bodies [][]byte
		types  []string
	}{{"farm", farmBodies, farmTypes}}
	for _, name := range []string{"page10k", "page60k"} {
		body, err := os.ReadFile("../checker/testdata/bench/" + name + ".html")
		if err != nil {
			b.Skip("checker's benchmark page not present:", err)
		}
		sets = append(sets, struct {
			name   string
			bodies [][]byte
			types  []string
		}{name, [][]byte{body}, []string{"text/html; charset=utf-8"}})
	}
	for _, n := range []int{1000, 100000} {
		l, err := Load(bytes.NewReader(lexicontest.Generate(n, 1)), "bench.txt")
		if err != nil {
			b.Fatal(err)
		}
		for _, set := range sets {
			texts := make([]string, len(set.bodies))
			for k := range set.bodies {
				texts[k] = pageText(b, set.bodies[k], set.types[k])
			}
			b.Run(fmt.Sprintf("phrases=%d/%s", n, set.name), func(b *testing.B) {
				b.ReportAllocs()
				matches, i := 0, 0
				startCPU := cpuTime()
				for b.Loop() {
					k := i % len(set.bodies)
					matches += len(l.Scan(texts[k]))
					i++
				}
				b.ReportMetric(float64((cpuTime()-startCPU).Nanoseconds())/float64(i), "cpu-ns/op")
				b.ReportMetric(float64(matches)/float64(i), "matches/page")
			})
		}
	}
}
