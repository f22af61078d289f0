package registry

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/beianwatch/beianwatch/checker"
)

// recheckChunk is how many site ids one statement of RecheckSites spans:
// each is its own transaction, so that rechecking a million sites never
// holds the scheduler's table for long.
const recheckChunk = 10000

// recheckSet makes a site due at the first parameter unless it is due
// sooner already; the lease, if any, is left to run out or complete.
const recheckSet = `UPDATE site_state SET next_check_at = CASE WHEN next_check_at > ? THEN ? ELSE next_check_at END
	WHERE active`

// RecheckSites makes the active sites whose current verdict is v (any
// verdict when v is "") due now, so that the scheduler checks them next,
// and returns how many there are.
func (s *Store) RecheckSites(ctx context.Context, v checker.Verdict) (n int, err error) {
	defer s.observe("recheck_sites", time.Now(), &err)
	now := ts(utcMicro(s.now()))
	var last int64
	if err := sqlx.GetContext(ctx, s.db, &last, "SELECT COALESCE(MAX(site_id), 0) FROM site_state"); err != nil {
		return 0, fmt.Errorf("recheck sites: %w", err)
	}
	q := recheckSet + " AND site_id > ? AND site_id <= ?"
	args := []any{now, now, 0, 0}
	if v != "" {
		q, args = q+" AND verdict = ?", append(args, string(v))
	}
	for from := int64(0); from < last; from += recheckChunk {
		args[2], args[3] = from, from+recheckChunk
		res, err := s.db.ExecContext(ctx, s.db.Rebind(q), args...)
		var k int64
		if err == nil {
			k, err = res.RowsAffected()
		}
		if err != nil {
			return n, fmt.Errorf("recheck sites: %w", err)
		}
		n += int(k)
	}
	return n, nil
}

// RecheckDomains makes the active sites listing these domains due now and
// returns how many there are (a retired site is not checked). When a
// domain is listed by no site it returns ErrNotFound and changes nothing.
func (s *Store) RecheckDomains(ctx context.Context, domains []string) (n int, err error) {
	defer s.observe("recheck_domains", time.Now(), &err)
	now := ts(utcMicro(s.now()))
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		ids := make(map[int64]bool, len(domains))
		for _, name := range domains {
			d, err := NormalizeDomain(name)
			if err != nil {
				return err
			}
			id, err := siteID(ctx, tx, d.ASCII)
			if err != nil {
				return fmt.Errorf("%s: %w", d.ASCII, err)
			}
			ids[id] = true
		}
		for id := range ids {
			res, err := tx.ExecContext(ctx, tx.Rebind(recheckSet+" AND site_id = ?"), now, now, id)
			if err != nil {
				return err
			}
			k, err := res.RowsAffected()
			if err != nil {
				return err
			}
			n += int(k)
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("recheck: %w", err)
	}
	return n, nil
}
