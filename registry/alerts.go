package registry

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/beianwatch/beianwatch/checker"
)

// Change is what one check did to a site: the state before and after it
// and the site's alerts that were firing before it. A ChangeFunc sees it
// inside the check's transaction.
type Change struct {
	Site *Site
	Prev *State
	Next *State
	// Firing are the site's alerts firing before the check.
	Firing []FiringAlert
}

// FiringAlert is an alert that is firing, as stored.
type FiringAlert struct {
	Key      string
	Rule     string
	SiteID   int64
	Payload  json.RawMessage
	StartsAt time.Time
}

// AlertChange is an alert that starts (Firing) or stops firing, and the
// receivers it goes to. Payload is what they get; the registry stores it
// and does not read it.
type AlertChange struct {
	Key       string
	Rule      string
	SiteID    int64 // 0 for an alert about no one site
	Firing    bool
	At        time.Time
	Payload   json.RawMessage
	Receivers []string
}

// ChangeFunc decides which alerts a check starts or stops. It runs in the
// check's transaction, so its answer is stored with the check or not at
// all; it must not block.
type ChangeFunc func(c *Change) ([]AlertChange, error)

// CompleteAlerting is Complete with alerting: fn sees the site's change
// and the alert changes it returns are recorded in the same transaction:
// the alert's state, and one outbox row per receiver. An alert key that
// is already in the state a change asks for is left alone, so an alert
// fires once and resolves once however often the check repeats.
func (s *Store) CompleteAlerting(ctx context.Context, owner string, r Result, next time.Time, d checker.Deadlines, badgeShown bool, fn ChangeFunc) (err error) {
	defer s.observe("complete", time.Now(), &err)
	if owner == "" {
		return fmt.Errorf("complete site %d: no owner", r.SiteID)
	}
	if err := s.storeAlerting(ctx, owner, r, next, d, badgeShown, fn); err != nil {
		return fmt.Errorf("complete site %d: %w", r.SiteID, err)
	}
	return nil
}

// SaveResultAlerting is SaveResult with alerting, as CompleteAlerting is
// Complete's: a check made outside the schedule (on demand) decides its
// alert changes in its own transaction, as a scheduled one does. It needs
// no lease; should a scheduled check of the site be under way, whichever
// is stored last sets the state, and its alert changes follow it.
func (s *Store) SaveResultAlerting(ctx context.Context, r Result, next time.Time, d checker.Deadlines, badgeShown bool, fn ChangeFunc) (err error) {
	defer s.observe("save_result", time.Now(), &err)
	if err := s.storeAlerting(ctx, "", r, next, d, badgeShown, fn); err != nil {
		return fmt.Errorf("save result of site %d: %w", r.SiteID, err)
	}
	return nil
}

// storeAlerting stores the check r (only while owner holds the site's
// lease, when there is an owner) and, with fn, the alert changes fn
// decides from what it did, in one transaction.
func (s *Store) storeAlerting(ctx context.Context, owner string, r Result, next time.Time, d checker.Deadlines, badgeShown bool, fn ChangeFunc) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		var c Change
		if fn != nil {
			sites, states, err := s.loadSitesByID(ctx, tx, []int64{r.SiteID})
			if err != nil {
				return fmt.Errorf("read state: %w", err)
			}
			if len(sites) == 0 {
				return ErrNotFound
			}
			c.Site, c.Prev = sites[0], states[0]
		}
		if err := updateState(ctx, tx, owner, r, next, d, badgeShown); err != nil {
			return err
		}
		if err := s.storeResults(ctx, tx, []Result{r}); err != nil {
			return err
		}
		if fn == nil {
			return nil
		}
		_, states, err := s.loadSitesByID(ctx, tx, []int64{r.SiteID})
		if err != nil || len(states) == 0 {
			return fmt.Errorf("read new state: %w", errors.Join(err, ErrNotFound))
		}
		c.Next = states[0]
		if c.Firing, err = firingAlerts(ctx, tx, "WHERE firing AND site_id = ? ORDER BY key", r.SiteID); err != nil {
			return err
		}
		changes, err := fn(&c)
		if err != nil {
			return fmt.Errorf("alerts: %w", err)
		}
		return s.applyAlertChanges(ctx, tx, changes)
	})
}

// RecordAlerts records alert changes that come from no check (a case
// turning overdue, say) in one transaction, with the same once-only rule
// as CompleteAlerting.
func (s *Store) RecordAlerts(ctx context.Context, changes []AlertChange) (err error) {
	defer s.observe("record_alerts", time.Now(), &err)
	if err := s.inTx(ctx, func(tx *sqlx.Tx) error { return s.applyAlertChanges(ctx, tx, changes) }); err != nil {
		return fmt.Errorf("record %d alert changes: %w", len(changes), err)
	}
	return nil
}

