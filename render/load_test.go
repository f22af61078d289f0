package render_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beianwatch/beianwatch/crawler"
	"github.com/beianwatch/beianwatch/internal/chromium"
)

// TestRenderLoad renders BEIANWATCH_RENDER_LOAD script shells (the three
// kinds of TestScriptFooters in turn) through the pipeline with a pool of
// two, and prints the time per render and the peak RSS of this process
// plus its browsers. It is a measurement, run by hand (docs/render.md):
//
//	BEIANWATCH_RENDER_LOAD=100 go test ./render -run TestRenderLoad -v
func TestRenderLoad(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("BEIANWATCH_RENDER_LOAD"))
	if n <= 0 {
		t.Skip("set BEIANWATCH_RENDER_LOAD=N to render N pages")
	}
	h := newHarness(t)
	site := serveSite(t, "0")
	pages := []string{"innerhtml.html", "component.html", "timer.html"}

	var peak int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			peak = max(peak, rss(os.Getpid())+browsersRSS())
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
			}
		}
	})
	p := crawler.Pipeline{Fetch: h.fetcher.Fetch, Render: crawler.RenderConfig{Renderer: h.renderer, Mode: crawler.RenderAuto}}
	jobs := make(chan int)
	times := make([]time.Duration, n)
	start := time.Now()
	var work sync.WaitGroup
	for range 2 {
		work.Go(func() {
			for i := range jobs {
				t0 := time.Now()
				o, err := p.Run(context.Background(), crawler.Job{Target: site + "/" + pages[i%len(pages)]})
				times[i] = time.Since(t0)
				if err != nil || !o.Report.Rendered {
					t.Errorf("page %d: %v %s", i, err, o.Report.Error)
				}
			}
		})
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	work.Wait()
	wall := time.Since(start)
	close(stop)
	wg.Wait()
	slices.Sort(times)
	var sum time.Duration
	for _, d := range times {
		sum += d
	}
	fmt.Printf("%d renders, pool of 2: wall %v (%.2f s a page), per render mean %v, median %v, p90 %v, max %v; peak RSS (beianwatch + browsers) %d MiB\n",
		n, wall.Round(time.Millisecond), wall.Seconds()/float64(n), (sum / time.Duration(n)).Round(time.Millisecond),
		times[n/2].Round(time.Millisecond), times[n*9/10].Round(time.Millisecond), times[n-1].Round(time.Millisecond), peak>>20)
}

// rss is a process's resident set in bytes (0 if it is gone).
func rss(pid int) int64 {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0
	}
	for line := range strings.Lines(string(b)) {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// browsersRSS sums the resident sets of this process's browsers. Shared
// pages are counted in each process, so this overstates a little.
func browsersRSS() int64 {
	var sum int64
	for _, pid := range chromium.Processes(os.Getpid()) {
		sum += rss(pid)
	}
	return sum
}
