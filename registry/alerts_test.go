package registry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/beianwatch/beianwatch/checker"
)

// failingRule fires "failing/<id>" when a site's verdict turns fail and
// resolves it when it turns pass, to receivers a and b.
func failingRule(seen *[]Change) ChangeFunc {
	return func(c *Change) ([]AlertChange, error) {
		*seen = append(*seen, *c)
		if c.Next.Verdict == checker.VerdictError {
			return nil, nil // an error neither starts nor ends a failure
		}
		key := fmt.Sprintf("failing/%d", c.Site.ID)
		payload, _ := json.Marshal(map[string]any{"key": key, "verdict": c.Next.Verdict})
		ch := AlertChange{Key: key, Rule: "site_failing", SiteID: c.Site.ID, At: c.Next.LastCheckAt,
			Payload: payload, Receivers: []string{"a", "b"}, Firing: c.Next.Verdict == checker.VerdictFail}
		return []AlertChange{ch}, nil
	}
}

// alertVerdicts are the verdicts of a site's checks in the alerting
// tests, one an hour from testNow.
var alertVerdicts = []checker.Verdict{checker.VerdictFail, checker.VerdictFail, checker.VerdictError,
	checker.VerdictFail, checker.VerdictPass, checker.VerdictPass, checker.VerdictFail}

// alertStep is what a Change handed to the ChangeFunc says a check did.
type alertStep struct {
	Site         int64
	Prev, Next   checker.Verdict
	Streak       int
	FailingSince time.Time
	Firing       int
}

func stepOf(c Change) alertStep {
	return alertStep{c.Site.ID, c.Prev.Verdict, c.Next.Verdict, c.Next.FailStreak, c.Next.FailingSince, len(c.Firing)}
}

// wantSteps are the changes alertVerdicts make to site id.
func wantSteps(id int64) []alertStep {
	h := func(n int) time.Time { return testNow.Add(time.Duration(n) * time.Hour) }
	return []alertStep{
		{id, VerdictUnchecked, checker.VerdictFail, 1, h(0), 0},
		{id, checker.VerdictFail, checker.VerdictFail, 2, h(0), 1},
		{id, checker.VerdictFail, checker.VerdictError, 2, h(0), 1},
		{id, checker.VerdictError, checker.VerdictFail, 3, h(0), 1},
		{id, checker.VerdictFail, checker.VerdictPass, 0, time.Time{}, 1},
		{id, checker.VerdictPass, checker.VerdictPass, 0, time.Time{}, 0},
		{id, checker.VerdictPass, checker.VerdictFail, 1, h(6), 0},
	}
}

func outboxRows(t *testing.T, s *Store) []string {
	t.Helper()
	var rows []struct {
		Key      string `db:"alert_key"`
		Receiver string `db:"receiver"`
		Payload  []byte `db:"payload"`
	}
	if err := s.db.Select(&rows, "SELECT alert_key, receiver, payload FROM alert_outbox ORDER BY id"); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, r := range rows {
		var p map[string]any
		if err := json.Unmarshal(r.Payload, &p); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s %s %v", r.Key, r.Receiver, p["verdict"]))
	}
	return out
}

// TestCompleteAlerting stores alertVerdicts as scheduled checks
// (CompleteAlerting, under a lease) and as checks on demand
// (SaveResultAlerting, with no lease of their own and, on odd hours, the
// site leased by a scheduled check under way): the alerts come out the
// same.
func TestCompleteAlerting(t *testing.T) {
	ctx := context.Background()
	store := map[string]func(s *Store, i int, r Result, fn ChangeFunc) error{
		"scheduled": func(s *Store, _ int, r Result, fn ChangeFunc) error {
			if _, err := s.Lease(ctx, "me", 1, testTTL); err != nil {
				return err
			}
			return s.CompleteAlerting(ctx, "me", r, testNow, checker.Deadlines{}, false, fn)
		},
		"on demand": func(s *Store, i int, r Result, fn ChangeFunc) error {
			if i%2 == 1 {
				if _, err := s.Lease(ctx, "scheduler", 1, testTTL); err != nil {
					return err
				}
			}
			return s.SaveResultAlerting(ctx, r, testNow, checker.Deadlines{}, false, fn)
		},
	}
	for name, save := range store {
		t.Run(name, func(t *testing.T) { testAlerting(t, save) })
	}
}

