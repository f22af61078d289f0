package daemon

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/beianwatch/beianwatch/alerts"
	"github.com/beianwatch/beianwatch/cases"
	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/crawler"
	"github.com/beianwatch/beianwatch/registry"
	"github.com/beianwatch/beianwatch/workday"
)

// fakeStore is an in-memory caseStore. Moves go through cases.Apply and
// cases.Recount, as in the registry, so the rules under test are the
// case work's: when it asks, not what is legal.
type fakeStore struct {
	mu      sync.Mutex
	site    registry.Site
	results []registry.Result // newest first
	cs      []cases.Case
	alerts  []registry.AlertChange
	moves   int
}

var _ caseStore = (*fakeStore)(nil)

func newFakeStore() *fakeStore {
	return &fakeStore{site: registry.Site{ID: 1, Name: "甲", Domains: []registry.Domain{{Unicode: "a.test", ASCII: "a.test"}}}}
}

func (f *fakeStore) SiteByID(_ context.Context, id int64) (*registry.Site, *registry.State, error) {
	if id != f.site.ID {
		return nil, nil, registry.ErrNotFound
	}
	s := f.site
	return &s, &registry.State{}, nil
}

func (f *fakeStore) Results(_ context.Context, _ int64, limit int) ([]registry.Result, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.results[:min(limit, len(f.results))]), nil
}

func (f *fakeStore) OpenCase(_ context.Context, c cases.Case, _ string) (cases.Case, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if err := c.Validate(); err != nil {
		return cases.Case{}, err
	}
	c.ID, c.SiteID, c.Version, c.Escalation = int64(len(f.cs)+1), f.site.ID, 1, cases.EscalationNone
	if c.State.Verifiable() {
		c.NextVerifyAt = c.CreatedAt
	}
	f.cs = append(f.cs, c)
	return c, nil
}

func (f *fakeStore) ListCases(_ context.Context, fl registry.CaseFilter) ([]cases.Case, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []cases.Case
	for _, c := range slices.Backward(f.cs) {
		if (fl.Kind == "" || c.Kind == fl.Kind) && (!fl.Active || c.State.Active()) &&
			(!fl.Provisional || len(c.Provisional) > 0) && (fl.SiteID == 0 || c.SiteID == fl.SiteID) {
			out = append(out, c)
		}
	}
	return out, nil
}

func (f *fakeStore) SitesWithActiveCases(_ context.Context, k cases.Kind, ids []int64) (map[int64]bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := map[int64]bool{}
	for _, c := range f.cs {
		if c.Kind == k && c.State.Active() && slices.Contains(ids, c.SiteID) {
			out[c.SiteID] = true
		}
	}
	return out, nil
}

// change applies fn to case id under the lock.
func (f *fakeStore) change(id int64, fn func(cases.Case) (cases.Case, error)) (cases.Case, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if id < 1 || int(id) > len(f.cs) {
		return cases.Case{}, registry.ErrNotFound
	}
	n, err := fn(f.cs[id-1])
	if err != nil {
		return cases.Case{}, err
	}
	n.Version++
	f.cs[id-1] = n
	f.moves++
	return n, nil
}

func (f *fakeStore) TransitionCase(_ context.Context, id int64, u cases.Update) (cases.Case, error) {
	return f.change(id, func(c cases.Case) (cases.Case, error) {
		n, _, err := cases.Apply(c, u)
		return n, err
	})
}

func (f *fakeStore) RecountDeadline(_ context.Context, id int64, cal cases.Calendar, actor string) (cases.Case, bool, error) {
	changed := false
	c, err := f.change(id, func(c cases.Case) (cases.Case, error) {
		n, _, ch, err := cases.Recount(c, cal, time.Now(), actor)
		changed = ch
		return n, err
	})
	return c, changed, err
}

func (f *fakeStore) LeaseCaseVerifications(_ context.Context, _ string, n int, _ time.Duration, now time.Time) ([]cases.Case, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []cases.Case
	for _, c := range f.cs {
		if len(out) < n && c.State.Verifiable() && !c.NextVerifyAt.After(now) {
			out = append(out, c)
		}
	}
	return out, nil
}

func (f *fakeStore) SaveVerification(_ context.Context, _ string, id int64, next time.Time, _ ...cases.Verification) error {
	_, err := f.change(id, func(c cases.Case) (cases.Case, error) { c.NextVerifyAt = next; return c, nil })
	return err
}

func (f *fakeStore) DueOverdue(_ context.Context, now time.Time, limit int) ([]cases.Case, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []cases.Case
	for _, c := range f.cs {
		if len(out) < limit && c.State.Running() && !c.Deadline.After(now) {
			out = append(out, c)
		}
	}
	return out, nil
}

