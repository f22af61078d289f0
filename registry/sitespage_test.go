package registry

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSitesPage reads every filter's pages, three sites at a time, on
// both engines. Site n is siteN.example.cn, customer cust-N, tag
// batch-N%10 (exampleSite).
func TestSitesPage(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := mustOpenStore(t, dsn)
		var all []Site
		for n := 1; n <= 30; n++ {
			all = append(all, exampleSite(n))
		}
		mustUpsert(t, s, all...)
		set := func(domain, assignments string, args ...any) {
			t.Helper()
			si, _ := mustSite(t, s, domain)
			q := s.db.Rebind("UPDATE site_state SET " + assignments + " WHERE site_id = ?")
			if _, err := s.db.ExecContext(ctx, q, append(args, si.ID)...); err != nil {
				t.Fatalf("%s: %v", q, err)
			}
		}
		missing := `[{"code":"PSB_BADGE_MISSING","severity":"error","message":"m","message_zh":"","evidence":"","path":""}]`
		set("site4.example.cn", "verdict = 'fail', findings = ?", missing)
		set("site7.example.cn", "verdict = 'fail', findings = ?", missing)
		set("site8.example.cn", "verdict = 'pass'")
		// testNow is 2026-11-27 in Beijing.
		set("site11.example.cn", "psb_filing_status = 'pending', psb_filing_due = ?", "2026-11-26") // overdue since
		set("site12.example.cn", "badge_status = 'overdue'")
		set("site13.example.cn", "psb_filing_status = 'pending', psb_filing_due = ?", "2026-11-27") // due today
		set("site14.example.cn", "badge_status = 'pending', badge_due = ?", "2026-11-30")
		set("site15.example.cn", "badge_status = 'pending', badge_due = ?", "2026-12-09")
		if _, err := s.db.ExecContext(ctx, s.db.Rebind("UPDATE sites SET active = ? WHERE customer_id = 'cust-9'"), false); err != nil {
			t.Fatal(err)
		}
		sites := func(ns ...int) []string {
			var out []string
			for _, n := range ns {
				out = append(out, fmt.Sprintf("site%d.example.cn", n))
			}
			return out
		}
		for _, tc := range []struct {
			name string
			f    SiteFilter
			want []string
		}{
			{"verdict", SiteFilter{Verdict: "fail"}, sites(4, 7)},
			{"finding", SiteFilter{FindingCode: "PSB_BADGE_MISSING"}, sites(4, 7)},
			{"finding none", SiteFilter{FindingCode: "PSB_BADGE"}, nil},
			{"customer", SiteFilter{CustomerID: "cust-21"}, sites(21)},
			{"retired hidden", SiteFilter{CustomerID: "cust-9"}, nil},
			{"retired included", SiteFilter{CustomerID: "cust-9", IncludeRetired: true}, sites(9)},
			{"tag", SiteFilter{Tag: "batch-3"}, sites(3, 13, 23)},
			{"overdue", SiteFilter{Deadline: DeadlineOverdue}, sites(11, 12)},
			{"due today", SiteFilter{Deadline: DeadlineDueSoon}, sites(13)},
			{"due in 3 days", SiteFilter{Deadline: DeadlineDueSoon, DueWithinDays: 3}, sites(13, 14)},
			{"due in 12 days", SiteFilter{Deadline: DeadlineDueSoon, DueWithinDays: 12}, sites(13, 14, 15)},
			{"domain prefix", SiteFilter{Prefix: "SITE2"}, sites(2, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29)},
			{"ICP prefix", SiteFilter{Prefix: "京ICP备202100001"}, sites(10, 11, 12, 13, 14, 15, 16, 17, 18, 19)},
			{"PSB prefix", SiteFilter{Prefix: "1101050200000"}, sites(1, 2, 3, 4, 5, 6, 7, 8)},
			{"LIKE wildcards are text", SiteFilter{Prefix: "site_"}, nil},
			{"percent is text", SiteFilter{Prefix: "%"}, nil},
			{"SQL is text", SiteFilter{Prefix: "' OR 1=1 --"}, nil},
			{"combined", SiteFilter{Prefix: "site1", Deadline: DeadlineDueSoon, DueWithinDays: 3}, sites(13, 14)},
		} {
			t.Run(tc.name, func(t *testing.T) {
				var got []string
				after, pages := int64(0), 0
				for {
					ss, _, next, err := s.SitesPage(ctx, tc.f, after, 3)
					if err != nil {
						t.Fatalf("SitesPage: %v", err)
					}
					for _, si := range ss {
						got = append(got, si.Domains[0].ASCII)
					}
					if pages++; next == 0 || pages > 20 {
						break
					}
					after = next
				}
				if diff := cmp.Diff(tc.want, got); diff != "" {
					t.Errorf("sites (-want +got):\n%s", diff)
				}
				if want := max(1, (len(tc.want)+2)/3); pages != want {
					t.Errorf("%d pages, want %d", pages, want)
				}
			})
		}
		for _, f := range []SiteFilter{{Deadline: "soon"}, {DueWithinDays: -1}} {
			if _, _, _, err := s.SitesPage(ctx, f, 0, 3); err == nil || !strings.Contains(err.Error(), "want") {
				t.Errorf("SitesPage(%+v) = %v, want an error", f, err)
			}
		}
	})
}
