package registry

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq"
)

// maxBatchRows bounds the rows of one multi-row statement: beyond a few
// hundred, statements only get longer to parse without getting faster.
const maxBatchRows = 500

// insertRows writes n rows into table with multi-row INSERT statements,
// as many rows to a statement as the engine's parameter limit allows.
// row appends row i's values (one per column) to args. suffix follows the
// VALUES list (an ON CONFLICT clause, or "").
func (s *Store) insertRows(ctx context.Context, tx *sqlx.Tx, table string, cols []string, suffix string,
	n int, row func(args []any, i int) []any) error {
	return s.insertReturning(ctx, tx, table, cols, suffix, n, row, nil)
}

// insertReturning is insertRows for statements whose suffix ends in
// RETURNING: each is called with every row returned.
func (s *Store) insertReturning(ctx context.Context, tx *sqlx.Tx, table string, cols []string, suffix string,
	n int, row func(args []any, i int) []any, each func(*sql.Rows) error) error {
	per := min(maxBatchRows, s.d.maxParams/len(cols))
	var full string // the statement for a full batch, built once
	args := make([]any, 0, per*len(cols))
	for start := 0; start < n; start += per {
		k := min(per, n-start)
		q := full
		if q == "" || k < per {
			q = tx.Rebind(insertSQL(table, cols, k, suffix))
			if k == per {
				full = q
			}
		}
		args = args[:0]
		for i := start; i < start+k; i++ {
			args = row(args, i)
		}
		if err := execOrQuery(ctx, tx, q, args, each); err != nil {
			return fmt.Errorf("insert into %s: %w", table, err)
		}
	}
	return nil
}

func execOrQuery(ctx context.Context, tx *sqlx.Tx, q string, args []any, each func(*sql.Rows) error) error {
	if each == nil {
		_, err := tx.ExecContext(ctx, q, args...)
		return err
	}
	rows, err := tx.QueryContext(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := each(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// insertSQL is "INSERT INTO table (cols) VALUES (?, ?), (?, ?) suffix".
func insertSQL(table string, cols []string, rows int, suffix string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "INSERT INTO %s (%s) VALUES ", table, strings.Join(cols, ", "))
	one := "(" + strings.Repeat("?, ", len(cols)-1) + "?)"
	for i := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(one)
	}
	b.WriteString(" " + suffix)
	return b.String()
}

// maxInList bounds the items of an IN (…) list: under both engines'
// parameter limits even for three-column tuples, and long, because
// PostgreSQL answers a short list joined to a large table with a scan of
// that table, once per list.
const maxInList = 5000

// inChunks calls fn with successive pieces of at most maxInList items.
func inChunks[T any](items []T, fn func(chunk []T) error) error {
	for len(items) > 0 {
		k := min(len(items), maxInList)
		if err := fn(items[:k]); err != nil {
			return err
		}
		items = items[k:]
	}
	return nil
}

// selectIn runs query, whose single "IN (?)" stands for the list, and
// appends the rows to dest. On PostgreSQL the list goes as one array
// parameter (= ANY(?)), which it parses and plans at the same small cost
// for any length; elsewhere the IN list is expanded, once per chunk.
func selectIn[T, R any](ctx context.Context, tx *sqlx.Tx, query string, list []T, dest *[]R) error {
	if len(list) == 0 {
		return nil
	}
	if tx.DriverName() == "postgres" {
		q := strings.Replace(query, "IN (?)", "= ANY(?)", 1)
		if q == query {
			return fmt.Errorf("select in: no IN (?) in %q", query)
		}
		var rows []R
		if err := tx.SelectContext(ctx, &rows, tx.Rebind(q), pq.Array(list)); err != nil {
			return err
		}
		*dest = append(*dest, rows...)
		return nil
	}
	return inChunks(list, func(chunk []T) error {
		qs, args, err := sqlx.In(query, chunk)
		if err != nil {
			return err
		}
		var rows []R
		if err := tx.SelectContext(ctx, &rows, tx.Rebind(qs), args...); err != nil {
			return err
		}
		*dest = append(*dest, rows...)
		return nil
	})
}

// bulkInsert writes n new rows into table: with COPY on PostgreSQL, several
// times faster there than multi-row INSERT, and with insertRows elsewhere.
func (s *Store) bulkInsert(ctx context.Context, tx *sqlx.Tx, table string, cols []string,
	n int, row func(args []any, i int) []any) error {
	if !s.d.copy {
		return s.insertRows(ctx, tx, table, cols, "", n, row)
	}
	if n == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, fmt.Sprintf("COPY %s (%s) FROM STDIN", table, strings.Join(cols, ", ")))
	if err != nil {
		return fmt.Errorf("copy into %s: %w", table, err)
	}
	defer stmt.Close()
	args := make([]any, 0, len(cols))
	for i := range n {
		args = row(args[:0], i)
		if _, err := stmt.ExecContext(ctx, args...); err != nil {
			return fmt.Errorf("copy into %s: %w", table, err)
		}
	}
	if _, err := stmt.ExecContext(ctx); err != nil { // flushes, and reports bad rows
		return fmt.Errorf("copy into %s: %w", table, err)
	}
	return nil
}

// reserveIDs returns n new ids for table (see dialect.reserveIDs).
func (s *Store) reserveIDs(ctx context.Context, tx *sqlx.Tx, table string, n int) ([]int64, error) {
	if n == 0 {
		return nil, nil
	}
	var ids []int64
	if err := tx.SelectContext(ctx, &ids, tx.Rebind(fmt.Sprintf(s.d.reserveIDs, table)), n); err != nil {
		return nil, fmt.Errorf("reserve %s ids: %w", table, err)
	}
	if len(ids) != n {
		return nil, fmt.Errorf("reserve %s ids: got %d, want %d", table, len(ids), n)
	}
	return ids, nil
}
