-- A check judged from the page as a browser drew it says so (rendered),
-- and a failing rendered check may keep a PNG of the page's footer as
-- evidence. Screenshots go with their history entry: pruning or a
-- retired site deletes them by cascade.

-- +goose Up
ALTER TABLE check_results ADD COLUMN rendered boolean NOT NULL DEFAULT false;
CREATE TABLE result_screenshots (
	result_id bigint PRIMARY KEY REFERENCES check_results (id) ON DELETE CASCADE,
	png       bytea NOT NULL,
	taken_at  timestamptz NOT NULL
);

-- +goose Down
DROP TABLE result_screenshots;
ALTER TABLE check_results DROP COLUMN rendered;
