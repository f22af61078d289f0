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

	"github.com/beianwatch/beianwatch/cases"
)

// openStores opens n more stores on dsn (already migrated), as replicas
// sharing a registry.
func openStores(t *testing.T, dsn string, n int) []*Store {
	stores := make([]*Store, n)
	for i := range stores {
		stores[i] = openStore(t, dsn)
	}
	return stores
}

// race runs fn on every store from several goroutines at once and returns
// how many calls returned no error, with the errors of the others.
func race(stores []*Store, perStore int, fn func(s *Store, i int) error) (ok int, errs []error) {
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := make(chan struct{})
	for si, s := range stores {
		for g := range perStore {
			wg.Go(func() {
				<-start
				err := fn(s, si*perStore+g)
				mu.Lock()
				defer mu.Unlock()
				if err == nil {
					ok++
				} else {
					errs = append(errs, err)
				}
			})
		}
	}
	close(start)
	wg.Wait()
	return ok, errs
}

// TestCaseTransitionRace: three replicas, four movers each, move one case
// at once: exactly one move happens and is recorded.
func TestCaseTransitionRace(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := mustOpenStore(t, dsn)
		caseSites(t, s)
		c := mustOpenCase(t, s, takedown())
		ok, errs := race(openStores(t, dsn, 3), 4, func(s *Store, i int) error {
			_, err := s.TransitionCase(ctx, c.ID, cases.Update{To: cases.Notified, Actor: fmt.Sprintf("serve:r%d", i), Reason: "notice"})
			return err
		})
		if ok != 1 {
			t.Errorf("%d movers won, want exactly 1 (errors: %v)", ok, errs)
		}
		for _, err := range errs {
			if !errors.Is(err, cases.ErrIllegal) {
				t.Errorf("a loser got %v, want cases.ErrIllegal (notified → notified)", err)
			}
		}
		h, _ := s.CaseHistory(ctx, c.ID)
		if len(h) != 2 || h[1].To != cases.Notified {
			t.Errorf("history = %+v, want the opening and one notice", h)
		}
	})
}

// overdueCase opens a takedown and moves it to overdue with an escalation
// pending.
func overdueCase(t *testing.T, s *Store) cases.Case {
	t.Helper()
	c := mustOpenCase(t, s, takedown())
	return mustMove(t, s, c.ID, cases.Update{To: cases.Overdue, At: c.Deadline, Actor: "serve:r1", Escalate: true})
}

// TestClaimEscalationRace: three replicas claiming at once call each
// case's webhook once.
func TestClaimEscalationRace(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := mustOpenStore(t, dsn)
		caseSites(t, s)
		var want []int64
		for range 5 {
			want = append(want, overdueCase(t, s).ID)
		}
		var mu sync.Mutex
		var claimed []int64
		ok, errs := race(openStores(t, dsn, 3), 3, func(s *Store, i int) error {
			for {
				cs, err := s.ClaimEscalation(ctx, fmt.Sprintf("r%d", i), 2, false, testNow)
				if err != nil || len(cs) == 0 {
					return err
				}
				mu.Lock()
				for _, c := range cs {
					claimed = append(claimed, c.ID)
					if c.Escalation != cases.EscalationSending {
						t.Errorf("claimed case %d has escalation %s, want sending", c.ID, c.Escalation)
					}
				}
				mu.Unlock()
			}
		})
		if ok != 9 {
			t.Errorf("claims failed: %v", errs)
		}
		slices.Sort(claimed)
		if !slices.Equal(claimed, want) {
			t.Errorf("claimed %v, want each of %v exactly once", claimed, want)
		}
	})
}