// ClaimEscalation hands each pending call out once, as the registry's
// claim does across replicas.
func (f *fakeStore) ClaimEscalation(_ context.Context, _ string, n int, _ bool, _ time.Time) ([]cases.Case, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []cases.Case
	for i, c := range f.cs {
		if len(out) < n && c.Escalation == cases.EscalationPending {
			f.cs[i].Escalation = cases.EscalationSending
			out = append(out, f.cs[i])
		}
	}
	return out, nil
}

func (f *fakeStore) RecordEscalation(_ context.Context, id int64, _ string, result cases.Escalation, response string, at time.Time) error {
	_, err := f.change(id, func(c cases.Case) (cases.Case, error) {
		c.Escalation, c.EscalationResponse, c.EscalationAt = result, response, at
		return c, nil
	})
	return err
}

func (f *fakeStore) RecordAlerts(_ context.Context, changes []registry.AlertChange) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.alerts = append(f.alerts, changes...)
	return nil
}

// check is one stored check of the site: its report, as the crawler hands
// it over.
func (f *fakeStore) check(v checker.Verdict, at time.Time) crawler.Outcome {
	r := checker.Report{Verdict: v, CheckedAt: at}
	if v == checker.VerdictFail {
		r.Findings = []checker.Finding{{Code: checker.CodePSBMissing, Severity: checker.SeverityError}}
	}
	f.mu.Lock()
	f.results = append([]registry.Result{{SiteID: f.site.ID, CheckedAt: at, Verdict: v, Findings: r.Findings}}, f.results...)
	f.mu.Unlock()
	return crawler.Outcome{Job: crawler.Job{SiteID: f.site.ID, Target: "a.test"}, Report: r}
}

