package crawler

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"sync/atomic"

	"golang.org/x/sync/semaphore"
)

// DefaultBodyMemory is the default byte budget for bodies in flight.
const DefaultBodyMemory = 64 << 20 // 64 MiB

// Budget bounds the memory that bodies in flight hold: a fetch reserves
// bytes as its body grows and gives them back once its page is judged
// (Reservation.Release), so that hundreds of fetches waiting on the
// network cost little and a few huge bodies cannot take more than the
// budget. It is safe for concurrent use.
//
// A quarter of what is left after the reserve (below), at most
// maxJudging, is held back for judging the pages: the checker's working
// memory is a few times the page it judges.
//
// A body that has to wait for memory keeps what it holds, so two growing
// bodies could each wait for the other's. The budget is therefore split:
// a shared pool, and a reserve of MaxBody bytes that one body at a time
// may own. A body that cannot grow from the pool takes the reserve if it
// is free, and then never waits again (it can need at most MaxBody more);
// otherwise it waits for the pool or for the reserve, whichever comes
// first. The owner of the reserve always finishes, and hands the reserve
// on, so every body finishes.
type Budget struct {
	limit    int64
	maxBody  int64
	pool     *semaphore.Weighted
	judging  *semaphore.Weighted
	inUse    atomic.Int64
	waits    atomic.Int64
	mu       sync.Mutex
	reserved bool          // the reserve has an owner
	freed    chan struct{} // closed when the reserve is given back
}

// NewBudget builds a budget of limit bytes for bodies of at most maxBody
// bytes each.
func NewBudget(limit, maxBody int64) (*Budget, error) {
	if maxBody <= 0 || limit < maxBody {
		return nil, fmt.Errorf("crawler: body memory %s is less than the largest body, %s", formatBytes(limit), formatBytes(maxBody))
	}
	// What the checker needs beside the pages it judges is held back
	// from the pool, so that bodies and their judging stay within limit.
	judging := min((limit-maxBody)/4, maxJudging)
	return &Budget{limit: limit, maxBody: maxBody, pool: semaphore.NewWeighted(limit - maxBody - judging),
		judging: semaphore.NewWeighted(judgeWindow), freed: make(chan struct{})}, nil
}

// maxJudging is the most of the budget held back for the checker's
// working memory: about what it takes to judge a page of judgeWindow.
const maxJudging = 16 << 20

// judgeWindow bounds the bytes of pages judged at once. The checker's
// working memory is a few times the page (its scan tables, the rendered
// text), and the budget lets dozens of large bodies in at once: judged
// together, they would take several times the budget. A page of
// judgeWindow or more is judged alone.
const judgeWindow = 4 << 20

// judge waits for room to judge a page of n bytes and returns the
// function that gives it back. A page takes at least a GOMAXPROCS-th of
// the window: judging is all CPU, and more checks at once than cores
// only preempt each other. A nil Budget does not wait.
func (b *Budget) judge(n int) (done func()) {
	if b == nil {
		return func() {}
	}
	w := min(max(int64(n), judgeWindow/int64(runtime.GOMAXPROCS(0))), judgeWindow)
	// Not cancellable: the wait is for other checks' CPU time, never
	// for the network.
	_ = b.judging.Acquire(context.Background(), w)
	return func() { b.judging.Release(w) }
}

// Limit is the budget in bytes.
func (b *Budget) Limit() int64 { return b.limit }

// InUse is how many bytes are reserved now.
func (b *Budget) InUse() int64 { return b.inUse.Load() }

// Waits counts the times a body had to wait for memory (0 for a nil
// Budget).
func (b *Budget) Waits() int64 {
	if b == nil {
		return 0
	}
	return b.waits.Load()
}

// Open starts a reservation of nothing. A nil Budget gives a nil
// *Reservation, which reserves nothing and never waits.
func (b *Budget) Open() *Reservation {
	if b == nil {
		return nil
	}
	return &Reservation{b: b}
}

// Reservation is the memory one fetch holds. It is used by one goroutine
// at a time.
type Reservation struct {
	b        *Budget
	pool     int64 // bytes taken from the pool
	reserve  int64 // bytes used of the reserve, if owned
	owner    bool  // this reservation owns the reserve
	released bool
}

// Size is how many bytes the reservation holds.
func (r *Reservation) Size() int64 {
	if r == nil {
		return 0
	}
	return r.pool + r.reserve
}

// GrowTo makes the reservation hold at least n bytes (n at most the
// budget's maxBody), waiting for memory while ctx lasts.
func (r *Reservation) GrowTo(ctx context.Context, n int64) error {
	if r == nil || n <= r.Size() {
		return nil
	}
	if r.released {
		return fmt.Errorf("crawler: grow a released reservation")
	}
	if n > r.b.maxBody {
		return fmt.Errorf("crawler: reservation of %d bytes past the largest body, %s", n, formatBytes(r.b.maxBody))
	}
	need := n - r.Size()
	for waited := false; ; waited = true {
		if r.owner {
			// Size never passes maxBody, so the reserve always has room.
			r.reserve += need
			r.b.inUse.Add(need)
			return nil
		}
		if r.b.pool.TryAcquire(need) {
			r.take(need)
			return nil
		}
		// freed is read before the reserve is tried: a reserve given back
		// in between then wakes the wait below.
		freed, ok := r.b.claim()
		if ok {
			r.owner = true
			continue
		}
		if !waited {
			r.b.waits.Add(1)
		}
		resume := pauseClock(ctx)
		acquired, err := r.b.acquire(ctx, need, freed)
		resume()
		if err != nil {
			return fmt.Errorf("wait for body memory: %w", err)
		}
		if acquired {
			r.take(need)
			return nil
		}
	}
}

// take counts need bytes taken from the pool.
func (r *Reservation) take(need int64) {
	r.pool += need
	r.b.inUse.Add(need)
}

// Release gives back everything the reservation holds. It may be called
// more than once.
func (r *Reservation) Release() {
	if r == nil || r.released {
		return
	}
	r.released = true
	if r.pool > 0 {
		r.b.pool.Release(r.pool)
	}
	r.b.inUse.Add(-r.Size())
	if r.owner {
		r.b.unclaim()
	}
	r.pool, r.reserve, r.owner = 0, 0, false
}

// claim takes the reserve if it is free; otherwise it returns the
// channel closed when its owner gives it back.
func (b *Budget) claim() (freed <-chan struct{}, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.reserved {
		return b.freed, false
	}
	b.reserved = true
	return nil, true
}

// unclaim gives the reserve back and wakes those waiting for it.
func (b *Budget) unclaim() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.reserved = false
	close(b.freed)
	b.freed = make(chan struct{})
}

// acquire waits for n bytes of the pool until ctx ends or freed is
// closed; acquired says the bytes were taken.
func (b *Budget) acquire(ctx context.Context, n int64, freed <-chan struct{}) (acquired bool, err error) {
	wctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		select {
		case <-freed:
			cancel()
		case <-stop:
		}
	}()
	if err := b.pool.Acquire(wctx, n); err != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		return false, nil // the reserve is free: try for it
	}
	return true, nil
}

// reservationKey carries a fetch's Reservation in its context, from the
// Pipeline that opens and releases it to the body reader that grows it.
type reservationKey struct{}

func withReservation(ctx context.Context, r *Reservation) context.Context {
	if r == nil {
		return ctx
	}
	return context.WithValue(ctx, reservationKey{}, r)
}

// reservationFrom is ctx's Reservation, or nil (no budget).
func reservationFrom(ctx context.Context) *Reservation {
	r, _ := ctx.Value(reservationKey{}).(*Reservation)
	return r
}