// applyAlertChanges moves each alert to its new state, unless it is there
// already, and queues it for its receivers.
func (s *Store) applyAlertChanges(ctx context.Context, tx *sqlx.Tx, changes []AlertChange) error {
	for _, ch := range changes {
		if ch.Key == "" || ch.Rule == "" || len(ch.Payload) == 0 || ch.At.IsZero() {
			return fmt.Errorf("alert change %q: want key, rule, payload and time", ch.Key)
		}
		var site sql.NullInt64
		if ch.SiteID != 0 {
			site = sql.NullInt64{Int64: ch.SiteID, Valid: true}
		}
		// A change is stored only when the alert's state flips (or it is
		// new); a repeat of the same state changes no row and queues
		// nothing. Under PostgreSQL's row lock two replicas cannot both
		// flip it.
		var res sql.Result
		var err error
		if ch.Firing {
			res, err = tx.ExecContext(ctx, tx.Rebind(`INSERT INTO alerts
				(key, site_id, rule, firing, payload, starts_at, ends_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, NULL, ?)
				ON CONFLICT (key) DO UPDATE SET firing = excluded.firing, payload = excluded.payload,
					starts_at = excluded.starts_at, ends_at = NULL, updated_at = excluded.updated_at,
					site_id = excluded.site_id, rule = excluded.rule
				WHERE NOT alerts.firing`),
				ch.Key, site, ch.Rule, true, []byte(ch.Payload), ts(ch.At), ts(ch.At))
		} else {
			res, err = tx.ExecContext(ctx, tx.Rebind(`UPDATE alerts SET firing = ?, payload = ?, ends_at = ?, updated_at = ?
				WHERE key = ? AND firing`), false, []byte(ch.Payload), ts(ch.At), ts(ch.At), ch.Key)
		}
		if err != nil {
			return fmt.Errorf("alert %s: %w", ch.Key, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("alert %s: %w", ch.Key, err)
		}
		if n == 0 {
			continue // already in that state
		}
		for _, rcv := range ch.Receivers {
			_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO alert_outbox
				(alert_key, receiver, payload, created_at, next_attempt_at)
				VALUES (?, ?, ?, ?, ?)`), ch.Key, rcv, []byte(ch.Payload), ts(ch.At), ts(ch.At))
			if err != nil {
				return fmt.Errorf("queue alert %s for %s: %w", ch.Key, rcv, err)
			}
		}
	}
	return nil
}

type alertRow struct {
	Key      string        `db:"key"`
	Rule     string        `db:"rule"`
	SiteID   sql.NullInt64 `db:"site_id"`
	Payload  []byte        `db:"payload"`
	StartsAt dbTime        `db:"starts_at"`
}

func firingAlerts(ctx context.Context, q sqlx.QueryerContext, where string, args ...any) ([]FiringAlert, error) {
	var rows []alertRow
	if err := sqlx.SelectContext(ctx, q, &rows, q.(interface{ Rebind(string) string }).Rebind(
		`SELECT key, rule, site_id, payload, starts_at FROM alerts `+where), args...); err != nil {
		return nil, fmt.Errorf("firing alerts: %w", err)
	}
	out := make([]FiringAlert, len(rows))
	for i, r := range rows {
		out[i] = FiringAlert{Key: r.Key, Rule: r.Rule, SiteID: r.SiteID.Int64, Payload: json.RawMessage(r.Payload), StartsAt: time.Time(r.StartsAt)}
	}
	return out, nil
}

// FiringAlerts returns up to limit firing alerts with keys after afterKey,
// in key order: pages for re-sending them to receivers that expect it.
func (s *Store) FiringAlerts(ctx context.Context, afterKey string, limit int) (_ []FiringAlert, err error) {
	defer s.observe("firing_alerts", time.Now(), &err)
	return firingAlerts(ctx, s.read, "WHERE firing AND key > ? ORDER BY key LIMIT ?", afterKey, limit)
}

// OutboxItem is one alert change waiting for one receiver.
type OutboxItem struct {
	ID        int64
	Key       string
	Receiver  string
	Payload   json.RawMessage
	Attempts  int
	CreatedAt time.Time
}

// leaseOutboxSQL picks due outbox rows whose lease is free, skipping a
// row while an older row for the same alert and receiver waits: each
// receiver hears of an alert's changes in order. %s is skipLocked.
const leaseOutboxSQL = `WITH due AS (
	SELECT o.id FROM alert_outbox o
	WHERE o.delivered_at IS NULL AND o.failed_at IS NULL AND o.next_attempt_at <= ?
	AND (o.lease_expires_at IS NULL OR o.lease_expires_at <= ?)
	AND NOT EXISTS (SELECT 1 FROM alert_outbox p
		WHERE p.alert_key = o.alert_key AND p.receiver = o.receiver AND p.id < o.id
		AND p.delivered_at IS NULL AND p.failed_at IS NULL)
	ORDER BY o.next_attempt_at, o.id
	LIMIT ?
	%s
)
UPDATE alert_outbox SET lease_owner = ?, lease_expires_at = ?
WHERE id IN (SELECT id FROM due)
RETURNING id, alert_key, receiver, payload, attempts, created_at`

// LeaseOutbox hands owner up to n outbox rows that are due, for ttl:
// replicas deliver each row once. Rows for one alert and receiver come
// one at a time, oldest first.
func (s *Store) LeaseOutbox(ctx context.Context, owner string, n int, ttl time.Duration) (_ []OutboxItem, err error) {
	defer s.observe("lease_outbox", time.Now(), &err)
	if owner == "" || n <= 0 || ttl <= 0 {
		return nil, fmt.Errorf("lease outbox: want an owner, n > 0 and ttl > 0, have %q, %d, %v", owner, n, ttl)
	}
	now := utcMicro(s.now())
	var rows []struct {
		ID        int64  `db:"id"`
		Key       string `db:"alert_key"`
		Receiver  string `db:"receiver"`
		Payload   []byte `db:"payload"`
		Attempts  int    `db:"attempts"`
		CreatedAt dbTime `db:"created_at"`
	}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		q := tx.Rebind(fmt.Sprintf(leaseOutboxSQL, s.d.skipLocked))
		return tx.SelectContext(ctx, &rows, q, ts(now), ts(now), n, owner, ts(now.Add(ttl)))
	})
	if err != nil {
		return nil, fmt.Errorf("lease outbox: %w", err)
	}
	items := make([]OutboxItem, len(rows))
	for i, r := range rows {
		items[i] = OutboxItem{ID: r.ID, Key: r.Key, Receiver: r.Receiver, Payload: json.RawMessage(r.Payload),
			Attempts: r.Attempts, CreatedAt: time.Time(r.CreatedAt)}
	}
	slices.SortFunc(items, func(a, b OutboxItem) int { return cmp.Compare(a.ID, b.ID) })
	return items, nil
}

// OutboxResult is how one delivery attempt ended.
type OutboxResult struct {
	ID int64
	// Delivered: the receiver took it. Otherwise RetryAt is when to try
	// again, or, when zero, the row is given up (the receiver refuses it
	// for good); Error says why.
	Delivered bool
	RetryAt   time.Time
	Error     string
}

// FinishOutbox records delivery attempts of rows leased to owner. Rows
// whose lease owner lost are skipped: the new owner delivers them.
func (s *Store) FinishOutbox(ctx context.Context, owner string, results []OutboxResult) (err error) {
	defer s.observe("finish_outbox", time.Now(), &err)
	now := ts(utcMicro(s.now()))
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		for _, r := range results {
			var q string
			var args []any
			switch {
			case r.Delivered:
				q, args = `UPDATE alert_outbox SET delivered_at = ?, attempts = attempts + 1, last_error = '',
					lease_owner = '', lease_expires_at = NULL WHERE id = ? AND lease_owner = ?`, []any{now, r.ID, owner}
			case r.RetryAt.IsZero():
				q, args = `UPDATE alert_outbox SET failed_at = ?, attempts = attempts + 1, last_error = ?,
					lease_owner = '', lease_expires_at = NULL WHERE id = ? AND lease_owner = ?`, []any{now, r.Error, r.ID, owner}
			default:
				q, args = `UPDATE alert_outbox SET next_attempt_at = ?, attempts = attempts + 1, last_error = ?,
					lease_owner = '', lease_expires_at = NULL WHERE id = ? AND lease_owner = ?`, []any{ts(r.RetryAt), r.Error, r.ID, owner}
			}
			if _, err := tx.ExecContext(ctx, tx.Rebind(q), args...); err != nil {
				return fmt.Errorf("outbox row %d: %w", r.ID, err)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("finish outbox: %w", err)
	}
	return nil
}

// PendingAlerts counts outbox rows not yet delivered (nor given up).
func (s *Store) PendingAlerts(ctx context.Context) (n int, err error) {
	defer s.observe("pending_alerts", time.Now(), &err)
	err = sqlx.GetContext(ctx, s.read, &n, `SELECT COUNT(*) FROM alert_outbox WHERE delivered_at IS NULL AND failed_at IS NULL`)
	if err != nil {
		return 0, fmt.Errorf("pending alerts: %w", err)
	}
	return n, nil
}

// ClaimPeriodic reports whether owner runs the periodic job name now: the
// first replica to ask once the period is over gets it, and the next
// period starts; the others get false.
func (s *Store) ClaimPeriodic(ctx context.Context, name, owner string, period time.Duration) (ok bool, err error) {
	defer s.observe("claim_periodic", time.Now(), &err)
	now := utcMicro(s.now())
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO periodic_jobs (name, next_at, owner) VALUES (?, ?, ?)
			ON CONFLICT (name) DO UPDATE SET next_at = excluded.next_at, owner = excluded.owner
			WHERE periodic_jobs.next_at <= ?`), name, ts(now.Add(period)), owner, ts(now))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		ok = n == 1
		return err
	})
	if err != nil {
		return false, fmt.Errorf("claim periodic job %s: %w", name, err)
	}
	return ok, nil
}