func testAlerting(t *testing.T, save func(s *Store, i int, r Result, fn ChangeFunc) error) {
	forEachEngine(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := mustOpenStore(t, dsn)
		id := setUpSites(t, s, siteSetup{})[0]
		key := fmt.Sprintf("failing/%d", id)
		var seen []Change
		for i, v := range alertVerdicts {
			at := testNow.Add(time.Duration(i) * time.Hour)
			r := Result{SiteID: id, CheckedAt: at, Target: "site0.example.cn", HTTPStatus: 200, Verdict: v}
			if err := save(s, i, r, failingRule(&seen)); err != nil {
				t.Fatalf("check %d: %v", i, err)
			}
		}
		// The change handed over says what the check did.
		var got []alertStep
		for _, c := range seen {
			got = append(got, stepOf(c))
		}
		if diff := cmp.Diff(wantSteps(id), got); diff != "" {
			t.Errorf("changes (-want +got):\n%s", diff)
		}
		h := func(n int) time.Time { return testNow.Add(time.Duration(n) * time.Hour) }
		// Fired, resolved, fired again: three changes, each to both
		// receivers; the repeats queued nothing.
		wantRows := []string{key + " a fail", key + " b fail", key + " a pass", key + " b pass", key + " a fail", key + " b fail"}
		if diff := cmp.Diff(wantRows, outboxRows(t, s)); diff != "" {
			t.Errorf("outbox (-want +got):\n%s", diff)
		}
		firing, err := s.FiringAlerts(ctx, "", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(firing) != 1 || firing[0].Key != key || !firing[0].StartsAt.Equal(h(6)) {
			t.Errorf("FiringAlerts = %+v, want %s since %v", firing, key, h(6))
		}
		n, err := s.PendingAlerts(ctx)
		if err != nil || n != 6 {
			t.Errorf("PendingAlerts = %d, %v; want 6", n, err)
		}
	})
}

// TestCompleteBatchAlerting stores the same checks of two sites as
// TestCompleteAlerting's, a batch for each round, beside a site whose
// lease another replica took: each stored check is handed over as
// CompleteAlerting hands it, the lost one not at all, and the alerts
// come out the same.
func TestCompleteBatchAlerting(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := mustOpenStore(t, dsn)
		ids := setUpSites(t, s, siteSetup{owner: "me", expires: testTTL}, siteSetup{owner: "other", expires: testTTL},
			siteSetup{owner: "me", expires: testTTL})
		var seen []Change
		for i, v := range alertVerdicts {
			at := testNow.Add(time.Duration(i) * time.Hour)
			var cs []Completion
			for _, id := range ids {
				cs = append(cs, Completion{Result: Result{SiteID: id, CheckedAt: at, Target: "t", HTTPStatus: 200, Verdict: v}, Next: testNow})
			}
			errs, err := s.CompleteBatchAlerting(ctx, "me", cs, failingRule(&seen))
			if err != nil {
				t.Fatalf("round %d: CompleteBatchAlerting: %v", i, err)
			}
			if errs[0] != nil || !errors.Is(errs[1], ErrLeaseLost) || errs[2] != nil {
				t.Fatalf("round %d: errs = %v, want nil, lease lost, nil", i, errs)
			}
			if _, err := s.db.ExecContext(ctx, s.db.Rebind("UPDATE site_state SET lease_owner = ? WHERE lease_owner = ''"), "me"); err != nil {
				t.Fatal(err)
			}
		}
		var got, want []alertStep
		for _, c := range seen {
			got = append(got, stepOf(c))
		}
		// Each round's batch hands over the two sites' changes in turn.
		a, b := wantSteps(ids[0]), wantSteps(ids[2])
		for i := range a {
			want = append(want, a[i], b[i])
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("changes (-want +got):\n%s", diff)
		}
		var wantRows []string
		for _, verdict := range []string{"fail", "pass", "fail"} {
			for _, id := range []int64{ids[0], ids[2]} {
				key := fmt.Sprintf("failing/%d", id)
				wantRows = append(wantRows, key+" a "+verdict, key+" b "+verdict)
			}
		}
		if diff := cmp.Diff(wantRows, outboxRows(t, s)); diff != "" {
			t.Errorf("outbox (-want +got):\n%s", diff)
		}
	})
}

