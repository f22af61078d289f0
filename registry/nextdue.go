package registry

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// NextDue returns when the next active site falls due and how many fall
// due then (sites due at the same instant: imported together, or made due
// by one recheck), or the zero time when no site is active. `serve --once`
// says so when it found nothing due.
func (s *Store) NextDue(ctx context.Context) (at time.Time, n int, err error) {
	defer s.observe("next_due", time.Now(), &err)
	var row struct {
		Next dbTime `db:"next"`
	}
	err = sqlx.GetContext(ctx, s.read, &row, `SELECT MIN(next_check_at) AS next FROM site_state WHERE active`)
	if err != nil {
		return time.Time{}, 0, fmt.Errorf("next due: %w", err)
	}
	at = time.Time(row.Next)
	if at.IsZero() {
		return at, 0, nil
	}
	err = sqlx.GetContext(ctx, s.read, &n, s.read.Rebind(`SELECT COUNT(*) FROM site_state WHERE active AND next_check_at = ?`), ts(at))
	if err != nil {
		return time.Time{}, 0, fmt.Errorf("next due: %w", err)
	}
	return at, n, nil
}
