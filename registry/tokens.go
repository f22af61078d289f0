package registry

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// TokenPrefix starts every API token, so that secret scanners (and
// people) recognise one in a paste or a repository.
const TokenPrefix = "bw_"

// ErrTokenUnknown is returned by VerifyToken for a secret that matches no
// token, or a revoked one: the caller learns nothing about which.
var ErrTokenUnknown = errors.New("registry: unknown or revoked token")

// ErrTokenExpired is returned by VerifyToken for a token past its expiry.
var ErrTokenExpired = errors.New("registry: token expired")

// ErrTokenExists is returned by CreateToken when the name is taken.
var ErrTokenExists = errors.New("registry: a token of that name exists")

// lastUsedEvery is how stale a token's last use may grow before
// VerifyToken writes it again: once a minute, not once a request.
const lastUsedEvery = time.Minute

// Token is an API token as stored: everything but its secret, which is
// kept only as a hash.
type Token struct {
	ID     int64
	Name   string
	Scopes []string
	// CreatedAt is when it was made; ExpiresAt, RevokedAt and LastUsedAt
	// are zero for never.
	CreatedAt  time.Time
	ExpiresAt  time.Time
	RevokedAt  time.Time
	LastUsedAt time.Time
}

type tokenRow struct {
	ID         int64  `db:"id"`
	Name       string `db:"name"`
	Scopes     string `db:"scopes"`
	CreatedAt  dbTime `db:"created_at"`
	ExpiresAt  dbTime `db:"expires_at"`
	RevokedAt  dbTime `db:"revoked_at"`
	LastUsedAt dbTime `db:"last_used_at"`
}

const tokenSelect = `SELECT id, name, scopes, created_at, expires_at, revoked_at, last_used_at FROM api_tokens `

func (r tokenRow) token() Token {
	var scopes []string
	if r.Scopes != "" {
		scopes = strings.Split(r.Scopes, ",")
	}
	return Token{
		ID: r.ID, Name: r.Name, Scopes: scopes,
		CreatedAt: time.Time(r.CreatedAt), ExpiresAt: time.Time(r.ExpiresAt),
		RevokedAt: time.Time(r.RevokedAt), LastUsedAt: time.Time(r.LastUsedAt),
	}
}

// hashSecret is what the store keeps of a secret. The secret carries 256
// random bits, so an unsalted fast hash cannot be reversed by guessing.
func hashSecret(secret string) string {
	h := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(h[:])
}

// CreateToken stores a new token with these scopes, expiring at expires
// (zero for never), and returns its secret: the only time it is seen.
// Scopes are kept sorted and once each; the caller validates them.
func (s *Store) CreateToken(ctx context.Context, name string, scopes []string, expires time.Time) (secret string, _ Token, err error) {
	defer s.observe("create_token", time.Now(), &err)
	switch {
	case strings.TrimSpace(name) == "":
		return "", Token{}, errors.New("create token: empty name")
	case len(scopes) == 0:
		return "", Token{}, errors.New("create token: no scope")
	}
	for _, sc := range scopes {
		if sc == "" || strings.Contains(sc, ",") {
			return "", Token{}, fmt.Errorf("create token: bad scope %q", sc)
		}
	}
	scopes = slices.Compact(slices.Sorted(slices.Values(scopes)))
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return "", Token{}, fmt.Errorf("create token: %w", err)
	}
	secret = TokenPrefix + base64.RawURLEncoding.EncodeToString(raw)
	now := utcMicro(s.now())
	t := Token{Name: name, Scopes: scopes, CreatedAt: now, ExpiresAt: utcMicro(expires)}
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		var n int
		if err := tx.GetContext(ctx, &n, tx.Rebind(`SELECT COUNT(*) FROM api_tokens WHERE name = ?`), name); err != nil {
			return err
		}
		if n > 0 {
			return ErrTokenExists
		}
		return tx.GetContext(ctx, &t.ID, tx.Rebind(`INSERT INTO api_tokens (name, scopes, secret_hash, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?) RETURNING id`), name, strings.Join(scopes, ","), hashSecret(secret), ts(now), ts(t.ExpiresAt))
	})
	if err != nil {
		return "", Token{}, fmt.Errorf("create token %q: %w", name, err)
	}
	return secret, t, nil
}

