package daemon

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/registry"
)

// fakePruner records the cutoffs it was asked to prune before.
type fakePruner struct {
	claim   bool
	err     error
	cutoffs []time.Time
}

func (f *fakePruner) ClaimPeriodic(context.Context, string, string, time.Duration) (bool, error) {
	return f.claim, f.err
}

func (f *fakePruner) PruneHistory(_ context.Context, cutoff time.Time, _ int, _ float64) (int, error) {
	f.cutoffs = append(f.cutoffs, cutoff)
	return 7, nil
}

func TestPruningOnce(t *testing.T) {
	now := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	retain := 400 * 24 * time.Hour
	tests := []struct {
		name  string
		claim bool
		err   error
		want  int
	}{
		{"claimed", true, nil, 7},
		{"another replica's turn", false, nil, 0},
		{"registry down", false, errors.New("down"), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakePruner{claim: tt.claim, err: tt.err}
			p := newPruning(f, "me", retain, func() time.Time { return now }, slog.New(slog.NewTextHandler(io.Discard, nil)), prometheus.NewRegistry())
			if got := p.once(context.Background()); got != tt.want {
				t.Errorf("once() = %d, want %d", got, tt.want)
			}
			if got := testutil.ToFloat64(p.pruned); got != float64(tt.want) {
				t.Errorf("pruned counter = %v, want %d", got, tt.want)
			}
			if tt.want > 0 && (len(f.cutoffs) != 1 || !f.cutoffs[0].Equal(now.Add(-retain))) {
				t.Errorf("cutoffs = %v, want [%v]", f.cutoffs, now.Add(-retain))
			}
		})
	}
}

func TestChecksOf(t *testing.T) {
	fail := registry.Result{Verdict: checker.VerdictFail, Count: 3}
	pass := registry.Result{Verdict: checker.VerdictPass, Count: 2}
	old := registry.Result{Verdict: checker.VerdictError} // a fake's, or a row without a count
	tests := []struct {
		name string
		rs   []registry.Result
		n    int
		want string
	}{
		{"expanded", []registry.Result{fail, pass, old}, 10, "fail fail fail pass pass error"},
		{"cut at n", []registry.Result{fail, pass}, 4, "fail fail fail pass"},
		{"none", nil, 4, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var vs []string
			for _, c := range checksOf(tt.rs, tt.n) {
				vs = append(vs, string(c.Verdict))
			}
			if got := strings.Join(vs, " "); got != tt.want {
				t.Errorf("checksOf(%s) = %q, want %q", tt.name, got, tt.want)
			}
		})
	}
}
