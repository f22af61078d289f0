package checker

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"sync"
	"testing"
	"unsafe"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/text/encoding/simplifiedchinese"
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

func TestDecodeBufPut(t *testing.T) {
	old := make([]byte, 3, 8)
	for _, tc := range []struct {
		name    string
		mem     []byte
		wantCap int
	}{
		{"not decoded into it", nil, 8},
		{"decoded into grown memory", make([]byte, 5, 100), 100},
		{"too large to keep", make([]byte, 0, maxPooledDecode+1), 8},
	} {
		db := &decodeBuf{b: old}
		db.put(tc.mem)
		if len(db.b) != 0 || cap(db.b) != tc.wantCap {
			t.Errorf("%s: after put, len %d cap %d, want 0 and %d", tc.name, len(db.b), cap(db.b), tc.wantCap)
		}
	}
}

func TestDecodeIntoBuffer(t *testing.T) {
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(`<meta charset="gbk"><p>京ICP备2021034567号-1</p>`)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 0, 4096)
	for _, tc := range []struct {
		name, body, contentType string
		inBuf                   bool
	}{
		{"gbk page", gbk, "text/html", true},
		{"gbk header", gbk, "text/html; charset=GB18030", true},
		{"utf-8 page", "<p>京ICP备2021034567号-1</p>", "text/html; charset=utf-8", false},
		{"big5 page", "<p>\xa5x\xa5_</p>", "text/html; charset=big5", false},
	} {
		d := decodeInto([]byte(tc.body), tc.contentType, buf)
		want := decode([]byte(tc.body), tc.contentType)
		if d.text != want.text || d.encoding != want.encoding || d.declared != want.declared {
			t.Errorf("%s: decodeInto = %q %s %s, want %q %s %s", tc.name, d.text, d.encoding, d.declared, want.text, want.encoding, want.declared)
		}
		if got := d.mem != nil && within(d.text, unsafe.String(unsafe.SliceData(buf[:1]), cap(buf))); got != tc.inBuf {
			t.Errorf("%s: text in the buffer = %v, want %v", tc.name, got, tc.inBuf)
		}
	}
}
