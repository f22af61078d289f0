package registry

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/internal/pgtest"
)

const testTTL = time.Minute

// siteSetup is one site's schedule before a test leases: due at testNow
// plus due; leased to owner until testNow plus expires when owner is set;
// retired when retired.
type siteSetup struct {
	due     time.Duration
	owner   string
	expires time.Duration
	retired bool
}

// setUpSites imports one example site per setup, with its schedule, and
// returns their ids in the same order.
func setUpSites(t testing.TB, s *Store, setups ...siteSetup) []int64 {
	t.Helper()
	ctx := context.Background()
	sites := make([]Site, len(setups))
	for i := range setups {
		sites[i] = exampleSite(i)
	}
	mustUpsert(t, s, sites...)
	ids := make([]int64, len(setups))
	for i, su := range setups {
		si, _ := mustSite(t, s, fmt.Sprintf("site%d.example.cn", i))
		ids[i] = si.ID
		var expires dbTime
		if su.owner != "" {
			expires = ts(testNow.Add(su.expires))
		}
		_, err := s.db.ExecContext(ctx, s.db.Rebind("UPDATE site_state SET next_check_at = ?, lease_owner = ?, lease_expires_at = ? WHERE site_id = ?"),
			ts(testNow.Add(su.due)), su.owner, expires, si.ID)
		if err != nil {
			t.Fatal(err)
		}
		if su.retired {
			if err := s.RetireSite(ctx, si.Domains[0].ASCII); err != nil {
				t.Fatal(err)
			}
		}
	}
	return ids
}

// leaseIDs is the site ids of leases, in order.
func leaseIDs(ls []Lease) []int64 {
	var ids []int64
	for _, l := range ls {
		ids = append(ids, l.Site.ID)
	}
	return ids
}

// pick returns ids[i] for each i.
func pick(ids []int64, is ...int) []int64 {
	var out []int64
	for _, i := range is {
		out = append(out, ids[i])
	}
	return out
}

