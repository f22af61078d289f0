package registry

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// rotateBatch is how many row ids RotateKeys reads at a time. Each row is
// then rewritten in a transaction of its own, so that a daemon writing
// beside it waits for one row at most, and an interruption loses no
// more than the row in hand.
const rotateBatch = 200

// RotateStats counts the rows RotateKeys rewrote.
type RotateStats struct{ Contacts, Operators int }

// RotateKeys rewrites every contact and operator not written under the
// newest key (legacy plaintext rows included) under it: values
// re-encrypted, lookup hashes recomputed. It is resumable: rows already
// rewritten are not visited again, so after a cancellation, calling it
// again finishes the work. A row that does not decrypt stops it with an
// error naming the row, and is left as it was.
func (s *Store) RotateKeys(ctx context.Context) (RotateStats, error) {
	return s.rotate(ctx, false)
}

// EncryptLegacy encrypts the rows stored in clear before migration 00009
// (those with no key id) under the newest key, a row at a time. The
// commands that open the registry with a key call it, so that plaintext
// does not outlive the first run; it costs one indexed query when there
// is nothing to do.
func (s *Store) EncryptLegacy(ctx context.Context) (RotateStats, error) {
	return s.rotate(ctx, true)
}

func (s *Store) rotate(ctx context.Context, legacyOnly bool) (st RotateStats, err error) {
	defer s.observe("rotate_keys", time.Now(), &err)
	if s.keys == nil {
		return st, fmt.Errorf("rotate keys: %w", ErrNoKey)
	}
	newest := s.keys.Newest()
	cond, args := "(key_id IS NULL OR key_id <> ?)", []any{newest}
	if legacyOnly {
		cond, args = "key_id IS NULL", nil
	}
	if st.Contacts, err = s.rotateTable(ctx, "contacts", cond, args, newest, s.resealContact); err != nil {
		return st, fmt.Errorf("rotate keys: %w", err)
	}
	if st.Operators, err = s.rotateTable(ctx, "operators", cond, args, newest, s.resealOperator); err != nil {
		return st, fmt.Errorf("rotate keys: %w", err)
	}
	if st.Contacts+st.Operators > 0 {
		s.logger.Info("personal data re-encrypted", "key_id", newest,
			"contacts", st.Contacts, "operators", st.Operators, "legacy_only", legacyOnly)
	}
	return st, nil
}

// rotateTable rewrites the rows of table matching cond with reseal, in id
// order, one transaction a row.
func (s *Store) rotateTable(ctx context.Context, table, cond string, args []any, newest string,
	reseal func(ctx context.Context, tx *sqlx.Tx, id int64, newest string) error) (int, error) {
	n := 0
	var after int64
	for {
		var ids []int64
		q := s.db.Rebind("SELECT id FROM " + table + " WHERE " + cond + " AND id > ? ORDER BY id LIMIT ?")
		if err := s.db.SelectContext(ctx, &ids, q, append(args, after, rotateBatch)...); err != nil {
			return n, fmt.Errorf("%s: %w", table, err)
		}
		for _, id := range ids {
			err := s.inTx(ctx, func(tx *sqlx.Tx) error { return reseal(ctx, tx, id, newest) })
			if err != nil {
				return n, fmt.Errorf("%s %d: %w", table, id, err)
			}
			n++
			if s.rotated != nil {
				s.rotated()
			}
		}
		if len(ids) < rotateBatch {
			return n, nil
		}
		after = ids[len(ids)-1]
	}
}

