-- The web console's logins (see docs/console.md). A session stands for
-- one API token: only the SHA-256 of its random id is kept, so that a
-- copy of the table opens no session, and every replica reading this
-- registry knows every session. A token revoked, expired or deleted ends
-- its sessions (the console reads the token with the session).

-- +goose Up
CREATE TABLE console_sessions (
	id_hash    TEXT PRIMARY KEY,
	token_id   BIGINT NOT NULL REFERENCES api_tokens (id) ON DELETE CASCADE,
	created_at TIMESTAMPTZ NOT NULL,
	expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX console_sessions_expires ON console_sessions (expires_at);
CREATE INDEX console_sessions_token ON console_sessions (token_id);

-- +goose Down
DROP TABLE console_sessions;
