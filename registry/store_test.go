package registry

import (
	"context"
	"crypto/rand"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// postgresEnv names the PostgreSQL server the suite also runs on, as a
// lib/pq URL (scripts/test.sh starts one and sets it). Each test gets a
// schema of its own there, dropped afterwards.
const postgresEnv = "BEIANWATCH_TEST_POSTGRES"

// testNow is the clock of most tests: 2026-11-27 12:00 in Beijing.
var testNow = time.Date(2026, 11, 27, 4, 0, 0, 0, time.UTC)

// forEachEngine runs test once on SQLite and once on PostgreSQL, each with
// a DSN of an empty database of its own. Without BEIANWATCH_TEST_POSTGRES
// the PostgreSQL half skips, or fails under CI=true.
func forEachEngine(t *testing.T, test func(t *testing.T, dsn string)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		test(t, sqliteDSNForTest(t))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		test(t, postgresDSNForTest(t))
	})
}

func sqliteDSNForTest(t testing.TB) string {
	return "sqlite://" + filepath.Join(t.TempDir(), "registry.db")
}

// postgresDSNForTest creates a schema and returns the server's DSN with
// search_path set to it.
func postgresDSNForTest(t testing.TB) string {
	t.Helper()
	base := os.Getenv(postgresEnv)
	if base == "" {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is empty, but CI=true requires the PostgreSQL tests (scripts/test.sh starts a server)", postgresEnv)
		}
		t.Skipf("%s is empty: PostgreSQL tests skipped (scripts/test.sh starts a server)", postgresEnv)
	}
	admin, err := sql.Open("postgres", base)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { admin.Close() })
	schema := "test_" + strings.ToLower(rand.Text()[:16])
	if _, err := admin.Exec(`CREATE SCHEMA "` + schema + `"`); err != nil {
		t.Fatalf("create schema: %v", err)
	}
	t.Cleanup(func() {
		if _, err := admin.Exec(`DROP SCHEMA "` + schema + `" CASCADE`); err != nil {
			t.Errorf("drop schema: %v", err)
		}
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("%s: %v", postgresEnv, err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	// Named so that a test can find (and kill) its store's connections.
	q.Set("application_name", schema)
	u.RawQuery = q.Encode()
	return u.String()
}

// openStore opens a store on dsn, closed when the test ends, with its
// clock at testNow.
func openStore(t testing.TB, dsn string) *Store {
	t.Helper()
	s, err := Open(context.Background(), dsn, nil, prometheus.NewRegistry())
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { s.Close() })
	s.now = func() time.Time { return testNow }
	s.SetKeys(testKeys)
	return s
}

// mustOpenStore opens and migrates a store on dsn.
func mustOpenStore(t testing.TB, dsn string) *Store {
	t.Helper()
	s := openStore(t, dsn)
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	return s
}

// mustUpsert imports sites and fails the test on error.
func mustUpsert(t testing.TB, s *Store, sites ...Site) ImportStats {
	t.Helper()
	st, err := s.UpsertSites(context.Background(), sites)
	if err != nil {
		t.Fatalf("UpsertSites: %v", err)
	}
	return st
}

// allSites lists every site, retired included.
func allSites(t testing.TB, s *Store) ([]*Site, []*State) {
	t.Helper()
	var sites []*Site
	var states []*State
	err := s.ListSites(context.Background(), SiteFilter{IncludeRetired: true}, func(si *Site, st *State) error {
		sites, states = append(sites, si), append(states, st)
		return nil
	})
	if err != nil {
		t.Fatalf("ListSites: %v", err)
	}
	return sites, states
}

func mustSite(t testing.TB, s *Store, domain string) (*Site, *State) {
	t.Helper()
	si, st, err := s.SiteByDomain(context.Background(), domain)
	if err != nil {
		t.Fatalf("SiteByDomain(%q): %v", domain, err)
	}
	return si, st
}

func domains(names ...string) []Domain {
	ds := make([]Domain, len(names))
	for i, n := range names {
		d, err := NormalizeDomain(n)
		if err != nil {
			panic(fmt.Sprintf("domains(%q): %v", n, err))
		}
		ds[i] = d
	}
	return ds
}