// resealContact rewrites contact id under key newest, unless another
// process already did.
func (s *Store) resealContact(ctx context.Context, tx *sqlx.Tx, id int64, newest string) error {
	var r struct {
		Name  string         `db:"name"`
		Phone string         `db:"phone"`
		Email string         `db:"email"`
		KeyID sql.NullString `db:"key_id"`
	}
	err := tx.GetContext(ctx, &r, tx.Rebind("SELECT name, phone, email, key_id FROM contacts WHERE id = ?"), id)
	if err != nil || r.KeyID.String == newest {
		return ignoreNoRows(err)
	}
	c := Contact{Name: r.Name, Phone: r.Phone, Email: r.Email}
	if r.KeyID.Valid {
		if err := s.openContact(&c); err != nil {
			return err
		}
	}
	vals, err := s.sealContact(newest, c)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, tx.Rebind(`UPDATE contacts SET name = ?, phone = ?, email = ?,
		key_id = ?, lookup = ?, phone_hash = ?, email_hash = ? WHERE id = ?`), append(vals, id)...)
	return err
}

// resealOperator is resealContact for operators.
func (s *Store) resealOperator(ctx context.Context, tx *sqlx.Tx, id int64, newest string) error {
	var r struct {
		Type    string         `db:"type"`
		Name    string         `db:"name"`
		OrgCode string         `db:"org_code"`
		KeyID   sql.NullString `db:"key_id"`
	}
	err := tx.GetContext(ctx, &r, tx.Rebind("SELECT type, name, org_code, key_id FROM operators WHERE id = ?"), id)
	if err != nil || r.KeyID.String == newest {
		return ignoreNoRows(err)
	}
	o := Operator{Type: OperatorType(r.Type), Name: r.Name, OrgCode: r.OrgCode}
	if r.KeyID.Valid && o.Type == OperatorPersonal {
		if o.Name, err = s.keys.Decrypt(o.Name, aadOperatorName); err != nil {
			return err
		}
	}
	vals, err := s.sealOperator(newest, o)
	if err != nil {
		return err
	}
	_, err = tx.ExecContext(ctx, tx.Rebind(`UPDATE operators SET type = ?, name = ?, org_code = ?,
		key_id = ?, lookup = ? WHERE id = ?`), append(vals, id)...)
	return err
}

// ignoreNoRows: a row removed meanwhile needs no rewriting.
func ignoreNoRows(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	return err
}

// CheckKeys verifies that the keyring opens the registry's personal data
// before anything is written with it: every key id found in the registry
// must be in the key file, and a value sealed under each must decrypt. It
// fails with an error wrapping keyring.ErrUnknownKey or
// keyring.ErrWrongKey, naming the key id, never a value.
func (s *Store) CheckKeys(ctx context.Context) (err error) {
	defer s.observe("check_keys", time.Now(), &err)
	if s.keys == nil {
		return fmt.Errorf("check keys: %w", ErrNoKey)
	}
	// One row per key id; both queries read the key_id index.
	var rows []struct {
		KeyID string `db:"key_id"`
		ID    int64  `db:"id"`
	}
	q := `SELECT key_id, MIN(id) AS id FROM contacts WHERE key_id IS NOT NULL GROUP BY key_id`
	if err := s.read.SelectContext(ctx, &rows, q); err != nil {
		return fmt.Errorf("check keys: %w", err)
	}
	for _, r := range rows {
		var c Contact
		err := s.read.QueryRowxContext(ctx, s.read.Rebind("SELECT name, phone, email FROM contacts WHERE id = ?"), r.ID).
			Scan(&c.Name, &c.Phone, &c.Email)
		if err == nil {
			err = s.openContact(&c)
		}
		if err != nil {
			return fmt.Errorf("check keys: contact %d: %w", r.ID, err)
		}
	}
	var ids []string
	if err := s.read.SelectContext(ctx, &ids, `SELECT DISTINCT key_id FROM operators WHERE key_id IS NOT NULL`); err != nil {
		return fmt.Errorf("check keys: %w", err)
	}
	for _, id := range ids {
		// An organisation's row holds nothing encrypted, but its lookup
		// hash was made with this key: an unknown key would miss it.
		if _, err := s.keys.Hash(id, hashOperator, ""); err != nil {
			return fmt.Errorf("check keys: operators: %w", err)
		}
	}
	return nil
}
