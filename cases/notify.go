package cases

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Noticer delivers a case's customer notice (the notice webhook, or the
// templates sent through the alert receivers).
type Noticer interface {
	DeliverNotice(ctx context.Context, c Case) (receipt string, err error)
}

// ErrNoticeFailed is matched by the error of a notice that could not be
// delivered: the case is then left as it was.
var ErrNoticeFailed = errors.New("the notice could not be delivered")

// NotDelivered is the note of a case recorded as notified with no notice
// delivery configured: the operator told the customer by other means.
const NotDelivered = "notice NOT delivered by beianwatch: no notice delivery is configured"

// Notify is what "notify" means for case id, the same at the command
// line, in the API and in the console: the move is checked first (a
// closed case gets no notice), then the notice is delivered through n
// (nil: none configured), then the case is recorded as notified. note
// says what happened to the notice; it is the history's reason when none
// is given. A failed delivery wraps ErrNoticeFailed and moves nothing.
func Notify(ctx context.Context, m Mover, n Noticer, id int64, at time.Time, actor, reason string) (before, after Case, note string, err error) {
	before, err = m.Case(ctx, id)
	if err != nil {
		return Case{}, Case{}, "", err
	}
	if _, err := Next(before, Notified, at, actor, reason); err != nil {
		return before, Case{}, "", err
	}
	note = NotDelivered
	if n != nil {
		receipt, err := n.DeliverNotice(ctx, before)
		if err != nil {
			return before, Case{}, "", fmt.Errorf("case %d: %w: %w", id, ErrNoticeFailed, err)
		}
		note = "notice delivered: " + receipt
	}
	if reason == "" {
		reason = note
	}
	after, err = m.TransitionCase(ctx, id, Update{To: Notified, At: at, Actor: actor, Reason: reason})
	return before, after, note, err
}
