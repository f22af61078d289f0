package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/beianwatch/beianwatch/internal/pgtest"
	_ "github.com/lib/pq" // for the test schema's admin connection
)

// forEachDB runs test on a fresh SQLite file and, when
// BEIANWATCH_TEST_POSTGRES names a server (scripts/test.sh starts one),
// on a fresh schema there; under CI=true a missing server fails.
func forEachDB(t *testing.T, test func(t *testing.T, dsn string)) {
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		test(t, "sqlite://"+filepath.Join(t.TempDir(), "registry.db"))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		test(t, pgtest.SchemaDSN(t))
	})
}

func TestDBFlag(t *testing.T) {
	dsn := "sqlite://" + filepath.Join(t.TempDir(), "env.db")
	t.Setenv("BEIANWATCH_DB", dsn)
	if r := runInProcess(t, "migrate"); r.code != exitOK {
		t.Fatalf("migrate with BEIANWATCH_DB = %d, stderr %q", r.code, r.stderr)
	}
	if r := runInProcess(t, "migrate", "status", "--db", dsn); !strings.Contains(r.stdout, "init") || strings.Contains(r.stdout, "pending") {
		t.Errorf("migrate status --db (the BEIANWATCH_DB file) = %q, want init applied", r.stdout)
	}
	other := "sqlite://" + filepath.Join(t.TempDir(), "flag.db")
	if r := runInProcess(t, "migrate", "status", "--db", other); !strings.Contains(r.stdout, "pending") {
		t.Errorf("migrate status --db (a new file) = %q, want init pending: --db overrides BEIANWATCH_DB", r.stdout)
	}
}

// Neither errors nor debug logs show a DSN's password.
func TestDSNPasswordHidden(t *testing.T) {
	for _, args := range [][]string{
		{"--log-level", "debug", "migrate", "--db", "postgres://bw:s3cret@127.0.0.1:1/bw?sslmode=disable"},
		{"--log-level", "debug", "sites", "list", "--db", "postgres://127.0.0.1:1/bw?password=s3cret&sslmode=disable"},
		{"--log-level", "debug", "migrate", "--db", "mysql://bw:s3cret@127.0.0.1/bw"},
	} {
		r := runInProcess(t, args...)
		if r.code != exitTrouble || strings.Contains(r.stdout+r.stderr, "s3cret") {
			t.Errorf("%q = %d, stderr %q; want exit %d and no password", args, r.code, r.stderr, exitTrouble)
		}
	}
}
