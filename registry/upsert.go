package registry

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// ImportStats counts what UpsertSites did with each site it was given.
type ImportStats struct{ Inserted, Updated, Unchanged int }

// ConflictError is returned by UpsertSites when a site cannot be matched
// unambiguously: nothing was written. Dropping the site at Index and
// calling again imports the rest.
type ConflictError struct {
	Index  int    // the site's position in the slice given to UpsertSites
	Domain string // the domain in conflict (ASCII), or the site's primary one
	Err    error  // what conflicts, naming site ids and domains only
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("site %d (%s): %v", e.Index, e.Domain, e.Err)
}

func (e *ConflictError) Unwrap() error { return e.Err }

// UpsertSites writes the sites in one transaction: all or nothing.
//
// A site matches a registered one by any of its domains (in either form,
// any case) or by its ICP number, when that is a site number (one with a
// service suffix, 京ICP备12345678号-1): an entity number without suffix is
// shared by all of an operator's sites and identifies none of them. A
// matched site is updated (domains, IPs, operator, contact and fields
// replaced; id, creation time, state and history kept), or left alone when
// nothing differs; an unmatched one is inserted, due for checking at once.
//
// Every site given is stored as active: importing a retired site brings it
// back. Input ids and times are ignored.
//
// It returns a *ConflictError (wrapped) when a domain is listed twice in
// the batch (by one site or two), two sites carry the same ICP site
// number, a site matches two registered sites, or two sites match the same
// registered one.
func (s *Store) UpsertSites(ctx context.Context, sites []Site) (stats ImportStats, err error) {
	defer s.observe("upsert_sites", time.Now(), &err)
	if len(sites) == 0 {
		return ImportStats{}, nil
	}
	want, err := normalizeSites(sites)
	if err != nil {
		return ImportStats{}, fmt.Errorf("upsert sites: %w", err)
	}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		u := &upsert{s: s, tx: tx, want: want, now: utcMicro(s.now())}
		if err := u.match(ctx); err != nil {
			return err
		}
		if err := u.compare(ctx); err != nil {
			return err
		}
		stats = u.stats
		return u.write(ctx)
	})
	if err != nil {
		return ImportStats{}, fmt.Errorf("upsert sites: %w", err)
	}
	s.m.sites.WithLabelValues("inserted").Add(float64(stats.Inserted))
	s.m.sites.WithLabelValues("updated").Add(float64(stats.Updated))
	s.m.sites.WithLabelValues("unchanged").Add(float64(stats.Unchanged))
	if s.d.analyze && stats.Inserted+stats.Updated >= analyzeAfter {
		s.analyzeSites(ctx, stats.Inserted+stats.Updated)
	}
	return stats, nil
}

// analyzeAfter is how many sites one UpsertSites must write to ANALYZE
// the tables it wrote on PostgreSQL, when they are also a tenth of the
// sites the planner believes there are. Autovacuum analyses a table once
// a tenth of it changed, but only at its next round, so until then the
// planner plans a bulk-loaded registry from the row counts of an empty
// one and the console's verdict and code filters scan whole tables; this
// does autovacuum's work at once. ANALYZE reads a sample of fixed size,
// about half a second at 100,000 sites (docs/registry.md): worth it after
// a bulk load, not after the one site an API create writes, nor after a
// thousand added to a million.
const analyzeAfter = 1000

// analyzeSites refreshes the statistics of the tables UpsertSites writes,
// which it has just written n sites to. The sites are committed already:
// a failure is logged, and autovacuum will catch up.
func (s *Store) analyzeSites(ctx context.Context, n int) {
	var believed float64 // -1 before the first ANALYZE (PostgreSQL 14+)
	err := s.db.QueryRowContext(ctx, "SELECT reltuples FROM pg_class WHERE oid = 'sites'::regclass").Scan(&believed)
	if err == nil && believed > 0 && float64(n) < believed/10 {
		return
	}
	start := time.Now()
	if _, err := s.db.ExecContext(ctx, "ANALYZE sites, domains, site_ips, site_state"); err != nil {
		s.logger.Warn("analyze after import failed; autovacuum will catch up", "err", err)
		return
	}
	s.logger.Debug("analyzed after import", "duration", time.Since(start))
}

