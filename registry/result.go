package registry

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/beianwatch/beianwatch/checker"
)

// SaveResult records a check of site r.SiteID in one transaction: the
// result joins the history (extending its latest entry when it repeats
// it: see sameEntry) and the site's state moves on: verdict,
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
	if err := s.storeAlerting(ctx, "", r, next, d, badgeShown, nil); err != nil {
		return fmt.Errorf("save result of site %d: %w", r.SiteID, err)
	}
	return nil
}

// updateState moves the site's state on after the check r. With an owner
// the update is conditional on owner holding the lease, and the result is
// ErrLeaseLost when it does not: on PostgreSQL the UPDATE locks the row
// and, if a concurrent lease changed it, re-reads lease_owner once that
// commits, so the condition holds against every other replica.
func updateState(ctx context.Context, tx *sqlx.Tx, owner string, r Result, next time.Time, d checker.Deadlines, badgeShown bool) error {
	errs, err := updateStates(ctx, tx, owner, []Completion{{Result: r, Next: next, Deadlines: d, BadgeShown: badgeShown}})
	if err == nil {
		err = errs[0]
	}
	if err != nil {
		return fmt.Errorf("update state: %w", err)
	}
	return nil
}

// updateStates is updateState for many checks: errs says, for each,
// nil when its site's state was updated, else ErrLeaseLost or
// ErrNotFound. A site may appear only once.
func updateStates(ctx context.Context, tx *sqlx.Tx, owner string, cs []Completion) (errs []error, err error) {
	var updated map[int64]bool
	if tx.DriverName() == "postgres" && len(cs) > 1 {
		updated, err = updateStatesPostgres(ctx, tx, owner, cs)
	} else {
		updated, err = updateEachState(ctx, tx, owner, cs)
	}
	if err != nil {
		return nil, err
	}
	errs = make([]error, len(cs))
	for i, c := range cs {
		if updated[c.Result.SiteID] {
			continue
		}
		if errs[i] = whyNoState(ctx, tx, owner, c.Result.SiteID); !errors.Is(errs[i], ErrLeaseLost) && !errors.Is(errs[i], ErrNotFound) {
			return nil, errs[i]
		}
	}
	return errs, nil
}

// updateStatesPostgres updates every state in one statement that takes
// each column as an array and joins their unnest to site_state. Its text
// and plan do not grow with the batch (a VALUES list of 15 parameters a
// row did), and its plan does not hang on statistics: site_state is read
// through its primary key by the ids' array, and the lease owner comes as
// a column of the checks, compared in the join. Compared with a constant,
// PostgreSQL takes an owner it has no statistics for as a handful of rows
// and reads the whole table for them, or joins them to the checks in a
// nested loop that scans all the checks once a site.
func updateStatesPostgres(ctx context.Context, tx *sqlx.Tx, owner string, cs []Completion) (map[int64]bool, error) {
	leased := owner != ""
	cols := make([][]any, len(checkStateCols), len(checkStateCols)+1)
	for i := range cols {
		cols[i] = make([]any, 0, len(cs))
	}
	row := make([]any, 0, len(checkStateCols))
	for _, c := range cs {
		row = stateArgs(row[:0], c)
		for i, v := range row {
			cols[i] = append(cols[i], v)
		}
	}
	if leased {
		owners := make([]any, len(cs))
		for i := range owners {
			owners[i] = owner
		}
		cols = append(cols, owners)
	}
	args := make([]any, len(cols), len(cols)+1)
	for i, col := range cols {
		args[i] = pq.GenericArray{A: col}
	}
	args = append(args, args[0]) // the ids once more (stateUpdateSQL)
	q, _ := stateUpdateSQL(leased, true)
	var ids []int64
	if err := tx.SelectContext(ctx, &ids, tx.Rebind(q), args...); err != nil {
		return nil, err
	}
	updated := make(map[int64]bool, len(ids))
	for _, id := range ids {
		updated[id] = true
	}
	return updated, nil
}

// updateEachState updates one state a statement, prepared once: on
// SQLite, which runs in this process with no round trips to save, parsing
// a long statement would cost more than running a short one for each
// row; and on PostgreSQL for a single check.
func updateEachState(ctx context.Context, tx *sqlx.Tx, owner string, cs []Completion) (map[int64]bool, error) {
	q, order := stateUpdateSQL(owner != "", false)
	var exec func(ctx context.Context, args ...any) (sql.Result, error)
	if len(cs) == 1 {
		// Preparing would cost PostgreSQL a round trip more.
		exec = func(ctx context.Context, args ...any) (sql.Result, error) {
			return tx.ExecContext(ctx, tx.Rebind(q), args...)
		}
	} else {
		stmt, err := tx.PreparexContext(ctx, tx.Rebind(q))
		if err != nil {
			return nil, err
		}
		defer stmt.Close()
		exec = stmt.ExecContext
	}
	updated := make(map[int64]bool, len(cs))
	var vals []any
	for _, c := range cs {
		vals = stateArgs(vals[:0], c)
		args := reorder(vals, order)
		if owner != "" {
			args = append(args, owner)
		}
		res, err := exec(ctx, args...)
		var n int64
		if err == nil {
			n, err = res.RowsAffected()
		}
		if err != nil {
			return nil, err
		}
		updated[c.Result.SiteID] = n > 0
	}
	return updated, nil
}

// reorder returns vals[i] for each i in order, in a new slice with room
// for one more.
func reorder(vals []any, order []int) []any {
	out := make([]any, len(order), len(order)+1)
	for k, i := range order {
		out[k] = vals[i]
	}
	return out
}

