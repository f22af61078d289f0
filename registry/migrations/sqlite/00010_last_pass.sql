-- See ../postgres/00010_last_pass.sql: when each site last passed.

-- +goose Up
ALTER TABLE site_state ADD COLUMN last_pass_at TEXT;
UPDATE site_state SET last_pass_at = (
	SELECT MAX(COALESCE(last_seen_at, checked_at)) FROM check_results r
	WHERE r.site_id = site_state.site_id AND r.verdict = 'pass');

-- +goose Down
ALTER TABLE site_state DROP COLUMN last_pass_at;
