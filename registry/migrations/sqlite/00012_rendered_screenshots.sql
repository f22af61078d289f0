-- See ../postgres/00012_rendered_screenshots.sql: the rendered flag and
-- the screenshots of failing rendered checks.

-- +goose Up
ALTER TABLE check_results ADD COLUMN rendered INTEGER NOT NULL DEFAULT 0;
CREATE TABLE result_screenshots (
	result_id INTEGER PRIMARY KEY REFERENCES check_results (id) ON DELETE CASCADE,
	png       BLOB NOT NULL,
	taken_at  TEXT NOT NULL
);

-- +goose Down
DROP TABLE result_screenshots;
ALTER TABLE check_results DROP COLUMN rendered;
