package cases

import (
	"context"
	"errors"
	"testing"
)

// memMover is a Mover over one case in memory.
type memMover struct{ c Case }

func (m *memMover) Case(context.Context, int64) (Case, error) { return m.c, nil }

func (m *memMover) TransitionCase(_ context.Context, _ int64, u Update) (Case, error) {
	c, _, err := Apply(m.c, u)
	if err == nil {
		m.c = c
	}
	return c, err
}

func (m *memMover) ConfirmEscalation(context.Context, int64, string) (Case, error) {
	return Case{}, ErrNothingToConfirm
}

// countNoticer counts deliveries and fails when told to.
type countNoticer struct {
	n    int
	fail bool
}

func (c *countNoticer) DeliverNotice(context.Context, Case) (string, error) {
	c.n++
	if c.fail {
		return "", errors.New("mailer down")
	}
	return "T-1", nil
}

func TestNotify(t *testing.T) {
	at := cst(2026, 12, 7, 10, 0)
	tests := []struct {
		name      string
		state     State
		noticer   *countNoticer
		wantErr   error
		wantState State
		wantSent  int
		wantNote  string
	}{
		{"delivered", Open, &countNoticer{}, nil, Notified, 1, "notice delivered: T-1"},
		{"no delivery configured", Open, nil, nil, Notified, 0, NotDelivered},
		{"delivery fails: nothing moves", Open, &countNoticer{fail: true}, ErrNoticeFailed, Open, 1, ""},
		{"closed: refused before sending", Closed, &countNoticer{}, nil, Closed, 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &memMover{c: Case{ID: 3, Kind: Takedown, State: tt.state, Domain: "a.cn", CreatedAt: at}}
			var n Noticer
			if tt.noticer != nil {
				n = tt.noticer
			}
			_, _, note, err := Notify(context.Background(), m, n, 3, at, "cli:ops", "")
			switch {
			case tt.state == Closed:
				var te *TransitionError
				if !errors.As(err, &te) {
					t.Errorf("err = %v, want a TransitionError", err)
				}
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr), tt.wantErr == nil && err != nil:
				t.Errorf("err = %v, want %v", err, tt.wantErr)
			}
			sent := 0
			if tt.noticer != nil {
				sent = tt.noticer.n
			}
			if m.c.State != tt.wantState || sent != tt.wantSent || note != tt.wantNote {
				t.Errorf("state %s, %d sent, note %q; want %s, %d, %q", m.c.State, sent, note, tt.wantState, tt.wantSent, tt.wantNote)
			}
		})
	}
}
