package registry

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jmoiron/sqlx"

	"github.com/beianwatch/beianwatch/checker"
)

// ErrLeaseLost is returned by Complete when the caller no longer holds the
// site's lease: it expired and another replica took the site, or the site
// was retired. Nothing was written; the other replica's check counts.
var ErrLeaseLost = errors.New("registry: lease lost")

// Lease is a due site handed to one owner (a crawler replica) until
// Complete or Release ends the lease or it expires.
type Lease struct {
	Site *Site
	// State is the site's state with the new lease in it.
	State *State
}

// leaseSQL picks the n oldest due active sites whose lease is free or
// expired and leases them, in one statement. The CTE runs once, in the
// order of the site_state_due index, so it reads about n index entries
// however many sites are due; %[1]s is the dialect's skipLocked and
// %[2]s its leaseChosen.
const leaseSQL = `WITH due AS (
	SELECT site_id FROM site_state
	WHERE active AND next_check_at <= ? AND (lease_expires_at IS NULL OR lease_expires_at <= ?)
	ORDER BY next_check_at, site_id
	LIMIT ?
	%[1]s
)
UPDATE site_state SET lease_owner = ?, lease_expires_at = ?
WHERE %[2]s
RETURNING site_id, next_check_at`

// Lease hands owner up to n active sites that are due (next check at or
// before the store's clock) and not leased, or whose lease has expired,
// oldest due first. Each stays owner's for ttl: no other owner gets it
// until then, unless Complete or Release ends the lease sooner. On
// PostgreSQL any number of replicas may lease from one table at once;
// none waits for another, and no site goes to two of them.
func (s *Store) Lease(ctx context.Context, owner string, n int, ttl time.Duration) (_ []Lease, err error) {
	defer s.observe("lease", time.Now(), &err)
	if owner == "" || n <= 0 || ttl <= 0 {
		return nil, fmt.Errorf("lease: want an owner, n > 0 and ttl > 0, have %q, %d, %v", owner, n, ttl)
	}
	now := utcMicro(s.now())
	var leases []Lease
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		var due []leasedRow
		q := tx.Rebind(fmt.Sprintf(leaseSQL, s.d.skipLocked, s.d.leaseChosen))
		if err := tx.SelectContext(ctx, &due, q, ts(now), ts(now), n, owner, ts(now.Add(ttl))); err != nil {
			return err
		}
		// RETURNING comes in no particular order.
		slices.SortFunc(due, func(a, b leasedRow) int {
			return cmp.Or(time.Time(a.Next).Compare(time.Time(b.Next)), cmp.Compare(a.SiteID, b.SiteID))
		})
		ids := make([]int64, len(due))
		for i, d := range due {
			ids[i] = d.SiteID
		}
		var err error
		leases, err = s.loadLeases(ctx, tx, ids)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("lease %d sites for %s: %w", n, owner, err)
	}
	return leases, nil
}

// leasedRow is a row leaseSQL returns.
type leasedRow struct {
	SiteID int64  `db:"site_id"`
	Next   dbTime `db:"next_check_at"`
}

// loadLeases reads the sites with these ids, in the order given.
func (s *Store) loadLeases(ctx context.Context, tx *sqlx.Tx, ids []int64) ([]Lease, error) {
	sites, states, err := s.loadSitesByID(ctx, tx, ids)
	if err != nil {
		return nil, err
	}
	at := make(map[int64]int, len(ids))
	for i, id := range ids {
		at[id] = i
	}
	leases := make([]Lease, len(ids))
	for i, si := range sites {
		leases[at[si.ID]] = Lease{Site: si, State: states[i]}
	}
	return leases, nil
}

// Complete is SaveResult for a leased site: it records the check r and
// ends the lease in one transaction, but only if owner still holds the
// lease. Otherwise it returns ErrLeaseLost and writes nothing. A lease
// that expired is still owner's until another owner takes it, so a slow
// check is kept when nobody else has started on the site.
func (s *Store) Complete(ctx context.Context, owner string, r Result, next time.Time, d checker.Deadlines, badgeShown bool) (err error) {
	defer s.observe("complete", time.Now(), &err)
	if owner == "" {
		return fmt.Errorf("complete site %d: no owner", r.SiteID)
	}
	if err := s.storeAlerting(ctx, owner, r, next, d, badgeShown, nil); err != nil {
		return fmt.Errorf("complete site %d: %w", r.SiteID, err)
	}
	return nil
}

