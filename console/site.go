package console

import (
	"errors"
	"github.com/beianwatch/beianwatch/auth"
	"net/http"
	"strconv"

	"github.com/beianwatch/beianwatch/cases"
	"github.com/beianwatch/beianwatch/registry"
	"github.com/beianwatch/beianwatch/sitefile"
)

// historyShown is how many history entries a site's page lists.
const historyShown = 30

type sitePage struct {
	Site     *registry.Site
	State    *registry.State
	Operator string
	Contact  registry.Contact
	History  []registry.Result
	Cases    []cases.Case
	// Checked is set after "check now" on the page it leads to.
	Checked bool
}

// pathID is the page's {id}, or 0 when it is not a positive number.
func pathID(r *http.Request) int64 {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return 0
	}
	return id
}

// site shows one site: its verdict and findings with their evidence,
// history, deadlines, domains, IPs and cases.
func (c *Console) site(w http.ResponseWriter, r *http.Request, u *user) {
	id := pathID(r)
	s, st, err := c.o.Store.SiteByID(r.Context(), id)
	switch {
	case errors.Is(err, registry.ErrNotFound) || id == 0:
		c.fail(w, r, u, http.StatusNotFound, "err_no_site")
		return
	case err != nil:
		c.storeError(w, r, u, "read site", err)
		return
	}
	hist, err := c.o.Store.Results(r.Context(), id, historyShown)
	if err != nil {
		c.storeError(w, r, u, "read history", err)
		return
	}
	cs, err := c.o.Store.ListCases(r.Context(), registry.CaseFilter{SiteID: id, Limit: 20})
	if err != nil {
		c.storeError(w, r, u, "list cases", err)
		return
	}
	p := sitePage{Site: s, State: st, History: hist, Cases: cs, Checked: r.URL.Query().Get("checked") == "1",
		Operator: s.Operator.Name, Contact: s.Contact}
	if !u.can(auth.Admin) {
		// Personal data only for admin tokens: a person's name as
		// operator, and the contact.
		if s.Operator.Type == registry.OperatorPersonal {
			p.Operator = sitefile.MaskName(p.Operator)
		}
		p.Contact = registry.Contact{Name: sitefile.MaskName(s.Contact.Name), Phone: sitefile.MaskPhone(s.Contact.Phone),
			Email: sitefile.MaskEmail(s.Contact.Email)}
	}
	c.render(w, r, u, http.StatusOK, "site", p)
}

// checkNow checks the site at once and shows its page with the result.
func (c *Console) checkNow(w http.ResponseWriter, r *http.Request, u *user) {
	id := pathID(r)
	if id == 0 {
		c.fail(w, r, u, http.StatusNotFound, "err_no_site")
		return
	}
	err := c.o.Checker.CheckSite(r.Context(), id)
	switch {
	case errors.Is(err, registry.ErrNotFound):
		c.fail(w, r, u, http.StatusNotFound, "err_no_site")
		return
	case err != nil:
		c.o.Logger.Error("check now", "site", id, "err", err)
		c.failText(w, r, u, http.StatusBadGateway, "err_check", err.Error())
		return
	}
	c.audit(r, u, "check.store", "site/"+strconv.FormatInt(id, 10))
	c.o.Logger.Info("site checked from the console", "site", id, "token", u.Name)
	http.Redirect(w, r, Prefix+"sites/"+strconv.FormatInt(id, 10)+"?checked=1", http.StatusSeeOther)
}
