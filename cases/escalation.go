package cases

import (
	"errors"
	"fmt"
	"time"
)

// ErrNothingToConfirm: the case has no escalation waiting for a person.
var ErrNothingToConfirm = errors.New("no escalation is waiting for confirmation")

// ConfirmEscalation records a person's go-ahead for a pending escalation,
// which a configuration with require_confirmation waits for. It returns
// the case as changed and the event to record (a Transition that moves
// nothing).
func ConfirmEscalation(c Case, actor string, at time.Time) (Case, Transition, error) {
	switch {
	case !Human(actor):
		return Case{}, Transition{}, fmt.Errorf("case %d: confirm escalation: %w (actor %s)", c.ID, ErrHumanOnly, actor)
	case c.Escalation != EscalationPending:
		return Case{}, Transition{}, fmt.Errorf("case %d: %w (escalation %s)", c.ID, ErrNothingToConfirm, c.Escalation)
	case !c.EscalationConfirmedAt.IsZero():
		return Case{}, Transition{}, fmt.Errorf("case %d: escalation already confirmed by %s", c.ID, c.EscalationConfirmedBy)
	}
	c.EscalationConfirmedBy, c.EscalationConfirmedAt, c.UpdatedAt = actor, at, at
	return c, Transition{From: c.State, To: c.State, At: at, Actor: actor, Reason: "escalation confirmed"}, nil
}

// Escalatable reports whether a pending escalation may be called now:
// it is pending and, when confirmation is required, a person confirmed it.
func Escalatable(c Case, requireConfirmation bool) bool {
	return c.Escalation == EscalationPending && (!requireConfirmation || !c.EscalationConfirmedAt.IsZero())
}
