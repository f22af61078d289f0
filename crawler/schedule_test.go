package crawler_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/crawler"
)

// memQueue is an in-memory Queue: every site due once, leases honoured,
// and an optional number of failing Complete calls (a database that is
// down for a while).
type memQueue struct {
	mu        sync.Mutex
	due       []crawler.Job
	leased    map[int64]string
	done      map[int64][]crawler.Outcome
	released  int
	failStore int
	// asked lists how many sites each Lease asked for.
	asked []int
}

func newMemQueue(jobs []crawler.Job) *memQueue {
	return &memQueue{due: jobs, leased: map[int64]string{}, done: map[int64][]crawler.Outcome{}}
}

func (q *memQueue) Lease(_ context.Context, owner string, n int, _ time.Duration) ([]crawler.Job, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.asked = append(q.asked, n)
	n = min(n, len(q.due))
	out := q.due[:n]
	q.due = q.due[n:]
	for _, j := range out {
		q.leased[j.SiteID] = owner
	}
	return out, nil
}

func (q *memQueue) Complete(_ context.Context, owner string, o crawler.Outcome) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.failStore > 0 {
		q.failStore--
		return errors.New("database is restarting")
	}
	if q.leased[o.Job.SiteID] != owner {
		return fmt.Errorf("site %d not leased by %s", o.Job.SiteID, owner)
	}
	delete(q.leased, o.Job.SiteID)
	q.done[o.Job.SiteID] = append(q.done[o.Job.SiteID], o)
	return nil
}

// memBatchQueue is a memQueue that stores batches: a failing store fails
// the whole batch, and an outcome whose lease is not the owner's is
// dropped, as serve's queue does.
type memBatchQueue struct {
	*memQueue
	batches int
	lost    int
}

func (q *memBatchQueue) CompleteBatch(_ context.Context, owner string, os []crawler.Outcome) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.failStore > 0 {
		q.failStore--
		return errors.New("database is restarting")
	}
	q.batches++
	for _, o := range os {
		if q.leased[o.Job.SiteID] != owner {
			q.lost++
			continue
		}
		delete(q.leased, o.Job.SiteID)
		q.done[o.Job.SiteID] = append(q.done[o.Job.SiteID], o)
	}
	return nil
}

// queueKinds runs test with a plain Queue and with a BatchQueue over the
// same memQueue.
func queueKinds(t *testing.T, jobs []crawler.Job, test func(t *testing.T, q crawler.Queue, mem *memQueue)) {
	t.Run("queue", func(t *testing.T) {
		mem := newMemQueue(slices.Clone(jobs))
		test(t, mem, mem)
	})
	t.Run("batch", func(t *testing.T) {
		mem := newMemQueue(slices.Clone(jobs))
		test(t, &memBatchQueue{memQueue: mem}, mem)
	})
}

func (q *memQueue) Due(context.Context) (int, error) {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.due) + len(q.leased), nil
}

func (q *memQueue) Release(_ context.Context, owner string, jobs []crawler.Job) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	for _, j := range jobs {
		if q.leased[j.SiteID] == owner {
			delete(q.leased, j.SiteID)
			q.due = append(q.due, j)
			q.released++
		}
	}
	return nil
}

const compliantPage = `<html><body><p>示例网站的首页内容</p><footer><a href="https://beian.miit.gov.cn/">京ICP备2021034567号-1</a>
<a href="https://beian.mps.gov.cn/#/query/webSearch?code=11010502045678"><img src="/ga.png">京公网安备11010502045678号</a></footer></body></html>`

// farm serves n sites on one loopback server: site i is compliant when i
// is even, misses its ICP number when i%4 == 1, and answers 500 when
// i%4 == 3.
func farm(t *testing.T, n int, delay time.Duration) (*crawler.Collector, []crawler.Job) {
	t.Helper()
	srv, _ := serve(t, func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(delay)
		var i int
		fmt.Sscanf(r.Host, "site%d.", &i)
		switch i % 4 {
		case 1:
			io.WriteString(w, `<html><body><p>没有备案号的网站首页内容,文字足够多。</p></body></html>`)
		case 3:
			http.Error(w, "boom", http.StatusInternalServerError)
		default:
			io.WriteString(w, compliantPage)
		}
	})
	c := newCollector(t, crawler.CollectorConfig{
		FetchConfig: crawler.FetchConfig{AllowCIDRs: loopback, Timeout: 2 * time.Second,
			Resolve: []crawler.ResolveRule{mustResolve(t, "*.example.test:127.0.0.1:"+port(t, srv))}},
		Concurrency: 8,
	})
	var jobs []crawler.Job
	for i := range n {
		jobs = append(jobs, crawler.Job{SiteID: int64(i), Target: fmt.Sprintf("http://site%d.example.test/", i)})
	}
	return c, jobs
}

func newScheduler(t *testing.T, cfg crawler.ScheduleConfig, c *crawler.Collector) (*crawler.Scheduler, *prometheus.Registry) {
	t.Helper()
	reg := prometheus.NewRegistry()
	s, err := crawler.NewScheduler(cfg, c, slog.New(slog.DiscardHandler), reg)
	if err != nil {
		t.Fatal(err)
	}
	return s, reg
}

