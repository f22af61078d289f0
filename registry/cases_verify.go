package registry

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/beianwatch/beianwatch/cases"
)

// verifyLeaseSQL leases the n cases longest due for verification, like
// leaseSQL does sites: one statement, in the order of the cases_verify
// index; %[1]s is the state condition, %[2]s the dialect's skipLocked.
const verifyLeaseSQL = `WITH due AS (
	SELECT id FROM cases
	WHERE next_verify_at IS NOT NULL AND next_verify_at <= ? AND %[1]s
		AND (verify_expires_at IS NULL OR verify_expires_at <= ?)
	ORDER BY next_verify_at, id
	LIMIT ?
	%[2]s
)
UPDATE cases SET verify_owner = ?, verify_expires_at = ?
WHERE id IN (SELECT id FROM due)
RETURNING id`

// LeaseCaseVerifications hands owner up to n cases due for verification
// at now (open, notified, extended or overdue, next_verify_at passed) that
// no other owner holds, or whose lease expired, longest due first. Each is
// owner's for ttl or until SaveVerification. Takedowns are verified by
// re-fetching their URLs, rectifications by a fresh check of the site. On
// PostgreSQL replicas lease at once without waiting for one another, and
// no case goes to two of them.
func (s *Store) LeaseCaseVerifications(ctx context.Context, owner string, n int, ttl time.Duration, now time.Time) (_ []cases.Case, err error) {
	defer s.observe("lease_case_verifications", time.Now(), &err)
	if owner == "" || n <= 0 || ttl <= 0 {
		return nil, fmt.Errorf("lease case verifications: want an owner, n > 0 and ttl > 0, have %q, %d, %v", owner, n, ttl)
	}
	now = utcMicro(now)
	verifiable := slices.DeleteFunc(cases.AllStates(), func(st cases.State) bool { return !st.Verifiable() })
	var leased []cases.Case
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		q := tx.Rebind(fmt.Sprintf(verifyLeaseSQL, stateIn(verifiable), s.d.skipLocked))
		rows, err := tx.QueryContext(ctx, q, ts(now), ts(now), n, owner, ts(now.Add(ttl)))
		if err != nil {
			return err
		}
		ids, err := scanIDs(rows)
		if err != nil {
			return err
		}
		cs, err := loadCasesByID(ctx, tx, ids)
		// RETURNING comes in no particular order.
		slices.SortFunc(cs, func(a, b cases.Case) int {
			if c := a.NextVerifyAt.Compare(b.NextVerifyAt); c != 0 {
				return c
			}
			return int(a.ID - b.ID)
		})
		leased = cs
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("lease %d case verifications for %s: %w", n, owner, err)
	}
	return leased, nil
}

