package registry

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/beianwatch/beianwatch/cases"
	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/workday"
)

// caseSites imports site1.example.cn (also listing 备案.example.cn) and
// site2.example.cn.
func caseSites(t testing.TB, s *Store) {
	t.Helper()
	one := exampleSite(1)
	one.Domains = domains("site1.example.cn", "备案.example.cn")
	mustUpsert(t, s, one, exampleSite(2))
}

// takedown is an open takedown of https://site1.example.cn/bad, due a day
// after testNow.
func takedown() cases.Case {
	return cases.Case{Kind: cases.Takedown, Domain: "site1.example.cn", URLs: []string{"https://site1.example.cn/bad"},
		Category: cases.Gambling, EvidencePhrases: []string{"澳门赌场"}, Reporter: "complaint", State: cases.Open,
		Deadline: testNow.Add(24 * time.Hour)}
}

func mustOpenCase(t testing.TB, s *Store, c cases.Case) cases.Case {
	t.Helper()
	got, err := s.OpenCase(context.Background(), c, "cli:ops")
	if err != nil {
		t.Fatalf("OpenCase: %v", err)
	}
	return got
}

func mustMove(t testing.TB, s *Store, id int64, u cases.Update) cases.Case {
	t.Helper()
	if u.Actor == "" {
		u.Actor = "cli:ops"
	}
	c, err := s.TransitionCase(context.Background(), id, u)
	if err != nil {
		t.Fatalf("TransitionCase(%d, %s): %v", id, u.To, err)
	}
	return c
}

