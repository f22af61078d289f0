package registry

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"

	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/keyring"
)

// SiteFilter selects the sites ListSites visits. The zero value selects
// every active site.
type SiteFilter struct {
	IncludeRetired bool
	// Verdict keeps sites whose current verdict is this one ("" for any;
	// VerdictUnchecked for sites never checked).
	Verdict checker.Verdict
	// Tag keeps sites carrying this tag ("" for any).
	Tag string
	// ContactPhone and ContactEmail keep sites whose contact has this
	// phone or email ("" for any). They are matched by keyed hash
	// (NormalizePhone, NormalizeEmail), never by decrypting the rows.
	ContactPhone string
	ContactEmail string
	// FindingCode keeps sites whose current findings include this code
	// ("" for any).
	FindingCode string
	// Deadline keeps sites with a deadline (PSB filing or badge) in this
	// standing ("" for any), as of the store's clock; DueWithinDays is the
	// window of DeadlineDueSoon.
	Deadline      DeadlineFilter
	DueWithinDays int
	// CustomerID keeps the customer's sites ("" for any).
	CustomerID string
	// Prefix keeps sites with a domain (ASCII form, any case), ICP number
	// or PSB number starting with it ("" for any).
	Prefix string
	// Limit stops after this many sites (0 for all).
	Limit int
}

// DeadlineFilter is a deadline standing SiteFilter selects by.
type DeadlineFilter string

// The deadline standings.
const (
	// DeadlineOverdue: a deadline passed unmet (overdue when last
	// checked, or pending then and due before today since).
	DeadlineOverdue DeadlineFilter = "overdue"
	// DeadlineDueSoon: a pending deadline due from today to
	// SiteFilter.DueWithinDays days on.
	DeadlineDueSoon DeadlineFilter = "due_soon"
)

// listPage is how many sites ListSites reads at a time.
const listPage = 1000

// siteSelect reads a site, its operator, contact and state; siteRow scans
// it. The WHERE clause follows.
const siteSelect = siteColumns + siteFrom

// siteColumns are the columns siteRow scans, of the tables s, o, c and st.
const siteColumns = `SELECT s.id, s.name, s.icp_number, s.icp_approved_on, s.launched_on,
	s.psb_number, s.psb_filed_on, s.psb_approved_on, s.customer_id, s.access_provider,
	s.registrar, s.interactive, s.languages, s.tags, s.check_url, s.active,
	s.created_at, s.updated_at,
	o.type AS operator_type, o.name AS operator_name, o.org_code AS operator_org_code,
	c.name AS contact_name, c.phone AS contact_phone, c.email AS contact_email,
	o.key_id AS operator_key_id, c.key_id AS contact_key_id,
	st.verdict, st.findings, st.first_live_at, st.badge_first_seen_at,
	st.badge_last_missing_at, st.badge_shown, st.last_check_at, st.next_check_at,
	st.consecutive_failures, st.lease_owner, st.lease_expires_at,
	st.psb_filing_status, st.psb_filing_due, st.psb_filing_days_left,
	st.badge_status, st.badge_due, st.badge_days_left,
	st.failing_since, st.fail_streak, st.last_pass_at
`

const siteFrom = `FROM sites s
JOIN site_state st ON st.site_id = s.id
LEFT JOIN operators o ON o.id = s.operator_id
LEFT JOIN contacts c ON c.id = s.contact_id
`

