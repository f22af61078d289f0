-- See ../postgres/00006_provisional_deadlines.sql: how a case's deadline
-- was counted, and the years it guessed.

-- +goose Up
ALTER TABLE cases ADD COLUMN deadline_from TEXT;
ALTER TABLE cases ADD COLUMN deadline_days INTEGER NOT NULL DEFAULT 0;
ALTER TABLE cases ADD COLUMN deadline_provisional TEXT NOT NULL DEFAULT '[]';
CREATE INDEX cases_provisional ON cases (id) WHERE deadline_provisional <> '[]';

-- +goose Down
DROP INDEX cases_provisional;
ALTER TABLE cases DROP COLUMN deadline_provisional;
ALTER TABLE cases DROP COLUMN deadline_days;
ALTER TABLE cases DROP COLUMN deadline_from;