func TestOpenCase(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := mustOpenStore(t, dsn)
		caseSites(t, s)
		site1, _ := mustSite(t, s, "site1.example.cn")

		c := takedown()
		c.URLs = append(c.URLs, "http://www.site1.example.cn:8080/x?y=1", "https://xn--srsw86a.example.cn/z")
		c.EvidenceSHA256 = []string{strings.Repeat("AB", 32)}
		c.RegulatorOrdered, c.Notes = true, "网安 notice 2026-117"
		got := mustOpenCase(t, s, c)
		want := c
		want.ID, want.SiteID, want.Version = got.ID, site1.ID, 1
		want.EvidenceSHA256 = []string{strings.Repeat("ab", 32)}
		want.Escalation = cases.EscalationNone
		want.CreatedAt, want.UpdatedAt, want.NextVerifyAt = testNow, testNow, testNow
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("OpenCase (-want +got):\n%s", diff)
		}
		read, err := s.Case(ctx, got.ID)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(got, read, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("Case(%d) differs from what OpenCase returned (-open +read):\n%s", got.ID, diff)
		}
		h, err := s.CaseHistory(ctx, got.ID)
		if err != nil || len(h) != 1 || h[0] != (cases.Transition{To: cases.Open, At: testNow, Actor: "cli:ops", Reason: "opened"}) {
			t.Errorf("CaseHistory = %+v, %v; want the opening", h, err)
		}

		rect := mustOpenCase(t, s, cases.Case{Kind: cases.Rectification, Domain: "SITE2.example.cn.", Category: "PSB_MISSING",
			State: cases.Open, Deadline: testNow.Add(240 * time.Hour)})
		if rect.Domain != "site2.example.cn" || len(rect.Codes) != 1 || rect.Codes[0] != "PSB_MISSING" {
			t.Errorf("rectification = %+v", rect)
		}

		bad := []struct {
			name string
			c    func(c *cases.Case)
			want string
		}{
			{"unknown domain", func(c *cases.Case) { c.Domain = "nowhere.cn" }, "case: domain nowhere.cn is not in the registry"},
			{"URL of another site", func(c *cases.Case) { c.URLs = []string{"https://site2.example.cn/bad"} },
				"case: URL https://site2.example.cn/bad is not on a domain of site 1 (site1.example.cn, xn--srsw86a.example.cn)"},
			{"URL on a look-alike", func(c *cases.Case) { c.URLs = []string{"https://evilsite1.example.cn/"} }, "case: URL https://evilsite1.example.cn/ is not on a domain of site 1"},
			{"unknown category", func(c *cases.Case) { c.Category = "spam" }, `unknown takedown category "spam"`},
			{"no evidence", func(c *cases.Case) { c.EvidencePhrases = nil }, "case: a takedown needs evidence"},
		}
		for _, tt := range bad {
			c := takedown()
			tt.c(&c)
			if _, err := s.OpenCase(ctx, c, "cli:ops"); err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("%s: OpenCase = %v, want %q", tt.name, err, tt.want)
			}
		}
		c = takedown()
		c.Domain = "nowhere.cn"
		if _, err := s.OpenCase(ctx, c, "cli:ops"); !errors.Is(err, ErrNotFound) {
			t.Errorf("OpenCase(unknown domain) = %v, want ErrNotFound", err)
		}
		if _, err := s.Case(ctx, 999); !errors.Is(err, ErrNotFound) {
			t.Errorf("Case(999) = %v, want ErrNotFound", err)
		}

		suspected := takedown()
		suspected.State, suspected.Deadline = cases.Suspected, time.Time{}
		sc := mustOpenCase(t, s, suspected)
		if !sc.NextVerifyAt.IsZero() {
			t.Errorf("suspected case due for verification at %v, want never until confirmed", sc.NextVerifyAt)
		}

		all := func(f CaseFilter) []int64 {
			t.Helper()
			cs, err := s.ListCases(ctx, f)
			if err != nil {
				t.Fatalf("ListCases(%+v): %v", f, err)
			}
			var ids []int64
			for _, c := range cs {
				ids = append(ids, c.ID)
			}
			return ids
		}
		for _, tt := range []struct {
			f    CaseFilter
			want []int64
		}{
			{CaseFilter{}, []int64{sc.ID, rect.ID, got.ID}},
			{CaseFilter{Kind: cases.Takedown}, []int64{sc.ID, got.ID}},
			{CaseFilter{State: cases.Suspected}, []int64{sc.ID}},
			{CaseFilter{Domain: "备案.example.cn"}, []int64{sc.ID, got.ID}},
			{CaseFilter{SiteID: rect.SiteID, Active: true}, []int64{rect.ID}},
			{CaseFilter{Limit: 1}, []int64{sc.ID}},
			{CaseFilter{Domain: "nowhere.cn"}, nil},
		} {
			if ids := all(tt.f); !cmp.Equal(ids, tt.want) {
				t.Errorf("ListCases(%+v) = %v, want %v", tt.f, ids, tt.want)
			}
		}
		if cs, _ := s.ListCases(ctx, CaseFilter{Kind: cases.Takedown}); len(cs) != 2 || len(cs[1].URLs) != 3 {
			t.Errorf("ListCases: URLs not loaded: %+v", cs)
		}
	})
}