// SaveVerification stores verifications of case id with their evidence
// and ends owner's verification lease, making the case due again at next
// (unless it left the verifiable states meanwhile). If owner no longer
// holds the lease it returns ErrLeaseLost and writes nothing. An empty
// owner stores the verifications without any lease (a verification run by
// hand) and leaves the schedule alone.
func (s *Store) SaveVerification(ctx context.Context, owner string, id int64, next time.Time, vs ...cases.Verification) (err error) {
	defer s.observe("save_verification", time.Now(), &err)
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		if owner != "" {
			res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE cases SET verify_owner = '', verify_expires_at = NULL,
				next_verify_at = CASE WHEN next_verify_at IS NULL THEN next_verify_at ELSE ? END
				WHERE id = ? AND verify_owner = ?`), ts(utcMicro(next)), id, owner)
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil || n != 1 {
				return cmpErr(err, ErrLeaseLost)
			}
		}
		for _, v := range vs {
			_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO case_verifications (case_id, url, checked_at,
				http_status, body_sha256, matched, hash_matched, outcome, error, owner) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
				id, v.URL, ts(utcMicro(v.CheckedAt)), v.Status, v.BodySHA256, jsonList[string](v.Matched), v.HashMatched,
				v.Outcome, v.Error, owner)
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		if errors.Is(err, ErrLeaseLost) {
			return fmt.Errorf("save verification of case %d by %s: %w", id, owner, ErrLeaseLost)
		}
		return fmt.Errorf("save verification of case %d: %w", id, err)
	}
	return nil
}

// CaseVerifications returns case id's latest verifications, newest first:
// at most limit of them (0 for all).
func (s *Store) CaseVerifications(ctx context.Context, id int64, limit int) (_ []cases.Verification, err error) {
	defer s.observe("case_verifications", time.Now(), &err)
	q := `SELECT url, checked_at, http_status, body_sha256, matched, hash_matched, outcome, error
		FROM case_verifications WHERE case_id = ? ORDER BY checked_at DESC, id DESC`
	args := []any{id}
	if limit > 0 {
		q += " LIMIT ?"
		args = append(args, limit)
	}
	var rows []struct {
		URL         string           `db:"url"`
		CheckedAt   dbTime           `db:"checked_at"`
		Status      int              `db:"http_status"`
		BodySHA256  string           `db:"body_sha256"`
		Matched     jsonList[string] `db:"matched"`
		HashMatched bool             `db:"hash_matched"`
		Outcome     string           `db:"outcome"`
		Error       string           `db:"error"`
	}
	if err := sqlx.SelectContext(ctx, s.read, &rows, s.read.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("case %d verifications: %w", id, err)
	}
	vs := make([]cases.Verification, len(rows))
	for i, r := range rows {
		vs[i] = cases.Verification{URL: r.URL, CheckedAt: time.Time(r.CheckedAt), Status: r.Status, BodySHA256: r.BodySHA256,
			Matched: r.Matched, HashMatched: r.HashMatched, Outcome: cases.Outcome(r.Outcome), Error: r.Error}
	}
	return vs, nil
}

// DueOverdue returns up to limit cases (0 for all) whose deadline runs
// (open, notified, extended) and has passed at now, earliest deadline
// first: the ones to move to cases.Overdue. Replicas may all see the same
// case; TransitionCase lets one of them move it.
func (s *Store) DueOverdue(ctx context.Context, now time.Time, limit int) (_ []cases.Case, err error) {
	defer s.observe("due_overdue", time.Now(), &err)
	running := slices.DeleteFunc(cases.AllStates(), func(st cases.State) bool { return !st.Running() })
	q := "WHERE " + stateIn(running) + " AND deadline <= ? ORDER BY deadline, id"
	args := []any{ts(utcMicro(now))}
	if limit > 0 {
		q += " LIMIT ?"
		args = append(args, limit)
	}
	var cs []cases.Case
	err = s.inReadTx(ctx, func(tx *sqlx.Tx) (err error) {
		cs, err = loadCases(ctx, tx, q, args...)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("due overdue cases: %w", err)
	}
	return cs, nil
}

// CaseCount is the number of cases of one kind, state and category.
type CaseCount struct {
	Kind     cases.Kind
	State    cases.State
	Category cases.Category
	N        int
}

// CaseCounts are the figures behind the case metrics.
type CaseCounts struct {
	// ByState counts every case by kind, state and category.
	ByState []CaseCount
	// Overdue counts, per kind, the cases past their deadline and not
	// fixed: those in state overdue and those whose deadline runs and
	// has passed but that nobody has moved yet.
	Overdue map[cases.Kind]int
}

// CaseCounts counts the cases at now for metrics.
func (s *Store) CaseCounts(ctx context.Context, now time.Time) (_ CaseCounts, err error) {
	defer s.observe("case_counts", time.Now(), &err)
	var out CaseCounts
	err = s.inReadTx(ctx, func(tx *sqlx.Tx) error {
		var rows []struct {
			Kind     string `db:"kind"`
			State    string `db:"state"`
			Category string `db:"category"`
			N        int    `db:"n"`
		}
		if err := tx.SelectContext(ctx, &rows, `SELECT kind, state, category, COUNT(*) AS n FROM cases
			GROUP BY kind, state, category ORDER BY kind, state, category`); err != nil {
			return err
		}
		for _, r := range rows {
			out.ByState = append(out.ByState, CaseCount{cases.Kind(r.Kind), cases.State(r.State), cases.Category(r.Category), r.N})
		}
		running := slices.DeleteFunc(cases.AllStates(), func(st cases.State) bool { return !st.Running() })
		var over []struct {
			Kind string `db:"kind"`
			N    int    `db:"n"`
		}
		if err := tx.SelectContext(ctx, &over, tx.Rebind(`SELECT kind, COUNT(*) AS n FROM cases
			WHERE state = 'overdue' OR (`+stateIn(running)+` AND deadline <= ?) GROUP BY kind`), ts(utcMicro(now))); err != nil {
			return err
		}
		out.Overdue = make(map[cases.Kind]int, len(over))
		for _, k := range cases.AllKinds() {
			out.Overdue[k] = 0
		}
		for _, o := range over {
			out.Overdue[cases.Kind(o.Kind)] = o.N
		}
		return nil
	})
	if err != nil {
		return CaseCounts{}, fmt.Errorf("case counts: %w", err)
	}
	return out, nil
}