func TestLease(t *testing.T) {
	const h = time.Hour
	tests := []struct {
		name  string
		sites []siteSetup
		n     int
		want  []int // indexes into sites, in lease order
	}{{
		name:  "oldest due first",
		sites: []siteSetup{{due: -1 * h}, {due: -3 * h}, {due: -2 * h}},
		n:     10,
		want:  []int{1, 2, 0},
	}, {
		name:  "same due time in id order",
		sites: []siteSetup{{}, {}, {}},
		n:     10,
		want:  []int{0, 1, 2},
	}, {
		name:  "at most n",
		sites: []siteSetup{{due: -1 * h}, {due: -3 * h}, {due: -2 * h}},
		n:     2,
		want:  []int{1, 2},
	}, {
		name:  "due now is due, later is not",
		sites: []siteSetup{{due: time.Microsecond}, {due: 0}, {due: h}},
		n:     10,
		want:  []int{1},
	}, {
		name:  "another owner's lease is kept",
		sites: []siteSetup{{due: -2 * h, owner: "other", expires: time.Second}, {due: -1 * h}},
		n:     10,
		want:  []int{1},
	}, {
		name:  "own lease is not handed out twice",
		sites: []siteSetup{{due: -2 * h, owner: "me", expires: time.Second}, {due: -1 * h}},
		n:     10,
		want:  []int{1},
	}, {
		name:  "expired lease is taken over",
		sites: []siteSetup{{due: -2 * h, owner: "other", expires: -time.Second}, {due: -1 * h}},
		n:     10,
		want:  []int{0, 1},
	}, {
		name:  "lease expiring now is expired",
		sites: []siteSetup{{due: -2 * h, owner: "other", expires: 0}},
		n:     10,
		want:  []int{0},
	}, {
		name:  "retired sites are never leased",
		sites: []siteSetup{{due: -2 * h, retired: true}, {due: -1 * h}, {due: -3 * h, retired: true}},
		n:     10,
		want:  []int{1},
	}, {
		name:  "nothing due",
		sites: []siteSetup{{due: h}, {due: 2 * h}},
		n:     10,
		want:  nil,
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachEngine(t, func(t *testing.T, dsn string) {
				ctx := context.Background()
				s := mustOpenStore(t, dsn)
				ids := setUpSites(t, s, tt.sites...)
				_, before := allSites(t, s)

				got, err := s.Lease(ctx, "me", tt.n, testTTL)
				if err != nil {
					t.Fatalf("Lease: %v", err)
				}
				if diff := cmp.Diff(pick(ids, tt.want...), leaseIDs(got)); diff != "" {
					t.Errorf("Lease(me, %d) sites (-want +got):\n%s", tt.n, diff)
				}
				leased := make(map[int64]bool)
				for _, l := range got {
					leased[l.Site.ID] = true
					// The lease carries the whole site, as SiteByDomain
					// reads it, with the new lease in its state.
					si, st := mustSite(t, s, l.Site.Domains[0].ASCII)
					if diff := cmp.Diff(si, l.Site, cmpAddr); diff != "" {
						t.Errorf("Lease: site %d (-SiteByDomain +Lease):\n%s", si.ID, diff)
					}
					if diff := cmp.Diff(st, l.State); diff != "" {
						t.Errorf("Lease: state of site %d (-SiteByDomain +Lease):\n%s", si.ID, diff)
					}
					if l.State.LeaseOwner != "me" || !l.State.LeaseExpiresAt.Equal(testNow.Add(testTTL)) {
						t.Errorf("Lease: site %d leased to %q until %v, want me until %v", si.ID, l.State.LeaseOwner, l.State.LeaseExpiresAt, testNow.Add(testTTL))
					}
				}
				// The others are untouched.
				_, after := allSites(t, s)
				for i := range after {
					if !leased[after[i].SiteID] {
						if diff := cmp.Diff(before[i], after[i]); diff != "" {
							t.Errorf("site %d not leased, but its state changed (-before +after):\n%s", after[i].SiteID, diff)
						}
					}
				}
			})
		})
	}
}

func TestLeaseArguments(t *testing.T) {
	s := mustOpenStore(t, pgtest.SQLiteDSN(t))
	for _, tt := range []struct {
		owner string
		n     int
		ttl   time.Duration
	}{{"", 1, time.Minute}, {"me", 0, time.Minute}, {"me", 1, 0}} {
		if _, err := s.Lease(context.Background(), tt.owner, tt.n, tt.ttl); err == nil {
			t.Errorf("Lease(%q, %d, %v): no error, want one", tt.owner, tt.n, tt.ttl)
		}
	}
}

// TestLeaseHandOver follows sites from owner to owner as the clock moves:
// no site is leased twice while its lease runs, and an expired lease goes
// to whoever asks next.
func TestLeaseHandOver(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := mustOpenStore(t, dsn)
		ids := setUpSites(t, s, siteSetup{due: -3 * time.Hour}, siteSetup{due: -2 * time.Hour}, siteSetup{due: -1 * time.Hour})
		lease := func(owner string, n int, want ...int64) {
			t.Helper()
			got, err := s.Lease(ctx, owner, n, testTTL)
			if err != nil {
				t.Fatalf("Lease(%s): %v", owner, err)
			}
			if diff := cmp.Diff(want, leaseIDs(got)); diff != "" {
				t.Errorf("Lease(%s, %d) at %v (-want +got):\n%s", owner, n, s.now().Sub(testNow), diff)
			}
		}
		lease("a", 2, ids[0], ids[1])
		lease("b", 2, ids[2])
		lease("c", 2)
		lease("a", 2)

		s.now = func() time.Time { return testNow.Add(testTTL - time.Second) }
		lease("c", 5)
		s.now = func() time.Time { return testNow.Add(testTTL) }
		lease("c", 5, ids...)
		lease("a", 5)
	})
}

