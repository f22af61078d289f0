package cases

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Transition is one recorded change of a case: a move from one state to
// another, or, with From == To, an event that moves nothing (a notice sent
// again, an escalation's answer, a confirmation).
type Transition struct {
	From State // "" for the case's creation
	To   State
	At   time.Time
	// Actor is who or what made the change: "cli:<user>", "api:<user>",
	// "serve:<replica>", "lexicon".
	Actor  string
	Reason string
}

// Human reports whether an actor is a person (at the command line or
// through the API or the console) rather than the daemon or a scan.
func Human(actor string) bool {
	return strings.HasPrefix(actor, "cli:") || strings.HasPrefix(actor, "api:") || strings.HasPrefix(actor, "console:")
}

// Errors of Next. They come wrapped in a *TransitionError naming the case.
var (
	// ErrIllegal: the table has no such move for the case's kind.
	ErrIllegal = errors.New("no such move")
	// ErrHumanOnly: only a person may make this move.
	ErrHumanOnly = errors.New("only a person may make this move")
	// ErrReasonRequired: this move must say why.
	ErrReasonRequired = errors.New("a reason is required")
	// ErrExtensionUsed: the rectification was already extended.
	ErrExtensionUsed = errors.New("the one extension was already used")
	// ErrRegulatorOrdered: a regulator-ordered case cannot be dismissed.
	ErrRegulatorOrdered = errors.New("the case was ordered by a regulator")
	// ErrNotDue: the deadline has not passed.
	ErrNotDue = errors.New("the deadline has not passed")
)

// TransitionError is a refused move.
type TransitionError struct {
	ID       int64
	From, To State
	Err      error
}

func (e *TransitionError) Error() string {
	if errors.Is(e.Err, ErrIllegal) {
		return fmt.Sprintf("case %d: cannot move from %s to %s", e.ID, e.From, e.To)
	}
	return fmt.Sprintf("case %d: cannot move from %s to %s: %v", e.ID, e.From, e.To, e.Err)
}

func (e *TransitionError) Unwrap() error { return e.Err }

// moves is the transition table shared by both kinds; a state's list is
// where it may go. Suspected is reachable only by a takedown (the lexicon
// finds content, not filing faults) and Extended only by a rectification:
// kindMoves adds and removes those.
var moves = map[State][]State{
	Suspected: {Open, Dismissed},
	Open:      {Notified, Fixed, Overdue, Blocked, Dismissed},
	Notified:  {Fixed, Overdue, Blocked, Dismissed},
	Extended:  {Fixed, Overdue, Blocked, Dismissed},
	Overdue:   {Fixed, Blocked, Dismissed},
	Fixed:     {Closed},
	// Only Closed: beianwatch never lifts a block, so a blocked case never
	// goes back to being verified or fixed by itself.
	Blocked: {Closed},
}

// Legal reports whether the table lets a case of kind k move from one
// state to another, whoever asks.
func Legal(k Kind, from, to State) bool {
	if k == Rectification && (from == Notified || from == Overdue) && to == Extended {
		return true
	}
	if k == Rectification && from == Suspected {
		return false
	}
	return slices.Contains(moves[from], to)
}

// humanOnly are the moves that need a person: confirming or dismissing a
// report, granting an extension, and closing a blocked case.
func humanOnly(from, to State) bool {
	return (from == Suspected && to == Open) || to == Dismissed || to == Extended || (from == Blocked && to == Closed)
}

