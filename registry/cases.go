package registry

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/beianwatch/beianwatch/cases"
)

// The store's side of cases (see package cases for the rules). The store
// keeps cases, their URLs, every transition and every verification; it
// never deletes any of them (triggers refuse it). Whether a move is legal
// is decided by cases.Apply, inside the transaction that makes it, against
// the case as it is in the database.

// ErrCaseConflict is returned when a case changed between reading and
// writing it. With row locks on PostgreSQL and one writer on SQLite it
// should not happen; it is the guard behind them.
var ErrCaseConflict = errors.New("registry: case changed concurrently")

// caseInputError is OpenCase's error for a case the registry refuses (an
// unknown domain, a URL on another site): its text is what the user sees,
// returned without context, and an unknown domain is ErrNotFound to
// errors.Is.
type caseInputError struct {
	msg      string
	notFound bool
}

func (e *caseInputError) Error() string { return e.msg }

func (e *caseInputError) Is(target error) bool {
	return (e.notFound && target == ErrNotFound) || target == ErrCaseRefused
}

// ErrCaseRefused is matched (errors.Is) by OpenCase's errors for a case
// the registry refuses as given: an unknown domain, a URL on another
// site. Their text is what the user should read.
var ErrCaseRefused = errors.New("registry: case refused")

// CaseFilter selects the cases ListCases returns. The zero value selects
// every case.
type CaseFilter struct {
	Kind  cases.Kind  // "" for any
	State cases.State // "" for any
	// Domain keeps the cases of the site that lists this domain (either
	// form); SiteID the cases of that site.
	Domain string
	SiteID int64
	// Active keeps cases in an active state (cases.State.Active).
	Active bool
	// Provisional keeps cases whose deadline is provisional.
	Provisional bool
	// BeforeID keeps cases with a smaller id: the next page after a case
	// (0 for the first page).
	BeforeID int64
	// Limit stops after this many cases, newest first (0 for all).
	Limit int
}

// caseColumns are the columns of a cases row that caseRow scans.
const caseColumns = `id, kind, site_id, domain, category, codes, evidence_phrases, evidence_sha256,
	reporter, regulator_ordered, notes, state, deadline, deadline_from, deadline_days, deadline_provisional,
	extensions_used, block_level,
	escalation_state, escalation_response, escalation_at, escalation_confirmed_by, escalation_confirmed_at,
	created_at, updated_at, notified_at, fixed_at, blocked_at, closed_at, next_verify_at, version`

type caseRow struct {
	ID                    int64            `db:"id"`
	Kind                  string           `db:"kind"`
	SiteID                int64            `db:"site_id"`
	Domain                string           `db:"domain"`
	Category              string           `db:"category"`
	Codes                 jsonList[string] `db:"codes"`
	EvidencePhrases       jsonList[string] `db:"evidence_phrases"`
	EvidenceSHA256        jsonList[string] `db:"evidence_sha256"`
	Reporter              string           `db:"reporter"`
	RegulatorOrdered      bool             `db:"regulator_ordered"`
	Notes                 string           `db:"notes"`
	State                 string           `db:"state"`
	Deadline              dbTime           `db:"deadline"`
	DeadlineFrom          dbTime           `db:"deadline_from"`
	DeadlineDays          int              `db:"deadline_days"`
	Provisional           jsonList[int]    `db:"deadline_provisional"`
	ExtensionsUsed        int              `db:"extensions_used"`
	BlockLevel            string           `db:"block_level"`
	Escalation            string           `db:"escalation_state"`
	EscalationResponse    string           `db:"escalation_response"`
	EscalationAt          dbTime           `db:"escalation_at"`
	EscalationConfirmedBy string           `db:"escalation_confirmed_by"`
	EscalationConfirmedAt dbTime           `db:"escalation_confirmed_at"`
	CreatedAt             dbTime           `db:"created_at"`
	UpdatedAt             dbTime           `db:"updated_at"`
	NotifiedAt            dbTime           `db:"notified_at"`
	FixedAt               dbTime           `db:"fixed_at"`
	BlockedAt             dbTime           `db:"blocked_at"`
	ClosedAt              dbTime           `db:"closed_at"`
	NextVerifyAt          dbTime           `db:"next_verify_at"`
	Version               int64            `db:"version"`
}

