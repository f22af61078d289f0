-- See ../postgres/00013_console_sessions.sql: the web console's logins.
-- Times are fixed-width UTC text (see 00001_init.sql).

-- +goose Up
CREATE TABLE console_sessions (
	id_hash    TEXT PRIMARY KEY,
	token_id   INTEGER NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
	created_at TEXT NOT NULL,
	expires_at TEXT NOT NULL
);
CREATE INDEX console_sessions_expires ON console_sessions (expires_at);
CREATE INDEX console_sessions_token ON console_sessions (token_id);

-- +goose Down
DROP TABLE console_sessions;
