package registry

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestSessions(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := mustOpenStore(t, dsn)
		_, tok, err := s.CreateToken(ctx, "ops", []string{"read", "cases"}, testNow.Add(2*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		_, other, err := s.CreateToken(ctx, "viewer", []string{"read"}, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.StartSession(ctx, "h-ops", tok.ID, testNow, testNow.Add(time.Hour)); err != nil {
			t.Fatalf("StartSession: %v", err)
		}
		if err := s.StartSession(ctx, "h-viewer", other.ID, testNow, testNow.Add(time.Hour)); err != nil {
			t.Fatalf("StartSession: %v", err)
		}
		got, err := s.SessionAt(ctx, "h-ops", testNow.Add(time.Minute))
		if err != nil {
			t.Fatalf("SessionAt: %v", err)
		}
		want := Session{TokenID: tok.ID, TokenName: "ops", Scopes: []string{"cases", "read"}, ExpiresAt: testNow.Add(time.Hour)}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("SessionAt (-want +got):\n%s", diff)
		}
		for _, tc := range []struct {
			name string
			hash string
			at   time.Time
		}{
			{"unknown session", "h-nobody", testNow},
			{"session expired", "h-ops", testNow.Add(time.Hour)},
		} {
			if _, err := s.SessionAt(ctx, tc.hash, tc.at); !errors.Is(err, ErrNotFound) {
				t.Errorf("%s: SessionAt = %v, want ErrNotFound", tc.name, err)
			}
		}
		// A revoked token ends its sessions, and only those.
		if err := s.RevokeToken(ctx, "ops"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.SessionAt(ctx, "h-ops", testNow); !errors.Is(err, ErrNotFound) {
			t.Errorf("after revocation: SessionAt = %v, want ErrNotFound", err)
		}
		if _, err := s.SessionAt(ctx, "h-viewer", testNow); err != nil {
			t.Errorf("other token's session: %v", err)
		}
		if err := s.EndSession(ctx, "h-viewer"); err != nil {
			t.Fatalf("EndSession: %v", err)
		}
		if _, err := s.SessionAt(ctx, "h-viewer", testNow); !errors.Is(err, ErrNotFound) {
			t.Errorf("after logout: SessionAt = %v, want ErrNotFound", err)
		}
	})
}

func TestSessionTokenExpiry(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := mustOpenStore(t, dsn)
		_, tok, err := s.CreateToken(ctx, "short", []string{"read"}, testNow.Add(10*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.StartSession(ctx, "h", tok.ID, testNow, testNow.Add(time.Hour)); err != nil {
			t.Fatal(err)
		}
		// The session outlives its token: the token's expiry ends it.
		if _, err := s.SessionAt(ctx, "h", testNow.Add(10*time.Minute)); !errors.Is(err, ErrNotFound) {
			t.Errorf("SessionAt past the token's expiry = %v, want ErrNotFound", err)
		}
		// Starting another session sweeps the expired ones.
		if err := s.StartSession(ctx, "h2", tok.ID, testNow.Add(2*time.Hour), testNow.Add(3*time.Hour)); err != nil {
			t.Fatal(err)
		}
		var n int
		if err := s.db.Get(&n, `SELECT COUNT(*) FROM console_sessions`); err != nil || n != 1 {
			t.Errorf("sessions left = %d, %v; want 1", n, err)
		}
	})
}
