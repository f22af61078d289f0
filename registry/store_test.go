package registry

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/beianwatch/beianwatch/internal/pgtest"
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
		test(t, pgtest.SQLiteDSN(t))
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		test(t, pgtest.SchemaDSN(t))
	})
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
