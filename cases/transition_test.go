package cases

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestLegal pins the whole transition table: every move of every kind that
// is legal, and by omission every one that is not.
func TestLegal(t *testing.T) {
	want := map[Kind][]string{
		Takedown: {
			"suspected>open", "suspected>dismissed",
			"open>notified", "open>overdue", "open>fixed", "open>blocked", "open>dismissed",
			"notified>overdue", "notified>fixed", "notified>blocked", "notified>dismissed",
			"extended>overdue", "extended>fixed", "extended>blocked", "extended>dismissed",
			"overdue>fixed", "overdue>blocked", "overdue>dismissed",
			"fixed>closed", "blocked>closed",
		},
		Rectification: {
			"open>notified", "open>overdue", "open>fixed", "open>blocked", "open>dismissed",
			"notified>extended", "notified>overdue", "notified>fixed", "notified>blocked", "notified>dismissed",
			"extended>overdue", "extended>fixed", "extended>blocked", "extended>dismissed",
			"overdue>extended", "overdue>fixed", "overdue>blocked", "overdue>dismissed",
			"fixed>closed", "blocked>closed",
		},
	}
	for _, k := range AllKinds() {
		var got []string
		for _, from := range AllStates() {
			for _, to := range AllStates() {
				if Legal(k, from, to) {
					got = append(got, string(from)+">"+string(to))
				}
			}
		}
		slices.Sort(got)
		w := slices.Sorted(slices.Values(want[k]))
		if !slices.Equal(got, w) {
			t.Errorf("Legal(%s) moves =\n%q\nwant\n%q", k, got, w)
		}
	}
}

func TestNext(t *testing.T) {
	due := cst(2026, 11, 28, 12, 0)
	base := Case{ID: 12, Kind: Takedown, State: Notified, Deadline: due}
	with := func(f func(c *Case)) Case { c := base; f(&c); return c }
	rect := with(func(c *Case) { c.Kind = Rectification })
	tests := []struct {
		name    string
		c       Case
		to      State
		at      time.Time
		actor   string
		reason  string
		wantErr error
		wantMsg string
	}{
		{name: "notify", c: with(func(c *Case) { c.State = Open }), to: Notified, actor: "serve:r1"},
		{name: "closed is terminal", c: with(func(c *Case) { c.State = Closed }), to: Notified, actor: "cli:ops",
			wantErr: ErrIllegal, wantMsg: "case 12: cannot move from closed to notified"},
		{name: "dismissed is terminal", c: with(func(c *Case) { c.State = Dismissed }), to: Open, actor: "cli:ops", wantErr: ErrIllegal},
		{name: "fixed then blocked", c: with(func(c *Case) { c.State = Fixed }), to: Blocked, actor: "cli:ops", wantErr: ErrIllegal},
		{name: "no auto-unblock", c: with(func(c *Case) { c.State = Blocked }), to: Closed, actor: "serve:r1", reason: "restored",
			wantErr: ErrHumanOnly},
		{name: "blocked to fixed", c: with(func(c *Case) { c.State = Blocked }), to: Fixed, actor: "serve:r1", wantErr: ErrIllegal},
		{name: "blocked closed by a person without reason", c: with(func(c *Case) { c.State = Blocked }), to: Closed, actor: "cli:ops",
			wantErr: ErrReasonRequired, wantMsg: "case 12: cannot move from blocked to closed: a reason is required"},
		{name: "blocked closed by a person", c: with(func(c *Case) { c.State = Blocked }), to: Closed, actor: "cli:ops", reason: "customer terminated"},
		{name: "fixed closed by the daemon", c: with(func(c *Case) { c.State = Fixed }), to: Closed, actor: "serve:r1"},
		{name: "dismiss needs a person", c: base, to: Dismissed, actor: "serve:r1", reason: "x", wantErr: ErrHumanOnly},
		{name: "dismiss needs a reason", c: base, to: Dismissed, actor: "cli:ops", reason: "  ", wantErr: ErrReasonRequired},
		{name: "dismiss", c: base, to: Dismissed, actor: "cli:ops", reason: "false report"},
		{name: "regulator-ordered not dismissed", c: with(func(c *Case) { c.RegulatorOrdered = true }), to: Dismissed, actor: "cli:ops",
			reason: "x", wantErr: ErrRegulatorOrdered},
		{name: "confirm needs a person", c: with(func(c *Case) { c.State = Suspected }), to: Open, actor: "lexicon", wantErr: ErrHumanOnly},
		{name: "confirm", c: with(func(c *Case) { c.State = Suspected }), to: Open, actor: "api:ops"},
		{name: "lexicon cases are takedowns", c: with(func(c *Case) { c.State = Suspected; c.Kind = Rectification }), to: Open,
			actor: "cli:ops", wantErr: ErrIllegal},
		{name: "overdue at the deadline", c: base, to: Overdue, at: due, actor: "serve:r1"},
		{name: "overdue before the deadline", c: base, to: Overdue, at: due.Add(-time.Second), actor: "serve:r1", wantErr: ErrNotDue},
		{name: "takedowns are not extended", c: base, to: Extended, actor: "cli:ops", wantErr: ErrIllegal},
		{name: "extend", c: rect, to: Extended, actor: "cli:ops"},
		{name: "extend needs a person", c: rect, to: Extended, actor: "serve:r1", wantErr: ErrHumanOnly},
		{name: "second extension", c: with(func(c *Case) { c.Kind = Rectification; c.State = Overdue; c.ExtensionsUsed = 1 }), to: Extended,
			actor: "cli:ops", wantErr: ErrExtensionUsed, wantMsg: "case 12: cannot move from overdue to extended: the one extension was already used"},
		{name: "extended again", c: with(func(c *Case) { c.Kind = Rectification; c.State = Extended; c.ExtensionsUsed = 1 }), to: Extended,
			actor: "cli:ops", wantErr: ErrExtensionUsed},
		{name: "no actor", c: base, to: Fixed, wantMsg: "case 12: cannot move from notified to fixed: no actor"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			at := tt.at
			if at.IsZero() {
				at = due.Add(time.Hour)
			}
			tr, err := Next(tt.c, tt.to, at, tt.actor, tt.reason)
			if tt.wantErr == nil && tt.wantMsg == "" {
				want := Transition{From: tt.c.State, To: tt.to, At: at, Actor: tt.actor, Reason: strings.TrimSpace(tt.reason)}
				if err != nil || tr != want {
					t.Errorf("Next = %+v, %v; want %+v", tr, err, want)
				}
				return
			}
			var te *TransitionError
			if !errors.As(err, &te) || (tt.wantErr != nil && !errors.Is(err, tt.wantErr)) {
				t.Fatalf("Next error = %v, want a *TransitionError wrapping %v", err, tt.wantErr)
			}
			if tt.wantMsg != "" && err.Error() != tt.wantMsg {
				t.Errorf("Next error = %q, want %q", err, tt.wantMsg)
			}
		})
	}
}

