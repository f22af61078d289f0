-- How a case's deadline was counted, so that a provisional one can be
-- counted again. A working-day deadline is deadline_days working days
-- after deadline_from's Beijing date; deadline_days is 0 for one given as
-- a duration or a date. deadline_provisional lists (JSON) the years whose
-- holiday calendar was not loaded when it was counted: their weekdays all
-- counted, and the deadline is counted again at start-up once they are
-- known. Cases opened before this migration have no basis and are never
-- recounted (they were refused past the calendar's end, so none is
-- provisional).

-- +goose Up
ALTER TABLE cases ADD COLUMN deadline_from TIMESTAMPTZ;
ALTER TABLE cases ADD COLUMN deadline_days INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN deadline_provisional TEXT NOT NULL DEFAULT '[]';
CREATE INDEX cases_provisional ON cases (id) WHERE deadline_provisional <> '[]';

-- +goose Down
DROP INDEX cases_provisional;
ALTER TABLE cases DROP COLUMN deadline_provisional;
ALTER TABLE cases DROP COLUMN deadline_days;
ALTER TABLE cases DROP COLUMN deadline_from;
