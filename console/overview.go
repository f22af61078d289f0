package console

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/beianwatch/beianwatch/cases"
	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/registry"
)

type overviewPage struct {
	Verdicts []count
	Findings []findingCount
	// DueSoon has a row per deadline kind, with the counts due within
	// each window.
	DueSoon    []dueRow
	Windows    []int
	Cases      []caseRow
	Due        int
	OldestDue  time.Time
	LastCheck  time.Time
	KnownUntil time.Time
}

type count struct {
	Key string
	N   int
}

type findingCount struct {
	Code, Severity string
	N              int
}

type dueRow struct {
	Kind   string
	Counts []int
}

type caseRow struct {
	Kind    cases.Kind
	Active  int
	Overdue int
}

// overview shows the registry at a glance: verdicts, findings, deadlines
// coming due, cases, the crawl's backlog and the calendar's end.
func (c *Console) overview(w http.ResponseWriter, r *http.Request, u *user) {
	now := c.o.Now()
	st, err := c.o.Store.Stats(r.Context(), now)
	if err != nil {
		c.storeError(w, r, u, "read stats", err)
		return
	}
	cc, err := c.o.Store.CaseCounts(r.Context(), now)
	if err != nil {
		c.storeError(w, r, u, "count cases", err)
		return
	}
	p := overviewPage{Windows: checker.DueSoonWindows(), Due: st.Due, OldestDue: st.OldestDue, LastCheck: st.LastCheck, KnownUntil: c.o.KnownUntil}
	for _, v := range []checker.Verdict{checker.VerdictPass, checker.VerdictFail, checker.VerdictError, registry.VerdictUnchecked} {
		p.Verdicts = append(p.Verdicts, count{string(v), st.Verdicts[string(v)]})
	}
	for k, n := range st.Findings {
		p.Findings = append(p.Findings, findingCount{k.Code, k.Severity, n})
	}
	slices.SortFunc(p.Findings, func(a, b findingCount) int { return cmp.Or(b.N-a.N, cmp.Compare(a.Code, b.Code)) })
	for _, kind := range []string{"psb_filing", "badge"} {
		row := dueRow{Kind: kind}
		for _, win := range p.Windows {
			row.Counts = append(row.Counts, st.DueSoon[registry.DueSoonKey{Kind: kind, Within: strconv.Itoa(win) + "d"}])
		}
		p.DueSoon = append(p.DueSoon, row)
	}
	for _, k := range cases.AllKinds() {
		row := caseRow{Kind: k, Overdue: cc.Overdue[k]}
		for _, n := range cc.ByState {
			if n.Kind == k && n.State.Active() {
				row.Active += n.N
			}
		}
		p.Cases = append(p.Cases, row)
	}
	c.render(w, r, u, http.StatusOK, "overview", p)
}

// storeError answers a registry failure: logged, and a 503 page.
func (c *Console) storeError(w http.ResponseWriter, r *http.Request, u *user, what string, err error) {
	if r.Context().Err() != nil {
		return // the browser left
	}
	c.o.Logger.Error(what, "err", err)
	c.fail(w, r, u, http.StatusServiceUnavailable, "err_registry")
}
