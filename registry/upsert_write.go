package registry

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"

	"github.com/beianwatch/beianwatch/checker"
)

// write stores the inserted and updated sites of the batch. New rows go
// in by bulkInsert (COPY on PostgreSQL); updated ones by multi-row
// INSERT … ON CONFLICT DO UPDATE.
func (u *upsert) write(ctx context.Context) error {
	if len(u.toWrite) == 0 {
		return nil
	}
	operators, err := u.operatorIDs(ctx)
	if err != nil {
		return err
	}
	contacts, err := u.contactIDs(ctx)
	if err != nil {
		return err
	}
	var fresh, updated []*Site
	for _, i := range u.toWrite {
		if u.target[i] == 0 {
			fresh = append(fresh, u.want[i])
		} else {
			updated = append(updated, u.want[i])
		}
	}
	ids, err := u.s.reserveIDs(ctx, u.tx, "sites", len(fresh))
	if err != nil {
		return err
	}
	for k, w := range fresh {
		w.ID, w.CreatedAt = ids[k], u.now
	}
	if err := u.writeSites(ctx, fresh, updated, operators, contacts); err != nil {
		return err
	}
	if err := u.replaceDomainsAndIPs(ctx, updated); err != nil {
		return err
	}
	return u.writeStates(ctx, fresh, updated)
}

var siteCols = []string{"id", "name", "icp_number", "icp_approved_on", "launched_on",
	"psb_number", "psb_filed_on", "psb_approved_on", "customer_id", "access_provider",
	"registrar", "interactive", "languages", "tags", "check_url", "active",
	"operator_id", "contact_id", "created_at", "updated_at"}

// writeSites inserts the fresh site rows and rewrites the updated ones,
// all columns but id and created_at.
func (u *upsert) writeSites(ctx context.Context, fresh, updated []*Site,
	operators map[Operator]int64, contacts map[Contact]int64) error {
	row := func(sites []*Site) func(a []any, k int) []any {
		return func(a []any, k int) []any {
			w := sites[k]
			return append(a, w.ID, w.Name, w.ICPNumber, dbDate(w.ICPApprovedOn), dbDate(w.LaunchedOn),
				w.PSBNumber, dbDate(w.PSBFiledOn), dbDate(w.PSBApprovedOn), w.CustomerID, w.AccessProvider,
				w.Registrar, w.Interactive, jsonList[string](w.Languages), jsonList[string](w.Tags), w.CheckURL, true,
				refID(operators, w.Operator), refID(contacts, w.Contact), ts(w.CreatedAt), ts(u.now))
		}
	}
	if err := u.s.bulkInsert(ctx, u.tx, "sites", siteCols, len(fresh), row(fresh)); err != nil {
		return err
	}
	var set []string
	for _, c := range siteCols {
		if c != "id" && c != "created_at" {
			set = append(set, c+" = excluded."+c)
		}
	}
	suffix := "ON CONFLICT (id) DO UPDATE SET " + strings.Join(set, ", ")
	return u.s.insertRows(ctx, u.tx, "sites", siteCols, suffix, len(updated), row(updated))
}

// refID is the id of v, NULL for the zero value (no operator, no contact).
func refID[K comparable](ids map[K]int64, v K) sql.NullInt64 {
	var zero K
	if v == zero {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: ids[v], Valid: true}
}

// replaceDomainsAndIPs writes each written site's domains and IPs, after
// removing the updated sites' old ones (first, so that a domain may move
// from an updated site to another site of the batch).
func (u *upsert) replaceDomainsAndIPs(ctx context.Context, updated []*Site) error {
	ids := make([]int64, len(updated))
	for k, w := range updated {
		ids[k] = w.ID
	}
	for _, table := range []string{"domains", "site_ips"} {
		err := inChunks(ids, func(chunk []int64) error {
			q, args, err := sqlx.In("DELETE FROM "+table+" WHERE site_id IN (?)", chunk)
			if err == nil {
				_, err = u.tx.ExecContext(ctx, u.tx.Rebind(q), args...)
			}
			return err
		})
		if err != nil {
			return fmt.Errorf("clear %s: %w", table, err)
		}
	}
	type pos struct {
		site *Site
		i    int
	}
	var domains, ips []pos
	for _, i := range u.toWrite {
		w := u.want[i]
		for k := range w.Domains {
			domains = append(domains, pos{w, k})
		}
		for k := range w.IPs {
			ips = append(ips, pos{w, k})
		}
	}
	err := u.s.bulkInsert(ctx, u.tx, "domains", []string{"site_id", "position", "unicode", "ascii"}, len(domains),
		func(a []any, k int) []any {
			p := domains[k]
			return append(a, p.site.ID, p.i, p.site.Domains[p.i].Unicode, p.site.Domains[p.i].ASCII)
		})
	if err != nil {
		return err
	}
	return u.s.bulkInsert(ctx, u.tx, "site_ips", []string{"site_id", "position", "addr"}, len(ips),
		func(a []any, k int) []any {
			p := ips[k]
			return append(a, p.site.ID, p.i, p.site.IPs[p.i].String())
		})
}

var stateCols = []string{"site_id", "active", "verdict", "findings", "first_live_at",
	"badge_first_seen_at", "badge_last_missing_at", "badge_shown", "last_check_at",
	"next_check_at", "consecutive_failures", "lease_owner", "lease_expires_at",
	"psb_filing_status", "psb_filing_due", "psb_filing_days_left",
	"badge_status", "badge_due", "badge_days_left"}

// writeStates gives a new site its first state, unchecked and due now,
// and an updated one its deadlines as its new dates make them. A site
// brought back from retirement is due now; an active one keeps its
// schedule, verdict and badge proof.
func (u *upsert) writeStates(ctx context.Context, fresh, updated []*Site) error {
	row := func(sites []*Site) func(a []any, k int) []any {
		return func(a []any, k int) []any {
			w := sites[k]
			d := w.Deadlines(u.oldState[w.ID], u.now)
			return append(a, w.ID, true, string(VerdictUnchecked), jsonList[checker.Finding](nil), nil,
				nil, nil, false, nil,
				ts(u.now), 0, "", nil,
				string(d.PSBFiling.Status), dbDate(d.PSBFiling.Due), daysLeft(d.PSBFiling),
				string(d.Badge.Status), dbDate(d.Badge.Due), daysLeft(d.Badge))
		}
	}
	if err := u.s.bulkInsert(ctx, u.tx, "site_state", stateCols, len(fresh), row(fresh)); err != nil {
		return err
	}
	suffix := `ON CONFLICT (site_id) DO UPDATE SET
		next_check_at = CASE WHEN site_state.active THEN site_state.next_check_at ELSE excluded.next_check_at END,
		active = excluded.active,
		psb_filing_status = excluded.psb_filing_status, psb_filing_due = excluded.psb_filing_due,
		psb_filing_days_left = excluded.psb_filing_days_left,
		badge_status = excluded.badge_status, badge_due = excluded.badge_due,
		badge_days_left = excluded.badge_days_left`
	return u.s.insertRows(ctx, u.tx, "site_state", stateCols, suffix, len(updated), row(updated))
}

func daysLeft(d checker.Deadline) sql.NullInt64 {
	if d.DaysLeft == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: int64(*d.DaysLeft), Valid: true}
}
