package main

import (
	"context"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/beianwatch/beianwatch/registry"
)

// TestTokenCommands: create prints a bw_ secret once that the registry
// verifies; list shows the token but never the secret; revoke ends it;
// bad scopes and names are usage errors.
func TestTokenCommands(t *testing.T) {
	forEachDB(t, func(t *testing.T, dsn string) {
		mustRun(t, 0, "migrate", "--db", dsn)
		r := mustRun(t, 0, "token", "create", "--db", dsn, "--name", "portal", "--scope", "read,cases", "--expires", "90d")
		secret := strings.TrimSpace(r.stdout)
		if !strings.HasPrefix(secret, "bw_") || strings.Contains(r.stderr, secret) {
			t.Fatalf("token create: stdout %q stderr %q", r.stdout, r.stderr)
		}
		st, err := registry.Open(context.Background(), dsn, nil, prometheus.NewRegistry())
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		tok, err := st.VerifyToken(context.Background(), secret)
		if err != nil || tok.Name != "portal" || strings.Join(tok.Scopes, ",") != "cases,read" || tok.ExpiresAt.IsZero() {
			t.Errorf("VerifyToken = %+v, %v", tok, err)
		}
		r = mustRun(t, 0, "token", "list", "--db", dsn)
		if !strings.Contains(r.stdout, "portal") || !strings.Contains(r.stdout, "active") || strings.Contains(r.stdout, secret) {
			t.Errorf("token list:\n%s", r.stdout)
		}
		mustRun(t, 0, "token", "revoke", "--db", dsn, "portal")
		r = mustRun(t, 0, "token", "list", "--json", "--db", dsn)
		if !strings.Contains(r.stdout, `"revoked_at":"`) {
			t.Errorf("token list --json after revoke:\n%s", r.stdout)
		}
		for _, args := range [][]string{
			{"token", "create", "--name", "x", "--scope", "root"},
			{"token", "create", "--name", "", "--scope", "read"},
			{"token", "create", "--name", "x", "--scope", "read", "--expires", "soon"},
			{"token", "create", "--name", "portal", "--scope", "read"}, // taken
			{"token", "revoke", "nobody"},
			{"audit", "list", "--limit", "0"},
		} {
			mustRun(t, exitTrouble, append(args, "--db", dsn)...)
		}
		if err := st.AppendAudit(context.Background(), registry.AuditEntry{Token: "portal", Action: "site.create", Object: "site/1", Source: "127.0.0.1"}); err != nil {
			t.Fatal(err)
		}
		r = mustRun(t, 0, "audit", "list", "--db", dsn)
		if !strings.Contains(r.stdout, "site.create") || !strings.Contains(r.stdout, "site/1") {
			t.Errorf("audit list:\n%s", r.stdout)
		}
	})
}