// Completion is one leased site's check, for CompleteBatch: Complete's
// arguments.
type Completion struct {
	Result     Result
	Next       time.Time
	Deadlines  checker.Deadlines
	BadgeShown bool
}

// CompleteBatch is Complete for many sites in one transaction (a group
// commit: one BEGIN and COMMIT for the lot, and a statement for up to
// hundreds of states). Each check is stored only if owner still holds its
// site's lease. errs has one entry per completion: nil when the check was
// stored, else ErrLeaseLost or ErrNotFound, and then nothing of it was
// written while the rest were stored all the same. A site that appears
// twice is stored once, as its first completion; the second finds the
// lease ended (ErrLeaseLost), as it would after a Complete. err is not nil
// when the transaction failed: then nothing at all was stored, and errs
// is nil.
func (s *Store) CompleteBatch(ctx context.Context, owner string, cs []Completion) (errs []error, err error) {
	return s.CompleteBatchAlerting(ctx, owner, cs, nil)
}

// CompleteBatchAlerting is CompleteBatch with alerting, as
// CompleteAlerting is Complete's: fn sees the change of each check that
// is stored, in the batch's order, and the alert changes it returns are
// recorded in the batch's transaction. An error from fn fails the whole
// transaction, as it fails CompleteAlerting's. A nil fn records no
// alerts.
func (s *Store) CompleteBatchAlerting(ctx context.Context, owner string, cs []Completion, fn ChangeFunc) (errs []error, err error) {
	defer s.observe("complete_batch", time.Now(), &err)
	if owner == "" {
		return nil, fmt.Errorf("complete %d sites: no owner", len(cs))
	}
	if len(cs) == 0 {
		return nil, nil
	}
	errs = make([]error, len(cs))
	first := make(map[int64]bool, len(cs))
	unique := make([]Completion, 0, len(cs))
	at := make([]int, 0, len(cs)) // unique[k] is cs[at[k]]
	for i, c := range cs {
		if first[c.Result.SiteID] {
			errs[i] = fmt.Errorf("complete site %d: %w", c.Result.SiteID, ErrLeaseLost)
			continue
		}
		first[c.Result.SiteID] = true
		unique, at = append(unique, c), append(at, i)
	}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		var before batchSites
		if fn != nil {
			var err error
			if before, err = s.batchSites(ctx, tx, unique, nil); err != nil {
				return fmt.Errorf("read states: %w", err)
			}
		}
		lost, err := updateStates(ctx, tx, owner, unique)
		if err != nil {
			return fmt.Errorf("update states: %w", err)
		}
		stored := make([]int, 0, len(unique))
		for k, e := range lost {
			if e != nil {
				errs[at[k]] = fmt.Errorf("complete site %d: %w", unique[k].Result.SiteID, e)
				continue
			}
			stored = append(stored, k)
		}
		rs := make([]Result, len(stored))
		for i, k := range stored {
			rs[i] = unique[k].Result
		}
		if err := s.storeResults(ctx, tx, rs); err != nil {
			return err
		}
		if fn == nil || len(stored) == 0 {
			return nil
		}
		return s.alertBatch(ctx, tx, unique, stored, before, fn)
	})
	if err != nil {
		return nil, fmt.Errorf("complete %d sites: %w", len(cs), err)
	}
	return errs, nil
}

// batchSites are sites and their states by id.
type batchSites struct {
	site  map[int64]*Site
	state map[int64]*State
}

// batchSites reads the sites of cs[k] for each k in which (all of cs when
// which is nil).
func (s *Store) batchSites(ctx context.Context, tx *sqlx.Tx, cs []Completion, which []int) (batchSites, error) {
	ids := make([]int64, 0, len(cs))
	if which == nil {
		for _, c := range cs {
			ids = append(ids, c.Result.SiteID)
		}
	}
	for _, k := range which {
		ids = append(ids, cs[k].Result.SiteID)
	}
	sites, states, err := s.loadSitesByID(ctx, tx, ids)
	if err != nil {
		return batchSites{}, err
	}
	b := batchSites{site: make(map[int64]*Site, len(sites)), state: make(map[int64]*State, len(sites))}
	for i, si := range sites {
		b.site[si.ID], b.state[si.ID] = si, states[i]
	}
	return b, nil
}

