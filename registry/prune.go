package registry

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// CaseHold is how long after a case ends its site's history is still
// kept whole: takedown evidence is retained at least 60 days (domain.md
// §6, ISM art. 14).
const CaseHold = 60 * 24 * time.Hour

// pruneCandidates lists, in index order (check_results_prunable), the
// next rows pruning may delete: entries that did not change the verdict,
// first seen before the first parameter, after the cursor (checked_at,
// id) of the second and third, at most the fourth.
const pruneCandidates = `SELECT checked_at, id FROM check_results
	WHERE NOT verdict_change AND checked_at < ? AND (checked_at, id) > (?, ?)
	ORDER BY checked_at, id LIMIT ?`

// pruneDelete deletes those of the candidates (IN (?)) that were last
// seen before the cutoff (the first parameter), are not their site's
// latest entry, and whose site has no case under way or ended after the
// hold (the second parameter).
const pruneDelete = `DELETE FROM check_results
	WHERE id IN (?) AND COALESCE(last_seen_at, checked_at) < ?
	AND EXISTS (SELECT 1 FROM check_results n WHERE n.site_id = check_results.site_id
		AND (n.checked_at, n.id) > (check_results.checked_at, check_results.id))
	AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.site_id = check_results.site_id
		AND (c.state NOT IN ('closed', 'dismissed') OR COALESCE(c.closed_at, c.updated_at) >= ?))`

// PruneHistory deletes the history entries last seen before cutoff that
// no one needs: it keeps each site's first entry and every entry that
// changed the verdict (they answer "since when"), each site's latest
// entry, and the whole history of a site with a case under way or ended
// less than CaseHold ago. It works batch rows at a time, each batch its
// own short transaction, so that checks being stored meanwhile wait for
// one batch at most, and after each batch it rests pace times as long as
// the batch took, so that it takes at most 1/(1+pace) of one connection's
// time from the crawl (0: no rest). It returns how many entries it
// deleted, and stops early, without error, when ctx ends.
func (s *Store) PruneHistory(ctx context.Context, cutoff time.Time, batch int, pace float64) (n int, err error) {
	defer s.observe("prune_history", time.Now(), &err)
	if batch <= 0 || batch > maxInList {
		return 0, fmt.Errorf("prune history: batch %d: want 1 to %d", batch, maxInList)
	}
	cutoff = utcMicro(cutoff)
	held := utcMicro(s.now()).Add(-CaseHold)
	// The cursor starts before any check (the zero time would be NULL).
	after, afterID := time.Unix(0, 0).UTC(), int64(0)
	for ctx.Err() == nil {
		var ids []int64
		began := time.Now()
		err := s.inTx(ctx, func(tx *sqlx.Tx) error {
			var rows []struct {
				CheckedAt dbTime `db:"checked_at"`
				ID        int64  `db:"id"`
			}
			if err := tx.SelectContext(ctx, &rows, tx.Rebind(pruneCandidates), ts(cutoff), ts(after), afterID, batch); err != nil {
				return err
			}
			ids = make([]int64, len(rows))
			for i, r := range rows {
				ids[i] = r.ID
			}
			if len(rows) > 0 {
				after, afterID = time.Time(rows[len(rows)-1].CheckedAt), rows[len(rows)-1].ID
			}
			k, err := execIn(ctx, tx, pruneDelete, ids, ts(cutoff), ts(held))
			n += k
			return err
		})
		if err != nil && ctx.Err() != nil {
			break
		}
		if err != nil {
			return n, fmt.Errorf("prune history before %s: %w", cutoff.Format(time.RFC3339), err)
		}
		if len(ids) < batch {
			break
		}
		if pace > 0 {
			t := time.NewTimer(time.Duration(pace * float64(time.Since(began))))
			select {
			case <-ctx.Done():
			case <-t.C:
			}
			t.Stop()
		}
	}
	return n, nil
}

// execIn runs query, whose "IN (?)" stands for the list and comes first,
// with the other args after it, and returns the rows it affected. On
// PostgreSQL the list goes as one array (see selectIn).
func execIn(ctx context.Context, tx *sqlx.Tx, query string, list []int64, args ...any) (int, error) {
	if len(list) == 0 {
		return 0, nil
	}
	var q string
	var all []any
	if tx.DriverName() == "postgres" {
		q, all = strings.Replace(query, "IN (?)", "= ANY(?)", 1), append([]any{pq.Array(list)}, args...)
	} else {
		var err error
		if q, all, err = sqlx.In(query, append([]any{list}, args...)...); err != nil {
			return 0, err
		}
	}
	res, err := tx.ExecContext(ctx, tx.Rebind(q), all...)
	if err != nil {
		return 0, err
	}
	k, err := res.RowsAffected()
	return int(k), err
}