// checkStateCols are the values a check brings to its site's state, as
// stateArgs gives them, with their PostgreSQL types (the element types of
// updateStatesPostgres' arrays).
var checkStateCols = []struct{ name, pgType string }{
	{"site_id", "bigint"}, {"verdict", "text"}, {"findings", "jsonb"},
	{"checked_at", "timestamptz"}, {"next_at", "timestamptz"},
	{"live_at", "timestamptz"}, {"seen_at", "timestamptz"}, {"missing_at", "timestamptz"}, {"shown", "boolean"},
	{"psb_status", "text"}, {"psb_due", "date"}, {"psb_left", "integer"},
	{"badge_status", "text"}, {"badge_due", "date"}, {"badge_left", "integer"},
}

// stateArgs appends c's values for checkStateCols to args.
func stateArgs(args []any, c Completion) []any {
	r, d := c.Result, c.Deadlines
	// Each candidate is NULL when this check does not set its column, so
	// COALESCE keeps the column as it was; the first_* columns keep their
	// first value.
	var live, seen, missing dbTime
	var shown *bool
	if r.HTTPStatus > 0 && r.HTTPStatus < 400 {
		live = ts(r.CheckedAt)
	}
	if c.BadgeShown {
		seen = ts(r.CheckedAt)
	}
	if r.Verdict != checker.VerdictError {
		shown = &c.BadgeShown
		if !c.BadgeShown {
			missing = ts(r.CheckedAt)
		}
	}
	return append(args, r.SiteID, string(r.Verdict), jsonList[checker.Finding](r.Findings),
		ts(r.CheckedAt), ts(c.Next), live, seen, missing, shown,
		string(d.PSBFiling.Status), dbDate(d.PSBFiling.Due), daysLeft(d.PSBFiling),
		string(d.Badge.Status), dbDate(d.Badge.Due), daysLeft(d.Badge))
}

// stateSet is the SET list of a state update, in which {name} stands for
// the check's value of checkStateCols' name.
const stateSet = `verdict = {verdict}, findings = {findings}, last_check_at = {checked_at}, next_check_at = {next_at},
	first_live_at = COALESCE(site_state.first_live_at, {live_at}),
	badge_first_seen_at = COALESCE(site_state.badge_first_seen_at, {seen_at}),
	badge_last_missing_at = COALESCE({missing_at}, site_state.badge_last_missing_at),
	badge_shown = COALESCE({shown}, site_state.badge_shown),
	consecutive_failures = CASE WHEN {verdict} = 'error' THEN site_state.consecutive_failures + 1 ELSE 0 END,
	failing_since = CASE {verdict} WHEN 'fail' THEN COALESCE(site_state.failing_since, {checked_at}) WHEN 'error' THEN site_state.failing_since END,
	fail_streak = CASE {verdict} WHEN 'fail' THEN site_state.fail_streak + 1 WHEN 'error' THEN site_state.fail_streak ELSE 0 END,
	last_pass_at = CASE {verdict} WHEN 'pass' THEN {checked_at} ELSE site_state.last_pass_at END,
	lease_owner = '', lease_expires_at = NULL,
	psb_filing_status = {psb_status}, psb_filing_due = {psb_due}, psb_filing_days_left = {psb_left},
	badge_status = {badge_status}, badge_due = {badge_due}, badge_days_left = {badge_left}`

// stateUpdateSQL updates sites' states, only where the lease is the last
// parameter's when leased. Without arrays it updates one site, its check's
// values (stateArgs) parameters in the SET list, and order lists, for each
// parameter, which value it takes. With arrays (PostgreSQL only) each of
// checkStateCols comes as one array parameter, in that order, the checks
// being the arrays' rows, then when leased the owner's array (the owner
// once a check), then the site ids' array once more; the statement
// returns the ids of the sites it updated.
func stateUpdateSQL(leased, arrays bool) (q string, order []int) {
	col := make(map[string]int, len(checkStateCols))
	for i, c := range checkStateCols {
		col[c.name] = i
	}
	var b strings.Builder
	b.WriteString("UPDATE site_state SET ")
	for rest := stateSet; rest != ""; {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			b.WriteString(rest)
			break
		}
		end := open + strings.IndexByte(rest[open:], '}')
		b.WriteString(rest[:open])
		name := rest[open+1 : end]
		if arrays {
			b.WriteString("v." + name)
		} else {
			b.WriteByte('?')
			order = append(order, col[name])
		}
		rest = rest[end+1:]
	}
	if arrays {
		b.WriteString(" FROM unnest(")
		for i, c := range checkStateCols {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString("?::" + c.pgType + "[]")
		}
		if leased {
			b.WriteString(", ?::text[]")
		}
		b.WriteString(") AS v (")
		for i, c := range checkStateCols {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(c.name)
		}
		if leased {
			b.WriteString(", owner")
		}
		b.WriteString(") WHERE site_state.site_id = v.site_id AND site_state.site_id = ANY(?::bigint[])")
		if leased {
			b.WriteString(" AND site_state.lease_owner = v.owner")
		}
	} else {
		b.WriteString(" WHERE site_state.site_id = ?")
		order = append(order, col["site_id"])
		if leased {
			b.WriteString(" AND site_state.lease_owner = ?")
		}
	}
	if arrays {
		b.WriteString(" RETURNING site_state.site_id")
	}
	return b.String(), order
}

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