func TestEscalation(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := mustOpenStore(t, dsn)
		caseSites(t, s)
		c := overdueCase(t, s)
		claim := func(require bool) []cases.Case {
			t.Helper()
			cs, err := s.ClaimEscalation(ctx, "r1", 10, require, testNow)
			if err != nil {
				t.Fatal(err)
			}
			return cs
		}
		if cs := claim(true); len(cs) != 0 {
			t.Errorf("ClaimEscalation(require confirmation) before confirmation = %d cases, want none", len(cs))
		}
		if _, err := s.ConfirmEscalation(ctx, c.ID, "serve:r1"); !errors.Is(err, cases.ErrHumanOnly) {
			t.Errorf("ConfirmEscalation by the daemon = %v, want ErrHumanOnly", err)
		}
		if got, err := s.ConfirmEscalation(ctx, c.ID, "cli:ops"); err != nil || got.EscalationConfirmedBy != "cli:ops" {
			t.Fatalf("ConfirmEscalation = %+v, %v", got, err)
		}
		cs := claim(true)
		if len(cs) != 1 || cs[0].ID != c.ID {
			t.Fatalf("ClaimEscalation after confirmation = %+v, want case %d", cs, c.ID)
		}
		if cs := claim(false); len(cs) != 0 {
			t.Errorf("second claim = %d cases, want none", len(cs))
		}
		if _, err := s.ConfirmEscalation(ctx, c.ID, "cli:ops"); !errors.Is(err, cases.ErrNothingToConfirm) {
			t.Errorf("ConfirmEscalation while sending = %v, want ErrNothingToConfirm", err)
		}
		at := testNow.Add(time.Minute)
		if err := s.RecordEscalation(ctx, c.ID, "r2", cases.EscalationSent, "HTTP 200", at); !errors.Is(err, ErrLeaseLost) {
			t.Errorf("RecordEscalation by another owner = %v, want ErrLeaseLost", err)
		}
		if err := s.RecordEscalation(ctx, c.ID, "r1", cases.EscalationSending, "", at); err == nil {
			t.Errorf("RecordEscalation(sending): no error")
		}
		if err := s.RecordEscalation(ctx, c.ID, "r1", cases.EscalationSent, `HTTP 200 {"blocked":true}`, at); err != nil {
			t.Fatal(err)
		}
		if err := s.RecordEscalation(ctx, c.ID, "r1", cases.EscalationSent, "again", at); !errors.Is(err, ErrLeaseLost) {
			t.Errorf("RecordEscalation twice = %v, want ErrLeaseLost", err)
		}
		got, _ := s.Case(ctx, c.ID)
		if got.Escalation != cases.EscalationSent || got.EscalationResponse != `HTTP 200 {"blocked":true}` || !got.EscalationAt.Equal(at) {
			t.Errorf("case after the call = escalation %s, %q at %v", got.Escalation, got.EscalationResponse, got.EscalationAt)
		}
		h, _ := s.CaseHistory(ctx, c.ID)
		var reasons []string
		for _, tr := range h[2:] {
			reasons = append(reasons, tr.Actor+" "+tr.Reason)
		}
		want := []string{"cli:ops escalation confirmed", "serve:r1 escalation claimed", `serve:r1 escalation sent: HTTP 200 {"blocked":true}`}
		if !slices.Equal(reasons, want) {
			t.Errorf("history after the opening and overdue = %q, want %q", reasons, want)
		}

		// A call that surely did not happen goes back to pending.
		d := overdueCase(t, s)
		if cs := claim(false); len(cs) != 1 || cs[0].ID != d.ID {
			t.Fatalf("claim = %+v, want case %d", cs, d.ID)
		}
		if err := s.RecordEscalation(ctx, d.ID, "r1", cases.EscalationPending, "receiver not configured", at); err != nil {
			t.Fatal(err)
		}
		if cs := claim(false); len(cs) != 1 || cs[0].ID != d.ID {
			t.Errorf("claim after handing back = %+v, want case %d again", cs, d.ID)
		}
		// A case fixed before its call is not escalated.
		e := overdueCase(t, s)
		mustMove(t, s, e.ID, cases.Update{To: cases.Fixed, Actor: "serve:r1"})
		if cs := claim(false); len(cs) != 0 {
			t.Errorf("claim after the case was fixed = %+v, want none", cs)
		}
	})
}

