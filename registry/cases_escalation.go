package registry

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/beianwatch/beianwatch/cases"
)

// claimSQL claims up to n pending escalations for one owner. The outer
// WHERE repeats escalation_state = 'pending' so that, even where two
// claims read the same row, PostgreSQL re-checks it after waiting for the
// row lock and only the first UPDATE changes it; %[1]s is the
// confirmation condition, %[2]s the dialect's skipLocked.
const claimSQL = `WITH pending AS (
	SELECT id FROM cases
	WHERE escalation_state = 'pending' AND state = 'overdue' %[1]s
	ORDER BY id
	LIMIT ?
	%[2]s
)
UPDATE cases SET escalation_state = 'sending', escalation_owner = ?, escalation_claimed_at = ?, version = version + 1
WHERE id IN (SELECT id FROM pending) AND escalation_state = 'pending'
RETURNING id`

// ClaimEscalation claims up to n cases whose escalation webhook is to be
// called (pending, and confirmed by a person when requireConfirmation is
// set) for owner, and records the claim in each case's history. A claimed
// case's escalation is "sending": no other claim gets it, ever, so
// however many replicas claim at once the webhook is called once per case.
// The caller calls the webhook and then RecordEscalation. A replica that
// dies in between leaves the case "sending" for a person to look at,
// rather than risk a second call.
func (s *Store) ClaimEscalation(ctx context.Context, owner string, n int, requireConfirmation bool, now time.Time) (_ []cases.Case, err error) {
	defer s.observe("claim_escalation", time.Now(), &err)
	if owner == "" || n <= 0 {
		return nil, fmt.Errorf("claim escalation: want an owner and n > 0, have %q, %d", owner, n)
	}
	now = utcMicro(now)
	confirmed := ""
	if requireConfirmation {
		confirmed = "AND escalation_confirmed_at IS NOT NULL"
	}
	var claimed []cases.Case
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		rows, err := tx.QueryContext(ctx, tx.Rebind(fmt.Sprintf(claimSQL, confirmed, s.d.skipLocked)), n, owner, ts(now))
		if err != nil {
			return err
		}
		ids, err := scanIDs(rows)
		if err != nil {
			return err
		}
		if claimed, err = loadCasesByID(ctx, tx, ids); err != nil {
			return err
		}
		for _, c := range claimed {
			t := cases.Transition{From: c.State, To: c.State, At: now, Actor: "serve:" + owner, Reason: "escalation claimed"}
			if err := insertEvent(ctx, tx, c.ID, t); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("claim escalations for %s: %w", owner, err)
	}
	return claimed, nil
}

// RecordEscalation records the outcome of owner's escalation call for case
// id: cases.EscalationSent or cases.EscalationFailed, with the webhook's
// answer (or the error), at at. cases.EscalationPending hands the case
// back unsent, to be claimed again (only when the call surely did not
// happen). If owner does not hold the claim it returns ErrLeaseLost and
// writes nothing.
func (s *Store) RecordEscalation(ctx context.Context, id int64, owner string, result cases.Escalation, response string, at time.Time) (err error) {
	defer s.observe("record_escalation", time.Now(), &err)
	switch result {
	case cases.EscalationSent, cases.EscalationFailed, cases.EscalationPending:
	default:
		return fmt.Errorf("record escalation of case %d: result %q: want sent, failed or pending", id, result)
	}
	at = utcMicro(at)
	keep := owner // who the case's escalation_owner names afterwards
	if result == cases.EscalationPending {
		keep = ""
	}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		var state string
		err := tx.QueryRowxContext(ctx, tx.Rebind(`UPDATE cases SET escalation_state = ?, escalation_response = ?,
			escalation_at = ?, escalation_owner = ?,
			updated_at = ?, version = version + 1
			WHERE id = ? AND escalation_state = 'sending' AND escalation_owner = ?
			RETURNING state`), result, response, ts(at), keep, ts(at), id, owner).Scan(&state)
		if err != nil {
			return cmpErr(noRows(err), ErrLeaseLost)
		}
		t := cases.Transition{From: cases.State(state), To: cases.State(state), At: at, Actor: "serve:" + owner,
			Reason: fmt.Sprintf("escalation %s: %s", result, response)}
		return insertEvent(ctx, tx, id, t)
	})
	if err != nil {
		return fmt.Errorf("record escalation of case %d: %w", id, err)
	}
	return nil
}

// ConfirmEscalation records a person's confirmation of case id's pending
// escalation (cases.ConfirmEscalation says who may and when), for
// configurations that require one before the webhook is called.
func (s *Store) ConfirmEscalation(ctx context.Context, id int64, actor string) (_ cases.Case, err error) {
	defer s.observe("confirm_escalation", time.Now(), &err)
	c, err := s.changeCase(ctx, id, func(c cases.Case) (cases.Case, cases.Transition, error) {
		return cases.ConfirmEscalation(c, actor, utcMicro(s.now()))
	})
	if err != nil {
		return cases.Case{}, fmt.Errorf("confirm escalation of case %d: %w", id, err)
	}
	return c, nil
}