// alertBatch hands fn the change of each stored check, cs[k] for k in
// stored, and records the alert changes it returns.
func (s *Store) alertBatch(ctx context.Context, tx *sqlx.Tx, cs []Completion, stored []int, before batchSites, fn ChangeFunc) error {
	after, err := s.batchSites(ctx, tx, cs, stored)
	if err != nil {
		return fmt.Errorf("read new states: %w", err)
	}
	ids := make([]int64, len(stored))
	for i, k := range stored {
		ids[i] = cs[k].Result.SiteID
	}
	var firing []FiringAlert
	if err := inChunks(ids, func(chunk []int64) error {
		q, args, err := sqlx.In("WHERE firing AND site_id IN (?) ORDER BY key", chunk)
		if err != nil {
			return err
		}
		fs, err := firingAlerts(ctx, tx, q, args...)
		firing = append(firing, fs...)
		return err
	}); err != nil {
		return err
	}
	bySite := make(map[int64][]FiringAlert)
	for _, f := range firing {
		bySite[f.SiteID] = append(bySite[f.SiteID], f)
	}
	var changes []AlertChange
	for _, id := range ids {
		c := Change{Site: before.site[id], Prev: before.state[id], Next: after.state[id], Firing: bySite[id]}
		if c.Site == nil || c.Next == nil {
			return fmt.Errorf("site %d: %w", id, ErrNotFound)
		}
		ch, err := fn(&c)
		if err != nil {
			return fmt.Errorf("alerts of site %d: %w", id, err)
		}
		changes = append(changes, ch...)
	}
	return s.applyAlertChanges(ctx, tx, changes)
}

// Release ends owner's leases on the sites with these ids, which stay due
// and can be leased again at once. Sites not leased to owner are left
// alone.
func (s *Store) Release(ctx context.Context, owner string, siteIDs []int64) (err error) {
	defer s.observe("release", time.Now(), &err)
	if owner == "" {
		return errors.New("release: no owner")
	}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		return inChunks(siteIDs, func(chunk []int64) error {
			q, args, err := sqlx.In(`UPDATE site_state SET lease_owner = '', lease_expires_at = NULL
				WHERE lease_owner = ? AND site_id IN (?)`, owner, chunk)
			if err == nil {
				_, err = tx.ExecContext(ctx, tx.Rebind(q), args...)
			}
			return err
		})
	})
	if err != nil {
		return fmt.Errorf("release %d sites of %s: %w", len(siteIDs), owner, err)
	}
	return nil
}

// DueSites counts the active sites due at now that Lease would hand out
// (not leased, or with an expired lease), and returns the oldest one's due
// time (zero when none is due): the scheduler's backlog.
func (s *Store) DueSites(ctx context.Context, now time.Time) (count int, oldest time.Time, err error) {
	defer s.observe("due_sites", time.Now(), &err)
	var row struct {
		Count  int    `db:"n"`
		Oldest dbTime `db:"oldest"`
	}
	err = sqlx.GetContext(ctx, s.read, &row, s.read.Rebind(`SELECT COUNT(*) AS n, MIN(next_check_at) AS oldest
		FROM site_state
		WHERE active AND next_check_at <= ? AND (lease_expires_at IS NULL OR lease_expires_at <= ?)`),
		ts(now), ts(now))
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("due sites: %w", err)
	}
	return row.Count, time.Time(row.Oldest), nil
}

// DueCount counts the active sites due at now, leased or not: a `serve
// --once` cycle is over when none is left.
func (s *Store) DueCount(ctx context.Context, now time.Time) (n int, err error) {
	defer s.observe("due_count", time.Now(), &err)
	err = sqlx.GetContext(ctx, s.read, &n, s.read.Rebind(`SELECT COUNT(*) FROM site_state WHERE active AND next_check_at <= ?`), ts(now))
	if err != nil {
		return 0, fmt.Errorf("due count: %w", err)
	}
	return n, nil
}
