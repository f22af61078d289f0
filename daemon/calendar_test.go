package daemon

import (
	"context"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/beianwatch/beianwatch/cases"
	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/registry"
	"github.com/beianwatch/beianwatch/registry/registrytest"
	"github.com/beianwatch/beianwatch/workday"
)

// TestAutoRectifyAcrossYearEnd: the daemon's case work opens
// rectifications by itself at the turn of the year, with the clock
// pinned: two failing checks on 2026-12-18, on 2026-12-31 and on
// 2027-12-30 open a case each, the last one past the shipped calendar
// (provisional, never refused). Then a calendar that knows 2028 counts
// the provisional deadline again, as serve does at start-up.
func TestAutoRectifyAcrossYearEnd(t *testing.T) {
	ctx := context.Background()
	st := registrytest.Open(t, "sqlite://"+filepath.Join(t.TempDir(), "registry.db"), nil)
	sites := []registry.Site{
		filedSite(t, "a.test", "京ICP备2021034567号-1", "11010502045678"),
		filedSite(t, "b.test", "京ICP备2021034568号-1", "11010502045679"),
		filedSite(t, "c.test", "京ICP备2021034569号-1", "11010502045680"),
	}
	if _, err := st.UpsertSites(ctx, sites); err != nil {
		t.Fatal(err)
	}

	var now time.Time
	w, err := newCaseWork(caseWork{st: st, policy: cases.DefaultPolicy(), cal: workday.Default(), autoRectify: true,
		owner: "t", logger: discard(), now: func() time.Time { return now }}, prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	// The fixture without its PSB badge, on a site whose badge has been
	// due since 2021: an error finding (BADGE_OVERDUE) every check.
	page := strings.Replace(string(readFile(t, "testdata/site/compliant.html")),
		`<a href="https://beian.mps.gov.cn/#/query/webSearch?code=11010502045678" rel="noreferrer" target="_blank"><img src="/备案图标.png" alt="">京公网安备11010502045678号</a>`, "", 1)
	failTwice := func(domain string, at time.Time) cases.Case {
		t.Helper()
		site, state, err := st.SiteByDomain(ctx, domain)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 2 {
			now = at.Add(time.Duration(i) * time.Hour)
			u, _ := url.Parse("http://" + domain + "/")
			r := checker.Check(checker.Page{URL: u, Status: 200, Body: []byte(page), FetchedAt: now}, site.Expect(state))
			if r.Verdict != checker.VerdictFail {
				t.Fatalf("%s: verdict %s, want fail: %+v", domain, r.Verdict, r.Findings)
			}
			res := registry.Result{SiteID: site.ID, CheckedAt: now, Target: domain, Verdict: r.Verdict, Findings: r.Findings}
			if err := st.SaveResult(ctx, res, now.Add(time.Hour), r.Deadlines, false); err != nil {
				t.Fatal(err)
			}
			if err := w.rectify(ctx, site.ID, r, true, true); err != nil {
				t.Fatalf("%s: rectify: %v", domain, err)
			}
		}
		cs, err := st.ListCases(ctx, registry.CaseFilter{Domain: domain, Kind: cases.Rectification})
		if err != nil || len(cs) != 1 {
			t.Fatalf("%s: cases %v, %v; want one rectification opened by itself", domain, cs, err)
		}
		return cs[0]
	}
	tests := []struct {
		domain      string
		at          time.Time
		want        string
		provisional []int
	}{
		// 21–25, 28–31 Dec (9); 1–3 Jan 2027 off; Mon 4 Jan the 10th.
		{"a.test", time.Date(2026, 12, 18, 10, 0, 0, 0, checker.CST), "by end of 2027-01-04 CST", nil},
		// 4–8 Jan (5), 11–15 (10).
		{"b.test", time.Date(2026, 12, 31, 10, 0, 0, 0, checker.CST), "by end of 2027-01-15 CST", nil},
		// 31 Dec 2027; 2028 weekdays only: 3–7, 10–13 Jan.
		{"c.test", time.Date(2027, 12, 30, 10, 0, 0, 0, checker.CST), "by end of 2028-01-13 CST", []int{2028}},
	}
	var last cases.Case
	for _, tt := range tests {
		c := failTwice(tt.domain, tt.at)
		if got := checker.DeadlineText(c.Deadline); got != tt.want || !slices.Equal(c.Provisional, tt.provisional) {
			t.Errorf("%s opened at %v: deadline %s %v, want %s %v", tt.domain, tt.at, got, c.Provisional, tt.want, tt.provisional)
		}
		last = c
	}

	// 2028's holidays arrive (an invented file): 1–3 January off.
	y2028 := workday.Year{Year: 2028, Source: "test", Holidays: []workday.Holiday{{Name: "元旦", From: "2028-01-01", To: "2028-01-03"}}}
	if w.cal, err = workday.Default().Merge(y2028); err != nil {
		t.Fatal(err)
	}
	now = time.Date(2028, 1, 2, 9, 0, 0, 0, checker.CST)
	w.recountProvisional(ctx)
	got, err := st.Case(ctx, last.ID)
	if err != nil {
		t.Fatal(err)
	}
	if text := checker.DeadlineText(got.Deadline); text != "by end of 2028-01-14 CST" || len(got.Provisional) != 0 {
		t.Errorf("after the 2028 calendar: deadline %s %v, want by end of 2028-01-14 CST, definitive", text, got.Provisional)
	}
	h, err := st.CaseHistory(ctx, last.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := "deadline counted again with the 2028 holiday calendar: by end of 2028-01-13 CST (provisional) → by end of 2028-01-14 CST"
	if h[len(h)-1].Reason != want {
		t.Errorf("last history entry %q, want %q", h[len(h)-1].Reason, want)
	}
}
