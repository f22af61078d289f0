package registry

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/beianwatch/beianwatch/checker"
)

// sameEntry reports whether the check next repeats the history entry prev,
// so that it extends prev rather than adding an entry: nothing a user
// would care about changed. That is the verdict, the findings' codes and
// severities (not their wording or evidence, which carry no new fact),
// the numbers the page shows, where the check ended up and the class of
// its HTTP status (a 200 that becomes a 203 is the same page), and the
// policy that judged it. The body's hash counts only when bodyMatters: a
// takedown case compares bodies, and most pages carry a timestamp or a
// token that changes every fetch.
func sameEntry(prev, next Result, bodyMatters bool) bool {
	return prev.Verdict == next.Verdict &&
		prev.FinalURL == next.FinalURL &&
		prev.HTTPStatus/100 == next.HTTPStatus/100 &&
		prev.Numbers == next.Numbers &&
		prev.Policy == next.Policy &&
		prev.Rendered == next.Rendered &&
		(!bodyMatters || prev.BodySHA256 == next.BodySHA256) &&
		slices.Equal(findingKeys(prev.Findings), findingKeys(next.Findings))
}

// findingKeys are the findings' codes and severities, sorted.
func findingKeys(fs []checker.Finding) []string {
	keys := make([]string, len(fs))
	for i, f := range fs {
		keys[i] = f.Code + "\x00" + string(f.Severity)
	}
	slices.Sort(keys)
	return keys
}

// resultSelect reads check_results rows as resultRow scans them.
const resultSelect = `SELECT id, site_id, checked_at, target, final_url, http_status, verdict, findings,
	evidence, body_sha256, duration_ms, error, policy, numbers,
	COALESCE(last_seen_at, checked_at) AS last_seen_at, seen_count, rendered
	FROM check_results `

// latestSQL is a site's latest history entry (the site's id the
// parameter), through the index check_results_site.
const latestSQL = resultSelect + `WHERE site_id = ? ORDER BY checked_at DESC, id DESC LIMIT 1`

// storeResults adds the checks rs (of distinct sites) to their sites'
// history: each extends its site's latest entry when sameEntry says it
// repeats it, else starts a new entry.
func (s *Store) storeResults(ctx context.Context, tx *sqlx.Tx, rs []Result) error {
	if len(rs) == 0 {
		return nil
	}
	ids := make([]int64, len(rs))
	for i, r := range rs {
		ids[i] = r.SiteID
	}
	latest, err := s.latestResults(ctx, tx, ids)
	if err != nil {
		return fmt.Errorf("latest results: %w", err)
	}
	bodies, err := takedownSites(ctx, tx, ids)
	if err != nil {
		return fmt.Errorf("takedown cases: %w", err)
	}
	var repeats []Result // the entry's id, and the check's time
	var fresh []Result
	var changed []bool // fresh[i] changes the verdict (or starts the history)
	for _, r := range rs {
		prev, ok := latest[r.SiteID]
		if ok && sameEntry(prev, r, bodies[r.SiteID]) && !r.CheckedAt.Before(prev.LastSeenAt) {
			repeats = append(repeats, Result{ID: prev.ID, CheckedAt: r.CheckedAt, Screenshot: r.Screenshot})
			continue
		}
		fresh, changed = append(fresh, r), append(changed, !ok || prev.Verdict != r.Verdict)
	}
	if err := s.extendResults(ctx, tx, repeats); err != nil {
		return fmt.Errorf("extend results: %w", err)
	}
	err = s.bulkInsert(ctx, tx, "check_results", resultCols, len(fresh), func(args []any, i int) []any {
		return resultArgs(args, fresh[i], changed[i])
	})
	if err != nil {
		return fmt.Errorf("insert results: %w", err)
	}
	if err := storeScreenshots(ctx, tx, fresh, repeats); err != nil {
		return fmt.Errorf("store screenshots: %w", err)
	}
	return nil
}

// latestResults returns the latest history entry of each of these sites
// that has one.
func (s *Store) latestResults(ctx context.Context, tx *sqlx.Tx, ids []int64) (map[int64]Result, error) {
	var rows []resultRow
	if s.d.latestResults != "" && len(ids) > 1 {
		if err := tx.SelectContext(ctx, &rows, tx.Rebind(s.d.latestResults), pq.Array(ids)); err != nil {
			return nil, err
		}
	} else {
		// One short statement a site: SQLite runs in this process, with
		// no round trips to save.
		stmt, err := tx.PreparexContext(ctx, tx.Rebind(latestSQL))
		if err != nil {
			return nil, err
		}
		defer stmt.Close()
		for _, id := range ids {
			var r resultRow
			switch err := stmt.GetContext(ctx, &r, id); {
			case err == sql.ErrNoRows:
				continue
			case err != nil:
				return nil, err
			}
			rows = append(rows, r)
		}
	}
	latest := make(map[int64]Result, len(rows))
	for _, r := range rows {
		latest[r.SiteID] = r.result()
	}
	return latest, nil
}