func (r *caseRow) caseValue() cases.Case {
	return cases.Case{
		ID: r.ID, Kind: cases.Kind(r.Kind), SiteID: r.SiteID, Domain: r.Domain,
		Category: cases.Category(r.Category), Codes: r.Codes,
		EvidencePhrases: r.EvidencePhrases, EvidenceSHA256: r.EvidenceSHA256,
		Reporter: r.Reporter, RegulatorOrdered: r.RegulatorOrdered, Notes: r.Notes,
		State: cases.State(r.State), Deadline: time.Time(r.Deadline), ExtensionsUsed: r.ExtensionsUsed,
		DeadlineFrom: time.Time(r.DeadlineFrom), DeadlineDays: r.DeadlineDays, Provisional: r.Provisional,
		BlockLevel: cases.BlockLevel(r.BlockLevel),
		Escalation: cases.Escalation(r.Escalation), EscalationResponse: r.EscalationResponse,
		EscalationAt:          time.Time(r.EscalationAt),
		EscalationConfirmedBy: r.EscalationConfirmedBy, EscalationConfirmedAt: time.Time(r.EscalationConfirmedAt),
		CreatedAt: time.Time(r.CreatedAt), UpdatedAt: time.Time(r.UpdatedAt),
		NotifiedAt: time.Time(r.NotifiedAt), FixedAt: time.Time(r.FixedAt),
		BlockedAt: time.Time(r.BlockedAt), ClosedAt: time.Time(r.ClosedAt),
		NextVerifyAt: time.Time(r.NextVerifyAt), Version: r.Version,
	}
}

// OpenCase stores a new case and its creation in the history, and returns
// it with its id. The case is checked by cases.Validate, then against the
// registry: its domain must be a site's ("case: domain x.cn is not in the
// registry", which is ErrNotFound to errors.Is), and each takedown URL must
// be on one of that site's domains or their subdomains. These errors, like
// cases.Validate's, come without context: they are the user's to read. The caller sets
// the state (cases.Open, or cases.Suspected for a lexicon match) and, for
// an open case, the deadline (cases.Policy.Deadline). CreatedAt defaults to
// the store's clock. An open case is due for verification at once.
func (s *Store) OpenCase(ctx context.Context, c cases.Case, actor string) (_ cases.Case, err error) {
	defer s.observe("open_case", time.Now(), &err)
	if actor == "" {
		return cases.Case{}, errors.New("open case: no actor")
	}
	c.URLs, c.Codes = slices.Clone(c.URLs), slices.Clone(c.Codes)
	c.EvidencePhrases, c.EvidenceSHA256 = slices.Clone(c.EvidencePhrases), slices.Clone(c.EvidenceSHA256)
	if err := c.Validate(); err != nil {
		return cases.Case{}, err
	}
	d, err := NormalizeDomain(c.Domain)
	if err != nil {
		return cases.Case{}, fmt.Errorf("case: %w", err)
	}
	c.Domain = d.Unicode
	if c.CreatedAt.IsZero() {
		c.CreatedAt = s.now()
	}
	c.CreatedAt, c.Deadline, c.DeadlineFrom = utcMicro(c.CreatedAt), utcMicro(c.Deadline), utcMicro(c.DeadlineFrom)
	c.UpdatedAt, c.Escalation, c.ExtensionsUsed, c.Version = c.CreatedAt, cases.EscalationNone, 0, 1
	if c.State.Verifiable() {
		c.NextVerifyAt = c.CreatedAt
	}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		site, err := caseSite(ctx, tx, d)
		if err != nil {
			return err
		}
		if err := urlsOnSite(c.URLs, site); err != nil {
			return err
		}
		c.SiteID = site.id
		if c.ID, err = insertCase(ctx, tx, c); err != nil {
			return err
		}
		return insertEvent(ctx, tx, c.ID, cases.Transition{To: c.State, At: c.CreatedAt, Actor: actor, Reason: "opened"})
	})
	var ie *caseInputError
	switch {
	case errors.As(err, &ie):
		return cases.Case{}, ie
	case err != nil:
		return cases.Case{}, fmt.Errorf("open case: %w", err)
	}
	return c, nil
}

