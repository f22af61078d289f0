package registry

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// Session is a console login as the registry keeps it: the API token it
// stands for, read afresh with every lookup.
type Session struct {
	TokenID   int64
	TokenName string
	// Scopes are the token's scopes (see auth), sorted.
	Scopes    []string
	ExpiresAt time.Time
}

// StartSession records a console session: idHash is the hex SHA-256 of
// the session's random id (the id itself is never stored), tokenID the
// API token that logged in. Sessions expired by now are removed on the
// way, so that the table holds only live ones.
func (s *Store) StartSession(ctx context.Context, idHash string, tokenID int64, now, expires time.Time) (err error) {
	defer s.observe("start_session", time.Now(), &err)
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, tx.Rebind(`DELETE FROM console_sessions WHERE expires_at <= ?`), ts(now)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, tx.Rebind(`INSERT INTO console_sessions (id_hash, token_id, created_at, expires_at) VALUES (?, ?, ?, ?)`),
			idHash, tokenID, ts(now), ts(expires))
		return err
	})
	if err != nil {
		return fmt.Errorf("start session: %w", err)
	}
	return nil
}

// SessionAt returns the session whose id hashes to idHash, live at now
// with its token neither revoked nor expired, or ErrNotFound.
func (s *Store) SessionAt(ctx context.Context, idHash string, now time.Time) (_ Session, err error) {
	defer s.observe("session", time.Now(), &err)
	var row struct {
		TokenID   int64  `db:"token_id"`
		Name      string `db:"name"`
		Scopes    string `db:"scopes"`
		ExpiresAt dbTime `db:"expires_at"`
	}
	err = s.db.GetContext(ctx, &row, s.db.Rebind(`SELECT cs.token_id, t.name, t.scopes, cs.expires_at
		FROM console_sessions cs JOIN api_tokens t ON t.id = cs.token_id
		WHERE cs.id_hash = ? AND cs.expires_at > ? AND t.revoked_at IS NULL AND (t.expires_at IS NULL OR t.expires_at > ?)`),
		idHash, ts(now), ts(now))
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, fmt.Errorf("session: %w", ErrNotFound)
	}
	if err != nil {
		return Session{}, fmt.Errorf("session: %w", err)
	}
	var scopes []string
	if row.Scopes != "" {
		scopes = strings.Split(row.Scopes, ",")
	}
	return Session{TokenID: row.TokenID, TokenName: row.Name, Scopes: scopes, ExpiresAt: time.Time(row.ExpiresAt)}, nil
}

// EndSession removes the session whose id hashes to idHash (a logout);
// none is not an error.
func (s *Store) EndSession(ctx context.Context, idHash string) (err error) {
	defer s.observe("end_session", time.Now(), &err)
	if _, err = s.db.ExecContext(ctx, s.db.Rebind(`DELETE FROM console_sessions WHERE id_hash = ?`), idHash); err != nil {
		return fmt.Errorf("end session: %w", err)
	}
	return nil
}