func TestCaseVerificationLease(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := mustOpenStore(t, dsn)
		caseSites(t, s)
		var ids []int64
		for i := range 3 {
			c := takedown()
			c.CreatedAt = testNow.Add(time.Duration(i-3) * time.Minute) // due in this order
			ids = append(ids, mustOpenCase(t, s, c).ID)
		}
		sus := takedown()
		sus.State, sus.Deadline = cases.Suspected, time.Time{}
		mustOpenCase(t, s, sus) // never verified until confirmed
		blocked := mustOpenCase(t, s, takedown())
		mustMove(t, s, blocked.ID, cases.Update{To: cases.Blocked, BlockLevel: cases.BlockDomain})
		later := takedown()
		later.CreatedAt = testNow.Add(time.Hour)
		laterID := mustOpenCase(t, s, later).ID

		lease := func(owner string, n int, now time.Time) []int64 {
			t.Helper()
			cs, err := s.LeaseCaseVerifications(ctx, owner, n, time.Minute, now)
			if err != nil {
				t.Fatalf("LeaseCaseVerifications(%s): %v", owner, err)
			}
			var got []int64
			for _, c := range cs {
				got = append(got, c.ID)
				if len(c.URLs) != 1 {
					t.Errorf("leased case %d without its URLs", c.ID)
				}
			}
			return got
		}
		if got := lease("a", 2, testNow); !slices.Equal(got, ids[:2]) {
			t.Errorf("lease a = %v, want %v (longest due first)", got, ids[:2])
		}
		if got := lease("b", 5, testNow); !slices.Equal(got, ids[2:]) {
			t.Errorf("lease b = %v, want %v", got, ids[2:])
		}
		if got := lease("c", 5, testNow); len(got) != 0 {
			t.Errorf("lease c = %v, want none (all leased)", got)
		}

		v := cases.Verification{URL: "https://site1.example.cn/bad", CheckedAt: testNow, Status: 200,
			BodySHA256: "ab", Matched: []string{"澳门赌场"}, Outcome: cases.Present}
		if err := s.SaveVerification(ctx, "b", ids[0], testNow.Add(15*time.Minute), v); !errors.Is(err, ErrLeaseLost) {
			t.Errorf("SaveVerification by another owner = %v, want ErrLeaseLost", err)
		}
		if err := s.SaveVerification(ctx, "a", ids[0], testNow.Add(15*time.Minute), v); err != nil {
			t.Fatal(err)
		}
		gone := cases.Verification{URL: v.URL, CheckedAt: testNow.Add(time.Second), Status: 404, Outcome: cases.Removed}
		if err := s.SaveVerification(ctx, "", ids[0], time.Time{}, gone); err != nil {
			t.Fatalf("SaveVerification without a lease: %v", err)
		}
		vs, err := s.CaseVerifications(ctx, ids[0], 0)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]cases.Verification{gone, v}, vs); diff != "" {
			t.Errorf("CaseVerifications (-want +got):\n%s", diff)
		}
		if c, _ := s.Case(ctx, ids[0]); !c.NextVerifyAt.Equal(testNow.Add(15 * time.Minute)) {
			t.Errorf("next verification = %v, want in 15 minutes", c.NextVerifyAt)
		}
		// Dismissed while leased: the evidence is kept, the schedule not revived.
		mustMove(t, s, ids[1], cases.Update{To: cases.Dismissed, Reason: "false report"})
		if err := s.SaveVerification(ctx, "a", ids[1], testNow.Add(15*time.Minute), v); err != nil {
			t.Fatal(err)
		}
		if c, _ := s.Case(ctx, ids[1]); !c.NextVerifyAt.IsZero() {
			t.Errorf("dismissed case due for verification at %v, want never", c.NextVerifyAt)
		}
		// b's lease expires: c takes its case. In an hour c's lease has
		// expired too, a's first case is due again (15 minutes) and so is
		// the later one.
		if got := lease("c", 5, testNow.Add(time.Minute)); !slices.Equal(got, ids[2:]) {
			t.Errorf("lease c after b's expired = %v, want %v", got, ids[2:])
		}
		if got, want := lease("d", 5, testNow.Add(time.Hour)), []int64{ids[2], ids[0], laterID}; !slices.Equal(got, want) {
			t.Errorf("lease d in an hour = %v, want %v", got, want)
		}
		if _, err := s.LeaseCaseVerifications(ctx, "", 1, time.Minute, testNow); err == nil {
			t.Errorf("LeaseCaseVerifications without an owner: no error")
		}
	})
}

