package daemon

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/beianwatch/beianwatch/internal/redact"
	"github.com/beianwatch/beianwatch/registry"
)

// writeHealth remembers since when the registry has refused the queue's
// writes (leases and stored checks). A registry that answers pings but
// cannot be written (a full disk, a read-only failover, a lost
// permission) checks nothing, so /readyz must say so; Ping alone does
// not. It is safe for concurrent use.
type writeHealth struct {
	mu sync.Mutex
	// failingSince is the first failure since the last success; zero
	// while writes succeed.
	failingSince time.Time
	now          func() time.Time
}

// record notes the outcome of one write. An error from a context that
// ended is a shutdown, not a failure of the registry.
func (h *writeHealth) record(ctx context.Context, err error) {
	if err != nil && ctx.Err() != nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	switch {
	case err == nil:
		h.failingSince = time.Time{}
	case h.failingSince.IsZero():
		h.failingSince = h.now()
	}
}

// failingFor is how long writes have failed without a success; zero
// while they succeed.
func (h *writeHealth) failingFor() time.Duration {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.failingSince.IsZero() {
		return 0
	}
	return h.now().Sub(h.failingSince)
}

// Back-off between attempts to open a registry that does not answer.
const (
	openRetryMin = 250 * time.Millisecond
	openRetryMax = 5 * time.Second
)

// openStore opens the registry, waiting with back-off while its server
// is unreachable (registry.ErrUnreachable) until ctx ends: replicas and
// their database often start together, and a replica that exits at once
// is restarted into a crash loop. Other errors (a bad DSN, a refused
// password) are returned at once.
func openStore(ctx context.Context, o *Options) (*registry.Store, error) {
	delay := openRetryMin
	for {
		st, err := registry.Open(ctx, o.DSN, o.Logger, o.Metrics)
		if err == nil || !errors.Is(err, registry.ErrUnreachable) {
			return st, err
		}
		o.Logger.Warn("registry unreachable; retrying", "db", redact.DSN(o.DSN), "in", delay, "err", redact.Text(err.Error()))
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, fmt.Errorf("%w (gave up: %v)", err, context.Cause(ctx))
		case <-t.C:
		}
		delay = min(2*delay, openRetryMax)
	}
}
