-- See ../postgres/00005_hot_leases.sql: PostgreSQL's page fill factor for
-- site_state. SQLite has no such setting; the version is kept so that both
-- schemas count the same.

-- +goose Up
SELECT 1;

-- +goose Down
SELECT 1;
