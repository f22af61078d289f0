-- See ../postgres/00003_alerts.sql: alert state and the delivery outbox.

-- +goose Up
ALTER TABLE site_state ADD COLUMN failing_since TEXT;
ALTER TABLE site_state ADD COLUMN fail_streak INTEGER NOT NULL DEFAULT 0;
CREATE INDEX site_state_failing ON site_state (failing_since) WHERE failing_since IS NOT NULL;

CREATE TABLE alerts (
	key        TEXT PRIMARY KEY,
	site_id    INTEGER REFERENCES sites (id) ON DELETE CASCADE,
	rule       TEXT NOT NULL,
	firing     INTEGER NOT NULL,
	payload    TEXT NOT NULL,
	starts_at  TEXT NOT NULL,
	ends_at    TEXT,
	updated_at TEXT NOT NULL
);
CREATE INDEX alerts_site ON alerts (site_id) WHERE firing;
CREATE INDEX alerts_firing ON alerts (key) WHERE firing;

CREATE TABLE alert_outbox (
	id               INTEGER PRIMARY KEY,
	alert_key        TEXT NOT NULL,
	receiver         TEXT NOT NULL,
	payload          TEXT NOT NULL,
	created_at       TEXT NOT NULL,
	next_attempt_at  TEXT NOT NULL,
	attempts         INTEGER NOT NULL DEFAULT 0,
	lease_owner      TEXT NOT NULL DEFAULT '',
	lease_expires_at TEXT,
	delivered_at     TEXT,
	failed_at        TEXT,
	last_error       TEXT NOT NULL DEFAULT ''
);
CREATE INDEX alert_outbox_pending ON alert_outbox (next_attempt_at, id)
	WHERE delivered_at IS NULL AND failed_at IS NULL;
CREATE INDEX alert_outbox_order ON alert_outbox (alert_key, receiver, id)
	WHERE delivered_at IS NULL AND failed_at IS NULL;

CREATE TABLE periodic_jobs (
	name    TEXT PRIMARY KEY,
	next_at TEXT NOT NULL,
	owner   TEXT NOT NULL
);

-- +goose Down
DROP TABLE periodic_jobs;
DROP TABLE alert_outbox;
DROP TABLE alerts;
DROP INDEX site_state_failing;
ALTER TABLE site_state DROP COLUMN fail_streak;
ALTER TABLE site_state DROP COLUMN failing_since;
