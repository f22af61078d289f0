package main

import (
	"os"
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

// TestMissingRegistryCreatesNothing: the commands that read or change a
// registry, pointed at a SQLite file that is not there (a typo in --db, a
// directory without one), say which command creates it and leave the
// directory as it was: no database, no key file. import and migrate
// create it.
func TestMissingRegistryCreatesNothing(t *testing.T) {
	t.Setenv("BEIANWATCH_DB", "")
	t.Setenv("BEIANWATCH_KEY_FILE", "")
	dir := t.TempDir()
	t.Chdir(dir)
	typo := "sqlite://" + filepath.Join(dir, "regsitry.db")
	for _, args := range [][]string{
		{"sites", "list"},
		{"sites", "show", "example.cn"},
		{"export", "--file", "out.csv"},
		{"token", "list"},
		{"audit", "list"},
		{"case", "list"},
		{"keys", "rotate"},
		{"sites", "list", "--db", typo},
		// check with a named registry is judged against it: it must be there.
		{"check", "--db", typo, "example.cn"},
	} {
		r := runInProcess(t, args...)
		if r.code != exitTrouble || !strings.Contains(r.stderr, "does not exist: 'beianwatch import FILE' creates it") ||
			strings.Contains(r.stderr, "--help' for usage") {
			t.Errorf("%q = %d\nstderr: %s\nwant %d, the registry does not exist, and no usage hint", args, r.code, r.stderr, exitTrouble)
		}
		if files, _ := os.ReadDir(dir); len(files) > 0 {
			t.Fatalf("%q left %v in the directory; want nothing", args, files)
		}
	}
	if r := runInProcess(t, "migrate", "--db", typo); r.code != exitOK {
		t.Fatalf("migrate --db %s = %d, %s", typo, r.code, r.stderr)
	}
	if r := runInProcess(t, "sites", "list", "--db", typo); r.code != exitOK {
		t.Errorf("sites list after migrate = %d, %s", r.code, r.stderr)
	}
}