// VerifyToken returns the token whose secret this is. It returns an error
// matching ErrTokenUnknown for no such token or a revoked one, and
// ErrTokenExpired for one past its expiry. It notes the token's use, at
// most once a minute.
func (s *Store) VerifyToken(ctx context.Context, secret string) (_ Token, err error) {
	defer s.observe("verify_token", time.Now(), &err)
	var r tokenRow
	err = sqlx.GetContext(ctx, s.read, &r, s.read.Rebind(tokenSelect+`WHERE secret_hash = ?`), hashSecret(secret))
	if errors.Is(err, sql.ErrNoRows) {
		return Token{}, fmt.Errorf("verify token: %w", ErrTokenUnknown)
	}
	if err != nil {
		return Token{}, fmt.Errorf("verify token: %w", err)
	}
	t := r.token()
	now := s.now()
	switch {
	case !t.RevokedAt.IsZero():
		return Token{}, fmt.Errorf("verify token: %w", ErrTokenUnknown)
	case !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt):
		return Token{}, fmt.Errorf("verify token %q: %w", t.Name, ErrTokenExpired)
	}
	if now.Sub(t.LastUsedAt) >= lastUsedEvery && s.claimUse(t.ID, now) {
		// Conditional, so that replicas noting the same minute's use write
		// the row once.
		_, err := s.db.ExecContext(ctx, s.db.Rebind(`UPDATE api_tokens SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)`),
			ts(now), t.ID, ts(now.Add(-lastUsedEvery)))
		if err != nil {
			return Token{}, fmt.Errorf("verify token %q: note its use: %w", t.Name, err)
		}
		t.LastUsedAt = utcMicro(now)
	}
	return t, nil
}

// claimUse says whether this call is the one that writes the token's
// last use: one a minute per token in this process, not every request
// that arrives before the first write commits.
func (s *Store) claimUse(id int64, now time.Time) bool {
	s.usedMu.Lock()
	defer s.usedMu.Unlock()
	if s.used == nil {
		s.used = map[int64]time.Time{}
	}
	if now.Sub(s.used[id]) < lastUsedEvery {
		return false
	}
	s.used[id] = now
	return true
}

// ListTokens returns every token, revoked ones included, oldest first.
func (s *Store) ListTokens(ctx context.Context) (_ []Token, err error) {
	defer s.observe("list_tokens", time.Now(), &err)
	var rows []tokenRow
	if err := sqlx.SelectContext(ctx, s.read, &rows, tokenSelect+`ORDER BY id`); err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	ts := make([]Token, len(rows))
	for i, r := range rows {
		ts[i] = r.token()
	}
	return ts, nil
}

// RevokeToken revokes the named token for good; revoking it again changes
// nothing. It returns ErrNotFound when no token has that name.
func (s *Store) RevokeToken(ctx context.Context, name string) (err error) {
	defer s.observe("revoke_token", time.Now(), &err)
	err = s.inTx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, tx.Rebind(`UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE name = ?`), ts(s.now()), name)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return cmpErr(err, ErrNotFound)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("revoke token %q: %w", name, err)
	}
	return nil
}

// AuditEntry is one write made through the API. It holds no personal
// data: Object names a kind and an id or a domain.
type AuditEntry struct {
	ID     int64
	At     time.Time
	Token  string // the token's name
	Action string // e.g. "site.create", "case.notify"
	Object string // e.g. "site/12", "case/3"
	Source string // the client's address
}

type auditRow struct {
	ID     int64  `db:"id"`
	At     dbTime `db:"at"`
	Token  string `db:"token_name"`
	Action string `db:"action"`
	Object string `db:"object"`
	Source string `db:"source"`
}

// AppendAudit adds an entry to the audit log, at the store's time when
// e.At is zero. The log is append-only: the schema refuses updates and
// deletes.
func (s *Store) AppendAudit(ctx context.Context, e AuditEntry) (err error) {
	defer s.observe("append_audit", time.Now(), &err)
	if e.At.IsZero() {
		e.At = s.now()
	}
	_, err = s.db.ExecContext(ctx, s.db.Rebind(`INSERT INTO audit_log (at, token_name, action, object, source) VALUES (?, ?, ?, ?, ?)`),
		ts(e.At), e.Token, e.Action, e.Object, e.Source)
	if err != nil {
		return fmt.Errorf("append audit %s %s: %w", e.Action, e.Object, err)
	}
	return nil
}

// ListAudit returns up to limit audit entries older than the entry with
// id before (0: from the newest), newest first. Pass the last entry's id
// as before to read the next page.
func (s *Store) ListAudit(ctx context.Context, before int64, limit int) (_ []AuditEntry, err error) {
	defer s.observe("list_audit", time.Now(), &err)
	if limit <= 0 {
		return nil, fmt.Errorf("list audit: limit %d: want at least 1", limit)
	}
	q, args := `SELECT id, at, token_name, action, object, source FROM audit_log `, []any{}
	if before > 0 {
		q, args = q+`WHERE id < ? `, append(args, before)
	}
	var rows []auditRow
	if err := sqlx.SelectContext(ctx, s.read, &rows, s.read.Rebind(q+`ORDER BY id DESC LIMIT ?`), append(args, limit)...); err != nil {
		return nil, fmt.Errorf("list audit: %w", err)
	}
	es := make([]AuditEntry, len(rows))
	for i, r := range rows {
		es[i] = AuditEntry{ID: r.ID, At: time.Time(r.At), Token: r.Token, Action: r.Action, Object: r.Object, Source: r.Source}
	}
	return es, nil
}
