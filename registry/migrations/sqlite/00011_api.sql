-- See ../postgres/00011_api.sql: the HTTP API's tokens and audit log, and
-- the indexes of its site query.

-- +goose Up
CREATE TABLE api_tokens (
	id           INTEGER PRIMARY KEY,
	name         TEXT NOT NULL UNIQUE,
	scopes       TEXT NOT NULL,
	secret_hash  TEXT NOT NULL UNIQUE,
	created_at   TEXT NOT NULL,
	expires_at   TEXT,
	revoked_at   TEXT,
	last_used_at TEXT
);

CREATE TABLE audit_log (
	id         INTEGER PRIMARY KEY,
	at         TEXT NOT NULL,
	token_name TEXT NOT NULL,
	action     TEXT NOT NULL,
	object     TEXT NOT NULL,
	source     TEXT NOT NULL
);
-- +goose StatementBegin
CREATE TRIGGER audit_log_append_only_update BEFORE UPDATE ON audit_log
BEGIN
	SELECT RAISE(ABORT, 'the audit log is append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER audit_log_append_only_delete BEFORE DELETE ON audit_log
BEGIN
	SELECT RAISE(ABORT, 'the audit log is append-only');
END;
-- +goose StatementEnd

-- SQLite compares text bytewise (BINARY), so prefixes are ranges on these.
CREATE INDEX sites_customer ON sites (customer_id, id);
CREATE INDEX sites_psb_number ON sites (psb_number);
CREATE INDEX site_state_psb_due ON site_state (psb_filing_due) WHERE psb_filing_status = 'pending';
CREATE INDEX site_state_badge_due ON site_state (badge_due) WHERE badge_status = 'pending';

-- +goose Down
DROP INDEX site_state_badge_due;
DROP INDEX site_state_psb_due;
DROP INDEX sites_psb_number;
DROP INDEX sites_customer;
DROP TRIGGER audit_log_append_only_delete;
DROP TRIGGER audit_log_append_only_update;
DROP TABLE audit_log;
DROP TABLE api_tokens;