func newTestCaseWork(t *testing.T, st caseStore, now func() time.Time) *caseWork {
	t.Helper()
	w, err := newCaseWork(caseWork{st: st, policy: cases.DefaultPolicy(), cal: workday.Default(), autoRectify: true,
		owner: "t", logger: discard(), now: now, route: func(alerts.Alert) []string { return []string{"hook"} }}, prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// TestRectifyRules: when the daemon opens and fixes a rectification by
// itself, check by check (pass, fail, error: the page could not be seen),
// scheduled checks and checks someone asked for.
func TestRectifyRules(t *testing.T) {
	const (
		P = checker.VerdictPass
		F = checker.VerdictFail
		E = checker.VerdictError
	)
	tests := []struct {
		name   string
		checks []checker.Verdict
		// want is the newest rectification's state after each check (""
		// none); opened how many were opened in all.
		want   []cases.State
		opened int
		// asked marks with 'a' the checks made on demand (afterOnDemand);
		// the rest are scheduled. Empty: all scheduled.
		asked string
	}{
		{"opens after two failing checks, not one", []checker.Verdict{F, F}, []cases.State{"", cases.Open}, 1, ""},
		{"a pass breaks the run", []checker.Verdict{F, P, F}, []cases.State{"", "", ""}, 0, ""},
		{"an unseen page neither counts nor breaks the run", []checker.Verdict{F, E, F}, []cases.State{"", "", cases.Open}, 1, ""},
		{"fixed only by a passing check", []checker.Verdict{F, F, F, P}, []cases.State{"", cases.Open, cases.Open, cases.Fixed}, 1, ""},
		{"a down site is never fixed", []checker.Verdict{F, F, E, E, E}, []cases.State{"", cases.Open, cases.Open, cases.Open, cases.Open}, 1, ""},
		{"one case however long it fails", []checker.Verdict{F, F, F, F, F}, []cases.State{"", cases.Open, cases.Open, cases.Open, cases.Open}, 1, ""},
		{"a new case after a fix", []checker.Verdict{F, F, P, F, F}, []cases.State{"", cases.Open, cases.Fixed, cases.Fixed, cases.Open}, 2, ""},
		{"checks on demand open nothing, but count in the run", []checker.Verdict{F, F, F, F}, []cases.State{"", "", "", cases.Open}, 1, "aaa."},
		{"a fix seen on demand fixes at once", []checker.Verdict{F, F, P}, []cases.State{"", cases.Open, cases.Fixed}, 1, "..a"},
		{"a down site seen on demand is not fixed", []checker.Verdict{F, F, E}, []cases.State{"", cases.Open, cases.Open}, 1, "..a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			st := newFakeStore()
			at := time.Date(2026, 12, 7, 10, 0, 0, 0, checker.CST)
			w := newTestCaseWork(t, st, func() time.Time { return at })
			for i, v := range tt.checks {
				at = at.Add(time.Hour)
				if o := st.check(v, at); i < len(tt.asked) && tt.asked[i] == 'a' {
					w.afterOnDemand(ctx, o)
				} else {
					w.afterBatch(ctx, []crawler.Outcome{o}, 1)
				}
				got := cases.State("")
				if cs, _ := st.ListCases(ctx, registry.CaseFilter{Kind: cases.Rectification}); len(cs) > 0 {
					got = cs[0].State // the newest
				}
				if got != tt.want[i] {
					t.Errorf("after check %d (%s): rectification %q, want %q", i+1, v, got, tt.want[i])
				}
			}
			if n := len(st.cs); n != tt.opened {
				t.Errorf("%d rectifications opened, want %d", n, tt.opened)
			}
		})
	}
}

// TestOverdueOnce: a case past its deadline turns overdue once, whatever
// the number of passes or replicas, with one alert and one escalation
// call.
func TestOverdueOnce(t *testing.T) {
	ctx := context.Background()
	var calls atomic.Int32
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		fmt.Fprint(w, `{"ticket":"T-1"}`)
	}))
	t.Cleanup(hook.Close)
	st := newFakeStore()
	opened := time.Date(2026, 12, 1, 10, 0, 0, 0, checker.CST)
	if _, err := st.OpenCase(ctx, cases.Case{Kind: cases.Takedown, Domain: "a.test", URLs: []string{"https://a.test/x"},
		Category: cases.Gambling, EvidencePhrases: []string{"赌场"}, State: cases.Open, CreatedAt: opened,
		Deadline: opened.Add(24 * time.Hour)}, "cli:ops"); err != nil {
		t.Fatal(err)
	}
	now := opened.Add(23 * time.Hour)
	clock := func() time.Time { return now }
	var replicas []*caseWork
	for range 3 {
		w := newTestCaseWork(t, st, clock)
		w.esc = &escalation{url: hook.URL, client: hook.Client()}
		replicas = append(replicas, w)
	}
	for _, w := range replicas {
		if err := w.overdue(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if c := st.cs[0]; c.State != cases.Open {
		t.Fatalf("before the deadline: %s, want open", c.State)
	}
	now = opened.Add(25 * time.Hour)
	var wg sync.WaitGroup
	for _, w := range replicas {
		wg.Go(func() {
			for range 3 {
				if err := w.overdue(ctx); err != nil {
					t.Error(err)
				}
				if err := w.escalate(ctx); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	c := st.cs[0]
	if c.State != cases.Overdue || c.Escalation != cases.EscalationSent || !strings.Contains(c.EscalationResponse, "T-1") {
		t.Errorf("case = %s, escalation %s %q; want overdue, sent with the answer", c.State, c.Escalation, c.EscalationResponse)
	}
	if n := calls.Load(); n != 1 {
		t.Errorf("escalation webhook called %d times, want once", n)
	}
	overdueAlerts := 0
	for _, a := range st.alerts {
		if a.Rule == alerts.RuleCaseOverdue && a.Firing {
			overdueAlerts++
		}
	}
	if overdueAlerts != 1 {
		t.Errorf("%d case_overdue alerts, want 1", overdueAlerts)
	}
}

// TestEscalationKeepsSecrets: a failed or refused escalation is kept in
// the case's history for good, so neither the password nor the token of
// the webhook's URL, nor a token the control plane echoes, may be in it.
func TestEscalationKeepsSecrets(t *testing.T) {
	ctx := context.Background()
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "bad credentials for http://"+r.Host+r.URL.String(), http.StatusForbidden)
	}))
	t.Cleanup(echo.Close)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	for _, base := range []string{echo.URL, closed.URL} {
		t.Run(base, func(t *testing.T) {
			st := newFakeStore()
			opened := time.Date(2026, 12, 1, 10, 0, 0, 0, checker.CST)
			if _, err := st.OpenCase(ctx, cases.Case{Kind: cases.Takedown, Domain: "a.test", URLs: []string{"https://a.test/x"},
				Category: cases.Gambling, EvidencePhrases: []string{"赌场"}, State: cases.Open, CreatedAt: opened,
				Deadline: opened.Add(time.Hour)}, "cli:ops"); err != nil {
				t.Fatal(err)
			}
			now := opened.Add(2 * time.Hour)
			w := newTestCaseWork(t, st, func() time.Time { return now })
			u := strings.Replace(base, "http://", "http://ops:pa55w0rd@", 1) + "/block?token=T0KEN&region=bj"
			w.esc = &escalation{url: u, client: &http.Client{Timeout: 5 * time.Second}}
			if err := w.overdue(ctx); err != nil {
				t.Fatal(err)
			}
			if err := w.escalate(ctx); err != nil {
				t.Fatal(err)
			}
			c := st.cs[0]
			if c.Escalation != cases.EscalationFailed {
				t.Errorf("escalation = %s, want failed", c.Escalation)
			}
			for _, secret := range []string{"T0KEN", "pa55w0rd"} {
				if strings.Contains(c.EscalationResponse, secret) {
					t.Errorf("escalation response %q holds %q", c.EscalationResponse, secret)
				}
			}
			if !strings.Contains(c.EscalationResponse, "token=xxxxx") {
				t.Errorf("escalation response %q, want the URL with its token masked", c.EscalationResponse)
			}
		})
	}
}