func TestComplete(t *testing.T) {
	tests := []struct {
		name    string
		site    siteSetup
		retire  bool  // retire the site after setting it up
		unknown bool  // complete a site id that does not exist
		wantErr error // nil: the check is recorded
	}{{
		name: "lease held",
		site: siteSetup{owner: "me", expires: testTTL},
	}, {
		name: "lease expired, nobody took it",
		site: siteSetup{owner: "me", expires: -time.Hour},
	}, {
		name:    "lease taken over",
		site:    siteSetup{owner: "other", expires: testTTL},
		wantErr: ErrLeaseLost,
	}, {
		name:    "lease released",
		site:    siteSetup{},
		wantErr: ErrLeaseLost,
	}, {
		name:    "site retired meanwhile",
		site:    siteSetup{owner: "me", expires: testTTL},
		retire:  true,
		wantErr: ErrLeaseLost,
	}, {
		name:    "unknown site",
		site:    siteSetup{owner: "me", expires: testTTL},
		unknown: true,
		wantErr: ErrNotFound,
	}}
	// Complete and a CompleteBatch of one must agree on every case.
	completes := map[string]func(s *Store, r Result, next time.Time) error{
		"Complete": func(s *Store, r Result, next time.Time) error {
			return s.Complete(context.Background(), "me", r, next, checker.Deadlines{}, true)
		},
		"CompleteBatch": func(s *Store, r Result, next time.Time) error {
			errs, err := s.CompleteBatch(context.Background(), "me", []Completion{{Result: r, Next: next, BadgeShown: true}})
			if err != nil {
				return err
			}
			if len(errs) != 1 {
				return fmt.Errorf("CompleteBatch of one returned %d errors", len(errs))
			}
			return errs[0]
		},
	}
	for _, tt := range tests {
		for fname, complete := range completes {
			t.Run(tt.name+"/"+fname, func(t *testing.T) {
				forEachEngine(t, func(t *testing.T, dsn string) {
					ctx := context.Background()
					s := mustOpenStore(t, dsn)
					id := setUpSites(t, s, tt.site)[0]
					if tt.retire {
						if err := s.RetireSite(ctx, "site0.example.cn"); err != nil {
							t.Fatal(err)
						}
					}
					if tt.unknown {
						id += 100
					}
					_, before := mustSite(t, s, "site0.example.cn")
					r := Result{SiteID: id, CheckedAt: testNow, Target: "site0.example.cn", HTTPStatus: 200, Verdict: checker.VerdictPass}
					next := testNow.Add(24 * time.Hour)

					err := complete(s, r, next)
					if !errors.Is(err, tt.wantErr) {
						t.Fatalf("%s = %v, want %v", fname, err, tt.wantErr)
					}

					_, after := mustSite(t, s, "site0.example.cn")
					rs, err := s.Results(ctx, id, 0)
					if err != nil {
						t.Fatal(err)
					}
					want := *before
					wantResults := 0
					if tt.wantErr == nil {
						want.Verdict, want.LastCheckAt, want.NextCheckAt = checker.VerdictPass, testNow, next
						want.FirstLiveAt, want.BadgeFirstSeenAt, want.BadgeShown, want.LastPassAt = testNow, testNow, true, testNow
						want.LeaseOwner, want.LeaseExpiresAt, want.Deadlines = "", time.Time{}, checker.Deadlines{}
						wantResults = 1
					}
					if diff := cmp.Diff(&want, after); diff != "" {
						t.Errorf("state after %s (-want +got):\n%s", fname, diff)
					}
					if len(rs) != wantResults {
						t.Errorf("%s left %d results, want %d", fname, len(rs), wantResults)
					}
				})
			})
		}
	}
}

