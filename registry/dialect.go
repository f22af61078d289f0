package registry

import (
	"encoding/json"
	"strings"

	"github.com/pressly/goose/v3"
)

// prefix is the condition "column col starts with p", with its arguments.
func (d dialect) prefix(col, p string) (string, []any) {
	if d.likePrefix {
		esc := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(p)
		return col + ` LIKE ? ESCAPE '\'`, []any{esc + "%"}
	}
	// SQLite compares text bytewise, and no UTF-8 byte is 0xFF.
	return "(" + col + " >= ? AND " + col + " < ?)", []any{p, p + "\xff"}
}

// dialect holds what differs between the engines: the few statements that
// cannot be written once, and limits.
type dialect struct {
	name  string // "sqlite" or "postgres": also the migrations directory
	goose goose.Dialect
	// maxParams bounds the bound parameters of one statement (SQLite's
	// SQLITE_MAX_VARIABLE_NUMBER is 32766, PostgreSQL's protocol 65535).
	maxParams int
	// reserveIDs returns ? new ids for table %[1]s, one a row. Ids are
	// taken before inserting so that a batch's sites, domains and state
	// are written by multi-row statements without reading ids back.
	reserveIDs string
	// hasTag is the condition "site s carries tag ?".
	hasTag string
	// hasFinding is the condition "site state st has a finding of code ?"
	// and findingArg makes its argument.
	hasFinding string
	findingArg func(code string) any
	// likePrefix says prefixes are matched with LIKE (on PostgreSQL's
	// text_pattern_ops indexes); otherwise as a range of bytes.
	likePrefix bool
	// copy says bulk inserts use COPY FROM STDIN.
	copy bool
	// analyze says a large import refreshes the planner's statistics of
	// the tables it wrote (ANALYZE; see analyzeAfter).
	analyze bool
	// skipLocked ends the lease query's row selection: on PostgreSQL it
	// locks the rows chosen and passes over rows another replica's lease
	// transaction has locked, so that concurrent leases never wait for, or
	// get, the same site. SQLite has one writer at a time and no row locks.
	skipLocked string
	// leaseChosen is the lease update's condition "the row is one the CTE
	// due chose". PostgreSQL answers IN (SELECT …) with a hash join that
	// reads the whole table, so there the ids go as an array, which it
	// looks up in the primary key.
	leaseChosen string
	// sitesByID is the FROM clause of siteSelect for a list of ids given
	// as one array parameter (empty: use siteFrom with IN).
	sitesByID string
	// latestResults is the latest history entry of each site of an array
	// of ids (empty: latestSQL for each).
	latestResults string
	// extendResults makes entries one check longer, given their ids and
	// the checks' times as two arrays (empty: one statement an entry).
	extendResults string
	// findingCodes counts active sites by the code and severity of the
	// findings in their state.
	findingCodes string
}

var sqliteDialect = dialect{
	name:      "sqlite",
	goose:     goose.DialectSQLite3,
	maxParams: 32000,
	// Write transactions hold SQLite's write lock from BEGIN (_txlock
	// immediate), so nobody else can take ids above MAX(id) meanwhile.
	reserveIDs: `WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?)
		SELECT (SELECT COALESCE(MAX(id), 0) FROM %[1]s) + i FROM seq`,
	hasTag:      `EXISTS (SELECT 1 FROM json_each(s.tags) WHERE json_each.value = ?)`,
	hasFinding:  `EXISTS (SELECT 1 FROM json_each(st.findings) f WHERE json_extract(f.value, '$.code') = ?)`,
	findingArg:  func(code string) any { return code },
	leaseChosen: `site_id IN (SELECT site_id FROM due)`,
	findingCodes: `SELECT json_extract(f.value, '$.code') AS code, json_extract(f.value, '$.severity') AS severity,
		COUNT(DISTINCT st.site_id) AS n
		FROM site_state st, json_each(st.findings) f WHERE st.active GROUP BY 1, 2`,
}

var postgresDialect = dialect{
	name:       "postgres",
	goose:      goose.DialectPostgres,
	maxParams:  65000,
	reserveIDs: `SELECT nextval(pg_get_serial_sequence('%[1]s', 'id')) FROM generate_series(1, ?)`,
	hasTag:     `s.tags @> jsonb_build_array(?::text)`,
	// Containment, so that the GIN index site_state_findings serves it.
	hasFinding: `st.findings @> ?::jsonb`,
	findingArg: func(code string) any {
		b, _ := json.Marshal([]map[string]string{{"code": code}}) // cannot fail
		return string(b)
	},
	likePrefix:  true,
	copy:        true,
	analyze:     true,
	skipLocked:  "FOR UPDATE SKIP LOCKED",
	leaseChosen: `site_id = ANY(ARRAY(SELECT site_id FROM due))`,
	// Each table is read by primary key, a row at a time: joined the
	// plain way, PostgreSQL hashes a batch of ids against a scan of
	// site_state and operators whenever the registry is small enough for
	// that to look cheap, milliseconds a batch for a few thousand rows.
	// OFFSET 0 keeps each lookup a subquery of its own.
	sitesByID: `FROM unnest(?::bigint[]) AS ids (id)
CROSS JOIN LATERAL (SELECT * FROM sites WHERE id = ids.id OFFSET 0) s
CROSS JOIN LATERAL (SELECT * FROM site_state WHERE site_id = ids.id OFFSET 0) st
LEFT JOIN LATERAL (SELECT * FROM operators WHERE id = s.operator_id OFFSET 0) o ON true
LEFT JOIN LATERAL (SELECT * FROM contacts WHERE id = s.contact_id OFFSET 0) c ON true
`,
	// LATERAL reads each site's latest entry from check_results_site, as
	// latestSQL does; a plain join would rank the whole history.
	latestResults: `SELECT r.* FROM unnest(?::bigint[]) AS ids (id)
CROSS JOIN LATERAL (` + resultSelect + `WHERE site_id = ids.id ORDER BY checked_at DESC, id DESC LIMIT 1) r`,
	extendResults: `UPDATE check_results SET last_seen_at = v.at, seen_count = check_results.seen_count + 1
		FROM unnest(?::bigint[], ?::timestamptz[]) AS v (id, at) WHERE check_results.id = v.id`,
	findingCodes: `SELECT f->>'code' AS code, f->>'severity' AS severity, COUNT(DISTINCT st.site_id) AS n
		FROM site_state st CROSS JOIN LATERAL jsonb_array_elements(st.findings) f
		WHERE st.active GROUP BY 1, 2`,
}