// Next checks that c may move to state to at time at, as actor asks for
// reason, and returns the transition to record. It enforces the table
// (Legal) and the rules on top of it: a person for human-only moves, a
// reason for dismissals and for closing a blocked case, one extension at
// most, no dismissal of a regulator-ordered case, and no overdue before the
// deadline.
func Next(c Case, to State, at time.Time, actor, reason string) (Transition, error) {
	t := Transition{From: c.State, To: to, At: at, Actor: actor, Reason: strings.TrimSpace(reason)}
	refuse := func(err error) (Transition, error) {
		return Transition{}, &TransitionError{ID: c.ID, From: c.State, To: to, Err: err}
	}
	switch {
	case actor == "":
		return refuse(errors.New("no actor"))
	case to == Extended && c.Kind == Rectification && c.ExtensionsUsed >= MaxExtensions:
		return refuse(ErrExtensionUsed)
	case !Legal(c.Kind, c.State, to):
		return refuse(ErrIllegal)
	case humanOnly(c.State, to) && !Human(actor):
		return refuse(fmt.Errorf("%w (actor %s)", ErrHumanOnly, actor))
	case to == Dismissed && c.RegulatorOrdered:
		return refuse(ErrRegulatorOrdered)
	case (to == Dismissed || c.State == Blocked) && t.Reason == "":
		return refuse(ErrReasonRequired)
	case to == Overdue && (c.Deadline.IsZero() || at.Before(c.Deadline)):
		return refuse(fmt.Errorf("%w (due %s)", ErrNotDue, c.Deadline.UTC().Format(time.RFC3339)))
	}
	return t, nil
}

// Update is a requested change of state with what goes with it.
type Update struct {
	To     State
	At     time.Time
	Actor  string
	Reason string
	// Deadline is the case's deadline when it is confirmed (Suspected to
	// Open): a suspected case has none.
	Deadline Deadline
	// BlockLevel is required with To == Blocked.
	BlockLevel BlockLevel
	// Escalate, with To == Overdue, asks for the escalation webhook: the
	// case's escalation becomes pending.
	Escalate bool
	// ExtendDays and Calendar, with To == Extended, move the deadline on
	// by that many working days.
	ExtendDays int
	Calendar   Calendar
}

// Apply checks u against c with Next and returns the case as it is after
// the move, with the transition to record. c itself is not changed. The
// Version is left for the store to advance.
func Apply(c Case, u Update) (Case, Transition, error) {
	t, err := Next(c, u.To, u.At, u.Actor, u.Reason)
	if err != nil {
		return Case{}, Transition{}, err
	}
	refuse := func(err error) (Case, Transition, error) {
		return Case{}, Transition{}, &TransitionError{ID: c.ID, From: c.State, To: u.To, Err: err}
	}
	n := c
	n.URLs, n.Codes, n.Provisional = slices.Clone(c.URLs), slices.Clone(c.Codes), slices.Clone(c.Provisional)
	n.EvidencePhrases, n.EvidenceSHA256 = slices.Clone(c.EvidencePhrases), slices.Clone(c.EvidenceSHA256)
	n.State, n.UpdatedAt = u.To, u.At
	switch u.To {
	case Open:
		if u.Deadline.At.IsZero() {
			return refuse(errors.New("opening a suspected case needs its deadline"))
		}
		n.SetDeadline(u.Deadline)
	case Notified:
		if n.NotifiedAt.IsZero() {
			n.NotifiedAt = u.At
		}
	case Extended:
		d, err := Extend(u.Calendar, c, u.ExtendDays)
		if err != nil {
			return refuse(err)
		}
		n.SetDeadline(d)
		n.ExtensionsUsed = c.ExtensionsUsed + 1
	case Overdue:
		if u.Escalate && n.Escalation == EscalationNone {
			n.Escalation = EscalationPending
		}
	case Fixed:
		n.FixedAt = u.At
	case Blocked:
		if _, err := ParseBlockLevel(string(u.BlockLevel)); err != nil {
			return refuse(err)
		}
		n.BlockLevel, n.BlockedAt = u.BlockLevel, u.At
	case Closed, Dismissed:
		n.ClosedAt = u.At
	}
	if n.Escalation == EscalationPending && u.To != Overdue {
		// Not called yet, and the case is no longer overdue (extended,
		// fixed, blocked by hand, dismissed): the call is no longer wanted.
		n.Escalation = EscalationNone
	}
	switch {
	case !u.To.Verifiable():
		n.NextVerifyAt = time.Time{}
	case !c.State.Verifiable():
		n.NextVerifyAt = u.At // newly confirmed: look at once
	}
	return n, t, nil
}