// normalizeSites copies the sites in the form they are stored and compared
// in, and rejects domains and ICP site numbers listed twice.
func normalizeSites(sites []Site) ([]*Site, error) {
	want := make([]*Site, len(sites))
	domainAt := make(map[string]int) // ASCII domain → index
	icpAt := make(map[string]int)    // ICP site number → index
	for i := range sites {
		w := sites[i] // a copy: the caller's slices are not touched
		w.ID, w.Active, w.CreatedAt, w.UpdatedAt = 0, true, time.Time{}, time.Time{}
		w.Languages, w.Tags, w.IPs = nilIfEmpty(w.Languages), nilIfEmpty(w.Tags), nilIfEmpty(w.IPs)
		if len(w.Domains) == 0 {
			return nil, fmt.Errorf("site %d: no domain", i)
		}
		w.Domains = make([]Domain, len(sites[i].Domains))
		for k, d := range sites[i].Domains {
			src := d.Unicode
			if src == "" {
				src = d.ASCII
			}
			nd, err := NormalizeDomain(src)
			if err != nil {
				return nil, fmt.Errorf("site %d: %w", i, err)
			}
			if j, dup := domainAt[nd.ASCII]; dup {
				return nil, &ConflictError{i, nd.ASCII, fmt.Errorf("domain also listed by site %d of this batch", j)}
			}
			domainAt[nd.ASCII] = i
			w.Domains[k] = nd
		}
		if key := icpSiteNumber(w.ICPNumber); key != "" {
			if j, dup := icpAt[key]; dup {
				return nil, &ConflictError{i, w.Domains[0].ASCII, fmt.Errorf("ICP number %s also listed by site %d of this batch", key, j)}
			}
			icpAt[key] = i
		}
		want[i] = &w
	}
	return want, nil
}

// icpSiteNumber returns the canonical ICP number if it names one site (it
// carries a service suffix after 号), else "".
func icpSiteNumber(n string) string {
	if strings.Contains(n, "号-") {
		return n
	}
	return ""
}

func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

// upsert is one UpsertSites transaction at work.
type upsert struct {
	s    *Store
	tx   *sqlx.Tx
	now  time.Time
	want []*Site
	// target[i] is the registered site want[i] updates, 0 for a new one.
	target []int64
	// old holds the registered sites matched, and their states.
	old      map[int64]*Site
	oldState map[int64]*State
	// toWrite lists the indexes of the sites to insert or update.
	toWrite []int
	stats   ImportStats
}

// match finds each site's registered counterpart, if any.
func (u *upsert) match(ctx context.Context) error {
	byDomain, err := u.domainOwners(ctx)
	if err != nil {
		return err
	}
	byICP, err := u.icpOwners(ctx)
	if err != nil {
		return err
	}
	u.target = make([]int64, len(u.want))
	claimed := make(map[int64]int) // registered id → index of the site updating it
	for i, w := range u.want {
		id, err := matchOne(w, byDomain, byICP)
		if err != nil {
			return &ConflictError{i, conflictDomain(err, w), err}
		}
		if j, ok := claimed[id]; ok && id != 0 {
			return &ConflictError{i, w.Domains[0].ASCII, fmt.Errorf("matches registered site %d, as site %d of this batch does", id, j)}
		}
		claimed[id] = i
		u.target[i] = id
	}
	return nil
}

// domainConflict is a site whose domains match two registered sites.
type domainConflict struct {
	domain string
	a, b   int64
}

func (e *domainConflict) Error() string {
	return fmt.Sprintf("domains match two registered sites, %d and %d (by %s)", e.a, e.b, e.domain)
}

