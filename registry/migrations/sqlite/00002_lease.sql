-- See ../postgres/00002_lease.sql: the lease query's index, in the order
-- it reads, without retired sites.

-- +goose Up
DROP INDEX site_state_due;
CREATE INDEX site_state_due ON site_state (next_check_at, site_id) WHERE active;

-- +goose Down
DROP INDEX site_state_due;
CREATE INDEX site_state_due ON site_state (active, next_check_at);