// siteDomains is a site's id and its domains' ASCII forms.
type siteDomains struct {
	id    int64
	ascii []string
}

// caseSite finds the site listing domain d.
func caseSite(ctx context.Context, tx *sqlx.Tx, d Domain) (siteDomains, error) {
	var rows []struct {
		SiteID int64  `db:"site_id"`
		ASCII  string `db:"ascii"`
	}
	err := tx.SelectContext(ctx, &rows, tx.Rebind(`SELECT site_id, ascii FROM domains
		WHERE site_id = (SELECT site_id FROM domains WHERE ascii = ?) ORDER BY position`), d.ASCII)
	if err != nil {
		return siteDomains{}, err
	}
	if len(rows) == 0 {
		return siteDomains{}, &caseInputError{msg: fmt.Sprintf("case: domain %s is not in the registry", d.Unicode), notFound: true}
	}
	site := siteDomains{id: rows[0].SiteID}
	for _, r := range rows {
		site.ascii = append(site.ascii, r.ASCII)
	}
	return site, nil
}

// urlsOnSite checks that every URL's host is one of the site's domains or
// a subdomain of one: a filing covers its domain's subdomains.
func urlsOnSite(urls []string, site siteDomains) error {
	for _, raw := range urls {
		u, err := cases.ParseURL(raw)
		if err != nil {
			return err
		}
		host, err := NormalizeDomain(u.Hostname())
		if err != nil {
			return &caseInputError{msg: fmt.Sprintf("case: URL %s: %v", raw, err)}
		}
		if !slices.ContainsFunc(site.ascii, func(d string) bool {
			return host.ASCII == d || strings.HasSuffix(host.ASCII, "."+d)
		}) {
			return &caseInputError{msg: fmt.Sprintf("case: URL %s is not on a domain of site %d (%s)", raw, site.id, strings.Join(site.ascii, ", "))}
		}
	}
	return nil
}

func insertCase(ctx context.Context, tx *sqlx.Tx, c cases.Case) (int64, error) {
	var id int64
	err := tx.QueryRowxContext(ctx, tx.Rebind(`INSERT INTO cases (kind, site_id, domain, category, codes,
		evidence_phrases, evidence_sha256, reporter, regulator_ordered, notes, state, deadline,
		deadline_from, deadline_days, deadline_provisional, extensions_used,
		block_level, escalation_state, escalation_owner, escalation_response, escalation_confirmed_by,
		created_at, updated_at, next_verify_at, verify_owner, version)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, '', '', '', ?, ?, ?, '', ?)
		RETURNING id`),
		c.Kind, c.SiteID, c.Domain, c.Category, jsonList[string](c.Codes),
		jsonList[string](c.EvidencePhrases), jsonList[string](c.EvidenceSHA256), c.Reporter, c.RegulatorOrdered, c.Notes,
		c.State, ts(c.Deadline), ts(c.DeadlineFrom), c.DeadlineDays, jsonList[int](c.Provisional), c.BlockLevel, c.Escalation,
		ts(c.CreatedAt), ts(c.UpdatedAt), ts(c.NextVerifyAt), c.Version).Scan(&id)
	if err != nil {
		return 0, err
	}
	for i, u := range c.URLs {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO case_urls (case_id, position, url) VALUES (?, ?, ?)`), id, i, u); err != nil {
			return 0, err
		}
	}
	return id, nil
}

// insertEvent appends t to case id's history.
func insertEvent(ctx context.Context, tx *sqlx.Tx, id int64, t cases.Transition) error {
	_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO case_events (case_id, at, actor, from_state, to_state, reason)
		VALUES (?, ?, ?, ?, ?, ?)`), id, ts(utcMicro(t.At)), t.Actor, t.From, t.To, t.Reason)
	return err
}

// Case returns the case with this id, or ErrNotFound.
func (s *Store) Case(ctx context.Context, id int64) (_ cases.Case, err error) {
	defer s.observe("case", time.Now(), &err)
	var cs []cases.Case
	err = s.inReadTx(ctx, func(tx *sqlx.Tx) (err error) {
		cs, err = loadCases(ctx, tx, "WHERE id = ?", id)
		return err
	})
	switch {
	case err != nil:
		return cases.Case{}, fmt.Errorf("case %d: %w", id, err)
	case len(cs) == 0:
		return cases.Case{}, fmt.Errorf("case %d: %w", id, ErrNotFound)
	}
	return cs[0], nil
}

