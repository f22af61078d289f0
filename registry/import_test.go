package registry

import (
	"context"
	"errors"
	"testing"

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
