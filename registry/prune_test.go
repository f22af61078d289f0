package registry

import (
	"context"
	"testing"
	"time"

	"github.com/beianwatch/beianwatch/checker"
)

// TestPruneHistory gives three sites the same history, a check a day
// from 402 days before now (pass, pass, pass, fail, fail, each at another
// URL), and prunes what was last seen more than 400 days ago: the second
// entry only (the first and the fourth changed the verdict, the third is
// not old enough, the fifth is the latest), except on the site with a
// takedown under way. A case closed more than CaseHold ago holds nothing.
func TestPruneHistory(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := mustOpenStore(t, dsn)
		caseSites(t, s)
		mustUpsert(t, s, exampleSite(3))
		mustOpenCase(t, s, takedown()) // site1
		closed := takedown()
		closed.Domain, closed.URLs = "site2.example.cn", []string{"https://site2.example.cn/bad"}
		c := mustOpenCase(t, s, closed)
		if _, err := s.db.ExecContext(ctx, s.db.Rebind("UPDATE cases SET state = 'closed', closed_at = ?, updated_at = ? WHERE id = ?"),
			ts(testNow.Add(-CaseHold-time.Hour)), ts(testNow.Add(-CaseHold-time.Hour)), c.ID); err != nil {
			t.Fatal(err)
		}
		day := func(i int) time.Time { return testNow.Add(time.Duration(i-402) * 24 * time.Hour) }
		verdicts := []checker.Verdict{"pass", "pass", "pass", "fail", "fail"}
		ids := map[string]int64{}
		for _, d := range []string{"site1.example.cn", "site2.example.cn", "site3.example.cn"} {
			site, _ := mustSite(t, s, d)
			ids[d] = site.ID
			for i, v := range verdicts {
				saveResult(t, s, Result{SiteID: site.ID, CheckedAt: day(i), Verdict: v, HTTPStatus: 200,
					FinalURL: "https://" + d + "/" + string(rune('a'+i))}, false)
			}
		}
		n, err := s.PruneHistory(ctx, testNow.Add(-400*24*time.Hour), 1, 0.5)
		if err != nil || n != 2 {
			t.Fatalf("PruneHistory = %d, %v; want 2 deleted", n, err)
		}
		want := map[string][]time.Time{
			"site1.example.cn": {day(4), day(3), day(2), day(1), day(0)},
			"site2.example.cn": {day(4), day(3), day(2), day(0)},
			"site3.example.cn": {day(4), day(3), day(2), day(0)},
		}
		for d, times := range want {
			rs, err := s.Results(ctx, ids[d], 0)
			if err != nil {
				t.Fatal(err)
			}
			got := make([]time.Time, len(rs))
			for i, r := range rs {
				got[i] = r.CheckedAt
			}
			if len(got) != len(times) {
				t.Errorf("%s after pruning: %v, want %v", d, got, times)
				continue
			}
			for i := range got {
				if !got[i].Equal(times[i]) {
					t.Errorf("%s after pruning: %v, want %v", d, got, times)
					break
				}
			}
		}
		if n, err := s.PruneHistory(ctx, testNow.Add(-400*24*time.Hour), 100, 0); err != nil || n != 0 {
			t.Errorf("PruneHistory again = %d, %v; want 0", n, err)
		}
	})
}
