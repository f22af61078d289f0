package registry

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/beianwatch/beianwatch/checker"
)

// SaveResult records a check of site r.SiteID in one transaction: the
// result joins the history and the site's state moves on: verdict,
// findings, last check, next check due at next, the deadlines d, and the
// proof the deadlines rest on. badgeShown says the check saw the PSB
// badge. The site's lease is released. It returns ErrNotFound for an
// unknown site.
//
// State rules: first_live_at is set by the first answer below HTTP 400;
// badge_first_seen_at by the first check that saw the badge;
// badge_last_missing_at by every check that could read the page (verdict
// not error) and did not see it; consecutive_failures counts error
// verdicts in a row.
func (s *Store) SaveResult(ctx context.Context, r Result, next time.Time, d checker.Deadlines, badgeShown bool) (err error) {
	defer s.observe("save_result", time.Now(), &err)
	if err := s.saveResult(ctx, "", r, next, d, badgeShown); err != nil {
		return fmt.Errorf("save result of site %d: %w", r.SiteID, err)
	}
	return nil
}

// saveResult is SaveResult and, with an owner, Complete: the state is
// updated only while owner holds the site's lease.
func (s *Store) saveResult(ctx context.Context, owner string, r Result, next time.Time, d checker.Deadlines, badgeShown bool) error {
	return s.inTx(ctx, func(tx *sqlx.Tx) error {
		if err := updateState(ctx, tx, owner, r, next, d, badgeShown); err != nil {
			return err
		}
		return insertResult(ctx, tx, r)
	})
}

// updateState moves the site's state on after the check r. With an owner
// the update is conditional on owner holding the lease, and the result is
// ErrLeaseLost when it does not: on PostgreSQL the UPDATE locks the row
// and, if a concurrent lease changed it, re-reads lease_owner once that
// commits, so the condition holds against every other replica.
func updateState(ctx context.Context, tx *sqlx.Tx, owner string, r Result, next time.Time, d checker.Deadlines, badgeShown bool) error {
	q, args := stateUpdate(owner, r, next, d, badgeShown)
	res, err := tx.ExecContext(ctx, tx.Rebind(q), args...)
	if err != nil {
		return fmt.Errorf("update state: %w", err)
	}
	n, err := res.RowsAffected()
	if err == nil && n == 0 {
		err = whyNoState(ctx, tx, owner, r.SiteID)
	}
	if err != nil {
		return fmt.Errorf("update state: %w", err)
	}
	return nil
}

// stateUpdate is the statement (not yet rebound) and arguments that move
// the site's state on after the check r. The statement is the same for
// every check with an owner, so CompleteBatch prepares it once.
func stateUpdate(owner string, r Result, next time.Time, d checker.Deadlines, badgeShown bool) (string, []any) {
	// Each candidate is NULL when this check does not set its column, so
	// COALESCE keeps the column as it was; the first_* columns keep their
	// first value.
	var live, seen, missing dbTime
	var shown *bool
	if r.HTTPStatus > 0 && r.HTTPStatus < 400 {
		live = ts(r.CheckedAt)
	}
	if badgeShown {
		seen = ts(r.CheckedAt)
	}
	if r.Verdict != checker.VerdictError {
		shown = &badgeShown
		if !badgeShown {
			missing = ts(r.CheckedAt)
		}
	}
	args := []any{string(r.Verdict), jsonList[checker.Finding](r.Findings), ts(r.CheckedAt), ts(next),
		live, seen, missing, shown, string(r.Verdict),
		string(r.Verdict), ts(r.CheckedAt), string(r.Verdict),
		string(d.PSBFiling.Status), dbDate(d.PSBFiling.Due), daysLeft(d.PSBFiling),
		string(d.Badge.Status), dbDate(d.Badge.Due), daysLeft(d.Badge),
		r.SiteID}
	if owner != "" {
		return updateStateSQL + " AND lease_owner = ?", append(args, owner)
	}
	return updateStateSQL, args
}

// updateStateSQL is stateUpdate's statement without the lease condition.
const updateStateSQL = `UPDATE site_state SET
	verdict = ?, findings = ?, last_check_at = ?, next_check_at = ?,
	first_live_at = COALESCE(first_live_at, ?),
	badge_first_seen_at = COALESCE(badge_first_seen_at, ?),
	badge_last_missing_at = COALESCE(?, badge_last_missing_at),
	badge_shown = COALESCE(?, badge_shown),
	consecutive_failures = CASE WHEN ? = 'error' THEN consecutive_failures + 1 ELSE 0 END,
	failing_since = CASE ? WHEN 'fail' THEN COALESCE(failing_since, ?) WHEN 'error' THEN failing_since END,
	fail_streak = CASE ? WHEN 'fail' THEN fail_streak + 1 WHEN 'error' THEN fail_streak ELSE 0 END,
	lease_owner = '', lease_expires_at = NULL,
	psb_filing_status = ?, psb_filing_due = ?, psb_filing_days_left = ?,
	badge_status = ?, badge_due = ?, badge_days_left = ?
	WHERE site_id = ?`