// TestCompleteBatchMixed stores one batch in which some leases are held
// and some lost: the held ones are stored, the lost ones are reported
// each with its own error and leave nothing behind.
func TestCompleteBatchMixed(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := mustOpenStore(t, dsn)
		mine := siteSetup{owner: "me", expires: testTTL}
		ids := setUpSites(t, s,
			mine,
			siteSetup{owner: "other", expires: testTTL}, // taken over
			siteSetup{owner: "me", expires: -time.Hour}, // expired, nobody took it
			siteSetup{}, // released
			mine,
		)
		type state struct {
			site *Site
			st   *State
		}
		before := make([]state, len(ids))
		for i := range ids {
			before[i].site, before[i].st = mustSite(t, s, fmt.Sprintf("site%d.example.cn", i))
		}
		// Not in id order, with a site that does not exist, and a site
		// twice (the second finds the lease ended by the first).
		batch := []int64{ids[4], ids[1], ids[0], ids[3] + 100, ids[2], ids[3], ids[4]}
		wantErrs := []error{nil, ErrLeaseLost, nil, ErrNotFound, nil, ErrLeaseLost, ErrLeaseLost}
		cs := make([]Completion, len(batch))
		for i, id := range batch {
			cs[i] = Completion{
				Result: Result{SiteID: id, CheckedAt: testNow, Target: fmt.Sprint("target", i), HTTPStatus: 200,
					Verdict: checker.VerdictFail, Findings: []checker.Finding{{Code: "psb-missing", Severity: checker.SeverityError}}},
				Next: testNow.Add(time.Duration(i+1) * time.Hour),
			}
		}
		errs, err := s.CompleteBatch(ctx, "me", cs)
		if err != nil {
			t.Fatalf("CompleteBatch: %v", err)
		}
		if len(errs) != len(cs) {
			t.Fatalf("CompleteBatch returned %d errors for %d completions", len(errs), len(cs))
		}
		stored := map[int64]int{} // site id: index in the batch
		for i, want := range wantErrs {
			if !errors.Is(errs[i], want) || (want == nil) != (errs[i] == nil) {
				t.Errorf("errs[%d] (site %d) = %v, want %v", i, batch[i], errs[i], want)
			}
			if want == nil {
				stored[batch[i]] = i
			}
		}
		for i, id := range ids {
			_, after := mustSite(t, s, fmt.Sprintf("site%d.example.cn", i))
			rs, err := s.Results(ctx, id, 0)
			if err != nil {
				t.Fatal(err)
			}
			k, ok := stored[id]
			if !ok {
				if diff := cmp.Diff(before[i].st, after); diff != "" {
					t.Errorf("site %d, not stored, changed (-before +after):\n%s", i, diff)
				}
				if len(rs) != 0 {
					t.Errorf("site %d, not stored, has %d results", i, len(rs))
				}
				continue
			}
			if after.Verdict != checker.VerdictFail || !after.NextCheckAt.Equal(cs[k].Next) || after.LeaseOwner != "" || after.FailStreak != 1 {
				t.Errorf("site %d: state after CompleteBatch = %+v, want its check's", i, after)
			}
			if len(rs) != 1 || rs[0].Target != cs[k].Result.Target {
				t.Errorf("site %d: results %+v, want the one of target%d", i, rs, k)
			}
		}
	})
}

func TestRelease(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := mustOpenStore(t, dsn)
		ids := setUpSites(t, s, siteSetup{due: -3 * time.Hour}, siteSetup{due: -2 * time.Hour}, siteSetup{due: -1 * time.Hour})
		if _, err := s.Lease(ctx, "a", 3, testTTL); err != nil {
			t.Fatal(err)
		}
		// b cannot release a's leases; a releases two of its three.
		if err := s.Release(ctx, "b", ids); err != nil {
			t.Fatalf("Release(b): %v", err)
		}
		if err := s.Release(ctx, "a", pick(ids, 0, 2)); err != nil {
			t.Fatalf("Release(a): %v", err)
		}
		got, err := s.Lease(ctx, "b", 5, testTTL)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(pick(ids, 0, 2), leaseIDs(got)); diff != "" {
			t.Errorf("Lease after Release (-want +got):\n%s", diff)
		}
		// Released sites keep their place in the queue.
		for _, l := range got {
			if _, st := mustSite(t, s, l.Site.Domains[0].ASCII); !st.NextCheckAt.Before(testNow) {
				t.Errorf("site %d due at %v after Release, want its old due time", l.Site.ID, st.NextCheckAt)
			}
		}
		if err := s.Release(ctx, "a", nil); err != nil {
			t.Errorf("Release(a, nothing) = %v", err)
		}
	})
}