func TestSchedulerOnce(t *testing.T) {
	c, jobs := farm(t, 200, 0)
	queueKinds(t, jobs, func(t *testing.T, queue crawler.Queue, q *memQueue) {
		q.failStore = 3 // the database is down for a moment
		s, reg := newScheduler(t, crawler.ScheduleConfig{Owner: "a", Workers: 8, Batch: 16, StoreBatch: 16, Once: true}, c)
		sum, err := s.Run(context.Background(), queue)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Checked != 200 || sum.Pass != 100 || sum.Fail != 50 || sum.Error != 50 {
			t.Errorf("summary = %+v, want 200 checked: 100 pass, 50 fail, 50 error", sum)
		}
		for _, j := range jobs {
			outs := q.done[j.SiteID]
			if len(outs) != 1 {
				t.Errorf("site %d checked %d times, want once", j.SiteID, len(outs))
				continue
			}
			want := map[int64]checker.Verdict{0: checker.VerdictPass, 1: checker.VerdictFail, 2: checker.VerdictPass, 3: checker.VerdictError}[j.SiteID%4]
			if got := outs[0].Report.Verdict; got != want {
				t.Errorf("site %d verdict = %s, want %s", j.SiteID, got, want)
			}
			if outs[0].Next.IsZero() || outs[0].BodySHA256 == "" && want != checker.VerdictError {
				t.Errorf("site %d outcome lacks next-due time or body hash: %+v", j.SiteID, outs[0])
			}
		}
		for verdict, want := range map[string]int{"pass": 100, "fail": 50, "error": 50} {
			if got := series(t, reg, "beianwatch_checks_total", "result", verdict); int(got) != want {
				t.Errorf("beianwatch_checks_total{result=%q} = %v, want %d", verdict, got, want)
			}
		}
		if got := series(t, reg, "beianwatch_scheduler_queue_errors_total", "op", "complete"); got != 3 {
			t.Errorf("queue errors = %v, want 3 (the store retried)", got)
		}
		if bq, ok := queue.(*memBatchQueue); ok && (bq.batches == 0 || bq.batches >= 200 || bq.lost != 0) {
			t.Errorf("%d batches for 200 sites, %d outcomes dropped; want batches of more than one, none dropped", bq.batches, bq.lost)
		}
	})
}

// series is the value of one series of a counter or gauge in reg: the
// one with label=value, or the only one when label is "".
func series(t *testing.T, reg *prometheus.Registry, name, label, value string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			match := label == ""
			for _, lp := range m.GetLabel() {
				match = match || lp.GetName() == label && lp.GetValue() == value
			}
			if match {
				if c := m.GetCounter(); c != nil {
					return c.GetValue()
				}
				return m.GetGauge().GetValue()
			}
		}
	}
	t.Fatalf("no series %s{%s=%q}", name, label, value)
	return 0
}

// TestSchedulerBatchFollowsLevel checks that the first lease asks for 4×
// the controller's first level (32), not 4× the ceiling of 256: sites
// leased wait for a worker, and must not wait past their leases.
func TestSchedulerBatchFollowsLevel(t *testing.T) {
	c, jobs := farm(t, 8, 0)
	q := newMemQueue(jobs)
	s, _ := newScheduler(t, crawler.ScheduleConfig{Owner: "a", Workers: 256, Once: true}, c)
	if _, err := s.Run(context.Background(), q); err != nil {
		t.Fatal(err)
	}
	if len(q.asked) == 0 || q.asked[0] != 128 {
		t.Errorf("leases asked for %v sites, want 128 first", q.asked)
	}
}

func TestSchedulerNextDue(t *testing.T) {
	c, jobs := farm(t, 4, 0)
	q := newMemQueue(jobs)
	cfg := crawler.ScheduleConfig{Owner: "a", Workers: 2, Once: true, Interval: 24 * time.Hour, RecheckInterval: time.Hour, RetryBase: 5 * time.Minute}
	s, _ := newScheduler(t, cfg, c)
	start := time.Now()
	if _, err := s.Run(context.Background(), q); err != nil {
		t.Fatal(err)
	}
	within := func(id int64, d time.Duration) {
		t.Helper()
		got := q.done[id][0].Next.Sub(start)
		if got < d*85/100 || got > d*115/100+time.Minute {
			t.Errorf("site %d next due in %v, want about %v", id, got, d)
		}
	}
	within(0, 24*time.Hour)  // pass
	within(1, time.Hour)     // fail: recheck sooner
	within(3, 5*time.Minute) // error: back off from RetryBase
}

// TestSchedulerShutdown checks that a stop during a cycle stops leasing,
// lets checks in flight finish, and gives back the leases of the rest.
func TestSchedulerShutdown(t *testing.T) {
	c, jobs := farm(t, 100, 50*time.Millisecond)
	queueKinds(t, jobs, func(t *testing.T, queue crawler.Queue, q *memQueue) {
		s, _ := newScheduler(t, crawler.ScheduleConfig{Owner: "a", Workers: 4, Batch: 20, Grace: 5 * time.Second}, c)
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(200*time.Millisecond, cancel)
		sum, err := s.Run(ctx, queue)
		if err != nil {
			t.Fatal(err)
		}
		if sum.Checked == 0 || sum.Checked == 100 {
			t.Errorf("checked %d before shutdown, want some but not all", sum.Checked)
		}
		if len(q.leased) != 0 {
			t.Errorf("%d leases still held after shutdown, want 0", len(q.leased))
		}
		if got := len(q.done) + len(q.due); got != 100 {
			t.Errorf("done %d + due %d = %d, want every site either checked or due again", len(q.done), len(q.due), got)
		}
	})
}