func TestApply(t *testing.T) {
	created := cst(2026, 9, 28, 10, 0)
	deadline := cst(2026, 10, 11, 0, 0).UTC() // 5 working days, see TestDeadlines
	rect := Case{ID: 3, Kind: Rectification, Category: "PSB_MISSING", Codes: []string{"PSB_MISSING"}, State: Open,
		CreatedAt: created, Deadline: deadline, Escalation: EscalationNone, NextVerifyAt: created}
	at := cst(2026, 9, 29, 9, 0)

	notified, tr, err := Apply(rect, Update{To: Notified, At: at, Actor: "serve:r1", Reason: "notice sent"})
	if err != nil || notified.State != Notified || !notified.NotifiedAt.Equal(at) || tr.From != Open || tr.To != Notified {
		t.Fatalf("Apply(notify) = %+v, %+v, %v", notified, tr, err)
	}
	if rect.State != Open {
		t.Errorf("Apply changed its argument: state %s", rect.State)
	}

	overdue, _, err := Apply(notified, Update{To: Overdue, At: deadline, Actor: "serve:r1", Escalate: true})
	if err != nil || overdue.Escalation != EscalationPending || overdue.NextVerifyAt != notified.NextVerifyAt {
		t.Fatalf("Apply(overdue, escalate) = %+v, %v; want escalation pending, verification going on", overdue, err)
	}
	extended, _, err := Apply(overdue, Update{To: Extended, At: deadline.Add(time.Hour), Actor: "cli:ops", ExtendDays: 7, Calendar: calendar()})
	wantDeadline := cst(2026, 10, 21, 0, 0)
	if err != nil || !extended.Deadline.Equal(wantDeadline) || extended.ExtensionsUsed != 1 || extended.Escalation != EscalationNone {
		t.Fatalf("Apply(extend 7) = deadline %v, extensions %d, escalation %s, %v; want %v, 1, none (not called yet)",
			extended.Deadline, extended.ExtensionsUsed, extended.Escalation, err, wantDeadline)
	}
	if _, _, err := Apply(extended, Update{To: Extended, At: deadline, Actor: "cli:ops", ExtendDays: 7, Calendar: calendar()}); !errors.Is(err, ErrExtensionUsed) {
		t.Errorf("second Apply(extend) = %v, want ErrExtensionUsed", err)
	}
	late := notified
	late.Deadline = cst(2027, 12, 24, 0, 0)
	lateExt, _, err := Apply(late, Update{To: Extended, At: at, Actor: "cli:ops", ExtendDays: 7, Calendar: calendar()})
	if err != nil || !slices.Equal(lateExt.Provisional, []int{2028}) || !lateExt.Deadline.Equal(cst(2028, 1, 4, 0, 0)) {
		t.Errorf("Apply(extend past the calendar) = %v %v, %v; want end of 2028-01-03, provisional 2028", lateExt.Deadline, lateExt.Provisional, err)
	}

	blocked, _, err := Apply(overdue, Update{To: Blocked, At: at, Actor: "serve:r1", BlockLevel: BlockDomain})
	if err != nil || blocked.BlockLevel != BlockDomain || !blocked.BlockedAt.Equal(at) || !blocked.NextVerifyAt.IsZero() || blocked.Escalation != EscalationNone {
		t.Errorf("Apply(block domain) = %+v, %v", blocked, err)
	}
	if _, _, err := Apply(overdue, Update{To: Blocked, At: at, Actor: "serve:r1"}); err == nil {
		t.Errorf("Apply(block) without a level: no error")
	}

	suspected := Case{ID: 4, Kind: Takedown, State: Suspected, URLs: []string{"https://a.cn/x"}}
	if _, _, err := Apply(suspected, Update{To: Open, At: at, Actor: "cli:ops"}); err == nil {
		t.Errorf("Apply(confirm) without a deadline: no error")
	}
	opened, _, err := Apply(suspected, Update{To: Open, At: at, Actor: "cli:ops", Deadline: Deadline{At: at.Add(24 * time.Hour)}})
	if err != nil || !opened.NextVerifyAt.Equal(at) || !opened.Deadline.Equal(at.Add(24*time.Hour)) {
		t.Errorf("Apply(confirm) = %+v, %v; want verification due at once and the deadline set", opened, err)
	}
	opened.URLs[0] = "changed"
	if suspected.URLs[0] != "https://a.cn/x" {
		t.Errorf("Apply shares the URL slice with its argument")
	}
	if late, _, err := Apply(overdue, Update{To: Fixed, At: at, Actor: "serve:r1"}); err != nil || late.Escalation != EscalationNone {
		t.Errorf("Apply(fixed while the escalation is pending) = escalation %s, %v; want none", late.Escalation, err)
	}
	sending := overdue
	sending.Escalation = EscalationSending
	if b, _, err := Apply(sending, Update{To: Blocked, At: at, Actor: "serve:r1", BlockLevel: BlockService}); err != nil || b.Escalation != EscalationSending {
		t.Errorf("Apply(blocked while the escalation is in flight) = escalation %s, %v; want it left sending", b.Escalation, err)
	}
	fixed, _, err := Apply(notified, Update{To: Fixed, At: at, Actor: "serve:r1"})
	if err != nil || !fixed.FixedAt.Equal(at) || !fixed.NextVerifyAt.IsZero() {
		t.Errorf("Apply(fixed) = %+v, %v", fixed, err)
	}
}

