package registry

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// ResultKey is a history entry's place in a site's history, newest first:
// the key of the page that follows it.
type ResultKey struct {
	CheckedAt time.Time
	ID        int64
}

// ResultsPage returns up to n of the site's history entries older than
// after (the zero key: from the newest), newest first, and the key of
// the next page (zero when there is none). Each page is one range of the
// index check_results_site.
func (s *Store) ResultsPage(ctx context.Context, siteID int64, after ResultKey, n int) (_ []Result, next ResultKey, err error) {
	defer s.observe("results_page", time.Now(), &err)
	if n < 1 {
		return nil, ResultKey{}, fmt.Errorf("results page: page size %d: want at least 1", n)
	}
	q, args := resultSelect+`WHERE site_id = ? `, []any{siteID}
	if after.ID != 0 {
		q += `AND (checked_at < ? OR (checked_at = ? AND id < ?)) `
		args = append(args, ts(after.CheckedAt), ts(after.CheckedAt), after.ID)
	}
	var rows []resultRow
	if err := sqlx.SelectContext(ctx, s.read, &rows, s.read.Rebind(q+`ORDER BY checked_at DESC, id DESC LIMIT ?`), append(args, n+1)...); err != nil {
		return nil, ResultKey{}, fmt.Errorf("results page of site %d: %w", siteID, err)
	}
	if len(rows) > n {
		rows = rows[:n]
		last := rows[n-1]
		next = ResultKey{CheckedAt: time.Time(last.CheckedAt), ID: last.ID}
	}
	rs := make([]Result, len(rows))
	for i := range rows {
		rs[i] = rows[i].result()
	}
	return rs, next, nil
}

// ResultByID returns one history entry, or ErrNotFound.
func (s *Store) ResultByID(ctx context.Context, id int64) (_ Result, err error) {
	defer s.observe("result_by_id", time.Now(), &err)
	var r resultRow
	err = sqlx.GetContext(ctx, s.read, &r, s.read.Rebind(resultSelect+`WHERE id = ?`), id)
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return Result{}, fmt.Errorf("result %d: %w", id, err)
	}
	return r.result(), nil
}