func TestCaseLifecycle(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := mustOpenStore(t, dsn)
		caseSites(t, s)
		c := mustOpenCase(t, s, takedown())
		at := func(h int) time.Time { return testNow.Add(time.Duration(h) * time.Hour) }

		mustMove(t, s, c.ID, cases.Update{To: cases.Notified, At: at(1), Actor: "serve:r1", Reason: "notice sent"})
		if _, err := s.TransitionCase(ctx, c.ID, cases.Update{To: cases.Overdue, At: at(23), Actor: "serve:r1"}); !errors.Is(err, cases.ErrNotDue) {
			t.Errorf("overdue an hour early = %v, want ErrNotDue", err)
		}
		over := mustMove(t, s, c.ID, cases.Update{To: cases.Overdue, At: at(24), Actor: "serve:r1", Escalate: true})
		if over.Escalation != cases.EscalationPending || over.Version != 3 {
			t.Errorf("overdue case = escalation %s, version %d; want pending, 3", over.Escalation, over.Version)
		}
		blocked := mustMove(t, s, c.ID, cases.Update{To: cases.Blocked, At: at(25), Actor: "serve:r1", BlockLevel: cases.BlockURL})
		if blocked.BlockLevel != cases.BlockURL || !blocked.NextVerifyAt.IsZero() {
			t.Errorf("blocked case = %+v", blocked)
		}
		_, err := s.TransitionCase(ctx, c.ID, cases.Update{To: cases.Closed, At: at(26), Actor: "serve:r1", Reason: "restored"})
		var te *cases.TransitionError
		if !errors.As(err, &te) || !errors.Is(err, cases.ErrHumanOnly) {
			t.Errorf("daemon closing a blocked case = %v, want refused", err)
		}
		mustMove(t, s, c.ID, cases.Update{To: cases.Closed, At: at(27), Reason: "customer terminated"})
		_, err = s.TransitionCase(ctx, c.ID, cases.Update{To: cases.Notified, At: at(28), Actor: "cli:ops"})
		if !errors.As(err, &te) || te.Error() != "case 1: cannot move from closed to notified" {
			t.Errorf("closed → notified = %v", err)
		}
		if _, err := s.TransitionCase(ctx, 999, cases.Update{To: cases.Notified, Actor: "cli:ops"}); !errors.Is(err, ErrNotFound) {
			t.Errorf("TransitionCase(999) = %v, want ErrNotFound", err)
		}
		if err := s.RecordCaseEvent(ctx, c.ID, "cli:ops", "customer called"); err != nil {
			t.Fatal(err)
		}

		h, err := s.CaseHistory(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := []cases.Transition{
			{From: "", To: cases.Open, At: testNow, Actor: "cli:ops", Reason: "opened"},
			{From: cases.Open, To: cases.Notified, At: at(1), Actor: "serve:r1", Reason: "notice sent"},
			{From: cases.Notified, To: cases.Overdue, At: at(24), Actor: "serve:r1"},
			{From: cases.Overdue, To: cases.Blocked, At: at(25), Actor: "serve:r1"},
			{From: cases.Blocked, To: cases.Closed, At: at(27), Actor: "cli:ops", Reason: "customer terminated"},
			{From: cases.Closed, To: cases.Closed, At: testNow, Actor: "cli:ops", Reason: "customer called"},
		}
		if diff := cmp.Diff(want, h); diff != "" {
			t.Errorf("CaseHistory (-want +got):\n%s", diff)
		}
		final, _ := s.Case(ctx, c.ID)
		if final.State != cases.Closed || !final.ClosedAt.Equal(at(27)) || !final.NotifiedAt.Equal(at(1)) || !final.BlockedAt.Equal(at(25)) || final.Version != 6 || final.Escalation != cases.EscalationNone {
			t.Errorf("final case = %+v", final)
		}
	})
}

