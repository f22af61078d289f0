package crawler

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/lexicon"
)

// Job is one site to check, handed out under a lease.
type Job struct {
	SiteID int64
	// Target is the page to check: the site's check URL or its first
	// domain.
	Target string
	Want   checker.Expect
	// Failures counts the site's consecutive failed checks so far; it
	// sets the back-off.
	Failures int
	// FirstCheck says the site has never been checked: it has no history.
	FirstCheck bool
}

// Outcome is a finished check, ready to be stored.
type Outcome struct {
	Job    Job
	Report checker.Report
	// BodySHA256 is the hex SHA-256 of the body judged ("" if none).
	BodySHA256 string
	Duration   time.Duration
	// BadgeShown says the whole PSB badge was shown (checker.PSB's
	// BadgeComplete): the badge clock's proof.
	BadgeShown bool
	// Next is when the site is due again.
	Next time.Time
	// Addrs are the addresses the target's host resolved to.
	Addrs []netip.Addr
	// CertNotAfter is the expiry of the TLS leaf certificate of the page
	// judged (zero over http:// or without a page).
	CertNotAfter time.Time
	// Matches are the phrases ScheduleConfig.Scanner found in the page's
	// visible text (nil without a page or a scanner).
	Matches []lexicon.Match
	// Screenshot is a PNG of a failing page's footer region, kept by the
	// render stage (nil when none was taken).
	Screenshot []byte
	// Reason is why the fetch failed (a Reason constant), "" if it did
	// not.
	Reason string
}

// Queue hands out due sites under leases and stores outcomes. A lease
// keeps a site from other replicas until it expires; Complete and Release
// end it.
type Queue interface {
	Lease(ctx context.Context, owner string, n int, ttl time.Duration) ([]Job, error)
	Complete(ctx context.Context, owner string, o Outcome) error
	Release(ctx context.Context, owner string, jobs []Job) error
	// Due counts the sites due now, leased or not. A Once run ends only
	// when it is zero: sites leased by a replica that died come back when
	// their leases expire, and must be checked in this cycle too.
	Due(ctx context.Context) (int, error)
}

// BatchQueue is a Queue that stores many outcomes at once (one
// transaction for the lot, where each used to cost its own). Run stores
// through it when the queue has it: the workers hand their outcomes to one
// writer and go on checking.
type BatchQueue interface {
	Queue
	// CompleteBatch stores each outcome as Complete would. An error means
	// none of them was stored, and they may all be tried again.
	CompleteBatch(ctx context.Context, owner string, os []Outcome) error
}

// ScheduleConfig configures Run. The zero value is valid.
type ScheduleConfig struct {
	// Owner names this replica in leases; it must be unique among replicas.
	Owner string
	// Workers is the most sites checked at once: how many are follows
	// the network and the CPU (see controller), from 32 or Workers if
	// lower. Zero means 16.
	Workers int
	// Batch is the most sites leased at a time. Zero means 4×Workers.
	// Fewer are while fewer checks run at once (4× the controller's
	// level): a leased site waits for a worker in the leaser's hands, and
	// a batch far larger than the checks running would keep its last
	// sites waiting past their leases.
	Batch int
	// LeaseTTL is how long a lease lasts; a replica that dies loses its
	// sites for this long. Zero means 5 minutes.
	LeaseTTL time.Duration
	// Interval is the normal time between checks of a site (24 h); each
	// next-due time gets ±10% jitter so that the load spreads evenly.
	Interval time.Duration
	// RecheckInterval is used instead for sites with error findings or a
	// deadline within 7 days (1 h).
	RecheckInterval time.Duration
	// RetryBase is the first back-off after a failed fetch; it doubles with
	// each failure, up to Interval. Zero means 5 minutes.
	RetryBase time.Duration
	// Poll is how long to wait when nothing is due. Zero means 10 s.
	Poll time.Duration
	// Grace is how long in-flight checks may finish after shutdown starts;
	// the rest are released. Zero means 10 s.
	Grace time.Duration
	// StoreBatch is how many outcomes a BatchQueue stores at a time. Zero
	// means 64. Batches of 256 took about 10% less of PostgreSQL's CPU a
	// site, but the outcomes waiting for them (a batch, and as many in the
	// channel) raised serve's peak RSS by 9 MiB over a 100,000-site cycle,
	// past the goal of staying within 20% of a 10,000-site one.
	StoreBatch int
	// StoreWait is how long the writer of a BatchQueue waits for a batch
	// to fill before it stores what it has. Zero means 50 ms.
	StoreWait time.Duration
	// Once makes Run check every due site and return.
	Once bool
	// PinFiledIP fetches each site from the addresses its filing names
	// (Job.Want.FiledIPs) instead of where DNS points, so that the provider
	// audits the site it actually hosts.
	PinFiledIP bool
	// Scanner, if set, looks for phrases in the visible text of every
	// page fetched (as the checker rendered it), after the check, and its
	// matches go to the queue as Outcome.Matches: the takedown lexicon,
	// without a second fetch or a copy of the body.
	Scanner Scanner
	// Render is the render stage of every check (see Pipeline.Render).
	Render RenderConfig
}