// takedownSites says which of these sites have a takedown case under way:
// their checks compare bodies (sameEntry).
func takedownSites(ctx context.Context, tx *sqlx.Tx, ids []int64) (map[int64]bool, error) {
	var held []int64
	err := selectIn(ctx, tx, `SELECT DISTINCT site_id FROM cases
		WHERE kind = 'takedown' AND state NOT IN ('closed', 'dismissed') AND site_id IN (?)`, ids, &held)
	if err != nil {
		return nil, err
	}
	m := make(map[int64]bool, len(held))
	for _, id := range held {
		m[id] = true
	}
	return m, nil
}

// extendResults makes each of rs, an entry's id and a check's time, one
// check longer.
func (s *Store) extendResults(ctx context.Context, tx *sqlx.Tx, rs []Result) error {
	if len(rs) == 0 {
		return nil
	}
	if s.d.extendResults != "" && len(rs) > 1 {
		ids, ats := make([]any, len(rs)), make([]any, len(rs))
		for i, r := range rs {
			ids[i], ats[i] = r.ID, ts(r.CheckedAt)
		}
		_, err := tx.ExecContext(ctx, tx.Rebind(s.d.extendResults), pq.GenericArray{A: ids}, pq.GenericArray{A: ats})
		return err
	}
	stmt, err := tx.PreparexContext(ctx, tx.Rebind(`UPDATE check_results SET last_seen_at = ?, seen_count = seen_count + 1 WHERE id = ?`))
	if err != nil {
		return err
	}
	defer stmt.Close()
	for _, r := range rs {
		if _, err := stmt.ExecContext(ctx, ts(r.CheckedAt), r.ID); err != nil {
			return err
		}
	}
	return nil
}

// resultCols are the check_results columns a new entry writes (id is the
// database's; last_seen_at stays NULL, and seen_count 1, until a repeat).
var resultCols = []string{"site_id", "checked_at", "target", "final_url", "http_status", "verdict", "findings",
	"evidence", "body_sha256", "duration_ms", "error", "policy", "numbers", "verdict_change", "rendered"}

// resultArgs appends r's values for resultCols to args; change says r's
// verdict differs from the entry before it (or none is).
func resultArgs(args []any, r Result, change bool) []any {
	return append(args, r.SiteID, ts(r.CheckedAt), r.Target, r.FinalURL, r.HTTPStatus, string(r.Verdict),
		jsonList[checker.Finding](r.Findings), r.Evidence, r.BodySHA256, r.Duration.Milliseconds(), r.Error, r.Policy,
		r.Numbers, change, r.Rendered)
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
	Policy     string                    `db:"policy"`
	Numbers    string                    `db:"numbers"`
	LastSeenAt dbTime                    `db:"last_seen_at"`
	SeenCount  int                       `db:"seen_count"`
	Rendered   bool                      `db:"rendered"`
}

func (r *resultRow) result() Result {
	return Result{
		ID: r.ID, SiteID: r.SiteID, CheckedAt: time.Time(r.CheckedAt), Target: r.Target,
		FinalURL: r.FinalURL, HTTPStatus: r.HTTPStatus, Verdict: checker.Verdict(r.Verdict),
		Findings: r.Findings, Evidence: r.Evidence, BodySHA256: r.BodySHA256,
		Duration: time.Duration(r.DurationMS) * time.Millisecond, Error: r.Error, Policy: r.Policy,
		Numbers: r.Numbers, LastSeenAt: time.Time(r.LastSeenAt), Count: r.SeenCount, Rendered: r.Rendered,
	}
}

// Results returns the site's latest history entries, newest first, at
// most limit of them (all when limit is 0). An entry stands for the
// checks in a row that saw the same (Result.Count). Durations are kept
// to the millisecond.
func (s *Store) Results(ctx context.Context, siteID int64, limit int) (_ []Result, err error) {
	defer s.observe("results", time.Now(), &err)
	q := resultSelect + `WHERE site_id = ? ORDER BY checked_at DESC, id DESC`
	args := []any{siteID}
	if limit > 0 {
		q, args = q+" LIMIT ?", append(args, limit)
	}
	var rows []resultRow
	if err := sqlx.SelectContext(ctx, s.read, &rows, s.read.Rebind(q), args...); err != nil {
		return nil, fmt.Errorf("results of site %d: %w", siteID, err)
	}
	rs := make([]Result, len(rows))
	for i := range rows {
		rs[i] = rows[i].result()
	}
	return rs, nil
}
