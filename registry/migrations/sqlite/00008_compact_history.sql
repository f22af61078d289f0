-- See ../postgres/00008_compact_history.sql: repeats extend the latest
-- result instead of adding one, and what pruning keeps.

-- +goose Up
ALTER TABLE check_results ADD COLUMN last_seen_at TEXT;
ALTER TABLE check_results ADD COLUMN seen_count INTEGER NOT NULL DEFAULT 1;
ALTER TABLE check_results ADD COLUMN verdict_change INTEGER NOT NULL DEFAULT 0;
ALTER TABLE check_results ADD COLUMN numbers TEXT NOT NULL DEFAULT '';
UPDATE check_results SET verdict_change = 1 WHERE id IN (
	SELECT id FROM (
		SELECT id, verdict, lag(verdict) OVER (PARTITION BY site_id ORDER BY checked_at, id) AS prev
		FROM check_results
	) r WHERE prev IS NULL OR prev <> verdict
);
CREATE INDEX check_results_prunable ON check_results (checked_at, id) WHERE NOT verdict_change;

-- +goose Down
DROP INDEX check_results_prunable;
ALTER TABLE check_results DROP COLUMN numbers;
ALTER TABLE check_results DROP COLUMN verdict_change;
ALTER TABLE check_results DROP COLUMN seen_count;
ALTER TABLE check_results DROP COLUMN last_seen_at;