type siteRow struct {
	ID             int64            `db:"id"`
	Name           string           `db:"name"`
	ICPNumber      string           `db:"icp_number"`
	ICPApprovedOn  dbDate           `db:"icp_approved_on"`
	LaunchedOn     dbDate           `db:"launched_on"`
	PSBNumber      string           `db:"psb_number"`
	PSBFiledOn     dbDate           `db:"psb_filed_on"`
	PSBApprovedOn  dbDate           `db:"psb_approved_on"`
	CustomerID     string           `db:"customer_id"`
	AccessProvider string           `db:"access_provider"`
	Registrar      string           `db:"registrar"`
	Interactive    bool             `db:"interactive"`
	Languages      jsonList[string] `db:"languages"`
	Tags           jsonList[string] `db:"tags"`
	CheckURL       string           `db:"check_url"`
	Active         bool             `db:"active"`
	CreatedAt      dbTime           `db:"created_at"`
	UpdatedAt      dbTime           `db:"updated_at"`

	OperatorType    sql.NullString `db:"operator_type"`
	OperatorName    sql.NullString `db:"operator_name"`
	OperatorOrgCode sql.NullString `db:"operator_org_code"`
	ContactName     sql.NullString `db:"contact_name"`
	ContactPhone    sql.NullString `db:"contact_phone"`
	ContactEmail    sql.NullString `db:"contact_email"`
	OperatorKeyID   sql.NullString `db:"operator_key_id"`
	ContactKeyID    sql.NullString `db:"contact_key_id"`

	Verdict             string                    `db:"verdict"`
	Findings            jsonList[checker.Finding] `db:"findings"`
	FirstLiveAt         dbTime                    `db:"first_live_at"`
	BadgeFirstSeenAt    dbTime                    `db:"badge_first_seen_at"`
	BadgeLastMissingAt  dbTime                    `db:"badge_last_missing_at"`
	BadgeShown          bool                      `db:"badge_shown"`
	LastCheckAt         dbTime                    `db:"last_check_at"`
	NextCheckAt         dbTime                    `db:"next_check_at"`
	ConsecutiveFailures int                       `db:"consecutive_failures"`
	LeaseOwner          string                    `db:"lease_owner"`
	LeaseExpiresAt      dbTime                    `db:"lease_expires_at"`
	PSBFilingStatus     string                    `db:"psb_filing_status"`
	PSBFilingDue        dbDate                    `db:"psb_filing_due"`
	PSBFilingDaysLeft   sql.NullInt64             `db:"psb_filing_days_left"`
	BadgeStatus         string                    `db:"badge_status"`
	BadgeDue            dbDate                    `db:"badge_due"`
	BadgeDaysLeft       sql.NullInt64             `db:"badge_days_left"`
	FailingSince        dbTime                    `db:"failing_since"`
	FailStreak          int                       `db:"fail_streak"`
	LastPassAt          dbTime                    `db:"last_pass_at"`
}

func (r *siteRow) site() *Site {
	return &Site{
		ID:             r.ID,
		Name:           r.Name,
		ICPNumber:      r.ICPNumber,
		ICPApprovedOn:  checker.Date(r.ICPApprovedOn),
		LaunchedOn:     checker.Date(r.LaunchedOn),
		PSBNumber:      r.PSBNumber,
		PSBFiledOn:     checker.Date(r.PSBFiledOn),
		PSBApprovedOn:  checker.Date(r.PSBApprovedOn),
		CustomerID:     r.CustomerID,
		AccessProvider: r.AccessProvider,
		Registrar:      r.Registrar,
		Interactive:    r.Interactive,
		Languages:      r.Languages,
		Tags:           r.Tags,
		CheckURL:       r.CheckURL,
		Active:         r.Active,
		Operator: Operator{
			Type:    OperatorType(r.OperatorType.String),
			Name:    r.OperatorName.String,
			OrgCode: r.OperatorOrgCode.String,
		},
		Contact: Contact{
			Name:  r.ContactName.String,
			Phone: r.ContactPhone.String,
			Email: r.ContactEmail.String,
		},
		CreatedAt: time.Time(r.CreatedAt),
		UpdatedAt: time.Time(r.UpdatedAt),
	}
}

func (r *siteRow) state() *State {
	return &State{
		SiteID:              r.ID,
		Verdict:             checker.Verdict(r.Verdict),
		Findings:            r.Findings,
		FirstLiveAt:         time.Time(r.FirstLiveAt),
		BadgeFirstSeenAt:    time.Time(r.BadgeFirstSeenAt),
		BadgeLastMissingAt:  time.Time(r.BadgeLastMissingAt),
		BadgeShown:          r.BadgeShown,
		LastCheckAt:         time.Time(r.LastCheckAt),
		NextCheckAt:         time.Time(r.NextCheckAt),
		ConsecutiveFailures: r.ConsecutiveFailures,
		FailingSince:        time.Time(r.FailingSince),
		FailStreak:          r.FailStreak,
		LastPassAt:          time.Time(r.LastPassAt),
		LeaseOwner:          r.LeaseOwner,
		LeaseExpiresAt:      time.Time(r.LeaseExpiresAt),
		Deadlines: checker.Deadlines{
			PSBFiling: deadline(r.PSBFilingStatus, r.PSBFilingDue, r.PSBFilingDaysLeft),
			Badge:     deadline(r.BadgeStatus, r.BadgeDue, r.BadgeDaysLeft),
		},
	}
}

