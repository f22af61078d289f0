package registry

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// Operators and contacts are rows identified by their whole value, never
// changed once written (but for re-encryption), so that sites may share
// them: a site naming a different operator points at another row. Their
// personal fields are encrypted (personal.go), so a value is found by its
// keyed lookup hash, not by comparing columns.

// operatorIDs returns the id of each operator the written sites name,
// adding those not yet stored.
func (u *upsert) operatorIDs(ctx context.Context) (map[Operator]int64, error) {
	var keys []Operator
	for _, i := range u.toWrite {
		keys = append(keys, u.want[i].Operator)
	}
	return valueIDs(ctx, u.s, u.tx, "operators", operatorCols, keys, u.s.operatorLookups, u.s.sealOperator)
}

// contactIDs is operatorIDs for contacts.
func (u *upsert) contactIDs(ctx context.Context) (map[Contact]int64, error) {
	var keys []Contact
	for _, i := range u.toWrite {
		keys = append(keys, u.want[i].Contact)
	}
	return valueIDs(ctx, u.s, u.tx, "contacts", contactCols, keys, u.s.contactLookups, u.s.sealContact)
}

// valueIDs returns the ids of the rows of table holding each non-zero key,
// found by their lookup hashes under any key, inserting the missing ones
// sealed under the newest key (cols are seal's columns). Two imports
// adding the same value at once on PostgreSQL may both insert it: the
// rows are then shared less, which costs a row and nothing else.
func valueIDs[K comparable](ctx context.Context, s *Store, tx *sqlx.Tx, table string, cols []string, keys []K,
	lookups func(K) []string, seal func(keyID string, k K) ([]any, error)) (map[K]int64, error) {
	var zero K
	ids := make(map[K]int64)
	var distinct []K
	for _, k := range keys {
		if _, seen := ids[k]; !seen && k != zero {
			ids[k] = 0
			distinct = append(distinct, k)
		}
	}
	if len(distinct) == 0 {
		return ids, nil
	}
	if s.keys == nil {
		return nil, fmt.Errorf("store %s: %w", table, ErrNoKey)
	}
	byHash := make(map[string]K)
	var hashes []string
	for _, k := range distinct {
		for _, h := range lookups(k) {
			byHash[h] = k
			hashes = append(hashes, h)
		}
	}
	var rows []struct {
		ID     int64  `db:"id"`
		Lookup string `db:"lookup"`
	}
	// Lowest id first: should a value have two rows, every site shares
	// the same one.
	q := "SELECT id, lookup FROM " + table + " WHERE lookup IN (?) ORDER BY id DESC"
	if err := selectIn(ctx, tx, q, hashes, &rows); err != nil {
		return nil, fmt.Errorf("find %s: %w", table, err)
	}
	for _, r := range rows {
		ids[byHash[r.Lookup]] = r.ID
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
	sealed := make([][]any, len(missing))
	keyID := s.keys.Newest()
	for i, k := range missing {
		ids[k] = newIDs[i]
		if sealed[i], err = seal(keyID, k); err != nil {
			return nil, fmt.Errorf("store %s: %w", table, err)
		}
	}
	err = s.bulkInsert(ctx, tx, table, append([]string{"id"}, cols...), len(missing),
		func(a []any, i int) []any { return append(append(a, newIDs[i]), sealed[i]...) })
	return ids, err
}