func ExampleNext() {
	c := Case{ID: 12, Kind: Takedown, State: Closed}
	_, err := Next(c, Notified, time.Now(), "cli:ops", "")
	fmt.Println(err)
	// Output: case 12: cannot move from closed to notified
}

func TestConfirmEscalation(t *testing.T) {
	at := cst(2026, 11, 28, 9, 0)
	pending := Case{ID: 7, State: Overdue, Escalation: EscalationPending}
	if Escalatable(pending, true) || !Escalatable(pending, false) {
		t.Errorf("Escalatable(unconfirmed) = %v with confirmation required, %v without; want false, true",
			Escalatable(pending, true), Escalatable(pending, false))
	}
	c, tr, err := ConfirmEscalation(pending, "cli:ops", at)
	if err != nil || c.EscalationConfirmedBy != "cli:ops" || !c.EscalationConfirmedAt.Equal(at) || tr.From != Overdue || tr.To != Overdue || !Escalatable(c, true) {
		t.Fatalf("ConfirmEscalation = %+v, %+v, %v", c, tr, err)
	}
	if _, _, err := ConfirmEscalation(c, "cli:other", at); err == nil {
		t.Errorf("ConfirmEscalation twice: no error")
	}
	if _, _, err := ConfirmEscalation(pending, "serve:r1", at); !errors.Is(err, ErrHumanOnly) {
		t.Errorf("ConfirmEscalation by the daemon = %v, want ErrHumanOnly", err)
	}
	for _, e := range []Escalation{EscalationNone, EscalationSending, EscalationSent, EscalationFailed} {
		c := pending
		c.Escalation = e
		if _, _, err := ConfirmEscalation(c, "cli:ops", at); !errors.Is(err, ErrNothingToConfirm) {
			t.Errorf("ConfirmEscalation(%s) = %v, want ErrNothingToConfirm", e, err)
		}
	}
}
