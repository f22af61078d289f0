-- See ../postgres/00004_cases.sql: takedown and rectification cases, their
-- history, verifications and escalation bookkeeping. Lists are JSON text;
-- times are fixed-width UTC text (see 00001_init.sql).

-- +goose Up
CREATE TABLE cases (
	id                      INTEGER PRIMARY KEY,
	kind                    TEXT NOT NULL,
	-- No ON DELETE: a case is never deleted, and neither is its site while
	-- a case names it (sites are retired, not deleted).
	site_id                 INTEGER NOT NULL REFERENCES sites (id),
	domain                  TEXT NOT NULL,
	category                TEXT NOT NULL,
	codes                   TEXT NOT NULL,
	evidence_phrases        TEXT NOT NULL,
	evidence_sha256         TEXT NOT NULL,
	reporter                TEXT NOT NULL,
	regulator_ordered       INTEGER NOT NULL,
	notes                   TEXT NOT NULL,
	state                   TEXT NOT NULL,
	deadline                TEXT,
	extensions_used         INTEGER NOT NULL,
	block_level             TEXT NOT NULL,
	escalation_state        TEXT NOT NULL,
	escalation_owner        TEXT NOT NULL,
	escalation_claimed_at   TEXT,
	escalation_response     TEXT NOT NULL,
	escalation_at           TEXT,
	escalation_confirmed_by TEXT NOT NULL,
	escalation_confirmed_at TEXT,
	created_at              TEXT NOT NULL,
	updated_at              TEXT NOT NULL,
	notified_at             TEXT,
	fixed_at                TEXT,
	blocked_at              TEXT,
	closed_at               TEXT,
	next_verify_at          TEXT,
	verify_owner            TEXT NOT NULL,
	verify_expires_at       TEXT,
	version                 INTEGER NOT NULL
);
CREATE INDEX cases_site ON cases (site_id);
CREATE INDEX cases_kind_state ON cases (kind, state);
CREATE INDEX cases_verify ON cases (next_verify_at, id) WHERE next_verify_at IS NOT NULL;
CREATE INDEX cases_running ON cases (deadline, id) WHERE state IN ('open', 'notified', 'extended');
CREATE INDEX cases_escalation ON cases (id) WHERE escalation_state = 'pending';

CREATE TABLE case_urls (
	case_id  INTEGER NOT NULL REFERENCES cases (id),
	position INTEGER NOT NULL,
	url      TEXT NOT NULL,
	PRIMARY KEY (case_id, position)
);

-- Every state change and event, appended, never changed.
CREATE TABLE case_events (
	id         INTEGER PRIMARY KEY,
	case_id    INTEGER NOT NULL REFERENCES cases (id),
	at         TEXT NOT NULL,
	actor      TEXT NOT NULL,
	from_state TEXT NOT NULL, -- '' for the case's creation
	to_state   TEXT NOT NULL, -- = from_state for an event that moves nothing
	reason     TEXT NOT NULL
);
CREATE INDEX case_events_case ON case_events (case_id, id);

-- Each re-fetch of a case's URL, with what it proved.
CREATE TABLE case_verifications (
	id           INTEGER PRIMARY KEY,
	case_id      INTEGER NOT NULL REFERENCES cases (id),
	url          TEXT NOT NULL,
	checked_at   TEXT NOT NULL,
	http_status  INTEGER NOT NULL,
	body_sha256  TEXT NOT NULL,
	matched      TEXT NOT NULL,
	hash_matched INTEGER NOT NULL,
	outcome      TEXT NOT NULL,
	error        TEXT NOT NULL,
	owner        TEXT NOT NULL
);
CREATE INDEX case_verifications_case ON case_verifications (case_id, checked_at DESC, id DESC);

-- The history is evidence: refuse to delete cases or rewrite their past.
-- +goose StatementBegin
CREATE TRIGGER cases_never_deleted BEFORE DELETE ON cases
BEGIN
	SELECT RAISE(ABORT, 'cases are never deleted');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER case_events_append_only_update BEFORE UPDATE ON case_events
BEGIN
	SELECT RAISE(ABORT, 'case events are append-only');
END;
-- +goose StatementEnd
-- +goose StatementBegin
CREATE TRIGGER case_events_append_only_delete BEFORE DELETE ON case_events
BEGIN
	SELECT RAISE(ABORT, 'case events are append-only');
END;
-- +goose StatementEnd

-- +goose Down
DROP TABLE case_verifications;
DROP TABLE case_events;
DROP TABLE case_urls;
DROP TABLE cases;
