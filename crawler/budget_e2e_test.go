package crawler_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/crawler"
)

// TestSchedulerBodyBudget runs the scheduler over a loopback server whose
// every fourth site sends a page of almost MaxBody, with a budget that
// holds one such body and a quarter of another. The large pages start
// their bodies together (the server holds each after its first chunk
// until all three have started), so that two of them must wait for
// memory while the third holds it: each must still be read whole and
// judged, and the budget must end empty.
func TestSchedulerBodyBudget(t *testing.T) {
	const maxBody = 1 << 20
	large := strings.Replace(compliantPage, "<footer>",
		"<p>"+strings.Repeat("示例网站的首页内容。", (maxBody-4096)/30)+"</p><footer>", 1)
	var started sync.WaitGroup
	started.Add(3)
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
		var i int
		fmt.Sscanf(r.Host, "site%d.", &i)
		if i%4 != 0 {
			io.WriteString(w, compliantPage)
			return
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(large)))
		io.WriteString(w, large[:4096])
		w.(http.Flusher).Flush()
		started.Done()
		started.Wait()
		io.WriteString(w, large[4096:])
	})
	c := newCollector(t, crawler.CollectorConfig{
		FetchConfig: crawler.FetchConfig{AllowCIDRs: loopback, Timeout: 30 * time.Second, MaxBody: maxBody,
			Resolve: []crawler.ResolveRule{mustResolve(t, "*.example.test:127.0.0.1:"+port(t, srv))}},
		Concurrency: 8,
		BodyMemory:  maxBody + maxBody/4,
	})
	var jobs []crawler.Job
	for i := range 12 {
		jobs = append(jobs, crawler.Job{SiteID: int64(i), Target: fmt.Sprintf("http://site%d.example.test/", i)})
	}
	q := newMemQueue(jobs)
	s, reg := newScheduler(t, crawler.ScheduleConfig{Owner: "a", Workers: 8, Batch: 16, Once: true}, c)
	sum, err := s.Run(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Checked != 12 || sum.Pass != 12 {
		t.Errorf("summary = %+v, want 12 checked, 12 pass", sum)
	}
	for _, j := range jobs {
		outs := q.done[j.SiteID]
		if len(outs) != 1 || outs[0].Report.Verdict != checker.VerdictPass {
			t.Errorf("site %d: %d outcomes (%+v), want one pass", j.SiteID, len(outs), outs)
		}
	}
	for _, m := range []struct {
		name, label, value string
		want               float64
	}{
		{"beianwatch_crawler_body_memory_bytes", "state", "in_use", 0},
		{"beianwatch_crawler_body_memory_bytes", "state", "limit", maxBody + maxBody/4},
		// Eight workers: the controller's floor and its ceiling.
		{"beianwatch_crawler_concurrency", "", "", 8},
	} {
		if got := series(t, reg, m.name, m.label, m.value); got != m.want {
			t.Errorf("%s{%s=%q} = %v, want %v", m.name, m.label, m.value, got, m.want)
		}
	}
	if got := c.Budget().Waits(); got < 1 {
		t.Errorf("%d bodies waited for memory, want at least 1", got)
	}
}
