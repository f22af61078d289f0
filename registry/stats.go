package registry

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/beianwatch/beianwatch/checker"
)

// Stats are registry-wide figures for the metrics: every replica reading
// one registry computes the same ones.
type Stats struct {
	// Verdicts counts active sites by their latest verdict (unchecked for
	// none yet).
	Verdicts map[string]int
	// Findings counts active sites carrying each finding.
	Findings map[FindingKey]int
	// Deadlines counts active sites by deadline kind ("psb_filing",
	// "badge") and status.
	Deadlines map[DeadlineKey]int
	// DueSoon counts active sites with a pending deadline of each kind
	// due within 1, 3 and 7 days (cumulative: within 7 days includes
	// within 1 day).
	DueSoon map[DueSoonKey]int
	// Due counts sites due and not leased; OldestDue is the earliest
	// next check among all active sites (zero if there are none), and
	// LastCheck the latest check of any (zero if none was checked).
	Due       int
	OldestDue time.Time
	LastCheck time.Time
	// PendingAlerts counts alert deliveries waiting in the outbox.
	PendingAlerts int
}

// FindingKey is a finding code and its severity.
type FindingKey struct{ Code, Severity string }

// DeadlineKey is a deadline kind and status.
type DeadlineKey struct{ Kind, Status string }

// DueSoonKey is a deadline kind and a window: "1d", "3d" or "7d".
type DueSoonKey struct{ Kind, Within string }

// deadlineStats counts kind's deadlines by status and, of the pending
// ones, those in each of checker.DueSoonWindows, in one scan. The column
// names come from a fixed list and the windows from the checker, not from
// input.
func deadlineStats(ctx context.Context, tx *sqlx.Tx, kind string, st *Stats) error {
	windows := checker.DueSoonWindows()
	cols := ""
	for _, w := range windows {
		cols += fmt.Sprintf(", COUNT(CASE WHEN %[1]s_days_left BETWEEN 0 AND %[2]d THEN 1 END)", kind, w)
	}
	rows, err := tx.QueryContext(ctx, fmt.Sprintf(`SELECT %[1]s_status, COUNT(*)%[2]s FROM site_state WHERE active GROUP BY %[1]s_status`, kind, cols))
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var status string
		counts := make([]int, 1+len(windows))
		dest := []any{&status}
		for i := range counts {
			dest = append(dest, &counts[i])
		}
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		st.Deadlines[DeadlineKey{kind, status}] = counts[0]
		if status == string(checker.DeadlinePending) {
			for i, w := range windows {
				st.DueSoon[DueSoonKey{kind, fmt.Sprintf("%dd", w)}] = counts[1+i]
			}
		}
	}
	return rows.Err()
}

// Stats reads the registry-wide figures at now, from one snapshot.
func (s *Store) Stats(ctx context.Context, now time.Time) (_ *Stats, err error) {
	defer s.observe("stats", time.Now(), &err)
	st := &Stats{Verdicts: map[string]int{}, Findings: map[FindingKey]int{}, Deadlines: map[DeadlineKey]int{}, DueSoon: map[DueSoonKey]int{}}
	err = s.inReadTx(ctx, func(tx *sqlx.Tx) error {
		var verdicts []struct {
			Verdict string `db:"verdict"`
			N       int    `db:"n"`
		}
		if err := tx.SelectContext(ctx, &verdicts, `SELECT verdict, COUNT(*) AS n FROM site_state WHERE active GROUP BY verdict`); err != nil {
			return fmt.Errorf("verdicts: %w", err)
		}
		for _, v := range verdicts {
			st.Verdicts[v.Verdict] = v.N
		}
		var findings []struct {
			Code     string `db:"code"`
			Severity string `db:"severity"`
			N        int    `db:"n"`
		}
		if err := tx.SelectContext(ctx, &findings, s.d.findingCodes); err != nil {
			return fmt.Errorf("findings: %w", err)
		}
		for _, f := range findings {
			st.Findings[FindingKey{f.Code, f.Severity}] = f.N
		}
		for _, kind := range []string{"psb_filing", "badge"} {
			if err := deadlineStats(ctx, tx, kind, st); err != nil {
				return fmt.Errorf("%s deadlines: %w", kind, err)
			}
		}
		var due struct {
			N      int    `db:"n"`
			Oldest dbTime `db:"oldest"`
			Last   dbTime `db:"last"`
		}
		if err := tx.GetContext(ctx, &due, tx.Rebind(`SELECT
			COUNT(CASE WHEN next_check_at <= ? AND (lease_expires_at IS NULL OR lease_expires_at <= ?) THEN 1 END) AS n,
			MIN(next_check_at) AS oldest, MAX(last_check_at) AS last
			FROM site_state WHERE active`), ts(now), ts(now)); err != nil {
			return fmt.Errorf("due: %w", err)
		}
		st.Due, st.OldestDue, st.LastCheck = due.N, time.Time(due.Oldest), time.Time(due.Last)
		if err := tx.GetContext(ctx, &st.PendingAlerts, `SELECT COUNT(*) FROM alert_outbox WHERE delivered_at IS NULL AND failed_at IS NULL`); err != nil {
			return fmt.Errorf("pending alerts: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("stats: %w", err)
	}
	return st, nil
}

// SiteVerdict is a site's primary domain and verdict.
type SiteVerdict struct {
	Domain  string `db:"domain"`
	Verdict string `db:"verdict"`
}

// WorstSites returns up to limit active sites that fail or cannot be
// checked, worst first: failing before unreachable, then the longest
// failing, then the most consecutive errors, then by domain.
func (s *Store) WorstSites(ctx context.Context, limit int) (_ []SiteVerdict, err error) {
	defer s.observe("worst_sites", time.Now(), &err)
	var out []SiteVerdict
	err = sqlx.SelectContext(ctx, s.read, &out, s.read.Rebind(`SELECT d.ascii AS domain, st.verdict
		FROM site_state st JOIN domains d ON d.site_id = st.site_id AND d.position = 0
		WHERE st.active AND st.verdict IN ('fail', 'error')
		ORDER BY CASE st.verdict WHEN 'fail' THEN 0 ELSE 1 END, st.failing_since IS NULL, st.failing_since, st.consecutive_failures DESC, d.ascii
		LIMIT ?`), limit)
	if err != nil {
		return nil, fmt.Errorf("worst sites: %w", err)
	}
	return out, nil
}
