package console

import (
	"errors"
	"github.com/beianwatch/beianwatch/auth"
	"net/http"
	"strconv"
	"strings"

	"github.com/beianwatch/beianwatch/cases"
	"github.com/beianwatch/beianwatch/registry"
)

// casesShown bounds a case list: the newest first.
const casesShown = 200

type caseListPage struct {
	Kind   string
	State  string
	Kinds  []cases.Kind
	States []cases.State
	Cases  []cases.Case
}

// caseList lists cases by kind and state; by default the active ones.
func (c *Console) caseList(w http.ResponseWriter, r *http.Request, u *user) {
	q := r.URL.Query()
	f := registry.CaseFilter{Limit: casesShown}
	p := caseListPage{Kinds: cases.AllKinds(), States: cases.AllStates(), Kind: q.Get("kind"), State: q.Get("state")}
	if p.Kind != "" {
		k, err := cases.ParseKind(p.Kind)
		if err != nil {
			c.failText(w, r, u, http.StatusBadRequest, "err_input", err.Error())
			return
		}
		f.Kind = k
	}
	switch p.State {
	case "":
		f.Active = true
	case "all":
	default:
		s, err := cases.ParseState(p.State)
		if err != nil {
			c.failText(w, r, u, http.StatusBadRequest, "err_input", err.Error())
			return
		}
		f.State = s
	}
	var err error
	if p.Cases, err = c.o.Store.ListCases(r.Context(), f); err != nil {
		c.storeError(w, r, u, "list cases", err)
		return
	}
	c.render(w, r, u, http.StatusOK, "cases", p)
}

type casePage struct {
	Case          cases.Case
	Timeline      []cases.Transition
	Notices       []cases.Transition
	Verifications []cases.Verification
	// Actions are the moves the user may make now.
	Actions []string
	Levels  []cases.BlockLevel
	// Done names the action just made, for the page it leads to.
	Done string
}

// verificationsShown bounds the verifications a case page lists.
const verificationsShown = 50

// casePage shows a case with its timeline, notices, verifications and the
// actions the user's scopes and the case's state allow.
func (c *Console) casePage(w http.ResponseWriter, r *http.Request, u *user) {
	id := pathID(r)
	cs, err := c.o.Store.Case(r.Context(), id)
	switch {
	case errors.Is(err, registry.ErrNotFound) || id == 0:
		c.fail(w, r, u, http.StatusNotFound, "err_no_case")
		return
	case err != nil:
		c.storeError(w, r, u, "read case", err)
		return
	}
	p := casePage{Case: cs, Levels: []cases.BlockLevel{cases.BlockURL, cases.BlockDomain, cases.BlockService}, Done: r.URL.Query().Get("done")}
	if p.Timeline, err = c.o.Store.CaseHistory(r.Context(), id); err != nil {
		c.storeError(w, r, u, "read case history", err)
		return
	}
	for _, t := range p.Timeline {
		if t.To == cases.Notified {
			p.Notices = append(p.Notices, t)
		}
	}
	if p.Verifications, err = c.o.Store.CaseVerifications(r.Context(), id, verificationsShown); err != nil {
		c.storeError(w, r, u, "read verifications", err)
		return
	}
	if u.can(auth.Cases) {
		p.Actions = actions(cs)
	}
	c.render(w, r, u, http.StatusOK, "case", p)
}

// moves are the console's case actions and the states they lead to;
// confirm is apart (cases.Confirm).
var moves = map[string]cases.State{
	"dismiss": cases.Dismissed,
	"extend":  cases.Extended,
	"block":   cases.Blocked,
	"close":   cases.Closed,
}

// actions are the actions the rules allow on c now, in a fixed order.
func actions(c cases.Case) []string {
	var out []string
	if c.State == cases.Suspected || (c.Escalation == cases.EscalationPending && c.EscalationConfirmedAt.IsZero()) {
		out = append(out, "confirm")
	}
	if cases.Legal(c.Kind, c.State, cases.Notified) {
		out = append(out, "notify")
	}
	for _, a := range []string{"extend", "dismiss", "block", "close"} {
		if cases.Legal(c.Kind, c.State, moves[a]) && !(a == "dismiss" && c.RegulatorOrdered) && !(a == "extend" && c.ExtensionsUsed > 0) {
			out = append(out, a)
		}
	}
	return out
}

// caseAction makes one action on a case, with the reason given, by the
// same rules as the command line (cases.Next through the registry).
func (c *Console) caseAction(w http.ResponseWriter, r *http.Request, u *user) {
	id, action := pathID(r), r.PathValue("action")
	reason := strings.TrimSpace(r.PostFormValue("reason"))
	now := c.o.Now()
	var err error
	switch to, ok := moves[action]; {
	case id == 0:
		err = registry.ErrNotFound
	case action == "confirm":
		_, _, err = cases.Confirm(r.Context(), c.o.Store, id, c.o.Cases, c.o.Calendar, now, u.actor(), reason)
	case action == "notify":
		var note string
		if _, _, note, err = cases.Notify(r.Context(), c.o.Store, c.o.Noticer, id, now, u.actor(), reason); err == nil && note == cases.NotDelivered {
			action = "notify_manual" // recorded; the page says no notice went out
		}
	case !ok:
		c.fail(w, r, u, http.StatusNotFound, "err_input")
		return
	default:
		upd := cases.Update{To: to, At: now, Actor: u.actor(), Reason: reason}
		switch action {
		case "extend":
			upd.ExtendDays, upd.Calendar = c.o.Cases.ExtensionDays, c.o.Calendar
			if d, convErr := strconv.Atoi(r.PostFormValue("days")); convErr == nil && d > 0 {
				upd.ExtendDays = d
			}
		case "block":
			if upd.BlockLevel, err = cases.ParseBlockLevel(r.PostFormValue("level")); err != nil {
				c.failText(w, r, u, http.StatusBadRequest, "err_input", err.Error())
				return
			}
		}
		_, err = c.o.Store.TransitionCase(r.Context(), id, upd)
	}
	var te *cases.TransitionError
	switch {
	case errors.Is(err, registry.ErrNotFound):
		c.fail(w, r, u, http.StatusNotFound, "err_no_case")
		return
	case errors.Is(err, cases.ErrNoticeFailed):
		c.o.Logger.Warn("case notice not delivered", "case", id, "err", err)
		c.fail(w, r, u, http.StatusBadGateway, "err_notice")
		return
	case errors.As(err, &te) || errors.Is(err, cases.ErrNothingToConfirm):
		// The rules refused: say which, as the command line does.
		c.failText(w, r, u, http.StatusConflict, "err_refused", err.Error())
		return
	case err != nil:
		c.storeError(w, r, u, "move case", err)
		return
	}
	c.audit(r, u, "case."+strings.TrimSuffix(action, "_manual"), "case/"+strconv.FormatInt(id, 10))
	c.o.Logger.Info("case moved from the console", "case", id, "action", action, "token", u.Name)
	http.Redirect(w, r, Prefix+"cases/"+strconv.FormatInt(id, 10)+"?done="+action, http.StatusSeeOther)
}
