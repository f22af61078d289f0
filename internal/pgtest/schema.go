package pgtest

import (
	"crypto/rand"
	"database/sql"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "github.com/lib/pq" // the "postgres" driver
)

// EnvDSN names the PostgreSQL server of the suite's tests (scripts/test.sh
// starts a throwaway one and sets it).
const EnvDSN = "BEIANWATCH_TEST_POSTGRES"

// Available says the suite has a PostgreSQL server. Under CI=true it must:
// a test that asks and gets no server fails.
func Available(t testing.TB) bool {
	t.Helper()
	if os.Getenv(EnvDSN) != "" {
		return true
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is empty, but CI=true requires the PostgreSQL tests (scripts/test.sh starts a server)", EnvDSN)
	}
	return false
}

// SchemaDSN returns the DSN of an empty schema of the test's own on the
// suite's server (its search_path, and its application_name so that a
// test can find its connections), dropped when the test ends. Without a
// server the test skips, or fails under CI=true.
func SchemaDSN(t testing.TB) string {
	t.Helper()
	if !Available(t) {
		t.Skipf("%s is empty: PostgreSQL tests skipped (scripts/test.sh starts a server)", EnvDSN)
	}
	base := os.Getenv(EnvDSN)
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", EnvDSN, err)
	}
	admin, err := sql.Open("postgres", base)
	if err != nil {
		t.Fatal(err)
	}
	schema := "test_" + strings.ToLower(rand.Text()[:16])
	if _, err := admin.Exec(`CREATE SCHEMA "` + schema + `"`); err != nil {
		admin.Close()
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		if _, err := admin.Exec(`DROP SCHEMA "` + schema + `" CASCADE`); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	q := u.Query()
	q.Set("search_path", schema)
	q.Set("application_name", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// SQLiteDSN is a registry file in the test's temporary directory.
func SQLiteDSN(t testing.TB) string {
	return "sqlite://" + filepath.Join(t.TempDir(), "registry.db")
}

// ForEachEngine runs test on SQLite, then on PostgreSQL, each with an empty
// registry of its own.
func ForEachEngine(t *testing.T, test func(t *testing.T, dsn string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { test(t, SQLiteDSN(t)) })
	t.Run("postgres", func(t *testing.T) { test(t, SchemaDSN(t)) })
}
