package registry

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/beianwatch/beianwatch/internal/pgtest"
	"github.com/google/go-cmp/cmp"
)

// TestImportSites: conflicts are reported by their place in the batch
// given (not in the retried rest); with partial the others are written,
// without nothing is.
func TestImportSites(t *testing.T) {
	batch := []Site{exampleSite(1), exampleSite(2),
		with(exampleSite(3), func(s *Site) { s.Domains = domains("c.example.cn", "site1.example.cn") }),
		exampleSite(4),
		with(exampleSite(5), func(s *Site) { s.Domains = domains("site4.example.cn") })}
	tests := []struct {
		name         string
		partial      bool
		wantRejected []int
		wantStats    ImportStats
		wantSites    int
	}{
		{name: "partial", partial: true, wantRejected: []int{2, 4}, wantStats: ImportStats{Inserted: 3}, wantSites: 3},
		{name: "all or nothing", partial: false, wantRejected: []int{2}, wantStats: ImportStats{}, wantSites: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachEngine(t, func(t *testing.T, dsn string) {
				s := mustOpenStore(t, dsn)
				var rejected []int
				stats, err := s.ImportSites(context.Background(), batch, tt.partial, func(ce *ConflictError) {
					rejected = append(rejected, ce.Index)
				})
				if _, conflict := errors.AsType[*ConflictError](err); conflict == tt.partial {
					t.Errorf("ImportSites(partial %t) = %v", tt.partial, err)
				}
				if diff := cmp.Diff(tt.wantRejected, rejected); diff != "" {
					t.Errorf("ImportSites(partial %t) rejected (-want +got):\n%s", tt.partial, diff)
				}
				if stats != tt.wantStats {
					t.Errorf("ImportSites(partial %t) = %+v, want %+v", tt.partial, stats, tt.wantStats)
				}
				if sites, _ := allSites(t, s); len(sites) != tt.wantSites {
					t.Errorf("ImportSites(partial %t) left %d sites, want %d", tt.partial, len(sites), tt.wantSites)
				}
			})
		})
	}
}

// TestImportAnalyzes: on PostgreSQL an import of analyzeAfter sites
// ANALYZEs the tables it wrote, and a smaller one does not, nor one of
// analyzeAfter sites that is less than a tenth of the registry
// (pg_stat_user_tables.analyze_count counts manual ANALYZEs only, not
// autovacuum's).
func TestImportAnalyzes(t *testing.T) {
	s := mustOpenStore(t, pgtest.SchemaDSN(t))
	ctx := context.Background()
	analyzed := func() map[string]int {
		rows, err := s.db.QueryContext(ctx, `SELECT relname, analyze_count FROM pg_stat_user_tables
			WHERE schemaname = current_schema() AND relname IN ('sites', 'domains', 'site_ips', 'site_state')`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		n := map[string]int{}
		for rows.Next() {
			var table string
			var count int
			if err := rows.Scan(&table, &count); err != nil {
				t.Fatal(err)
			}
			n[table] = count
		}
		return n
	}
	sites := func(from, n int) []Site {
		out := make([]Site, n)
		for i := range out {
			out[i] = exampleSite(from + i)
		}
		return out
	}
	noneYet := map[string]int{"sites": 0, "domains": 0, "site_ips": 0, "site_state": 0}
	if _, err := s.UpsertSites(ctx, sites(1, analyzeAfter-1)); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(noneYet, analyzed()); diff != "" {
		t.Errorf("ANALYZE counts after %d sites (-want +got):\n%s", analyzeAfter-1, diff)
	}
	start := time.Now()
	if _, err := s.UpsertSites(ctx, sites(analyzeAfter, analyzeAfter)); err != nil {
		t.Fatal(err)
	}
	t.Logf("importing %d sites, with ANALYZE: %v", analyzeAfter, time.Since(start))
	once := map[string]int{"sites": 1, "domains": 1, "site_ips": 1, "site_state": 1}
	if diff := cmp.Diff(once, analyzed()); diff != "" {
		t.Errorf("ANALYZE counts after %d more sites (-want +got):\n%s", analyzeAfter, diff)
	}
	// 10 × analyzeAfter more: analysed again (the planner believed in
	// 2 × analyzeAfter); then analyzeAfter more are less than a tenth.
	if _, err := s.UpsertSites(ctx, sites(2*analyzeAfter, 10*analyzeAfter)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UpsertSites(ctx, sites(12*analyzeAfter, analyzeAfter)); err != nil {
		t.Fatal(err)
	}
	twice := map[string]int{"sites": 2, "domains": 2, "site_ips": 2, "site_state": 2}
	if diff := cmp.Diff(twice, analyzed()); diff != "" {
		t.Errorf("ANALYZE counts after %d and %d more sites (-want +got):\n%s", 10*analyzeAfter, analyzeAfter, diff)
	}
}