func deadline(status string, due dbDate, left sql.NullInt64) checker.Deadline {
	d := checker.Deadline{Status: checker.DeadlineStatus(status), Due: checker.Date(due)}
	if left.Valid {
		n := int(left.Int64)
		d.DaysLeft = &n
	}
	return d
}

// loadSites reads the sites that where (a WHERE clause with its args)
// selects, with their domains and IPs, in the clause's order.
func (s *Store) loadSites(ctx context.Context, tx *sqlx.Tx, where string, args ...any) ([]*Site, []*State, error) {
	return s.loadSiteRows(ctx, tx, siteSelect+where, args...)
}

// loadSiteRows reads the sites that query (siteColumns with its FROM and
// WHERE clauses) selects, with their domains and IPs, in its order.
func (s *Store) loadSiteRows(ctx context.Context, tx *sqlx.Tx, query string, args ...any) ([]*Site, []*State, error) {
	var rows []siteRow
	if err := tx.SelectContext(ctx, &rows, tx.Rebind(query), args...); err != nil {
		return nil, nil, err
	}
	sites := make([]*Site, len(rows))
	states := make([]*State, len(rows))
	byID := make(map[int64]*Site, len(rows))
	ids := make([]int64, len(rows))
	for i := range rows {
		sites[i], states[i] = rows[i].site(), rows[i].state()
		if err := s.openPersonal(sites[i], &rows[i]); err != nil {
			return nil, nil, err
		}
		byID[rows[i].ID] = sites[i]
		ids[i] = rows[i].ID
	}
	if err := loadDomains(ctx, tx, ids, byID); err != nil {
		return nil, nil, err
	}
	if err := loadIPs(ctx, tx, ids, byID); err != nil {
		return nil, nil, err
	}
	return sites, states, nil
}

// loadSitesByID reads the sites with these ids, in id order.
func (s *Store) loadSitesByID(ctx context.Context, tx *sqlx.Tx, ids []int64) ([]*Site, []*State, error) {
	if s.d.sitesByID != "" {
		if len(ids) == 0 {
			return nil, nil, nil
		}
		// Each site once, as IN would have it.
		ids = slices.Compact(slices.Sorted(slices.Values(ids)))
		return s.loadSiteRows(ctx, tx, siteColumns+s.d.sitesByID+"ORDER BY s.id", pq.Array(ids))
	}
	var sites []*Site
	var states []*State
	err := inChunks(ids, func(chunk []int64) error {
		q, args, err := sqlx.In("WHERE s.id IN (?) ORDER BY s.id", chunk)
		if err != nil {
			return err
		}
		ss, sts, err := s.loadSites(ctx, tx, q, args...)
		sites, states = append(sites, ss...), append(states, sts...)
		return err
	})
	return sites, states, err
}

func loadDomains(ctx context.Context, tx *sqlx.Tx, ids []int64, byID map[int64]*Site) error {
	var rows []struct {
		SiteID  int64  `db:"site_id"`
		Unicode string `db:"unicode"`
		ASCII   string `db:"ascii"`
	}
	err := selectIn(ctx, tx, `SELECT site_id, unicode, ascii FROM domains WHERE site_id IN (?) ORDER BY site_id, position`, ids, &rows)
	if err != nil {
		return fmt.Errorf("domains: %w", err)
	}
	for _, r := range rows {
		s := byID[r.SiteID]
		s.Domains = append(s.Domains, Domain{Unicode: r.Unicode, ASCII: r.ASCII})
	}
	return nil
}

func loadIPs(ctx context.Context, tx *sqlx.Tx, ids []int64, byID map[int64]*Site) error {
	var rows []struct {
		SiteID int64  `db:"site_id"`
		Addr   string `db:"addr"`
	}
	err := selectIn(ctx, tx, `SELECT site_id, addr FROM site_ips WHERE site_id IN (?) ORDER BY site_id, position`, ids, &rows)
	if err != nil {
		return fmt.Errorf("IPs: %w", err)
	}
	for _, r := range rows {
		a, err := netip.ParseAddr(r.Addr)
		if err != nil {
			return fmt.Errorf("site %d: IP: %w", r.SiteID, err)
		}
		s := byID[r.SiteID]
		s.IPs = append(s.IPs, a)
	}
	return nil
}