// TestCaseVerificationLeaseRace: replicas leasing at once share the due
// cases out, none twice.
func TestCaseVerificationLeaseRace(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := mustOpenStore(t, dsn)
		caseSites(t, s)
		var want []int64
		for range 12 {
			want = append(want, mustOpenCase(t, s, takedown()).ID)
		}
		var mu sync.Mutex
		var got []int64
		_, errs := race(openStores(t, dsn, 3), 2, func(s *Store, i int) error {
			for {
				cs, err := s.LeaseCaseVerifications(ctx, fmt.Sprintf("r%d", i), 1, time.Minute, testNow)
				if err != nil || len(cs) == 0 {
					return err
				}
				mu.Lock()
				got = append(got, cs[0].ID)
				mu.Unlock()
			}
		})
		if len(errs) > 0 {
			t.Fatal(errs)
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("leased %v, want each of %v once", got, want)
		}
	})
}

func TestDueOverdueAndCounts(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := mustOpenStore(t, dsn)
		caseSites(t, s)
		open := mustOpenCase(t, s, takedown()) // due in 24 hours
		rect := mustOpenCase(t, s, cases.Case{Kind: cases.Rectification, Domain: "site2.example.cn", Category: "PSB_MISSING",
			State: cases.Open, CreatedAt: testNow.Add(-48 * time.Hour), Deadline: testNow.Add(-time.Hour)})
		mustMove(t, s, rect.ID, cases.Update{To: cases.Notified, Actor: "serve:r1"})
		overdueCase(t, s)
		fixed := mustOpenCase(t, s, takedown())
		mustMove(t, s, fixed.ID, cases.Update{To: cases.Fixed, Actor: "serve:r1"})

		due := func(now time.Time) []int64 {
			t.Helper()
			cs, err := s.DueOverdue(ctx, now, 0)
			if err != nil {
				t.Fatal(err)
			}
			var ids []int64
			for _, c := range cs {
				ids = append(ids, c.ID)
			}
			return ids
		}
		if got := due(testNow); !slices.Equal(got, []int64{rect.ID}) {
			t.Errorf("DueOverdue(now) = %v, want [%d]", got, rect.ID)
		}
		if got := due(testNow.Add(24 * time.Hour)); !slices.Equal(got, []int64{rect.ID, open.ID}) {
			t.Errorf("DueOverdue(in a day) = %v, want [%d %d] (earliest deadline first)", got, rect.ID, open.ID)
		}

		counts, err := s.CaseCounts(ctx, testNow)
		if err != nil {
			t.Fatal(err)
		}
		want := CaseCounts{
			ByState: []CaseCount{
				{cases.Rectification, cases.Notified, "PSB_MISSING", 1},
				{cases.Takedown, cases.Fixed, cases.Gambling, 1},
				{cases.Takedown, cases.Open, cases.Gambling, 1},
				{cases.Takedown, cases.Overdue, cases.Gambling, 1},
			},
			Overdue: map[cases.Kind]int{cases.Takedown: 1, cases.Rectification: 1},
		}
		if diff := cmp.Diff(want, counts); diff != "" {
			t.Errorf("CaseCounts (-want +got):\n%s", diff)
		}
	})
}
