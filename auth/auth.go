// Package auth answers who is calling the HTTP API and what they may do:
// the scopes a token can carry, the Principal a request acts as, and the
// middleware that turns an "Authorization: Bearer" header into one. It
// stores nothing: a Verifier, defined here and implemented by the
// registry (through a small adapter in the daemon), checks the secret.
package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
)

// Scope is a permission a token carries.
type Scope string

// The scopes. Admin implies every other.
const (
	Read  Scope = "read"  // read sites, results and exports
	Write Scope = "write" // create, update, retire and import sites; run checks
	Cases Scope = "cases" // open and move enforcement cases
	Probe Scope = "probe" // the Prometheus /probe endpoint
	Admin Scope = "admin" // everything, personal data and the audit log included
)

// Scopes lists every scope, in a fixed order.
func Scopes() []Scope { return []Scope{Read, Write, Cases, Probe, Admin} }

// ParseScopes parses a comma-separated list such as "read,cases",
// refusing unknown and empty entries.
func ParseScopes(s string) ([]Scope, error) {
	var out []Scope
	for _, f := range strings.Split(s, ",") {
		sc := Scope(strings.TrimSpace(f))
		if !slices.Contains(Scopes(), sc) {
			return nil, fmt.Errorf("scope %q: want one of read, write, cases, probe, admin", f)
		}
		if !slices.Contains(out, sc) {
			out = append(out, sc)
		}
	}
	return out, nil
}

// Principal is who a request acts as: a token's name and its scopes.
type Principal struct {
	Name   string
	Scopes []Scope
}

// Has reports whether p may act with scope s; admin may do anything.
func (p Principal) Has(s Scope) bool {
	return slices.Contains(p.Scopes, s) || slices.Contains(p.Scopes, Admin)
}

// ErrUnknown and ErrExpired are what a Verifier's errors match (errors.Is)
// for a secret that names no live token and for an expired token. Any
// other error is a failure to check, answered 500.
var (
	ErrUnknown = errors.New("auth: unknown or revoked token")
	ErrExpired = errors.New("auth: token expired")
)

// Verifier checks a bearer token's secret.
type Verifier interface {
	Verify(ctx context.Context, secret string) (Principal, error)
}

// VerifierFunc adapts a function to Verifier.
type VerifierFunc func(ctx context.Context, secret string) (Principal, error)

// Verify calls f.
func (f VerifierFunc) Verify(ctx context.Context, secret string) (Principal, error) {
	return f(ctx, secret)
}

type ctxKey struct{}

// WithPrincipal returns ctx carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, ctxKey{}, p)
}

// FromContext returns the Principal the middleware put in ctx.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(ctxKey{}).(Principal)
	return p, ok
}

// Error codes of the JSON error bodies the middleware writes.
const (
	CodeUnauthorized = "unauthorized"
	CodeForbidden    = "forbidden"
	CodeInternal     = "internal"
)

// WriteError writes {"error":{"code":…,"message":…}} with status.
func WriteError(w http.ResponseWriter, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	var body struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	body.Error.Code, body.Error.Message = code, message
	_ = json.NewEncoder(w).Encode(body) // the client may be gone
}

// Middleware authenticates requests: the Principal of a valid bearer
// token goes into the request's context for next, which checks scopes
// (Require). A missing, malformed, unknown, revoked or expired token is
// answered 401 before next runs. Secrets are never logged.
func Middleware(v Verifier, logger *slog.Logger, next http.Handler) http.Handler {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := r.Header.Get("Authorization")
		scheme, secret, ok := strings.Cut(h, " ")
		if h == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="beianwatch"`)
			WriteError(w, http.StatusUnauthorized, CodeUnauthorized, "this endpoint needs a bearer token (Authorization: Bearer bw_…)")
			return
		}
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(secret) == "" {
			w.Header().Set("WWW-Authenticate", `Bearer realm="beianwatch", error="invalid_request"`)
			WriteError(w, http.StatusUnauthorized, CodeUnauthorized, "malformed Authorization header: want Bearer and a token")
			return
		}
		p, err := v.Verify(r.Context(), strings.TrimSpace(secret))
		switch {
		case errors.Is(err, ErrExpired):
			w.Header().Set("WWW-Authenticate", `Bearer realm="beianwatch", error="invalid_token"`)
			WriteError(w, http.StatusUnauthorized, CodeUnauthorized, "the token has expired")
			return
		case errors.Is(err, ErrUnknown):
			w.Header().Set("WWW-Authenticate", `Bearer realm="beianwatch", error="invalid_token"`)
			WriteError(w, http.StatusUnauthorized, CodeUnauthorized, "unknown or revoked token")
			return
		case err != nil && r.Context().Err() != nil:
			return // the client left
		case err != nil:
			logger.Error("verify token", "err", err)
			WriteError(w, http.StatusInternalServerError, CodeInternal, "could not check the token")
			return
		}
		next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
	})
}

// Require answers 403 unless the request's Principal has scope s, and
// 401 when there is none (Middleware did not run).
func Require(s Scope, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, ok := FromContext(r.Context())
		switch {
		case !ok:
			WriteError(w, http.StatusUnauthorized, CodeUnauthorized, "this endpoint needs a bearer token")
		case !p.Has(s):
			WriteError(w, http.StatusForbidden, CodeForbidden, fmt.Sprintf("the token lacks the %q scope", s))
		default:
			next.ServeHTTP(w, r)
		}
	})
}