// Scanner finds phrases in a page's visible text; *lexicon.Lexicon is
// one. It runs on the worker and must keep neither the text nor strings
// that share its memory: the body is read into for the next page.
type Scanner interface {
	Scan(text string) []lexicon.Match
}

func (c *ScheduleConfig) fill() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if c.Workers <= 0 {
		c.Workers = 16
	}
	if c.Batch <= 0 {
		c.Batch = 4 * c.Workers
	}
	if c.StoreBatch <= 0 {
		c.StoreBatch = 64
	}
	def(&c.StoreWait, 50*time.Millisecond)
	def(&c.LeaseTTL, 5*time.Minute)
	def(&c.Interval, 24*time.Hour)
	def(&c.RecheckInterval, time.Hour)
	def(&c.RetryBase, 5*time.Minute)
	def(&c.Poll, 10*time.Second)
	def(&c.Grace, 10*time.Second)
}

// Summary counts what a Run did.
type Summary struct {
	Checked, Pass, Fail, Error int
	Duration                   time.Duration
	// Errors counts the checks that ended in error by class (ErrorClass),
	// so that a summary can say why.
	Errors map[string]int
}

// Scheduler keeps every site in a Queue checked on time.
type Scheduler struct {
	cfg     ScheduleConfig
	fetch   func(ctx context.Context, target string) (*checker.Page, error)
	recycle func(body []byte)
	budget  *Budget
	logger  *slog.Logger
	metrics *metrics
	now     func() time.Time
	rand    func() float64
	// dueSoon is the widest of checker.DueSoonWindows, read once: next
	// runs for every site.
	dueSoon int

	mu      sync.Mutex
	summary Summary
	running bool
	// inflight counts the sites of this Run that are leased and not yet
	// stored or released; idle gets a token when it drops to zero, so
	// that a Once run that waits for its last sites wakes when they are in.
	inflight atomic.Int64
	idle     chan struct{}
	// checked and failed count the checks of this Run, for the controller:
	// failed those whose fetch timed out or lost its connection.
	checked, failed atomic.Int64
}

// NewScheduler builds a Scheduler that fetches with c.
func NewScheduler(cfg ScheduleConfig, c *Collector, logger *slog.Logger, reg prometheus.Registerer) (*Scheduler, error) {
	if reg == nil || logger == nil {
		return nil, errors.New("crawler: NewScheduler needs a logger and a metrics registerer")
	}
	cfg.fill()
	m, err := newMetrics(reg, c.Budget())
	if err != nil {
		return nil, err
	}
	return &Scheduler{
		cfg: cfg, fetch: c.Fetch, recycle: c.Recycle, budget: c.Budget(), logger: logger.With("component", "scheduler"), metrics: m,
		now: time.Now, rand: rand.Float64, idle: make(chan struct{}, 1), dueSoon: slices.Max(checker.DueSoonWindows()),
	}, nil
}

// Running reports whether Run is going (for readiness).
func (s *Scheduler) Running() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.running
}

