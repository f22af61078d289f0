package registry

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// TestSitesPagePlans prints the plan of each filter's first page (with
// PostgreSQL's timing) and how long SitesPage takes for it (the best of
// five, the domains and IPs included), against the registry
// BEIANWATCH_EXPLAIN_DSN names (a large one; docs/api.md says how it was
// filled), on either engine. It checks nothing: the figures go in
// docs/api.md.
func TestSitesPagePlans(t *testing.T) {
	dsn := os.Getenv("BEIANWATCH_EXPLAIN_DSN")
	if dsn == "" {
		t.Skip("BEIANWATCH_EXPLAIN_DSN is empty")
	}
	ctx := context.Background()
	s, err := Open(ctx, dsn, nil, prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, tc := range []struct {
		name  string
		f     SiteFilter
		after int64
	}{
		{"all, first page", SiteFilter{}, 0},
		{"all, deep page", SiteFilter{}, 900000},
		{"verdict fail", SiteFilter{Verdict: "fail"}, 0},
		{"finding (rare)", SiteFilter{FindingCode: "ICP_NOT_LINKED"}, 0},
		{"customer", SiteFilter{CustomerID: "cust-42"}, 0},
		{"tag", SiteFilter{Tag: "batch-7"}, 0},
		{"overdue", SiteFilter{Deadline: DeadlineOverdue}, 0},
		{"due within 7 days", SiteFilter{Deadline: DeadlineDueSoon, DueWithinDays: 7}, 0},
		{"domain prefix", SiteFilter{Prefix: "site12345"}, 0},
		{"ICP prefix", SiteFilter{Prefix: "京ICP备2000098"}, 0},
	} {
		where, args := tc.f.where(s.d, tc.after, 51, s.keys, s.today())
		var lines []string
		if s.d.name == "postgres" {
			q := s.db.Rebind("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) " + siteSelect + where)
			if err := s.db.SelectContext(ctx, &lines, q, args...); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
		} else {
			var rows []struct {
				ID, Parent, NotUsed int
				Detail              string
			}
			if err := s.db.SelectContext(ctx, &rows, "EXPLAIN QUERY PLAN "+siteSelect+where, args...); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			for _, r := range rows {
				lines = append(lines, r.Detail)
			}
		}
		best := time.Hour
		for range 5 {
			start := time.Now()
			if _, _, _, err := s.SitesPage(ctx, tc.f, tc.after, 50); err != nil {
				t.Fatalf("%s: %v", tc.name, err)
			}
			best = min(best, time.Since(start))
		}
		t.Logf("%s: SitesPage %v\n%s", tc.name, best, strings.Join(lines, "\n"))
	}
}
