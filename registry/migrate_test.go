package registry

import (
	"context"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestMigrate(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := openStore(t, dsn)
		status := func(want ...Migration) {
			t.Helper()
			got, err := s.MigrationStatus(ctx)
			if err != nil {
				t.Fatalf("MigrationStatus: %v", err)
			}
			for _, m := range got {
				if m.Applied == m.AppliedAt.IsZero() {
					t.Errorf("migration %d: Applied %v but AppliedAt %v", m.Version, m.Applied, m.AppliedAt)
				}
			}
			if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(Migration{}, "AppliedAt")); diff != "" {
				t.Errorf("MigrationStatus (-want +got):\n%s", diff)
			}
		}
		// Every embedded migration, numbered upwards from 1, pending. A
		// gap is allowed: branches reserve numbers (00006 the holiday
		// calendar's, 00007 the result policy's) and goose applies them in
		// order whatever arrives first.
		pending, err := s.MigrationStatus(ctx)
		if err != nil {
			t.Fatalf("MigrationStatus: %v", err)
		}
		if len(pending) < 3 || pending[0] != (Migration{Version: 1, Name: "init"}) || pending[1] != (Migration{Version: 2, Name: "lease"}) {
			t.Fatalf("migrations = %+v, want init, lease, …", pending)
		}
		for i, m := range pending {
			if i > 0 && m.Version <= pending[i-1].Version || m.Applied {
				t.Errorf("migration %d = %+v, want a version above %d, pending", i, m, pending[max(i-1, 0)].Version)
			}
		}
		// upTo is the status with the first n migrations applied.
		upTo := func(n int) []Migration {
			ms := slices.Clone(pending)
			for i := range n {
				ms[i].Applied = true
			}
			return ms
		}

		for range 2 { // up twice: the second does nothing
			if err := s.Migrate(ctx); err != nil {
				t.Fatalf("Migrate: %v", err)
			}
		}
		status(upTo(len(pending))...)
		mustUpsert(t, s, exampleSite(1))
		if _, _, err := s.SiteByDomain(ctx, "site1.example.cn"); err != nil {
			t.Errorf("SiteByDomain after Migrate: %v", err)
		}

		// Each migration undoes, newest first, with data in the tables.
		for n := len(pending) - 1; n >= 0; n-- {
			if err := s.MigrateDown(ctx); err != nil {
				t.Fatalf("MigrateDown to %d: %v", n, err)
			}
			status(upTo(n)...)
		}
		if _, _, err := s.SiteByDomain(ctx, "site1.example.cn"); err == nil {
			t.Errorf("SiteByDomain after MigrateDown: no error, want one (no tables)")
		}
		if err := s.MigrateDown(ctx); err == nil {
			t.Errorf("MigrateDown with nothing applied: no error, want one")
		}

		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("Migrate again: %v", err)
		}
		status(upTo(len(pending))...)
		if st := mustUpsert(t, s, exampleSite(1)); st.Inserted != 1 {
			t.Errorf("UpsertSites after re-migrating = %+v, want 1 inserted", st)
		}
	})
}