// Run leases due sites in batches and checks them with a bounded pool of
// workers until ctx ends (or, with Once, until nothing is due). On
// shutdown it stops leasing, lets in-flight checks finish within Grace,
// and releases the leases of the rest. A Queue that fails is retried with
// back-off; Run returns only on shutdown.
func (s *Scheduler) Run(ctx context.Context, q Queue) (Summary, error) {
	s.mu.Lock()
	s.running, s.summary = true, Summary{}
	s.mu.Unlock()
	s.inflight.Store(0)
	s.checked.Store(0)
	s.failed.Store(0)
	select {
	case <-s.idle:
	default:
	}
	defer func() {
		s.mu.Lock()
		s.running = false
		s.mu.Unlock()
	}()
	start := s.now()

	// work outlives ctx by Grace, so in-flight checks can finish.
	work, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	go func() {
		select {
		case <-ctx.Done():
			select {
			case <-time.After(s.cfg.Grace):
				stopWork()
			case <-work.Done():
			}
		case <-work.Done():
		}
	}()

	// With a BatchQueue, one writer stores what the workers check; the
	// channel's buffer is all that waits for it, so a database that is
	// down stops the workers soon, and with them the leasing.
	store := func(o Outcome) { s.store(work, q, o) }
	var outcomes chan Outcome
	writerDone := make(chan struct{})
	if bq, ok := q.(BatchQueue); ok {
		outcomes = make(chan Outcome, s.cfg.StoreBatch)
		store = func(o Outcome) { outcomes <- o }
		go func() {
			defer close(writerDone)
			s.writer(work, bq, outcomes)
		}()
	} else {
		close(writerDone)
	}
	// Unbuffered: a job leased waits for a free worker in the leaser's
	// hands, not in a queue, so the time a lease covers is the check's. A
	// worker takes a slot of the gate before a job, so that the
	// controller's level bounds the checks at once.
	jobs := make(chan Job)
	ctrl := newController(s.cfg.Workers)
	g := newGate(ctrl.level)
	s.metrics.concurrency.Set(float64(ctrl.level))
	adaptDone := make(chan struct{})
	go s.adapt(adaptDone, ctrl, g)
	var wg sync.WaitGroup
	for range s.cfg.Workers {
		wg.Go(func() {
			for {
				g.acquire()
				j, ok := <-jobs
				if !ok {
					g.release()
					return
				}
				s.process(work, q, j, store)
				g.release()
			}
		})
	}
	err := s.lease(ctx, q, jobs, g)
	close(jobs)
	wg.Wait()
	close(adaptDone)
	if outcomes != nil {
		close(outcomes)
	}
	<-writerDone
	stopWork()

	s.mu.Lock()
	sum := s.summary
	s.mu.Unlock()
	sum.Duration = s.now().Sub(start)
	return sum, err
}

// lease feeds jobs until ctx ends or, with Once, nothing is due.
func (s *Scheduler) lease(ctx context.Context, q Queue, jobs chan<- Job, g *gate) error {
	backoff := time.Second
	for ctx.Err() == nil {
		batch, err := q.Lease(ctx, s.cfg.Owner, min(s.cfg.Batch, 4*g.current()), s.cfg.LeaseTTL)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			s.logger.Warn("lease failed; retrying", "err", err, "in", backoff)
			s.metrics.queueErrors.WithLabelValues("lease").Inc()
			sleep(ctx, backoff)
			backoff = min(2*backoff, time.Minute)
			continue
		}
		backoff = time.Second
		if len(batch) == 0 {
			if s.cfg.Once {
				n, err := q.Due(ctx)
				if err == nil && n == 0 {
					return nil
				}
				// Sites are still out (with our workers or with other
				// replicas, perhaps dead ones): look again once ours are
				// in, or soon.
				s.waitIdle(ctx, min(s.cfg.Poll, time.Second))
				continue
			}
			sleep(ctx, s.cfg.Poll)
			continue
		}
		s.inflight.Add(int64(len(batch)))
		for i, j := range batch {
			select {
			case jobs <- j:
			case <-ctx.Done():
				s.release(q, batch[i:])
				s.done(len(batch) - i)
				return nil
			}
		}
	}
	return nil
}

// done counts n sites of this Run as stored or given back.
func (s *Scheduler) done(n int) {
	if s.inflight.Add(-int64(n)) == 0 {
		select {
		case s.idle <- struct{}{}:
		default:
		}
	}
}

// waitIdle waits until no site of this Run is out, or d, or ctx ends. A
// token left from an earlier idle moment only makes the caller look once
// more.
func (s *Scheduler) waitIdle(ctx context.Context, d time.Duration) {
	if s.inflight.Load() == 0 {
		sleep(ctx, d)
		return
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-s.idle:
	case <-t.C:
	case <-ctx.Done():
	}
}

