-- The scheduler's lease query (registry/lease.go) takes the oldest due
-- active sites in (next_check_at, site_id) order. This index serves that
-- order directly, so a batch is read from the head of the index and the
-- scan stops after n rows however many sites are due; the tie-break on
-- site_id matters because an import makes thousands of sites due at the
-- same instant. Partial on active: retired sites never enter it.
--
-- The lease columns are left out of every index on purpose, and pages keep
-- 15% free: leasing and releasing then change no indexed column and find
-- room on the row's own page, so PostgreSQL updates the row in place (HOT)
-- without touching the indexes. fillfactor applies to pages written from
-- now on (imports, and rows moved by later updates).

-- +goose Up
DROP INDEX site_state_due;
CREATE INDEX site_state_due ON site_state (next_check_at, site_id) WHERE active;
ALTER TABLE site_state SET (fillfactor = 85);

-- +goose Down
ALTER TABLE site_state RESET (fillfactor);
DROP INDEX site_state_due;
CREATE INDEX site_state_due ON site_state (active, next_check_at);
