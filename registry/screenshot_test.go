package registry

import (
	"bytes"
	"context"
	"errors"
	"testing"
	"time"

	"github.com/beianwatch/beianwatch/checker"
)

// TestScreenshots stores rendered checks with screenshots: a fresh entry
// keeps its PNG and the rendered flag, a repeat replaces the entry's PNG,
// and pruning the entry takes the PNG with it.
func TestScreenshots(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := mustOpenStore(t, dsn)
		ids := setUpSites(t, s, siteSetup{owner: "me", expires: time.Hour})
		at := func(i int) time.Time { return testNow.Add(time.Duration(i) * 24 * time.Hour) }
		fail := []checker.Finding{{Code: checker.CodePSBMissing, Severity: checker.SeverityError}}
		checks := []Result{
			{Verdict: checker.VerdictFail, Findings: fail, Rendered: true, Screenshot: []byte("\x89PNG first")},
			{Verdict: checker.VerdictFail, Findings: fail, Rendered: true, Screenshot: []byte("\x89PNG second")}, // a repeat
			{Verdict: checker.VerdictPass},
		}
		for i, r := range checks {
			if _, err := s.db.ExecContext(ctx, "UPDATE site_state SET lease_owner = 'me'"); err != nil {
				t.Fatal(err)
			}
			r.SiteID, r.CheckedAt, r.FinalURL, r.HTTPStatus = ids[0], at(i), "https://a.example.cn/", 200
			if err := s.Complete(ctx, "me", r, at(i+1), checker.Deadlines{}, false); err != nil {
				t.Fatal(err)
			}
		}
		rs, err := s.Results(ctx, ids[0], 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(rs) != 2 || !rs[1].Rendered || rs[0].Rendered {
			t.Fatalf("history = %+v, want a rendered fail then an unrendered pass", rs)
		}
		png, err := s.Screenshot(ctx, rs[1].ID)
		if err != nil || !bytes.Equal(png, checks[1].Screenshot) {
			t.Errorf("Screenshot(%d) = %q, %v; want %q", rs[1].ID, png, err, checks[1].Screenshot)
		}
		if _, err := s.Screenshot(ctx, rs[0].ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("Screenshot of the pass = %v, want ErrNotFound", err)
		}
		id, taken, png, err := s.LatestScreenshot(ctx, ids[0])
		if err != nil || id != rs[1].ID || !taken.Equal(at(1)) || !bytes.Equal(png, checks[1].Screenshot) {
			t.Errorf("LatestScreenshot = %d, %v, %q, %v; want %d, %v, %q", id, taken, png, err, rs[1].ID, at(1), checks[1].Screenshot)
		}
		// The entry goes (as pruning or retiring a site deletes it), and
		// its screenshot with it.
		if _, err := s.db.ExecContext(ctx, s.db.Rebind("DELETE FROM check_results WHERE id = ?"), rs[1].ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Screenshot(ctx, rs[1].ID); !errors.Is(err, ErrNotFound) {
			t.Errorf("Screenshot after its entry was deleted = %v, want ErrNotFound", err)
		}
	})
}