// release gives back leases not worked on, with a short context of its own
// (the run's is done).
func (s *Scheduler) release(q Queue, js []Job) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := q.Release(ctx, s.cfg.Owner, js); err != nil {
		s.logger.Warn("release failed; the leases will expire", "sites", len(js), "err", err)
	}
}

// process checks one site and hands the outcome to store.
func (s *Scheduler) process(ctx context.Context, q Queue, j Job, store func(Outcome)) {
	if ctx.Err() != nil {
		s.release(q, []Job{j})
		s.done(1)
		return
	}
	start := s.now()
	o := s.check(ctx, j)
	o.Duration = s.now().Sub(start)
	if ctx.Err() != nil && o.Report.Verdict == checker.VerdictError {
		// Cut short by shutdown: not the site's fault. Let another check it.
		s.release(q, []Job{j})
		s.done(1)
		return
	}
	s.metrics.observe(o)
	store(o)
}

// store stores one outcome, retrying with back-off while the work context
// lasts.
func (s *Scheduler) store(ctx context.Context, q Queue, o Outcome) {
	defer s.done(1)
	backoff := 100 * time.Millisecond
	for {
		err := q.Complete(ctx, s.cfg.Owner, o)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			s.logger.Error("could not store a check before shutdown; the site will be checked again", "site", o.Job.SiteID, "err", err)
			return
		}
		s.logger.Warn("storing a check failed; retrying", "site", o.Job.SiteID, "err", err, "in", backoff)
		s.metrics.queueErrors.WithLabelValues("complete").Inc()
		sleep(ctx, backoff)
		backoff = min(2*backoff, 30*time.Second)
	}
	s.stored(o)
}

// writer stores the outcomes the workers send, StoreBatch at a time, each
// batch as soon as it is full or StoreWait after its first outcome came,
// until the channel is closed.
func (s *Scheduler) writer(ctx context.Context, q BatchQueue, outcomes <-chan Outcome) {
	batch := make([]Outcome, 0, s.cfg.StoreBatch)
	wait := time.NewTimer(s.cfg.StoreWait)
	wait.Stop()
	for o := range outcomes {
		batch = append(batch[:0], o)
		wait.Reset(s.cfg.StoreWait)
	fill:
		for len(batch) < s.cfg.StoreBatch {
			select {
			case o, ok := <-outcomes:
				if !ok {
					break fill
				}
				batch = append(batch, o)
			case <-wait.C:
				break fill
			}
		}
		wait.Stop()
		s.storeBatch(ctx, q, batch)
		clear(batch) // the outcomes' reports are garbage now
	}
}

// storeBatch stores one batch, retrying with back-off while the work
// context lasts.
func (s *Scheduler) storeBatch(ctx context.Context, q BatchQueue, batch []Outcome) {
	defer s.done(len(batch))
	backoff := 100 * time.Millisecond
	for {
		err := q.CompleteBatch(ctx, s.cfg.Owner, batch)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			s.logger.Error("could not store checks before shutdown; the sites will be checked again", "sites", len(batch), "err", err)
			return
		}
		s.logger.Warn("storing checks failed; retrying", "sites", len(batch), "err", err, "in", backoff)
		s.metrics.queueErrors.WithLabelValues("complete").Inc()
		sleep(ctx, backoff)
		backoff = min(2*backoff, 30*time.Second)
	}
	for _, o := range batch {
		s.stored(o)
	}
}

// stored counts an outcome that is stored.
func (s *Scheduler) stored(o Outcome) {
	s.count(o)
	// Asked first: the arguments would be boxed for every site even with
	// debug logging off.
	if s.logger.Enabled(context.Background(), slog.LevelDebug) {
		s.logger.Debug("checked", "site", o.Job.SiteID, "target", o.Job.Target, "verdict", o.Report.Verdict, "duration", o.Duration)
	}
}

// check fetches and judges one site, through the one Pipeline.
func (s *Scheduler) check(ctx context.Context, j Job) Outcome {
	if s.cfg.PinFiledIP {
		ctx = PinTarget(ctx, j.Target, j.Want.FiledIPs)
	}
	p := Pipeline{Fetch: s.fetch, Scanner: s.cfg.Scanner, Recycle: s.recycle, Now: s.now, Render: s.cfg.Render, Budget: s.budget}
	o, err := p.Run(ctx, j)
	s.checked.Add(1)
	if err != nil {
		o.Reason = Reason(err)
		s.metrics.fetchErrors.WithLabelValues(o.Reason).Inc()
		if o.Reason == ReasonTimeout || o.Reason == ReasonConnection || o.Reason == ReasonRefused {
			s.failed.Add(1)
		}
	}
	o.Next = s.next(j, o.Report)
	return o
}

