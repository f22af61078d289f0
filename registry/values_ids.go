package registry

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
)

// Operators and contacts are rows identified by their whole value, never
// changed once written, so that sites may share them: a site naming a
// different operator points at another row.

// operatorIDs returns the id of each operator the written sites name,
// adding those not yet stored.
func (u *upsert) operatorIDs(ctx context.Context) (map[Operator]int64, error) {
	var keys []Operator
	for _, i := range u.toWrite {
		keys = append(keys, u.want[i].Operator)
	}
	return valueIDs(ctx, u.s, u.tx, "operators", []string{"type", "name", "org_code"}, keys,
		func(o Operator) []any { return []any{string(o.Type), o.Name, o.OrgCode} },
		func(r *sql.Rows) (Operator, int64, error) {
			var o Operator
			var id int64
			err := r.Scan(&id, &o.Type, &o.Name, &o.OrgCode)
			return o, id, err
		})
}

// contactIDs is operatorIDs for contacts.
func (u *upsert) contactIDs(ctx context.Context) (map[Contact]int64, error) {
	var keys []Contact
	for _, i := range u.toWrite {
		keys = append(keys, u.want[i].Contact)
	}
	return valueIDs(ctx, u.s, u.tx, "contacts", []string{"name", "phone", "email"}, keys,
		func(c Contact) []any { return []any{c.Name, c.Phone, c.Email} },
		func(r *sql.Rows) (Contact, int64, error) {
			var c Contact
			var id int64
			err := r.Scan(&id, &c.Name, &c.Phone, &c.Email)
			return c, id, err
		})
}

// valueIDs returns the ids of the rows of table whose columns cols hold
// each non-zero key, inserting the missing ones. Two imports adding the
// same value at once on PostgreSQL: the second fails on the unique
// constraint, rolls back, and its caller retries.
func valueIDs[K comparable](ctx context.Context, s *Store, tx *sqlx.Tx, table string, cols []string, keys []K,
	values func(K) []any, scan func(*sql.Rows) (K, int64, error)) (map[K]int64, error) {
	var zero K
	ids := make(map[K]int64)
	var distinct []K
	for _, k := range keys {
		if _, seen := ids[k]; !seen && k != zero {
			ids[k] = 0
			distinct = append(distinct, k)
		}
	}
	tuple := "(" + strings.Repeat("?, ", len(cols)-1) + "?)"
	err := inChunks(distinct, func(chunk []K) error {
		q := fmt.Sprintf("SELECT id, %[1]s FROM %[2]s WHERE (%[1]s) IN (VALUES %[3]s)",
			strings.Join(cols, ", "), table, strings.Repeat(tuple+", ", len(chunk)-1)+tuple)
		args := make([]any, 0, len(chunk)*len(cols))
		for _, k := range chunk {
			args = append(args, values(k)...)
		}
		return execOrQuery(ctx, tx, tx.Rebind(q), args, func(r *sql.Rows) error {
			k, id, err := scan(r)
			ids[k] = id
			return err
		})
	})
	if err != nil {
		return nil, fmt.Errorf("find %s: %w", table, err)
	}
	var missing []K
	for _, k := range distinct {
		if ids[k] == 0 {
			missing = append(missing, k)
		}
	}
	newIDs, err := s.reserveIDs(ctx, tx, table, len(missing))
	if err != nil {
		return nil, err
	}
	for i, k := range missing {
		ids[k] = newIDs[i]
	}
	err = s.bulkInsert(ctx, tx, table, append([]string{"id"}, cols...), len(missing),
		func(a []any, i int) []any { return append(append(a, newIDs[i]), values(missing[i])...) })
	return ids, err
}
