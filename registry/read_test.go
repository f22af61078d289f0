package registry

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/beianwatch/beianwatch/checker"
)

func TestSiteByDomain(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dsn string) {
		s := mustOpenStore(t, dsn)
		mustUpsert(t, s,
			with(exampleSite(1), func(s *Site) { s.Domains = domains("中文.中国", "Example.CN") }),
			with(exampleSite(2), func(s *Site) { s.Domains = domains("www.other.cn") }))
		tests := []struct {
			domain string
			wantID int64 // 0: ErrNotFound
		}{
			{"中文.中国", 1},
			{"xn--fiq228c.xn--fiqs8s", 1},
			{"XN--FIQ228C.XN--FIQS8S", 1},
			{"example.cn", 1},
			{"EXAMPLE.cn.", 1},
			{"www.other.cn", 2},
			{"other.cn", 0}, // www. is not stripped
			{"www.example.cn", 0},
			{"nowhere.cn", 0},
		}
		for _, tt := range tests {
			site, st, err := s.SiteByDomain(context.Background(), tt.domain)
			var gotID int64
			if err == nil {
				gotID = site.ID
				if st.SiteID != site.ID {
					t.Errorf("SiteByDomain(%q): state of site %d, want %d", tt.domain, st.SiteID, site.ID)
				}
			}
			if gotID != tt.wantID || (tt.wantID == 0) != errors.Is(err, ErrNotFound) {
				t.Errorf("SiteByDomain(%q) = site %d, %v; want site %d (0: ErrNotFound)", tt.domain, gotID, err, tt.wantID)
			}
		}
	})
}

func TestListSites(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := mustOpenStore(t, dsn)
		s.pageSize = 100
		const n = 250 // more than two pages
		mustUpsert(t, s, generateSites(n)...)
		// Site 7 failed its check; site 8 is retired.
		site7, _ := mustSite(t, s, "site7.example.cn")
		saveResult(t, s, Result{SiteID: site7.ID, CheckedAt: testNow, HTTPStatus: 200, Verdict: checker.VerdictFail}, false)
		if err := s.RetireSite(ctx, "site8.example.cn"); err != nil {
			t.Fatal(err)
		}
		tests := []struct {
			filter    SiteFilter
			wantCount int
			wantFirst string // primary domain of the first site listed
		}{
			{SiteFilter{}, n - 1, "示例0.中国"},
			{SiteFilter{IncludeRetired: true}, n, "示例0.中国"},
			{SiteFilter{Limit: 150}, 150, "示例0.中国"},
			{SiteFilter{Limit: 100}, 100, "示例0.中国"},
			{SiteFilter{Limit: 1}, 1, "示例0.中国"},
			{SiteFilter{Verdict: checker.VerdictFail}, 1, "site7.example.cn"},
			{SiteFilter{Verdict: VerdictUnchecked, IncludeRetired: true}, n - 1, "示例0.中国"},
			{SiteFilter{Tag: "batch-3"}, n / 10, "site3.example.cn"},
			{SiteFilter{Tag: "batch-8"}, n/10 - 1, "site18.example.cn"},
			{SiteFilter{Tag: "batch-"}, 0, ""},
		}
		for _, tt := range tests {
			var count int
			var first string
			var last int64
			err := s.ListSites(ctx, tt.filter, func(si *Site, st *State) error {
				if si.ID <= last || st.SiteID != si.ID {
					return fmt.Errorf("site %d (state of %d) after site %d: not in id order", si.ID, st.SiteID, last)
				}
				if count == 0 {
					first = si.Domains[0].Unicode
				}
				count, last = count+1, si.ID
				return nil
			})
			if err != nil || count != tt.wantCount || first != tt.wantFirst {
				t.Errorf("ListSites(%+v) = %d sites from %q, %v; want %d from %q", tt.filter, count, first, err, tt.wantCount, tt.wantFirst)
			}
		}
	})
}

// ListSites stops at fn's error, and fn may use the store meanwhile.
func TestListSitesCallback(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := mustOpenStore(t, dsn)
		s.pageSize = 100
		mustUpsert(t, s, generateSites(250)...)
		stop := errors.New("stop")
		var seen int
		err := s.ListSites(ctx, SiteFilter{}, func(si *Site, _ *State) error {
			seen++
			if seen == 150 {
				return stop
			}
			// Writing from the callback must not deadlock, even on
			// SQLite's single writer connection.
			return s.SaveResult(ctx, Result{SiteID: si.ID, CheckedAt: testNow, Verdict: checker.VerdictError}, testNow, checker.Deadlines{}, false)
		})
		if !errors.Is(err, stop) || seen != 150 {
			t.Errorf("ListSites = %v after %d sites, want %v after 150", err, seen, stop)
		}
	})
}

func TestRetireSite(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := mustOpenStore(t, dsn)
		mustUpsert(t, s, exampleSite(1), exampleSite(2))
		site, _ := mustSite(t, s, "site1.example.cn")
		saveResult(t, s, Result{SiteID: site.ID, CheckedAt: testNow, HTTPStatus: 200, Verdict: checker.VerdictPass}, true)

		later := testNow.Add(time.Hour)
		s.now = func() time.Time { return later }
		for range 2 { // retiring twice is fine
			if err := s.RetireSite(ctx, "SITE1.example.cn"); err != nil {
				t.Fatalf("RetireSite: %v", err)
			}
		}
		site, st := mustSite(t, s, "site1.example.cn")
		if site.Active || !site.UpdatedAt.Equal(later) || st.Verdict != checker.VerdictPass {
			t.Errorf("retired site: Active %v, UpdatedAt %v, verdict %q; want false, %v, pass (state kept)", site.Active, site.UpdatedAt, st.Verdict, later)
		}
		if rs, err := s.Results(ctx, site.ID, 0); err != nil || len(rs) != 1 {
			t.Errorf("retired site's Results = %d, %v; want its 1 result kept", len(rs), err)
		}
		var active []int64
		s.ListSites(ctx, SiteFilter{}, func(si *Site, _ *State) error { active = append(active, si.ID); return nil })
		if len(active) != 1 || active[0] == site.ID {
			t.Errorf("active sites = %v, want only the other site", active)
		}
		if err := s.RetireSite(ctx, "nowhere.cn"); !errors.Is(err, ErrNotFound) {
			t.Errorf("RetireSite(nowhere.cn) = %v, want ErrNotFound", err)
		}
	})
}
