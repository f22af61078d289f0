-- History that stays small (docs/history.md). A check that changes
-- nothing a user would care about no longer adds a row: it extends the
-- latest one, whose checked_at is then when the state was first seen,
-- last_seen_at when last seen (NULL: only at checked_at, as for every
-- row before this migration) and seen_count by how many checks.
--
-- verdict_change marks the rows that pruning keeps: the first row of a
-- site and each row whose verdict differs from the row before. Rows
-- before this migration are marked from their order; every column is
-- added without a default that would rewrite the table.
--
-- The partial index lists the rows pruning may delete in checked_at
-- order. It holds no column a repeat updates, so extending a row can stay
-- a HOT update.

-- +goose Up
ALTER TABLE check_results ADD COLUMN last_seen_at TIMESTAMPTZ;
ALTER TABLE check_results ADD COLUMN seen_count INTEGER NOT NULL DEFAULT 1;
ALTER TABLE check_results ADD COLUMN verdict_change BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE check_results ADD COLUMN numbers TEXT NOT NULL DEFAULT '';
UPDATE check_results SET verdict_change = true WHERE id IN (
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