func TestCompleteAlertingRollsBack(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := mustOpenStore(t, dsn)
		id := setUpSites(t, s, siteSetup{owner: "me", expires: testTTL})[0]
		r := Result{SiteID: id, CheckedAt: testNow, Target: "site0.example.cn", HTTPStatus: 200, Verdict: checker.VerdictFail}
		bad := func(c *Change) ([]AlertChange, error) {
			return []AlertChange{{Key: "k", Rule: "r", Firing: true, At: testNow}}, nil // no payload
		}
		if err := s.CompleteAlerting(ctx, "me", r, testNow, checker.Deadlines{}, false, bad); err == nil {
			t.Fatal("CompleteAlerting with a bad alert change succeeded")
		}
		_, st := mustSite(t, s, "site0.example.cn")
		if st.Verdict != VerdictUnchecked || st.LeaseOwner != "me" {
			t.Errorf("after a failed CompleteAlerting the state is %s leased to %q; want it untouched", st.Verdict, st.LeaseOwner)
		}
		if errs, err := s.CompleteBatchAlerting(ctx, "me", []Completion{{Result: r, Next: testNow}}, bad); err == nil || errs != nil {
			t.Fatalf("CompleteBatchAlerting with a bad alert change = %v, %v; want an error and no per-check errors", errs, err)
		}
		_, st = mustSite(t, s, "site0.example.cn")
		if st.Verdict != VerdictUnchecked || st.LeaseOwner != "me" {
			t.Errorf("after a failed CompleteBatchAlerting the state is %s leased to %q; want it untouched", st.Verdict, st.LeaseOwner)
		}
		if rs, err := s.Results(ctx, id, 0); err != nil || len(rs) != 0 {
			t.Errorf("after failed completions the site has results %v, %v; want none", rs, err)
		}
	})
}

// queueAlerts records n alert keys firing, each to receivers rcvs.
func queueAlerts(t *testing.T, s *Store, keys []string, rcvs ...string) {
	t.Helper()
	var changes []AlertChange
	for _, k := range keys {
		changes = append(changes, AlertChange{Key: k, Rule: "r", Firing: true, At: testNow, Payload: json.RawMessage(`{"verdict":"fail"}`), Receivers: rcvs})
	}
	if err := s.RecordAlerts(context.Background(), changes); err != nil {
		t.Fatal(err)
	}
}