// adaptInterval is how often the controller looks: long enough for
// dozens of checks to end at the network's pace, short enough to ramp up
// within a cycle's first seconds.
const adaptInterval = 250 * time.Millisecond

// adapt feeds the controller an observation every adaptInterval and sets
// the gate to its level, until done is closed.
func (s *Scheduler) adapt(done <-chan struct{}, c *controller, g *gate) {
	t := time.NewTicker(adaptInterval)
	defer t.Stop()
	last, cpu := time.Now(), processCPU()
	var checked, failed, waits int64
	for {
		select {
		case <-done:
			return
		case now := <-t.C:
			o := observation{wall: now.Sub(last), procs: runtime.GOMAXPROCS(0), full: g.sample()}
			c1, f1, w1 := s.checked.Load(), s.failed.Load(), s.budget.Waits()
			cpu1 := processCPU()
			o.cpu, o.done, o.failed, o.memoryWaits = cpu1-cpu, int(c1-checked), int(f1-failed), int(w1-waits)
			last, cpu, checked, failed, waits = now, cpu1, c1, f1, w1
			if level := c.next(o); level != g.current() {
				g.setLimit(level)
				s.metrics.concurrency.Set(float64(level))
			}
		}
	}
}

// next is when a site is due again: soon after a failed fetch (doubling
// with each failure, up to Interval), within RecheckInterval while it has
// error findings or a deadline within 7 days, else after Interval. Each
// gets ±10% jitter so that sites imported together spread out.
func (s *Scheduler) next(j Job, r checker.Report) time.Time {
	d := s.cfg.Interval
	switch {
	case r.Verdict == checker.VerdictError:
		d = s.cfg.RetryBase << min(j.Failures, 20)
		d = min(d, s.cfg.Interval)
	case r.Verdict == checker.VerdictFail || dueWithin(r.Deadlines, s.dueSoon):
		d = min(s.cfg.RecheckInterval, s.cfg.Interval)
	}
	jitter := time.Duration((s.rand()*0.2 - 0.1) * float64(d))
	return s.now().Add(d + jitter)
}

func dueWithin(d checker.Deadlines, days int) bool {
	for _, dl := range []checker.Deadline{d.PSBFiling, d.Badge} {
		if dl.Status == checker.DeadlinePending && dl.DaysLeft != nil && *dl.DaysLeft <= days {
			return true
		}
	}
	return false
}

func (s *Scheduler) count(o Outcome) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.summary.Checked++
	switch o.Report.Verdict {
	case checker.VerdictPass:
		s.summary.Pass++
	case checker.VerdictFail:
		s.summary.Fail++
	default:
		s.summary.Error++
		if s.summary.Errors == nil {
			s.summary.Errors = map[string]int{}
		}
		s.summary.Errors[ErrorClass(o)]++
	}
}

// ErrorClass names why a check ended in error: FETCH_ and the fetch's
// Reason in upper case (FETCH_DNS, FETCH_BLOCKED_ADDRESS …) when the page
// could not be fetched, else the code of the report's first error finding
// (HTTP_ERROR_STATUS, PAGE_SCRIPT_RENDERED …), else CHECK_ERROR.
func ErrorClass(o Outcome) string {
	if o.Reason != "" {
		return "FETCH_" + strings.ToUpper(o.Reason)
	}
	for _, f := range o.Report.Findings {
		if f.Severity == checker.SeverityError {
			return f.Code
		}
	}
	if o.Report.Has(checker.CodeScriptRendered) {
		return checker.CodeScriptRendered
	}
	return "CHECK_ERROR"
}

// sleep waits d or until ctx ends.
func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

// String formats a summary for `serve --once`.
func (s Summary) String() string {
	return fmt.Sprintf("checked %d: %d pass, %d fail, %d error in %v", s.Checked, s.Pass, s.Fail, s.Error, s.Duration.Round(time.Millisecond))
}
