package registry

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/beianwatch/beianwatch/checker"
)

// Committer is Complete for many goroutines at once: calls that arrive
// while a transaction is being written wait, and the next transaction
// stores all of them (a group commit: one BEGIN, one COMMIT and one
// prepared statement for the lot, where each check used to cost its own).
// Each call still returns only once its own check is stored, with its own
// error: ErrLeaseLost for a lease that was lost, whatever the others'.
//
// It runs no goroutine of its own: the first caller that finds no
// transaction under way writes one for everyone waiting, and when its own
// check is stored hands the rest to the next caller in line. So a
// transaction runs under one caller's context; when that context ends, the
// transaction fails, each caller in it gets the error and nothing of it is
// stored, as for a Complete that fails.
type Committer struct {
	s     *Store
	owner string
	max   int

	mu      sync.Mutex
	queue   []*commitCall
	leading bool // a caller is writing transactions
}

// commitCall is one Complete waiting in a Committer's queue.
type commitCall struct {
	c Completion
	// done gets the call's answer: its error, or lead (the call is to write
	// the next transaction itself).
	done chan commitAnswer
}

type commitAnswer struct {
	err  error
	lead bool
}

// Committer returns a Committer for owner's leases that writes at most max
// checks to a transaction (zero means 128).
func (s *Store) Committer(owner string, max int) *Committer {
	if max <= 0 {
		max = 128
	}
	return &Committer{s: s, owner: owner, max: max}
}

// Complete is Store.Complete for the Committer's owner, stored in a
// transaction shared with the calls made meanwhile.
func (c *Committer) Complete(ctx context.Context, r Result, next time.Time, d checker.Deadlines, badgeShown bool) error {
	if c.owner == "" {
		return fmt.Errorf("complete site %d: no owner", r.SiteID)
	}
	call := &commitCall{c: Completion{Result: r, Next: next, Deadlines: d, BadgeShown: badgeShown}, done: make(chan commitAnswer, 1)}
	c.mu.Lock()
	c.queue = append(c.queue, call)
	if c.leading {
		c.mu.Unlock()
		if a := <-call.done; !a.lead {
			return a.err
		}
		c.mu.Lock() // handed the lead: the last leader has let go of the queue
	}
	c.leading = true
	var err error
	for {
		n := min(len(c.queue), c.max)
		batch := c.queue[:n:n]
		c.queue = c.queue[n:]
		c.mu.Unlock()
		mine := c.write(ctx, batch, call)
		c.mu.Lock()
		if mine != nil {
			err = mine.err
			break
		}
	}
	// Our check is in; the next caller in line writes the rest (under its
	// own context), or nobody leads until a call comes.
	if len(c.queue) > 0 {
		c.queue[0].done <- commitAnswer{lead: true}
	} else {
		c.leading = false
	}
	c.mu.Unlock()
	return err
}

// write stores one batch and answers each call in it; it returns own's
// answer if own was in the batch (and nil otherwise).
func (c *Committer) write(ctx context.Context, batch []*commitCall, own *commitCall) *commitAnswer {
	cs := make([]Completion, len(batch))
	for i, call := range batch {
		cs[i] = call.c
	}
	errs, err := c.s.CompleteBatch(ctx, c.owner, cs)
	var mine *commitAnswer
	for i, call := range batch {
		a := commitAnswer{err: err}
		if err == nil {
			a.err = errs[i]
		}
		if call == own {
			mine = &a
			continue
		}
		call.done <- a
	}
	return mine
}