func conflictDomain(err error, w *Site) string {
	if dc, ok := errors.AsType[*domainConflict](err); ok {
		return dc.domain
	}
	return w.Domains[0].ASCII
}

// matchOne returns the id of the registered site w matches, or 0.
func matchOne(w *Site, byDomain map[string]int64, byICP map[string][]int64) (int64, error) {
	var id int64
	for _, d := range w.Domains {
		sid, ok := byDomain[d.ASCII]
		if ok && id != 0 && sid != id {
			return 0, &domainConflict{d.ASCII, id, sid}
		}
		if ok {
			id = sid
		}
	}
	key := icpSiteNumber(w.ICPNumber)
	ids := byICP[key]
	switch {
	case key == "" || len(ids) == 0:
		return id, nil
	case len(ids) > 1:
		return 0, fmt.Errorf("ICP number %s is held by registered sites %d and %d", key, ids[0], ids[1])
	case id != 0 && ids[0] != id:
		return 0, fmt.Errorf("domains match registered site %d but ICP number %s site %d", id, key, ids[0])
	}
	return ids[0], nil
}

// domainOwners maps the batch's registered domains to their sites.
func (u *upsert) domainOwners(ctx context.Context) (map[string]int64, error) {
	var all []string
	for _, w := range u.want {
		for _, d := range w.Domains {
			all = append(all, d.ASCII)
		}
	}
	var rows []struct {
		ASCII  string `db:"ascii"`
		SiteID int64  `db:"site_id"`
	}
	if err := selectIn(ctx, u.tx, "SELECT ascii, site_id FROM domains WHERE ascii IN (?)", all, &rows); err != nil {
		return nil, fmt.Errorf("match domains: %w", err)
	}
	m := make(map[string]int64, len(rows))
	for _, r := range rows {
		m[r.ASCII] = r.SiteID
	}
	return m, nil
}

// icpOwners maps the batch's registered ICP site numbers to their sites.
func (u *upsert) icpOwners(ctx context.Context) (map[string][]int64, error) {
	var all []string
	for _, w := range u.want {
		if key := icpSiteNumber(w.ICPNumber); key != "" {
			all = append(all, key)
		}
	}
	var rows []struct {
		ID  int64  `db:"id"`
		ICP string `db:"icp_number"`
	}
	if err := selectIn(ctx, u.tx, "SELECT id, icp_number FROM sites WHERE icp_number IN (?) ORDER BY id", all, &rows); err != nil {
		return nil, fmt.Errorf("match ICP numbers: %w", err)
	}
	m := make(map[string][]int64, len(rows))
	for _, r := range rows {
		m[r.ICP] = append(m[r.ICP], r.ID)
	}
	return m, nil
}

// compare loads the matched sites and sorts the batch into inserts,
// updates and unchanged sites.
func (u *upsert) compare(ctx context.Context) error {
	var ids []int64
	for _, id := range u.target {
		if id != 0 {
			ids = append(ids, id)
		}
	}
	sites, states, err := u.s.loadSitesByID(ctx, u.tx, ids)
	if err != nil {
		return fmt.Errorf("load matched sites: %w", err)
	}
	u.old = make(map[int64]*Site, len(sites))
	u.oldState = make(map[int64]*State, len(sites))
	for i, s := range sites {
		u.old[s.ID], u.oldState[s.ID] = s, states[i]
	}
	for i, w := range u.want {
		old := u.old[u.target[i]]
		switch {
		case old == nil:
			u.stats.Inserted++
		case sameSite(w, old):
			u.stats.Unchanged++
			continue
		default:
			u.stats.Updated++
			w.ID, w.CreatedAt = old.ID, old.CreatedAt
		}
		u.toWrite = append(u.toWrite, i)
	}
	return nil
}

// sameSite reports whether storing w would change nothing of old.
func sameSite(w, old *Site) bool {
	a, b := *w, *old
	a.ID, a.CreatedAt, a.UpdatedAt = b.ID, b.CreatedAt, b.UpdatedAt
	return reflect.DeepEqual(a, b)
}
