-- The registry's first schema. Times are TEXT in fixed-width UTC RFC 3339
-- with microseconds (2026-01-02T03:04:05.000000Z), so that text order is
-- time order; dates are TEXT YYYY-MM-DD (China Standard Time dates).
-- Lists (languages, tags, findings) are JSON text.

-- +goose Up
-- Operators and contacts are kept once per distinct value and shared by the
-- sites that name them; a site's import replaces the reference, never the
-- row another site may share.
CREATE TABLE operators (
	id       INTEGER PRIMARY KEY,
	type     TEXT NOT NULL,
	name     TEXT NOT NULL, -- personal data when type is personal
	org_code TEXT NOT NULL,
	UNIQUE (type, name, org_code)
);

-- Every column is personal data.
CREATE TABLE contacts (
	id    INTEGER PRIMARY KEY,
	name  TEXT NOT NULL,
	phone TEXT NOT NULL,
	email TEXT NOT NULL,
	UNIQUE (name, phone, email)
);

CREATE TABLE sites (
	id              INTEGER PRIMARY KEY,
	name            TEXT NOT NULL,
	icp_number      TEXT NOT NULL,
	icp_approved_on TEXT,
	launched_on     TEXT,
	psb_number      TEXT NOT NULL,
	psb_filed_on    TEXT,
	psb_approved_on TEXT,
	customer_id     TEXT NOT NULL,
	access_provider TEXT NOT NULL,
	registrar       TEXT NOT NULL,
	interactive     INTEGER NOT NULL,
	languages       TEXT NOT NULL,
	tags            TEXT NOT NULL,
	check_url       TEXT NOT NULL,
	active          INTEGER NOT NULL,
	operator_id     INTEGER REFERENCES operators (id),
	contact_id      INTEGER REFERENCES contacts (id),
	created_at      TEXT NOT NULL,
	updated_at      TEXT NOT NULL
);
-- Imports match sites by ICP number. Not a partial index: neither engine
-- can use one for "icp_number IN (…)".
CREATE INDEX sites_icp_number ON sites (icp_number);

CREATE TABLE domains (
	site_id  INTEGER NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
	position INTEGER NOT NULL, -- 0 is the primary domain
	unicode  TEXT NOT NULL,
	ascii    TEXT NOT NULL UNIQUE, -- lower-case punycode: lookups and matching
	PRIMARY KEY (site_id, position)
);

CREATE TABLE site_ips (
	site_id  INTEGER NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
	position INTEGER NOT NULL,
	addr     TEXT NOT NULL,
	PRIMARY KEY (site_id, position)
);

-- One row per check, kept as history.
CREATE TABLE check_results (
	id          INTEGER PRIMARY KEY,
	site_id     INTEGER NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
	checked_at  TEXT NOT NULL,
	target      TEXT NOT NULL,
	final_url   TEXT NOT NULL,
	http_status INTEGER NOT NULL,
	verdict     TEXT NOT NULL,
	findings    TEXT NOT NULL,
	evidence    TEXT NOT NULL,
	body_sha256 TEXT NOT NULL,
	duration_ms INTEGER NOT NULL,
	error       TEXT NOT NULL
);
CREATE INDEX check_results_site ON check_results (site_id, checked_at DESC, id DESC);

-- A site's current state, one row per site, written with the site.
CREATE TABLE site_state (
	site_id               INTEGER PRIMARY KEY REFERENCES sites (id) ON DELETE CASCADE,
	-- active mirrors sites.active so that the scheduler's "due sites" query
	-- reads this table and one index only.
	active                INTEGER NOT NULL,
	verdict               TEXT NOT NULL,
	findings              TEXT NOT NULL,
	first_live_at         TEXT,
	badge_first_seen_at   TEXT,
	badge_last_missing_at TEXT,
	badge_shown           INTEGER NOT NULL,
	last_check_at         TEXT,
	next_check_at         TEXT NOT NULL,
	consecutive_failures  INTEGER NOT NULL,
	lease_owner           TEXT NOT NULL,
	lease_expires_at      TEXT,
	psb_filing_status     TEXT NOT NULL,
	psb_filing_due        TEXT,
	psb_filing_days_left  INTEGER,
	badge_status          TEXT NOT NULL,
	badge_due             TEXT,
	badge_days_left       INTEGER
);
CREATE INDEX site_state_due ON site_state (active, next_check_at);
CREATE INDEX site_state_verdict ON site_state (verdict);

-- +goose Down
DROP TABLE site_state;
DROP TABLE check_results;
DROP TABLE site_ips;
DROP TABLE domains;
DROP TABLE sites;
DROP TABLE contacts;
DROP TABLE operators;