// SiteByDomain returns the site (active or retired) that lists the domain,
// given in Unicode or ASCII form in any case, and its state. "www." is
// not stripped: www.example.cn is a domain of its own. It returns
// ErrNotFound when no site lists the domain.
func (s *Store) SiteByDomain(ctx context.Context, domain string) (_ *Site, _ *State, err error) {
	defer s.observe("site_by_domain", time.Now(), &err)
	d, err := NormalizeDomain(domain)
	if err != nil {
		return nil, nil, fmt.Errorf("site by domain: %w", err)
	}
	var sites []*Site
	var states []*State
	err = s.inReadTx(ctx, func(tx *sqlx.Tx) (err error) {
		sites, states, err = s.loadSites(ctx, tx, "WHERE s.id = (SELECT site_id FROM domains WHERE ascii = ?)", d.ASCII)
		return err
	})
	switch {
	case err != nil:
		return nil, nil, fmt.Errorf("site by domain %s: %w", d.ASCII, err)
	case len(sites) == 0:
		return nil, nil, fmt.Errorf("site by domain %s: %w", d.ASCII, ErrNotFound)
	}
	return sites[0], states[0], nil
}

// SiteByID returns the site with this id (active or retired) and its
// state, or ErrNotFound.
func (s *Store) SiteByID(ctx context.Context, id int64) (_ *Site, _ *State, err error) {
	defer s.observe("site_by_id", time.Now(), &err)
	var sites []*Site
	var states []*State
	err = s.inReadTx(ctx, func(tx *sqlx.Tx) (err error) {
		sites, states, err = s.loadSitesByID(ctx, tx, []int64{id})
		return err
	})
	switch {
	case err != nil:
		return nil, nil, fmt.Errorf("site %d: %w", id, err)
	case len(sites) == 0:
		return nil, nil, fmt.Errorf("site %d: %w", id, ErrNotFound)
	}
	return sites[0], states[0], nil
}

// ListSites calls fn for each site the filter selects, in id order, with
// its state. It reads a thousand sites at a time, and calls fn between
// reads, so fn may use the store. An error from fn stops the listing and
// is returned as is.
func (s *Store) ListSites(ctx context.Context, f SiteFilter, fn func(*Site, *State) error) (err error) {
	defer s.observe("list_sites", time.Now(), &err)
	if (f.ContactPhone != "" || f.ContactEmail != "") && s.keys == nil {
		return fmt.Errorf("list sites: %w", ErrNoKey)
	}
	var after int64
	for left := f.Limit; f.Limit == 0 || left > 0; {
		n := s.pageSize
		if f.Limit > 0 {
			n = min(n, left)
		}
		where, args := f.where(s.d, after, n, s.keys, s.today())
		var sites []*Site
		var states []*State
		err := s.inReadTx(ctx, func(tx *sqlx.Tx) (err error) {
			sites, states, err = s.loadSites(ctx, tx, where, args...)
			return err
		})
		if err != nil {
			return fmt.Errorf("list sites: %w", err)
		}
		for i := range sites {
			if err := fn(sites[i], states[i]); err != nil {
				return err
			}
		}
		if len(sites) < n {
			return nil
		}
		after, left = sites[len(sites)-1].ID, left-len(sites)
	}
	return nil
}

