package registry

import (
	"context"
	"errors"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/internal/pgtest"
)

// TestPruneAlongsideCrawl measures pruning on PostgreSQL beside a crawl's
// writes: a registry of 10,000 sites and BEIANWATCH_PRUNE_ROWS old
// history entries (all prunable), and "crawl cycles" that lease every
// site and complete it in batches of 64, as serve stores them, without
// fetching anything (so the registry's share, which pruning competes with,
// is all there is). It prints the cycle's time alone, and with
// PruneHistory running meanwhile, and pruning's rate. docs/history.md has
// the figures. BEIANWATCH_PRUNE_PACE is PruneHistory's pace (the
// daemon's is pacePrune).
//
//	BEIANWATCH_TEST_POSTGRES=postgres://… BEIANWATCH_PRUNE_ROWS=1000000 BEIANWATCH_PRUNE_PACE=3 go test -run PruneAlongsideCrawl -v -timeout 30m ./registry
func TestPruneAlongsideCrawl(t *testing.T) {
	rows, _ := strconv.Atoi(os.Getenv("BEIANWATCH_PRUNE_ROWS"))
	pace, _ := strconv.ParseFloat(os.Getenv("BEIANWATCH_PRUNE_PACE"), 64)
	if rows <= 0 || os.Getenv(postgresEnv) == "" {
		t.Skipf("BEIANWATCH_PRUNE_ROWS and %s are needed: a measurement, on PostgreSQL", postgresEnv)
	}
	const sites, batch = 10_000, 64
	ctx := context.Background()
	s := mustOpenStore(t, pgtest.SchemaDSN(t))
	start := time.Now()
	loadSites(t, s, sites)
	// Old entries that changed nothing, ~400 bytes each, a few seconds
	// apart, 501 to 500 - rows/sites·… days old: all before the cutoff.
	_, err := s.db.Exec(`INSERT INTO check_results (site_id, checked_at, target, final_url, http_status, verdict,
		findings, evidence, body_sha256, duration_ms, error, policy, numbers, verdict_change)
		SELECT 1 + i % $1, $2::timestamptz - interval '501 days' + i * interval '1 second', 'site' || (1 + i % $1) || '.example.cn',
			'https://site' || (1 + i % $1) || '.example.cn/', 200, 'pass', '[]', repeat('<footer>备案</footer>', 10),
			md5(i::text) || md5(i::text), 120, '', 'builtin', '京ICP备2000000001号-1', false
		FROM generate_series(1, $3::int) i`, sites, testNow, rows)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Exec("ANALYZE check_results"); err != nil {
		t.Fatal(err)
	}
	t.Logf("loaded %d sites and %d old history entries in %v", sites, rows, time.Since(start).Round(time.Millisecond))
	cycle := func() time.Duration {
		t.Helper()
		if _, err := s.db.Exec("UPDATE site_state SET next_check_at = $1", testNow); err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		for {
			ls, err := s.Lease(ctx, "crawler", batch, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			if len(ls) == 0 {
				return time.Since(start)
			}
			cs := make([]Completion, len(ls))
			for i, l := range ls {
				cs[i] = Completion{Result: Result{SiteID: l.Site.ID, CheckedAt: testNow, Target: l.Site.Domains[0].ASCII,
					FinalURL: "https://" + l.Site.Domains[0].ASCII + "/", HTTPStatus: 200, Verdict: checker.VerdictPass,
					Evidence: strings.Repeat("<footer>备案</footer>", 10), Duration: 120 * time.Millisecond, Policy: "builtin"},
					Next: testNow.Add(time.Hour)}
			}
			errs, err := s.CompleteBatch(ctx, "crawler", cs)
			if err = errors.Join(append(errs, err)...); err != nil {
				t.Fatal(err)
			}
		}
	}
	cycle() // every site gets a latest entry, so the old ones become prunable
	// Cycles alone and beside pruning alternate, so that the machine's
	// drift (other work on it) touches both alike.
	var alone, beside []time.Duration
	var pruned int
	var took time.Duration
	for range 4 {
		alone = append(alone, cycle())
		pctx, stop := context.WithCancel(ctx)
		done := make(chan struct{})
		go func() {
			defer close(done)
			start := time.Now()
			n, err := s.PruneHistory(pctx, testNow.Add(-400*24*time.Hour), 1000, pace)
			pruned, took = pruned+n, took+time.Since(start)
			if err != nil {
				t.Error(err)
			}
		}()
		beside = append(beside, cycle())
		stop()
		<-done
	}
	t.Logf("crawl cycle alone: %v", alone)
	t.Logf("crawl cycle while pruning: %v", beside)
	t.Logf("pruned %d entries in %v (%.0f/s)", pruned, took.Round(time.Millisecond), float64(pruned)/took.Seconds())
	t.Logf("median cycle: %v alone, %v while pruning (%+.0f%%)", median(alone), median(beside),
		100*(median(beside).Seconds()/median(alone).Seconds()-1))
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