func TestDueSites(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := mustOpenStore(t, dsn)
		count, oldest, err := s.DueSites(ctx, testNow)
		if err != nil || count != 0 || !oldest.IsZero() {
			t.Errorf("DueSites(empty registry) = %d, %v, %v; want 0, zero time", count, oldest, err)
		}
		setUpSites(t, s,
			siteSetup{due: -4 * time.Hour, retired: true},
			siteSetup{due: -3 * time.Hour, owner: "a", expires: time.Second},  // leased
			siteSetup{due: -2 * time.Hour, owner: "a", expires: -time.Second}, // lease expired
			siteSetup{due: -1 * time.Hour},
			siteSetup{due: 0},
			siteSetup{due: time.Hour},
		)
		for _, tt := range []struct {
			now        time.Time
			wantCount  int
			wantOldest time.Time
		}{
			{testNow, 3, testNow.Add(-2 * time.Hour)},
			{testNow.Add(-30 * time.Minute), 1, testNow.Add(-1 * time.Hour)}, // a's other lease still runs
			{testNow.Add(2 * time.Hour), 5, testNow.Add(-3 * time.Hour)},     // a's lease has expired by then
			{testNow.Add(-5 * time.Hour), 0, time.Time{}},
		} {
			count, oldest, err := s.DueSites(ctx, tt.now)
			if err != nil || count != tt.wantCount || !oldest.Equal(tt.wantOldest) {
				t.Errorf("DueSites(%v) = %d, %v, %v; want %d, %v", tt.now, count, oldest, err, tt.wantCount, tt.wantOldest)
			}
		}
	})
}

