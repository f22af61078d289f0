package crawler

import (
	"context"
	"errors"
	"sync"
	"time"
)

// errAttemptTimeout is the cause of an attempt's context ending on its
// clock.
var errAttemptTimeout = errors.New("crawler: attempt timed out")

// attemptClock is one attempt's Timeout. It stops while the fetch waits
// for body memory: the timeout measures the site, not the crawler's own
// queue, so a slow but sound site is not failed because others filled the
// budget. A context deadline cannot stop, hence the timer.
type attemptClock struct {
	mu       sync.Mutex
	timer    *time.Timer
	deadline time.Time     // while running
	left     time.Duration // while stopped
	stops    int
}

type clockKey struct{}

// withAttemptClock derives the context of an attempt that ends after
// timeout of running time, with errAttemptTimeout as its cause; stop
// frees the timer.
func withAttemptClock(parent context.Context, timeout time.Duration) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancelCause(parent)
	c := &attemptClock{deadline: time.Now().Add(timeout)}
	c.timer = time.AfterFunc(timeout, func() { cancel(errAttemptTimeout) })
	return context.WithValue(ctx, clockKey{}, c), func() {
		c.timer.Stop()
		cancel(context.Canceled)
	}
}

// pauseClock stops ctx's attempt clock, if any, until the returned
// function is called. Pauses may nest.
func pauseClock(ctx context.Context) (resume func()) {
	c, _ := ctx.Value(clockKey{}).(*attemptClock)
	if c == nil {
		return func() {}
	}
	c.mu.Lock()
	if c.stops++; c.stops == 1 && c.timer.Stop() {
		c.left = time.Until(c.deadline)
	}
	c.mu.Unlock()
	return func() {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.stops--; c.stops == 0 && c.left > 0 {
			c.deadline = time.Now().Add(c.left)
			c.timer.Reset(c.left)
			c.left = 0
		}
	}
}

// attemptDeadline is when ctx's attempt clock runs out if it does not
// stop again, or ctx's deadline.
func attemptDeadline(ctx context.Context) (time.Time, bool) {
	if c, _ := ctx.Value(clockKey{}).(*attemptClock); c != nil {
		c.mu.Lock()
		defer c.mu.Unlock()
		if c.stops > 0 {
			return time.Now().Add(c.left), true
		}
		return c.deadline, true
	}
	return ctx.Deadline()
}