// whyNoState says why updating the state of site id changed no row:
// ErrNotFound if there is no such site, else ErrLeaseLost (the lease is
// not owner's).
func whyNoState(ctx context.Context, tx *sqlx.Tx, owner string, id int64) error {
	if owner == "" {
		return ErrNotFound
	}
	var exists bool
	if err := tx.GetContext(ctx, &exists, tx.Rebind("SELECT EXISTS (SELECT 1 FROM site_state WHERE site_id = ?)"), id); err != nil {
		return err
	}
	if !exists {
		return ErrNotFound
	}
	return ErrLeaseLost
}

func insertResult(ctx context.Context, tx *sqlx.Tx, r Result) error {
	_, err := tx.ExecContext(ctx, tx.Rebind(insertSQL("check_results", resultCols, 1, "")), resultArgs(nil, r)...)
	if err != nil {
		return fmt.Errorf("insert result: %w", err)
	}
	return nil
}

// resultCols are the check_results columns a check writes (id is the
// database's).
var resultCols = []string{"site_id", "checked_at", "target", "final_url", "http_status", "verdict", "findings",
	"evidence", "body_sha256", "duration_ms", "error"}

// resultArgs appends r's values for resultCols to args.
func resultArgs(args []any, r Result) []any {
	return append(args, r.SiteID, ts(r.CheckedAt), r.Target, r.FinalURL, r.HTTPStatus, string(r.Verdict),
		jsonList[checker.Finding](r.Findings), r.Evidence, r.BodySHA256, r.Duration.Milliseconds(), r.Error)
}

type resultRow struct {
	ID         int64                     `db:"id"`
	SiteID     int64                     `db:"site_id"`
	CheckedAt  dbTime                    `db:"checked_at"`
	Target     string                    `db:"target"`
	FinalURL   string                    `db:"final_url"`
	HTTPStatus int                       `db:"http_status"`
	Verdict    string                    `db:"verdict"`
	Findings   jsonList[checker.Finding] `db:"findings"`
	Evidence   string                    `db:"evidence"`
	BodySHA256 string                    `db:"body_sha256"`
	DurationMS int64                     `db:"duration_ms"`
	Error      string                    `db:"error"`
}

// Results returns the site's latest checks, newest first, at most limit of
// them (all when limit is 0). Durations are kept to the millisecond.
func (s *Store) Results(ctx context.Context, siteID int64, limit int) (_ []Result, err error) {
	defer s.observe("results", time.Now(), &err)
	q := `SELECT id, site_id, checked_at, target, final_url, http_status, verdict, findings,
		evidence, body_sha256, duration_ms, error
		FROM check_results WHERE site_id = ? ORDER BY checked_at DESC, id DESC`
	args := []any{siteID}
	if limit > 0 {
		q, args = q+" LIMIT ?", append(args, limit)
	}
	var rows []resultRow
	if err := sqlx.SelectContext(ctx, s.read, &rows, s.read.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("results of site %d: %w", siteID, err)
	}
	rs := make([]Result, len(rows))
	for i, r := range rows {
		rs[i] = Result{
			ID: r.ID, SiteID: r.SiteID, CheckedAt: time.Time(r.CheckedAt), Target: r.Target,
			FinalURL: r.FinalURL, HTTPStatus: r.HTTPStatus, Verdict: checker.Verdict(r.Verdict),
			Findings: r.Findings, Evidence: r.Evidence, BodySHA256: r.BodySHA256,
			Duration: time.Duration(r.DurationMS) * time.Millisecond, Error: r.Error,
		}
	}
	return rs, nil
}

// RetireSite marks the site listing the domain as retired: no longer
// checked, kept with its history. Retiring a retired site does nothing.
// It returns ErrNotFound when no site lists the domain.
func (s *Store) RetireSite(ctx context.Context, domain string) (err error) {
	defer s.observe("retire_site", time.Now(), &err)
	d, err := NormalizeDomain(domain)
	if err != nil {
		return fmt.Errorf("retire site: %w", err)
	}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		id, err := siteID(ctx, tx, d.ASCII)
		if err != nil {
			return err
		}
		now := ts(utcMicro(s.now()))
		if _, err := tx.ExecContext(ctx, tx.Rebind("UPDATE sites SET active = ?, updated_at = ? WHERE id = ? AND active = ?"), false, now, id, true); err != nil {
			return err
		}
		// The lease goes too: a crawler holding it will find the site gone.
		_, err = tx.ExecContext(ctx, tx.Rebind("UPDATE site_state SET active = ?, lease_owner = '', lease_expires_at = NULL WHERE site_id = ?"), false, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("retire site %s: %w", d.ASCII, err)
	}
	return nil
}