// ListCases returns the cases f selects, newest first.
func (s *Store) ListCases(ctx context.Context, f CaseFilter) (_ []cases.Case, err error) {
	defer s.observe("list_cases", time.Now(), &err)
	var where []string
	var args []any
	add := func(cond string, arg ...any) { where, args = append(where, cond), append(args, arg...) }
	if f.Kind != "" {
		add("kind = ?", f.Kind)
	}
	if f.State != "" {
		add("state = ?", f.State)
	}
	if f.Active {
		add(stateIn(activeStates()))
	}
	if f.Provisional {
		add("deadline_provisional <> '[]'")
	}
	if f.SiteID != 0 {
		add("site_id = ?", f.SiteID)
	}
	if f.BeforeID != 0 {
		add("id < ?", f.BeforeID)
	}
	if f.Domain != "" {
		d, err := NormalizeDomain(f.Domain)
		if err != nil {
			return nil, fmt.Errorf("list cases: %w", err)
		}
		add("site_id = (SELECT site_id FROM domains WHERE ascii = ?)", d.ASCII)
	}
	q := ""
	if len(where) > 0 {
		q = "WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC"
	if f.Limit > 0 {
		q += " LIMIT ?"
		args = append(args, f.Limit)
	}
	var cs []cases.Case
	err = s.inReadTx(ctx, func(tx *sqlx.Tx) (err error) {
		cs, err = loadCases(ctx, tx, q, args...)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list cases: %w", err)
	}
	return cs, nil
}

// activeStates are the states cases.State.Active holds for.
func activeStates() []cases.State {
	return slices.DeleteFunc(cases.AllStates(), func(st cases.State) bool { return !st.Active() })
}

// stateIn is the condition "state is one of these", with the names
// inlined: they are our constants, and a fixed text lets the database
// match it to the partial indexes.
func stateIn(states []cases.State) string {
	names := make([]string, len(states))
	for i, st := range states {
		names[i] = "'" + string(st) + "'"
	}
	return "state IN (" + strings.Join(names, ", ") + ")"
}

// loadCases reads the cases the clause after FROM selects, with their
// URLs, in the clause's order.
func loadCases(ctx context.Context, tx *sqlx.Tx, clause string, args ...any) ([]cases.Case, error) {
	var rows []caseRow
	if err := tx.SelectContext(ctx, &rows, tx.Rebind("SELECT "+caseColumns+" FROM cases "+clause), args...); err != nil {
		return nil, err
	}
	out := make([]cases.Case, len(rows))
	at := make(map[int64]int, len(rows))
	ids := make([]int64, len(rows))
	for i := range rows {
		out[i], at[rows[i].ID], ids[i] = rows[i].caseValue(), i, rows[i].ID
	}
	var urls []struct {
		CaseID int64  `db:"case_id"`
		URL    string `db:"url"`
	}
	if err := selectIn(ctx, tx, `SELECT case_id, url FROM case_urls WHERE case_id IN (?) ORDER BY case_id, position`, ids, &urls); err != nil {
		return nil, fmt.Errorf("case URLs: %w", err)
	}
	for _, u := range urls {
		c := &out[at[u.CaseID]]
		c.URLs = append(c.URLs, u.URL)
	}
	return out, nil
}

// loadCasesByID reads the cases with these ids, in the order given.
func loadCasesByID(ctx context.Context, tx *sqlx.Tx, ids []int64) ([]cases.Case, error) {
	var all []cases.Case
	err := inChunks(ids, func(chunk []int64) error {
		q, args, err := sqlx.In("WHERE id IN (?)", chunk)
		if err != nil {
			return err
		}
		cs, err := loadCases(ctx, tx, q, args...)
		all = append(all, cs...)
		return err
	})
	if err != nil {
		return nil, err
	}
	order := make(map[int64]int, len(ids))
	for i, id := range ids {
		order[id] = i
	}
	slices.SortFunc(all, func(a, b cases.Case) int { return order[a.ID] - order[b.ID] })
	return all, nil
}

// CaseHistory returns every transition and event of case id, oldest first;
// ErrNotFound if there is no such case.
func (s *Store) CaseHistory(ctx context.Context, id int64) (_ []cases.Transition, err error) {
	defer s.observe("case_history", time.Now(), &err)
	var rows []struct {
		At     dbTime `db:"at"`
		Actor  string `db:"actor"`
		From   string `db:"from_state"`
		To     string `db:"to_state"`
		Reason string `db:"reason"`
	}
	err = sqlx.SelectContext(ctx, s.read, &rows, s.read.Rebind(`SELECT at, actor, from_state, to_state, reason
		FROM case_events WHERE case_id = ? ORDER BY id`), id)
	switch {
	case err != nil:
		return nil, fmt.Errorf("case %d history: %w", id, err)
	case len(rows) == 0: // every case has its creation event
		return nil, fmt.Errorf("case %d history: %w", id, ErrNotFound)
	}
	out := make([]cases.Transition, len(rows))
	for i, r := range rows {
		out[i] = cases.Transition{From: cases.State(r.From), To: cases.State(r.To), At: time.Time(r.At), Actor: r.Actor, Reason: r.Reason}
	}
	return out, nil
}

// TransitionCase makes the move u asks of case id and records it, in one
// transaction: the case is read (and locked, on PostgreSQL) there, u is
// checked against it by cases.Apply, and the change is written only if the
// case is still at the version read. Of concurrent movers exactly one
// wins; the others see the case as the winner left it, and most get a
// *cases.TransitionError wrapping cases.ErrIllegal (it has moved on). A
// zero u.At is the store's clock. It returns the case as changed.
func (s *Store) TransitionCase(ctx context.Context, id int64, u cases.Update) (_ cases.Case, err error) {
	defer s.observe("transition_case", time.Now(), &err)
	if u.At.IsZero() {
		u.At = s.now()
	}
	u.At = utcMicro(u.At)
	u.Deadline.At, u.Deadline.From = utcMicro(u.Deadline.At), utcMicro(u.Deadline.From)
	c, err := s.changeCase(ctx, id, func(c cases.Case) (cases.Case, cases.Transition, error) {
		return cases.Apply(c, u)
	})
	if err != nil {
		return cases.Case{}, fmt.Errorf("move case %d to %s: %w", id, u.To, err)
	}
	return c, nil
}

// RecordCaseEvent appends an event that moves nothing to case id's history
// (a notice sent again, a note), at the store's clock.
func (s *Store) RecordCaseEvent(ctx context.Context, id int64, actor, reason string) (err error) {
	defer s.observe("record_case_event", time.Now(), &err)
	if actor == "" || reason == "" {
		return fmt.Errorf("case %d event: want an actor and a reason", id)
	}
	_, err = s.changeCase(ctx, id, func(c cases.Case) (cases.Case, cases.Transition, error) {
		at := utcMicro(s.now())
		c.UpdatedAt = at
		return c, cases.Transition{From: c.State, To: c.State, At: at, Actor: actor, Reason: reason}, nil
	})
	if err != nil {
		return fmt.Errorf("case %d event: %w", id, err)
	}
	return nil
}

// errUnchanged ends a changeCase transaction that has nothing to write.
var errUnchanged = errors.New("registry: case unchanged")

// RecountDeadline counts case id's provisional deadline again on cal, in
// one transaction with the case read and locked there (cases.Recount
// decides), and records the change in the case's history. It returns the
// case and whether its deadline changed; a case whose deadline is not
// provisional is left as it is.
func (s *Store) RecountDeadline(ctx context.Context, id int64, cal cases.Calendar, actor string) (_ cases.Case, changed bool, err error) {
	defer s.observe("recount_deadline", time.Now(), &err)
	c, err := s.changeCase(ctx, id, func(c cases.Case) (cases.Case, cases.Transition, error) {
		n, t, changed, err := cases.Recount(c, cal, utcMicro(s.now()), actor)
		if err == nil && !changed {
			err = errUnchanged
		}
		return n, t, err
	})
	switch {
	case errors.Is(err, errUnchanged):
		return cases.Case{}, false, nil
	case err != nil:
		return cases.Case{}, false, fmt.Errorf("recount case %d deadline: %w", id, err)
	}
	return c, true, nil
}

// changeCase reads case id in a write transaction, lets change compute the
// new case and the event to record, and writes both if the case is still
// at the version read.
func (s *Store) changeCase(ctx context.Context, id int64, change func(cases.Case) (cases.Case, cases.Transition, error)) (cases.Case, error) {
	var out cases.Case
	err := s.inTx(ctx, func(tx *sqlx.Tx) error {
		cs, err := loadCases(ctx, tx, "WHERE id = ?"+s.forUpdate(), id)
		if err != nil {
			return err
		}
		if len(cs) == 0 {
			return ErrNotFound
		}
		n, t, err := change(cs[0])
		if err != nil {
			return err
		}
		if err := updateCase(ctx, tx, cs[0].Version, &n); err != nil {
			return err
		}
		out = n
		return insertEvent(ctx, tx, id, t)
	})
	return out, err
}

// forUpdate locks the rows a PostgreSQL SELECT reads until the
// transaction ends, so that concurrent movers of one case queue. SQLite's
// write transactions hold the database's one write lock from BEGIN.
func (s *Store) forUpdate() string {
	if s.d.name == postgresDialect.name {
		return " FOR UPDATE"
	}
	return ""
}

// updateCase writes c's mutable fields if the row is still at version,
// and advances c's version.
func updateCase(ctx context.Context, tx *sqlx.Tx, version int64, c *cases.Case) error {
	c.Deadline, c.DeadlineFrom = utcMicro(c.Deadline), utcMicro(c.DeadlineFrom)
	res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE cases SET state = ?, deadline = ?, deadline_from = ?,
		deadline_days = ?, deadline_provisional = ?, extensions_used = ?,
		block_level = ?, escalation_state = ?, escalation_response = ?, escalation_at = ?,
		escalation_confirmed_by = ?, escalation_confirmed_at = ?, updated_at = ?, notified_at = ?,
		fixed_at = ?, blocked_at = ?, closed_at = ?, next_verify_at = ?, version = version + 1
		WHERE id = ? AND version = ?`),
		c.State, ts(c.Deadline), ts(c.DeadlineFrom), c.DeadlineDays, jsonList[int](c.Provisional), c.ExtensionsUsed, c.BlockLevel, c.Escalation, c.EscalationResponse, ts(c.EscalationAt),
		c.EscalationConfirmedBy, ts(c.EscalationConfirmedAt), ts(c.UpdatedAt), ts(c.NotifiedAt),
		ts(c.FixedAt), ts(c.BlockedAt), ts(c.ClosedAt), ts(c.NextVerifyAt), c.ID, version)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return cmpErr(err, ErrCaseConflict)
	}
	c.Version = version + 1
	return nil
}

// cmpErr returns err if set, else fallback.
func cmpErr(err, fallback error) error {
	if err != nil {
		return err
	}
	return fallback
}

// noRows turns sql.ErrNoRows into nil, for cmpErr.
func noRows(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	return err
}

// scanIDs collects the ids a RETURNING id statement gives.
func scanIDs(rows *sql.Rows) ([]int64, error) {
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// SitesWithActiveCases returns which of the sites with these ids have an
// active case of kind k: the daemon asks once for a batch of checks, so
// that a passing site without a case costs no query of its own.
func (s *Store) SitesWithActiveCases(ctx context.Context, k cases.Kind, siteIDs []int64) (_ map[int64]bool, err error) {
	defer s.observe("sites_with_active_cases", time.Now(), &err)
	if !slices.Contains(cases.AllKinds(), k) {
		return nil, fmt.Errorf("sites with active cases: unknown kind %q", k) // inlined below: only ours
	}
	var ids []int64
	err = s.inReadTx(ctx, func(tx *sqlx.Tx) error {
		return selectIn(ctx, tx, `SELECT DISTINCT site_id FROM cases WHERE kind = '`+string(k)+`' AND `+stateIn(activeStates())+
			` AND site_id IN (?)`, siteIDs, &ids)
	})
	if err != nil {
		return nil, fmt.Errorf("sites with active %s cases: %w", k, err)
	}
	out := make(map[int64]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	return out, nil
}
