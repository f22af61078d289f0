package registry

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/beianwatch/beianwatch/checker"
)

// TestCommitter completes many leased sites from as many goroutines at
// once: each call gets its own site's answer, and each held lease's check
// is stored exactly once.
func TestCommitter(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := mustOpenStore(t, dsn)
		const n = 40
		setups := make([]siteSetup, n)
		for i := range setups {
			setups[i] = siteSetup{owner: "me", expires: testTTL}
			if i%5 == 3 {
				setups[i].owner = "other" // taken over
			}
		}
		ids := setUpSites(t, s, setups...)
		c := s.Committer("me", 8) // smaller than n: several transactions
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i, id := range ids {
			wg.Go(func() {
				r := Result{SiteID: id, CheckedAt: testNow, Target: fmt.Sprint("target", i), HTTPStatus: 200, Verdict: checker.VerdictPass}
				errs[i] = c.Complete(ctx, r, testNow.Add(time.Hour), checker.Deadlines{}, true)
			})
		}
		wg.Wait()
		for i, id := range ids {
			want := error(nil)
			if setups[i].owner != "me" {
				want = ErrLeaseLost
			}
			if !errors.Is(errs[i], want) || (want == nil) != (errs[i] == nil) {
				t.Errorf("site %d: Complete = %v, want %v", i, errs[i], want)
			}
			rs, err := s.Results(ctx, id, 0)
			if err != nil {
				t.Fatal(err)
			}
			_, st := mustSite(t, s, fmt.Sprintf("site%d.example.cn", i))
			switch {
			case want != nil && (len(rs) != 0 || st.LeaseOwner != "other"):
				t.Errorf("site %d (lease lost): %d results, lease %q; want none, other's", i, len(rs), st.LeaseOwner)
			case want == nil && (len(rs) != 1 || rs[0].Target != fmt.Sprint("target", i) || st.LeaseOwner != "" || st.Verdict != checker.VerdictPass):
				t.Errorf("site %d: results %+v, state %+v; want its one check stored", i, rs, st)
			}
		}
	})
}

// TestCommitterGroups holds SQLite's one writer connection while the
// first call waits for it and the others queue: once it is free, the
// first call's transaction is followed by one for all the rest.
func TestCommitterGroups(t *testing.T) {
	ctx := context.Background()
	s := mustOpenStore(t, sqliteDSNForTest(t))
	const n = 20
	setups := make([]siteSetup, n)
	for i := range setups {
		setups[i] = siteSetup{owner: "me", expires: testTTL}
	}
	ids := setUpSites(t, s, setups...)
	hold, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	c := s.Committer("me", 0)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Go(func() {
			r := Result{SiteID: id, CheckedAt: testNow, HTTPStatus: 200, Verdict: checker.VerdictPass}
			errs[i] = c.Complete(ctx, r, testNow.Add(time.Hour), checker.Deadlines{}, true)
		})
	}
	for deadline := time.Now().Add(10 * time.Second); ; {
		c.mu.Lock()
		queued := len(c.queue)
		c.mu.Unlock()
		if queued == n-1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d calls queued behind the first, want %d", queued, n-1)
		}
		time.Sleep(time.Millisecond)
	}
	if err := hold.Rollback(); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("site %d: Complete = %v", i, err)
		}
	}
	if got := testutil.ToFloat64(s.m.ops.WithLabelValues("complete_batch", "ok")); got != 2 {
		t.Errorf("%d transactions for %d calls, want 2 (the first alone, then the rest)", int(got), n)
	}
	var stored int
	if err := s.db.GetContext(ctx, &stored, "SELECT COUNT(*) FROM check_results"); err != nil {
		t.Fatal(err)
	}
	if stored != n {
		t.Errorf("%d results stored, want %d", stored, n)
	}
}

// TestCommitterContext: a call whose context has ended stores nothing and
// says so; the next call is stored as usual.
func TestCommitterContext(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dsn string) {
		s := mustOpenStore(t, dsn)
		ids := setUpSites(t, s, siteSetup{owner: "me", expires: testTTL}, siteSetup{owner: "me", expires: testTTL})
		c := s.Committer("me", 0)
		done, cancel := context.WithCancel(context.Background())
		cancel()
		r := Result{SiteID: ids[0], CheckedAt: testNow, HTTPStatus: 200, Verdict: checker.VerdictPass}
		if err := c.Complete(done, r, testNow.Add(time.Hour), checker.Deadlines{}, true); !errors.Is(err, context.Canceled) {
			t.Fatalf("Complete with an ended context = %v, want context.Canceled", err)
		}
		if rs, err := s.Results(context.Background(), ids[0], 0); err != nil || len(rs) != 0 {
			t.Fatalf("results after a cancelled Complete: %v, %v; want none", rs, err)
		}
		r.SiteID = ids[1]
		if err := c.Complete(context.Background(), r, testNow.Add(time.Hour), checker.Deadlines{}, true); err != nil {
			t.Fatalf("Complete after a cancelled one: %v", err)
		}
	})
}
