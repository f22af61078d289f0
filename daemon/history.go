package daemon

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// historyPruner is what the pruning loop needs of the registry.
type historyPruner interface {
	ClaimPeriodic(ctx context.Context, name, owner string, period time.Duration) (bool, error)
	PruneHistory(ctx context.Context, cutoff time.Time, batch int, pace float64) (int, error)
}

const (
	// pruneEvery is how often one replica prunes: old history only grows
	// by an hour's worth in between.
	pruneEvery = time.Hour
	// pruneBatch is the rows one prune transaction deletes at most: a
	// short lock on them (docs/history.md).
	pruneBatch = 1000
	// prunePace makes pruning rest ten times as long as each batch took:
	// it takes an eleventh of one connection at most, and a crawl beside
	// it keeps its speed; at 3 it was 15% slower (docs/history.md).
	prunePace = 10
)

// pruning deletes the history older than retain that the registry does
// not keep (registry.PruneHistory), on one replica at a time.
type pruning struct {
	st     historyPruner
	owner  string
	retain time.Duration
	now    func() time.Time
	logger *slog.Logger
	pruned prometheus.Counter
}

func newPruning(st historyPruner, owner string, retain time.Duration, now func() time.Time, logger *slog.Logger, reg prometheus.Registerer) *pruning {
	return &pruning{st: st, owner: owner, retain: retain, now: now, logger: logger.With("component", "history"),
		pruned: promauto.With(reg).NewCounter(prometheus.CounterOpts{
			Name: "beianwatch_registry_history_pruned_total",
			Help: "History entries deleted by pruning (--retain).",
		})}
}

// Run prunes at once and then every pruneEvery until ctx ends. Without a
// retention (0) it does nothing.
func (p *pruning) Run(ctx context.Context) {
	if p.retain <= 0 {
		return
	}
	t := time.NewTicker(pruneEvery)
	defer t.Stop()
	for {
		p.once(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// once prunes if this replica claims the period's run, and returns how
// many entries it deleted.
func (p *pruning) once(ctx context.Context) int {
	won, err := p.st.ClaimPeriodic(ctx, "prune_history", p.owner, pruneEvery)
	if err != nil || !won {
		if err != nil && ctx.Err() == nil {
			p.logger.Warn("cannot claim the history pruning", "err", err)
		}
		return 0
	}
	start := time.Now()
	n, err := p.st.PruneHistory(ctx, p.now().Add(-p.retain), pruneBatch, prunePace)
	p.pruned.Add(float64(n))
	if err != nil {
		p.logger.Error("pruning the history failed", "deleted", n, "err", err)
		return n
	}
	p.logger.Info("history pruned", "deleted", n, "duration", time.Since(start).Round(time.Millisecond))
	return n
}
