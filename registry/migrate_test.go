package registry

import (
	"context"
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
		v1 := Migration{Version: 1, Name: "init"}
		v2 := Migration{Version: 2, Name: "lease"}
		applied := func(m Migration) Migration { m.Applied = true; return m }
		status(v1, v2)

		for range 2 { // up twice: the second does nothing
			if err := s.Migrate(ctx); err != nil {
				t.Fatalf("Migrate: %v", err)
			}
		}
		status(applied(v1), applied(v2))
		mustUpsert(t, s, exampleSite(1))

		if err := s.MigrateDown(ctx); err != nil {
			t.Fatalf("MigrateDown: %v", err)
		}
		status(applied(v1), v2)
		if _, _, err := s.SiteByDomain(ctx, "site1.example.cn"); err != nil {
			t.Errorf("SiteByDomain after undoing the lease index: %v", err)
		}
		if err := s.MigrateDown(ctx); err != nil {
			t.Fatalf("MigrateDown: %v", err)
		}
		status(v1, v2)
		if _, _, err := s.SiteByDomain(ctx, "site1.example.cn"); err == nil {
			t.Errorf("SiteByDomain after MigrateDown: no error, want one (no tables)")
		}
		if err := s.MigrateDown(ctx); err == nil {
			t.Errorf("MigrateDown with nothing applied: no error, want one")
		}

		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("Migrate again: %v", err)
		}
		status(applied(v1), applied(v2))
		if st := mustUpsert(t, s, exampleSite(1)); st.Inserted != 1 {
			t.Errorf("UpsertSites after re-migrating = %+v, want 1 inserted", st)
		}
	})
}
