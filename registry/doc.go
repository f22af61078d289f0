// Package registry stores what a hosting provider knows about its
// customers' filings (sites, domains, operators, contacts) and the history
// of their checks (an entry per change, extended by each repeat), in an
// embedded SQLite file or in PostgreSQL.
//
// One Store serves both engines; the DSN picks the engine. Queries are
// written once with ? placeholders and rebound for PostgreSQL; the few that
// must differ live in the dialect. The schema is versioned by embedded
// migrations that Open does not run by itself: call Migrate.
//
// Contacts and personal operators' names are personal data: they are
// stored encrypted under the keys given to SetKeys (personal.go, rotate.go,
// docs/encryption.md), found by keyed hashes, and never appear in logs,
// metrics or errors, which name site ids and domains instead.
package registry
