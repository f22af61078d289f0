package registry

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestTokens(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := mustOpenStore(t, dsn)
		secret, tok, err := s.CreateToken(ctx, "portal", []string{"write", "read", "read"}, testNow.Add(time.Hour))
		if err != nil {
			t.Fatalf("CreateToken: %v", err)
		}
		if !strings.HasPrefix(secret, TokenPrefix) || len(secret) < 40 {
			t.Errorf("secret %q: want bw_ and 256 bits", secret)
		}
		if diff := cmp.Diff([]string{"read", "write"}, tok.Scopes); diff != "" {
			t.Errorf("scopes (-want +got):\n%s", diff)
		}
		if _, _, err := s.CreateToken(ctx, "portal", []string{"read"}, time.Time{}); !errors.Is(err, ErrTokenExists) {
			t.Errorf("CreateToken(same name) = %v, want ErrTokenExists", err)
		}
		got, err := s.VerifyToken(ctx, secret)
		if err != nil {
			t.Fatalf("VerifyToken: %v", err)
		}
		if got.Name != "portal" || !got.LastUsedAt.Equal(testNow) {
			t.Errorf("VerifyToken = %+v, want portal used at %v", got, testNow)
		}
		// The secret is not kept: no column holds it.
		var n int
		if err := s.db.Get(&n, s.db.Rebind(`SELECT COUNT(*) FROM api_tokens WHERE secret_hash = ? OR name = ? OR scopes = ?`), secret, secret, secret); err != nil || n != 0 {
			t.Errorf("rows holding the secret: %d, %v", n, err)
		}

		for _, tc := range []struct {
			name   string
			secret string
			now    time.Time
			want   error
		}{
			{"wrong", secret + "x", testNow, ErrTokenUnknown},
			{"empty", "", testNow, ErrTokenUnknown},
			{"expired", secret, testNow.Add(time.Hour), ErrTokenExpired},
		} {
			s.now = func() time.Time { return tc.now }
			if _, err := s.VerifyToken(ctx, tc.secret); !errors.Is(err, tc.want) {
				t.Errorf("%s: VerifyToken = %v, want %v", tc.name, err, tc.want)
			}
		}
		s.now = func() time.Time { return testNow }
		if err := s.RevokeToken(ctx, "portal"); err != nil {
			t.Fatalf("RevokeToken: %v", err)
		}
		if err := s.RevokeToken(ctx, "portal"); err != nil {
			t.Errorf("RevokeToken again: %v", err)
		}
		if err := s.RevokeToken(ctx, "nobody"); !errors.Is(err, ErrNotFound) {
			t.Errorf("RevokeToken(nobody) = %v, want ErrNotFound", err)
		}
		if _, err := s.VerifyToken(ctx, secret); !errors.Is(err, ErrTokenUnknown) || errors.Is(err, ErrTokenExpired) {
			t.Errorf("VerifyToken(revoked) = %v, want ErrTokenUnknown", err)
		}
		list, err := s.ListTokens(ctx)
		if err != nil || len(list) != 1 || !list[0].RevokedAt.Equal(testNow) {
			t.Errorf("ListTokens = %+v, %v; want portal revoked at %v", list, err, testNow)
		}
	})
}

func TestAuditLog(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := mustOpenStore(t, dsn)
		for i, obj := range []string{"site/1", "site/2", "case/3", `<script>'; DROP TABLE sites; --`} {
			e := AuditEntry{At: testNow.Add(time.Duration(i) * time.Second), Token: "portal", Action: "site.update", Object: obj, Source: "127.0.0.1"}
			if err := s.AppendAudit(ctx, e); err != nil {
				t.Fatalf("AppendAudit: %v", err)
			}
		}
		var objs []string
		for before := int64(0); ; {
			page, err := s.ListAudit(ctx, before, 3)
			if err != nil {
				t.Fatalf("ListAudit: %v", err)
			}
			if len(page) == 0 {
				break
			}
			for _, e := range page {
				objs = append(objs, e.Object)
			}
			before = page[len(page)-1].ID
		}
		want := []string{`<script>'; DROP TABLE sites; --`, "case/3", "site/2", "site/1"}
		if diff := cmp.Diff(want, objs); diff != "" {
			t.Errorf("audit objects (-want +got):\n%s", diff)
		}
		if _, err := s.db.Exec(`UPDATE audit_log SET token_name = 'x'`); err == nil {
			t.Error("UPDATE audit_log succeeded, want it refused")
		}
		if _, err := s.db.Exec(`DELETE FROM audit_log`); err == nil {
			t.Error("DELETE FROM audit_log succeeded, want it refused")
		}
	})
}