// where is the filter's WHERE clause for the n sites after id after.
func (f SiteFilter) where(d dialect, after int64, n int, keys *keyring.Keyring, today checker.Date) (string, []any) {
	// The same bound on both sides of the join: PostgreSQL does not carry
	// an inequality across it, and merged site_state from its start.
	conds := []string{"s.id > ?", "st.site_id > ?"}
	args := []any{after, after}
	if !f.IncludeRetired {
		conds, args = append(conds, "s.active = ?"), append(args, true)
	}
	if f.Verdict != "" {
		conds, args = append(conds, "st.verdict = ?"), append(args, string(f.Verdict))
	}
	if f.Tag != "" {
		conds, args = append(conds, d.hasTag), append(args, f.Tag)
	}
	if f.FindingCode != "" {
		conds, args = append(conds, d.hasFinding), append(args, d.findingArg(f.FindingCode))
	}
	if f.CustomerID != "" {
		conds, args = append(conds, "s.customer_id = ?"), append(args, f.CustomerID)
	}
	switch f.Deadline {
	case DeadlineOverdue:
		conds = append(conds, `((st.psb_filing_status = 'overdue' OR (st.psb_filing_status = 'pending' AND st.psb_filing_due < ?))
			OR (st.badge_status = 'overdue' OR (st.badge_status = 'pending' AND st.badge_due < ?)))`)
		args = append(args, dbDate(today), dbDate(today))
	case DeadlineDueSoon:
		last := dbDate(today.AddDays(f.DueWithinDays))
		conds = append(conds, `((st.psb_filing_status = 'pending' AND st.psb_filing_due >= ? AND st.psb_filing_due <= ?)
			OR (st.badge_status = 'pending' AND st.badge_due >= ? AND st.badge_due <= ?))`)
		args = append(args, dbDate(today), last, dbDate(today), last)
	}
	if f.Prefix != "" {
		dom, dargs := d.prefix("ascii", strings.ToLower(f.Prefix))
		icp, iargs := d.prefix("icp_number", f.Prefix)
		psb, pargs := d.prefix("psb_number", f.Prefix)
		// A union, not OR: each branch is a range of an index of its own,
		// where OR made PostgreSQL walk every site testing each.
		conds = append(conds, "s.id IN (SELECT site_id FROM domains WHERE "+dom+
			" UNION ALL SELECT id FROM sites WHERE "+icp+" UNION ALL SELECT id FROM sites WHERE "+psb+")")
		args = append(append(append(args, dargs...), iargs...), pargs...)
	}
	for _, by := range []struct{ col, purpose, value string }{
		{"phone_hash", hashPhone, NormalizePhone(f.ContactPhone)},
		{"email_hash", hashEmail, NormalizeEmail(f.ContactEmail)},
	} {
		if by.value == "" {
			continue
		}
		// Under every key, so that search works while 'keys rotate' runs.
		hs := keys.Hashes(by.purpose, by.value)
		conds = append(conds, "s.contact_id IN (SELECT id FROM contacts WHERE "+by.col+
			" IN (?"+strings.Repeat(", ?", len(hs)-1)+"))")
		for _, h := range hs {
			args = append(args, h)
		}
	}
	// Ordered by the state's id, the same as the site's: SQLite reads an
	// index on site_state (verdict, say) in that order, where ORDER BY
	// s.id sorted every match first.
	return "WHERE " + strings.Join(conds, " AND ") + " ORDER BY st.site_id LIMIT ?", append(args, n)
}

// SitesPage returns up to n sites the filter selects (Limit aside) with
// ids above after, in id order, and their states; next is the id to pass
// as after for the following page, 0 when there is none. It is the API's
// and the console's paged site list: each page is one indexed range.
func (s *Store) SitesPage(ctx context.Context, f SiteFilter, after int64, n int) (_ []*Site, _ []*State, next int64, err error) {
	defer s.observe("sites_page", time.Now(), &err)
	switch {
	case n < 1:
		return nil, nil, 0, fmt.Errorf("sites page: page size %d: want at least 1", n)
	case (f.ContactPhone != "" || f.ContactEmail != "") && s.keys == nil:
		return nil, nil, 0, fmt.Errorf("sites page: %w", ErrNoKey)
	case f.Deadline != "" && f.Deadline != DeadlineOverdue && f.Deadline != DeadlineDueSoon:
		return nil, nil, 0, fmt.Errorf("sites page: deadline %q: want overdue or due_soon", f.Deadline)
	case f.DueWithinDays < 0:
		return nil, nil, 0, fmt.Errorf("sites page: due within %d days: want 0 or more", f.DueWithinDays)
	}
	// One more than asked says whether another page follows.
	where, args := f.where(s.d, after, n+1, s.keys, s.today())
	var sites []*Site
	var states []*State
	err = s.inReadTx(ctx, func(tx *sqlx.Tx) (err error) {
		sites, states, err = s.loadSites(ctx, tx, where, args...)
		return err
	})
	if err != nil {
		return nil, nil, 0, fmt.Errorf("sites page: %w", err)
	}
	if len(sites) > n {
		sites, states = sites[:n], states[:n]
		next = sites[n-1].ID
	}
	return sites, states, next, nil
}

// siteID returns the id of the site listing the ASCII domain.
func siteID(ctx context.Context, tx *sqlx.Tx, ascii string) (int64, error) {
	var id int64
	err := tx.GetContext(ctx, &id, tx.Rebind("SELECT site_id FROM domains WHERE ascii = ?"), ascii)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	return id, err
}

// today is the store's date in Beijing, for deadline filters.
func (s *Store) today() checker.Date { return checker.DateOf(s.now()) }