func TestOutbox(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := mustOpenStore(t, dsn)
		queueAlerts(t, s, []string{"k1", "k2"}, "am")
		// k1 resolves and fires again before anything was delivered: its
		// three rows must reach "am" in order, one at a time.
		resolve := AlertChange{Key: "k1", Rule: "r", At: testNow, Payload: json.RawMessage(`{"verdict":"pass"}`), Receivers: []string{"am"}}
		if err := s.RecordAlerts(ctx, []AlertChange{resolve}); err != nil {
			t.Fatal(err)
		}
		queueAlerts(t, s, []string{"k1"}, "am")

		lease := func(owner string) []string {
			t.Helper()
			items, err := s.LeaseOutbox(ctx, owner, 10, testTTL)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for _, it := range items {
				var p map[string]any
				_ = json.Unmarshal(it.Payload, &p)
				out = append(out, fmt.Sprintf("%d %s %v", it.ID, it.Key, p["verdict"]))
			}
			return out
		}
		first := lease("r1")
		if diff := cmp.Diff([]string{"1 k1 fail", "2 k2 fail"}, first); diff != "" {
			t.Errorf("first lease (-want +got):\n%s", diff)
		}
		if got := lease("r2"); len(got) != 0 {
			t.Errorf("a second replica leased %v while the first holds the heads of both queues", got)
		}
		// k1's first row fails for now, k2's is refused for good.
		retry := testNow.Add(time.Minute)
		err := s.FinishOutbox(ctx, "r1", []OutboxResult{{ID: 1, RetryAt: retry, Error: "503"}, {ID: 2, Error: "400 bad request"}})
		if err != nil {
			t.Fatal(err)
		}
		if got := lease("r2"); len(got) != 0 {
			t.Errorf("leased %v before k1's retry is due", got)
		}
		s.now = func() time.Time { return retry }
		if diff := cmp.Diff([]string{"1 k1 fail"}, lease("r2")); diff != "" {
			t.Errorf("lease at the retry (-want +got):\n%s", diff)
		}
		// r1's late answer for a row r2 now holds is ignored.
		if err := s.FinishOutbox(ctx, "r1", []OutboxResult{{ID: 1, Delivered: true}}); err != nil {
			t.Fatal(err)
		}
		if n, _ := s.PendingAlerts(ctx); n != 3 {
			t.Errorf("PendingAlerts = %d after a stale ack, want 3", n)
		}
		for _, want := range []string{"1", "3 k1 pass", "4 k1 fail"} {
			if want != "1" {
				if diff := cmp.Diff([]string{want}, lease("r2")); diff != "" {
					t.Errorf("lease (-want +got):\n%s", diff)
				}
			}
			var id int64
			fmt.Sscan(want, &id)
			if err := s.FinishOutbox(ctx, "r2", []OutboxResult{{ID: id, Delivered: true}}); err != nil {
				t.Fatal(err)
			}
		}
		if n, _ := s.PendingAlerts(ctx); n != 0 {
			t.Errorf("PendingAlerts = %d after every delivery, want 0", n)
		}
		var attempts int
		if err := s.db.Get(&attempts, "SELECT attempts FROM alert_outbox WHERE id = 1"); err != nil || attempts != 2 {
			t.Errorf("row 1 attempts = %d, %v; want 2", attempts, err)
		}
	})
}

// TestOutboxConcurrent: replicas leasing at once deliver every row once.
func TestOutboxConcurrent(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := mustOpenStore(t, dsn)
		var keys []string
		for i := range 300 {
			keys = append(keys, fmt.Sprintf("k%03d", i))
		}
		queueAlerts(t, s, keys, "am", "chat")
		var mu sync.Mutex
		got := map[int64]int{}
		var wg sync.WaitGroup
		for r := range 3 {
			st := openStore(t, dsn)
			wg.Go(func() {
				owner := fmt.Sprintf("r%d", r)
				for {
					items, err := st.LeaseOutbox(ctx, owner, 25, testTTL)
					if err != nil {
						t.Error(err)
						return
					}
					if len(items) == 0 {
						return
					}
					var res []OutboxResult
					mu.Lock()
					for _, it := range items {
						got[it.ID]++
						res = append(res, OutboxResult{ID: it.ID, Delivered: true})
					}
					mu.Unlock()
					if err := st.FinishOutbox(ctx, owner, res); err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		if len(got) != 600 {
			t.Errorf("delivered %d rows, want 600", len(got))
		}
		for id, n := range got {
			if n != 1 {
				t.Errorf("row %d delivered %d times", id, n)
			}
		}
	})
}

func TestClaimPeriodic(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := mustOpenStore(t, dsn)
		claim := func(owner string) bool {
			t.Helper()
			ok, err := s.ClaimPeriodic(ctx, "resend", owner, time.Minute)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if !claim("a") {
			t.Error("first claim refused")
		}
		if claim("b") {
			t.Error("second claim within the period granted")
		}
		s.now = func() time.Time { return testNow.Add(time.Minute) }
		if !claim("b") {
			t.Error("claim after the period refused")
		}
		if claim("a") {
			t.Error("claim right after b's granted")
		}
	})
}