// TestLeaseConcurrent has three replicas, each with its own Store (its
// own connections), lease batches of 20 from 1,000 due sites and complete
// them until none is left: every site must be checked exactly once.
func TestLeaseConcurrent(t *testing.T) {
	const sites, replicas, batch = 1000, 3, 20
	forEachEngine(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		mustUpsert(t, mustOpenStore(t, dsn), generateSites(sites)...)
		var wg sync.WaitGroup
		done := make([]int, replicas)
		errs := make(chan error, replicas)
		for i := range replicas {
			s := openStore(t, dsn)
			owner := fmt.Sprintf("replica-%d", i)
			wg.Go(func() {
				n, err := leaseAll(ctx, s, owner, batch)
				done[i] = n
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
		t.Logf("sites completed by each replica: %v", done)

		s := openStore(t, dsn)
		var counts []struct {
			SiteID int64 `db:"site_id"`
			N      int   `db:"n"`
		}
		err := s.db.SelectContext(ctx, &counts, `SELECT st.site_id, COUNT(r.id) AS n
			FROM site_state st LEFT JOIN check_results r ON r.site_id = st.site_id
			GROUP BY st.site_id`)
		if err != nil {
			t.Fatal(err)
		}
		if len(counts) != sites {
			t.Errorf("%d sites in site_state, want %d", len(counts), sites)
		}
		for _, c := range counts {
			if c.N != 1 {
				t.Errorf("site %d has %d results, want 1", c.SiteID, c.N)
			}
		}
	})
}

// leaseAll leases and completes batches until none is left, and returns
// how many sites it completed.
func leaseAll(ctx context.Context, s *Store, owner string, batch int) (int, error) {
	done := 0
	for {
		ls, err := s.Lease(ctx, owner, batch, time.Minute)
		if err != nil || len(ls) == 0 {
			return done, err
		}
		for _, l := range ls {
			r := Result{SiteID: l.Site.ID, CheckedAt: testNow, Target: l.Site.Domains[0].ASCII, Verdict: checker.VerdictPass}
			if err := s.Complete(ctx, owner, r, testNow.Add(24*time.Hour), checker.Deadlines{}, false); err != nil {
				return done, err
			}
			done++
		}
	}
}

// TestCompleteBatchSameState: a batch moves each site's state on exactly
// as Complete does, check after check: PostgreSQL's batch statement is not
// Complete's.
func TestCompleteBatchSameState(t *testing.T) {
	left := func(n int) *int { return &n }
	// Characters that array and JSON literals must quote, on the batch
	// path PostgreSQL gets the findings inside an array of jsonb.
	fail := []checker.Finding{{Code: "psb-missing", Severity: checker.SeverityError,
		Message: `no PSB number: "NULL", {a,b} \ 未备案`, Evidence: "<footer a=\"x\">…\n</footer>"}}
	deadlines := checker.Deadlines{
		PSBFiling: checker.Deadline{Status: checker.DeadlineMet, Due: date(2026, 4, 1)},
		Badge:     checker.Deadline{Status: checker.DeadlinePending, Due: date(2026, 12, 1), DaysLeft: left(4)},
	}
	// Each site gets its rounds of checks, in order.
	rounds := [][]Completion{{
		{Result: Result{Verdict: checker.VerdictError, Error: "dial: refused"}},
		{Result: Result{Verdict: checker.VerdictFail, HTTPStatus: 200, Findings: fail}, Deadlines: deadlines},
		{Result: Result{Verdict: checker.VerdictPass, HTTPStatus: 200}, BadgeShown: true},
		{Result: Result{Verdict: checker.VerdictFail, HTTPStatus: 404, Findings: fail}},
	}, {
		{Result: Result{Verdict: checker.VerdictError, HTTPStatus: 503}},
		{Result: Result{Verdict: checker.VerdictFail, HTTPStatus: 200, Findings: fail}, Deadlines: deadlines},
		{Result: Result{Verdict: checker.VerdictFail, HTTPStatus: 301}, BadgeShown: true},
		{Result: Result{Verdict: checker.VerdictPass, HTTPStatus: 200}},
	}}
	forEachEngine(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := mustOpenStore(t, dsn)
		n := len(rounds[0])
		ids := setUpSites(t, s, slices.Repeat([]siteSetup{{owner: "me", expires: testTTL}}, 2*n)...)
		for r, round := range rounds {
			at := testNow.Add(time.Duration(r+1) * time.Hour)
			batch := make([]Completion, n)
			for i, c := range round {
				c.Result.CheckedAt, c.Next = at, at.Add(time.Hour)
				c.Result.SiteID = ids[i]
				if err := s.Complete(ctx, "me", c.Result, c.Next, c.Deadlines, c.BadgeShown); err != nil {
					t.Fatalf("round %d, Complete: %v", r, err)
				}
				c.Result.SiteID = ids[n+i]
				batch[i] = c
			}
			errs, err := s.CompleteBatch(ctx, "me", batch)
			if err == nil {
				err = errors.Join(errs...)
			}
			if err != nil {
				t.Fatalf("round %d, CompleteBatch: %v", r, err)
			}
			for i := range n {
				_, one := mustSite(t, s, fmt.Sprintf("site%d.example.cn", i))
				_, batched := mustSite(t, s, fmt.Sprintf("site%d.example.cn", n+i))
				batched.SiteID = one.SiteID
				if diff := cmp.Diff(one, batched); diff != "" {
					t.Errorf("round %d, check %d: state after CompleteBatch (-Complete +CompleteBatch):\n%s", r, i, diff)
				}
			}
			// Leased again for the next round.
			if _, err := s.db.ExecContext(ctx, s.db.Rebind("UPDATE site_state SET lease_owner = ?"), "me"); err != nil {
				t.Fatal(err)
			}
		}
	})
}
