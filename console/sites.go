package console

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/registry"
)

// sitesPerPage is the sites list's page size.
const sitesPerPage = 50

type sitesPage struct {
	// Filter is the query's filters, echoed into the form.
	Filter   siteForm
	Sites    []siteLine
	Verdicts []string
	// Next is the query of the next page ("" for none); First that of
	// the first page, when this is not it.
	Next  url.Values
	First url.Values
}

type siteForm struct {
	Q, Verdict, Code, Deadline, Customer, Tag string
}

type siteLine struct {
	ID       int64
	Domain   string
	Name     string
	Customer string
	Verdict  checker.Verdict
	Worst    *checker.Finding
	// Deadline is the site's next deadline not yet met, if any.
	Deadline     checker.Date
	DeadlineKind string
	Overdue      bool
}

// sites lists the sites a filter selects, a page at a time. Pages are
// keyset ranges (ids above the last one shown), so that the thousandth
// page costs what the first does.
func (c *Console) sites(w http.ResponseWriter, r *http.Request, u *user) {
	q := r.URL.Query()
	form := siteForm{Q: strings.TrimSpace(q.Get("q")), Verdict: q.Get("verdict"), Code: strings.TrimSpace(q.Get("code")),
		Deadline: q.Get("deadline"), Customer: strings.TrimSpace(q.Get("customer")), Tag: strings.TrimSpace(q.Get("tag"))}
	f := registry.SiteFilter{Verdict: checker.Verdict(form.Verdict), FindingCode: form.Code, CustomerID: form.Customer,
		Tag: form.Tag, Prefix: form.Q}
	switch form.Deadline {
	case "":
	case "overdue":
		f.Deadline = registry.DeadlineOverdue
	case "1d", "3d", "7d":
		f.Deadline, f.DueWithinDays = registry.DeadlineDueSoon, int(form.Deadline[0]-'0')
	default:
		c.failText(w, r, u, http.StatusBadRequest, "err_input", "deadline: want overdue, 1d, 3d or 7d")
		return
	}
	switch checker.Verdict(form.Verdict) {
	case "", checker.VerdictPass, checker.VerdictFail, checker.VerdictError, registry.VerdictUnchecked:
	default:
		c.failText(w, r, u, http.StatusBadRequest, "err_input", "verdict: want pass, fail, error or unchecked")
		return
	}
	var after int64
	if a := q.Get("after"); a != "" {
		var err error
		if after, err = strconv.ParseInt(a, 10, 64); err != nil || after < 0 {
			c.failText(w, r, u, http.StatusBadRequest, "err_input", "after: want a site id")
			return
		}
	}
	sites, states, next, err := c.o.Store.SitesPage(r.Context(), f, after, sitesPerPage)
	if err != nil {
		c.storeError(w, r, u, "list sites", err)
		return
	}
	today := checker.DateOf(c.o.Now())
	p := sitesPage{Filter: form, Verdicts: []string{"pass", "fail", "error", "unchecked"}}
	for i, s := range sites {
		p.Sites = append(p.Sites, line(s, states[i], today))
	}
	base := url.Values{}
	for k, v := range map[string]string{"q": form.Q, "verdict": form.Verdict, "code": form.Code, "deadline": form.Deadline,
		"customer": form.Customer, "tag": form.Tag} {
		if v != "" {
			base.Set(k, v)
		}
	}
	if next != 0 {
		p.Next = url.Values{}
		for k, v := range base {
			p.Next[k] = v
		}
		p.Next.Set("after", strconv.FormatInt(next, 10))
	}
	if after != 0 {
		p.First = base
	}
	c.render(w, r, u, http.StatusOK, "sites", p)
}

// line is a site's row in the list.
func line(s *registry.Site, st *registry.State, today checker.Date) siteLine {
	l := siteLine{ID: s.ID, Name: s.Name, Customer: s.CustomerID, Verdict: st.Verdict, Worst: worst(st.Findings)}
	if len(s.Domains) > 0 {
		l.Domain = s.Domains[0].Unicode
	}
	for _, d := range []struct {
		kind string
		dl   checker.Deadline
	}{{"psb_filing", st.Deadlines.PSBFiling}, {"badge", st.Deadlines.Badge}} {
		if d.dl.Status != checker.DeadlinePending && d.dl.Status != checker.DeadlineOverdue || d.dl.Due.IsZero() {
			continue
		}
		if l.Deadline.IsZero() || d.dl.Due.Before(l.Deadline) {
			l.Deadline, l.DeadlineKind = d.dl.Due, d.kind
			l.Overdue = d.dl.Status == checker.DeadlineOverdue || d.dl.Due.Before(today)
		}
	}
	return l
}

// worst is the most severe finding, the first of its severity.
func worst(fs []checker.Finding) *checker.Finding {
	var w *checker.Finding
	for i := range fs {
		if w == nil || rank(fs[i].Severity) < rank(w.Severity) {
			w = &fs[i]
		}
	}
	return w
}

func rank(s checker.Severity) int {
	switch s {
	case checker.SeverityError:
		return 0
	case checker.SeverityWarning:
		return 1
	}
	return 2
}
