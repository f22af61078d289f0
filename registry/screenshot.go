package registry

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// storeScreenshots keeps the screenshots of the checks just stored: fresh
// entries (found by site and time, as bulk inserts return no ids) and
// repeats (by the entry's id), the newest replacing an entry's older one.
// Few checks carry one (failing rendered pages), so a statement each is
// cheap.
func storeScreenshots(ctx context.Context, tx *sqlx.Tx, fresh, repeats []Result) error {
	const upsert = `INSERT INTO result_screenshots (result_id, png, taken_at) VALUES (?, ?, ?)
		ON CONFLICT (result_id) DO UPDATE SET png = excluded.png, taken_at = excluded.taken_at`
	for _, r := range fresh {
		if len(r.Screenshot) == 0 {
			continue
		}
		var id int64
		err := tx.GetContext(ctx, &id, tx.Rebind(`SELECT id FROM check_results WHERE site_id = ? AND checked_at = ?
			ORDER BY id DESC LIMIT 1`), r.SiteID, ts(r.CheckedAt))
		if err != nil {
			return fmt.Errorf("entry of site %d: %w", r.SiteID, err)
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(upsert), id, r.Screenshot, ts(r.CheckedAt)); err != nil {
			return err
		}
	}
	for _, r := range repeats {
		if len(r.Screenshot) == 0 {
			continue
		}
		if _, err := tx.ExecContext(ctx, tx.Rebind(upsert), r.ID, r.Screenshot, ts(r.CheckedAt)); err != nil {
			return err
		}
	}
	return nil
}

// Screenshot returns the PNG kept with the history entry resultID, or
// ErrNotFound when it has none.
func (s *Store) Screenshot(ctx context.Context, resultID int64) (_ []byte, err error) {
	defer s.observe("screenshot", time.Now(), &err)
	var png []byte
	err = sqlx.GetContext(ctx, s.read, &png, s.read.Rebind(`SELECT png FROM result_screenshots WHERE result_id = ?`), resultID)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("screenshot of result %d: %w", resultID, err)
	}
	return png, nil
}

// LatestScreenshot returns the newest screenshot of the site's history:
// the entry's id, when it was taken and the PNG; ErrNotFound when the
// site has none.
func (s *Store) LatestScreenshot(ctx context.Context, siteID int64) (resultID int64, takenAt time.Time, png []byte, err error) {
	defer s.observe("latest_screenshot", time.Now(), &err)
	var row struct {
		ID      int64  `db:"result_id"`
		TakenAt dbTime `db:"taken_at"`
		PNG     []byte `db:"png"`
	}
	err = sqlx.GetContext(ctx, s.read, &row, s.read.Rebind(`SELECT sc.result_id, sc.taken_at, sc.png
		FROM result_screenshots sc JOIN check_results r ON r.id = sc.result_id
		WHERE r.site_id = ? ORDER BY sc.taken_at DESC, sc.result_id DESC LIMIT 1`), siteID)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, time.Time{}, nil, ErrNotFound
	}
	if err != nil {
		return 0, time.Time{}, nil, fmt.Errorf("latest screenshot of site %d: %w", siteID, err)
	}
	return row.ID, time.Time(row.TakenAt), row.PNG, nil
}
