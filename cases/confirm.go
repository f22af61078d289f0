package cases

import (
	"context"
	"time"
)

// Mover reads and moves cases; *registry.Store implements it.
type Mover interface {
	Case(ctx context.Context, id int64) (Case, error)
	TransitionCase(ctx context.Context, id int64, u Update) (Case, error)
	ConfirmEscalation(ctx context.Context, id int64, actor string) (Case, error)
}

// Confirm is what a person's "confirm" means for case id, the same at the
// command line and in the console: a suspected case opens with the
// policy's default deadline counted from at; any other case gets its
// pending escalation confirmed (ErrNothingToConfirm when none waits).
// It returns the case before and after.
func Confirm(ctx context.Context, m Mover, id int64, p Policy, cal Calendar, at time.Time, actor, reason string) (before, after Case, err error) {
	before, err = m.Case(ctx, id)
	if err != nil {
		return Case{}, Case{}, err
	}
	if before.State != Suspected {
		after, err = m.ConfirmEscalation(ctx, id, actor)
		return before, after, err
	}
	d, err := p.Deadline(before.Kind, at, cal)
	if err != nil {
		return before, Case{}, err
	}
	after, err = m.TransitionCase(ctx, id, Update{To: Open, At: at, Actor: actor, Reason: reason, Deadline: d})
	return before, after, err
}