// TestRectificationExtension: a rectification's window in working days
// across National Day and its make-up Saturday, one extension, a second
// refused.
func TestRectificationExtension(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := mustOpenStore(t, dsn)
		caseSites(t, s)
		cal := workday.Default()
		p := cases.DefaultPolicy()
		p.RectificationDays = 5
		opened := time.Date(2026, 9, 28, 2, 0, 0, 0, time.UTC) // Monday 10:00 in Beijing
		deadline, err := p.Deadline(cases.Rectification, opened, cal)
		if err != nil {
			t.Fatal(err)
		}
		nc := cases.Case{Kind: cases.Rectification, Domain: "site2.example.cn", Category: "PSB_MISSING",
			State: cases.Open, CreatedAt: opened}
		nc.SetDeadline(deadline)
		c := mustOpenCase(t, s, nc)
		// 29, 30 Sep; 1–7 Oct off; 8, 9, 10 (the make-up Saturday) → ends 24:00 on 10 Oct.
		if want := time.Date(2026, 10, 10, 16, 0, 0, 0, time.UTC); !c.Deadline.Equal(want) {
			t.Errorf("deadline = %v, want %v", c.Deadline, want)
		}
		mustMove(t, s, c.ID, cases.Update{To: cases.Notified, At: opened.Add(time.Hour), Actor: "serve:r1"})
		ext := mustMove(t, s, c.ID, cases.Update{To: cases.Extended, At: opened.Add(48 * time.Hour), Reason: "customer asked",
			ExtendDays: p.ExtensionDays, Calendar: cal})
		// Mon 12 … Fri 16, Mon 19, Tue 20 → 24:00 on 20 Oct.
		if want := time.Date(2026, 10, 20, 16, 0, 0, 0, time.UTC); !ext.Deadline.Equal(want) || ext.ExtensionsUsed != 1 {
			t.Errorf("extended deadline = %v (%d used), want %v (1)", ext.Deadline, ext.ExtensionsUsed, want)
		}
		mustMove(t, s, c.ID, cases.Update{To: cases.Overdue, At: ext.Deadline, Actor: "serve:r1"})
		_, err = s.TransitionCase(ctx, c.ID, cases.Update{To: cases.Extended, At: ext.Deadline, Actor: "cli:ops", ExtendDays: 7, Calendar: cal})
		if !errors.Is(err, cases.ErrExtensionUsed) {
			t.Errorf("second extension = %v, want ErrExtensionUsed", err)
		}
		fixed := mustMove(t, s, c.ID, cases.Update{To: cases.Fixed, At: ext.Deadline.Add(time.Hour), Actor: "serve:r1", Reason: "check passed"})
		if fixed.State != cases.Fixed || fixed.ExtensionsUsed != 1 {
			t.Errorf("fixed = %+v", fixed)
		}
	})
}

// TestCasesNeverDeleted: the database itself refuses to delete a case or
// rewrite its history.
func TestCasesNeverDeleted(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := mustOpenStore(t, dsn)
		caseSites(t, s)
		c := mustOpenCase(t, s, takedown())
		for _, q := range []string{
			"DELETE FROM cases WHERE id = ?",
			"DELETE FROM case_events WHERE case_id = ?",
			"UPDATE case_events SET reason = 'rewritten' WHERE case_id = ?",
		} {
			if _, err := s.db.ExecContext(ctx, s.db.Rebind(q), c.ID); err == nil {
				t.Errorf("%s: no error, want the trigger to refuse", q)
			}
		}
		if h, err := s.CaseHistory(ctx, c.ID); err != nil || len(h) != 1 || h[0].Reason != "opened" {
			t.Errorf("history after refused changes = %+v, %v", h, err)
		}
	})
}

func TestSitesWithActiveCases(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := mustOpenStore(t, dsn)
		ids := setUpSites(t, s, siteSetup{}, siteSetup{}, siteSetup{})
		open := func(domain string) cases.Case {
			c, err := s.OpenCase(ctx, cases.Case{Kind: cases.Rectification, Domain: domain, Category: cases.Category(checker.CodePSBMissing),
				Codes: []string{checker.CodePSBMissing}, State: cases.Open, Deadline: testNow.Add(time.Hour), CreatedAt: testNow}, "cli:test")
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		open("site0.example.cn")
		closed := open("site1.example.cn")
		if _, err := s.TransitionCase(ctx, closed.ID, cases.Update{To: cases.Dismissed, At: testNow, Actor: "cli:test", Reason: "false"}); err != nil {
			t.Fatal(err)
		}
		got, err := s.SitesWithActiveCases(ctx, cases.Rectification, ids)
		if err != nil {
			t.Fatal(err)
		}
		if want := map[int64]bool{ids[0]: true}; !maps.Equal(got, want) {
			t.Errorf("SitesWithActiveCases = %v, want %v", got, want)
		}
		if got, _ := s.SitesWithActiveCases(ctx, cases.Takedown, ids); len(got) != 0 {
			t.Errorf("takedowns: %v, want none", got)
		}
		if _, err := s.SitesWithActiveCases(ctx, cases.Kind("x'; DROP TABLE cases; --"), ids); err == nil {
			t.Error("an unknown kind was accepted")
		}
	})
}

