package checker

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCheckConcurrent runs Check on every page we have from several
// goroutines at once, each page many times and in a different order on
// each goroutine, so that pooled scan memory passes between pages of all
// sizes (the benchmark pages included) and between goroutines. Every report
// must equal the one the page got alone, and the reports kept from the
// serial run must be unchanged afterwards: a report that shared memory
// with the pool would be overwritten by the checks that came later. Run it
// with -race.
func TestCheckConcurrent(t *testing.T) {
	type job struct {
		name string
		c    corpusCase
		want Report
		text string
		json []byte
	}
	cases := fastPathCases(t)
	for _, name := range []string{"page10k", "page60k", "page500k"} {
		body, err := os.ReadFile(filepath.Join("testdata", "bench", name+".html"))
		if err != nil {
			t.Fatal(err)
		}
		cases["bench/"+name] = corpusCase{name: name, page: fuzzPage(body, "text/html; charset=utf-8")}
	}
	names := make([]string, 0, len(cases))
	for name := range cases {
		names = append(names, name)
	}
	sort.Strings(names)
	jobs := make([]job, len(names))
	fast := 0
	for i, name := range names {
		c := cases[name]
		r, text := CheckText(c.page, c.want)
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		jobs[i] = job{name: name, c: c, want: r, text: text, json: b}
		if _, isFast := checkPath(c.page, c.want, false); isFast {
			fast++
		}
	}
	// Without pages on the fast path the pool would not be exercised.
	if fast*2 < len(jobs) {
		t.Fatalf("only %d of %d pages take the fast path", fast, len(jobs))
	}

	const workers, rounds = 8, 3
	var wg sync.WaitGroup
	errs := make(chan string, workers)
	for w := range workers {
		wg.Go(func() {
			order := slices.Clone(jobs)
			for round := range rounds {
				// A different order on every goroutine and round: each
				// page follows a different one.
				k := (w*7 + round*3) % len(order)
				order = slices.Concat(order[k:], order[:k])
				if (w+round)%2 == 1 {
					slices.Reverse(order)
				}
				for _, j := range order {
					got, text := CheckText(j.c.page, j.c.want)
					if d := cmp.Diff(j.want, got); d != "" {
						errs <- j.name + ": concurrent report differs from the serial one (-serial +concurrent):\n" + d
						return
					}
					if text != j.text {
						errs <- j.name + ": concurrent text differs from the serial one"
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	for _, j := range jobs {
		b, err := json.Marshal(j.want)
		if err != nil {
			t.Fatal(err)
		}
		if string(b) != string(j.json) {
			t.Errorf("%s: the serial report changed while other pages were checked:\nbefore %s\nafter  %s", j.name, j.json, b)
		}
	}
	t.Logf("%d pages (%d on the fast path), %d goroutines × %d rounds", len(jobs), fast, workers, rounds)
}