// TestProvisionalDeadline: a rectification whose working days reach a
// year with no holiday calendar is opened with a provisional deadline,
// stored with how it was counted, and counted again once the year is
// known, with the change in its history; a second recount changes
// nothing.
func TestProvisionalDeadline(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := mustOpenStore(t, dsn)
		caseSites(t, s)
		opened := time.Date(2027, 12, 20, 2, 0, 0, 0, time.UTC) // Monday 10:00 in Beijing
		d, err := cases.DefaultPolicy().Deadline(cases.Rectification, opened, workday.Default())
		if err != nil {
			t.Fatal(err)
		}
		nc := cases.Case{Kind: cases.Rectification, Domain: "site2.example.cn", Category: "PSB_MISSING", State: cases.Open, CreatedAt: opened}
		nc.SetDeadline(d)
		c := mustOpenCase(t, s, nc)
		got, err := s.Case(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		// 21–24, 27–31 December and Monday 3 January (2028 counted as weekdays only).
		if !slices.Equal(got.Provisional, []int{2028}) || got.DeadlineDays != 10 || !got.DeadlineFrom.Equal(opened) ||
			!got.Deadline.Equal(time.Date(2028, 1, 3, 16, 0, 0, 0, time.UTC)) {
			t.Fatalf("stored case: deadline %v from %v + %d, provisional %v", got.Deadline, got.DeadlineFrom, got.DeadlineDays, got.Provisional)
		}
		if ps, err := s.ListCases(ctx, CaseFilter{Provisional: true}); err != nil || len(ps) != 1 || ps[0].ID != c.ID {
			t.Errorf("ListCases(provisional) = %v, %v; want case %d", ps, err, c.ID)
		}
		if _, changed, err := s.RecountDeadline(ctx, c.ID, workday.Default(), "serve:r1"); err != nil || changed {
			t.Errorf("RecountDeadline with the same calendar = %v, %v; want no change", changed, err)
		}
		y2028 := workday.Year{Year: 2028, Source: "test", Holidays: []workday.Holiday{{Name: "元旦", From: "2028-01-01", To: "2028-01-03"}}}
		known, err := workday.Default().Merge(y2028)
		if err != nil {
			t.Fatal(err)
		}
		re, changed, err := s.RecountDeadline(ctx, c.ID, known, "serve:r1")
		if err != nil || !changed || len(re.Provisional) != 0 || !re.Deadline.Equal(time.Date(2028, 1, 4, 16, 0, 0, 0, time.UTC)) {
			t.Fatalf("RecountDeadline = %v %v, %v, %v; want end of 2028-01-04, definitive", re.Deadline, re.Provisional, changed, err)
		}
		if _, changed, err := s.RecountDeadline(ctx, c.ID, known, "serve:r1"); err != nil || changed {
			t.Errorf("second RecountDeadline = %v, %v; want no change", changed, err)
		}
		h, err := s.CaseHistory(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		last := h[len(h)-1]
		want := "deadline counted again with the 2028 holiday calendar: by end of 2028-01-03 CST (provisional) → by end of 2028-01-04 CST"
		if len(h) != 2 || last.Reason != want || last.Actor != "serve:r1" {
			t.Errorf("history = %+v; want the recount as entry 2: %q", h, want)
		}
		if ps, err := s.ListCases(ctx, CaseFilter{Provisional: true}); err != nil || len(ps) != 0 {
			t.Errorf("ListCases(provisional) after the recount = %v, %v; want none", ps, err)
		}
	})
}
