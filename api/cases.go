package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/beianwatch/beianwatch/auth"
	"github.com/beianwatch/beianwatch/cases"
	"github.com/beianwatch/beianwatch/registry"
)

// caseView is a case as the API shows it.
type caseView struct {
	ID                  int64      `json:"id"`
	Kind                string     `json:"kind"`
	SiteID              int64      `json:"site_id"`
	Domain              string     `json:"domain"`
	URLs                []string   `json:"urls"`
	Category            string     `json:"category"`
	Codes               []string   `json:"codes"`
	EvidencePhrases     []string   `json:"evidence_phrases"`
	EvidenceSHA256      []string   `json:"evidence_sha256"`
	Reporter            string     `json:"reporter"`
	RegulatorOrdered    bool       `json:"regulator_ordered"`
	Notes               string     `json:"notes"`
	State               string     `json:"state"`
	Deadline            *time.Time `json:"deadline"`
	ProvisionalYears    []int      `json:"deadline_provisional_years"`
	ExtensionsUsed      int        `json:"extensions_used"`
	BlockLevel          string     `json:"block_level"`
	Escalation          string     `json:"escalation"`
	EscalationConfirmed string     `json:"escalation_confirmed_by"`
	CreatedAt           time.Time  `json:"created_at"`
	UpdatedAt           time.Time  `json:"updated_at"`
	NotifiedAt          *time.Time `json:"notified_at"`
	FixedAt             *time.Time `json:"fixed_at"`
	BlockedAt           *time.Time `json:"blocked_at"`
	ClosedAt            *time.Time `json:"closed_at"`
}

func viewCase(c cases.Case) caseView {
	return caseView{
		ID: c.ID, Kind: string(c.Kind), SiteID: c.SiteID, Domain: c.Domain, URLs: nonNil(c.URLs), Category: string(c.Category),
		Codes: nonNil(c.Codes), EvidencePhrases: nonNil(c.EvidencePhrases), EvidenceSHA256: nonNil(c.EvidenceSHA256),
		Reporter: c.Reporter, RegulatorOrdered: c.RegulatorOrdered, Notes: c.Notes, State: string(c.State),
		Deadline: timeOrNull(c.Deadline), ProvisionalYears: nonNil(c.Provisional), ExtensionsUsed: c.ExtensionsUsed,
		BlockLevel: string(c.BlockLevel), Escalation: string(c.Escalation), EscalationConfirmed: c.EscalationConfirmedBy,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, NotifiedAt: timeOrNull(c.NotifiedAt), FixedAt: timeOrNull(c.FixedAt),
		BlockedAt: timeOrNull(c.BlockedAt), ClosedAt: timeOrNull(c.ClosedAt),
	}
}

type transitionView struct {
	From   string    `json:"from"`
	To     string    `json:"to"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Reason string    `json:"reason"`
}

// actor is the case history's name for the request's token.
func actor(r *http.Request) string {
	p, _ := auth.FromContext(r.Context())
	return "api:" + p.Name
}

// failCase answers a case error: a refused move or input is 409 or 400,
// an unknown case 404.
func (a *API) failCase(w http.ResponseWriter, r *http.Request, err error) {
	var te *cases.TransitionError
	switch {
	case errors.Is(err, registry.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", err.Error())
	case errors.As(err, &te), errors.Is(err, cases.ErrNothingToConfirm):
		writeError(w, http.StatusConflict, "refused", err.Error())
	case errors.Is(err, registry.ErrCaseRefused):
		writeError(w, http.StatusBadRequest, "bad_case", err.Error())
	default:
		a.fail(w, r, err)
	}
}

type openCaseRequest struct {
	Kind           string   `json:"kind"`
	Domain         string   `json:"domain"`
	URLs           []string `json:"urls"`
	Category       string   `json:"category"`
	Codes          []string `json:"codes"`
	Evidence       []string `json:"evidence"`
	EvidenceSHA256 []string `json:"evidence_sha256"`
	Deadline       string   `json:"deadline"`
	Reporter       string   `json:"reporter"`
	Regulator      bool     `json:"regulator"`
	Note           string   `json:"note"`
	Suspected      bool     `json:"suspected"`
}

// openCase is `case open`: the same rules (cases.CheckNew, ParseDeadline,
// the registry's OpenCase).
func (a *API) openCase(w http.ResponseWriter, r *http.Request) {
	var req openCaseRequest
	if err := decodeJSON(w, r, a.cfg.MaxBody, &req); err != nil {
		a.fail(w, r, err)
		return
	}
	kind, err := cases.ParseKind(req.Kind)
	if err != nil {
		writeError(w, http.StatusBadRequest, "bad_case", err.Error())
		return
	}
	now := a.cfg.Now()
	c := cases.Case{Kind: kind, Domain: req.Domain, URLs: req.URLs, Category: cases.Category(req.Category), Codes: req.Codes,
		EvidencePhrases: req.Evidence, EvidenceSHA256: req.EvidenceSHA256, Reporter: req.Reporter,
		RegulatorOrdered: req.Regulator, Notes: req.Note, State: cases.Open, CreatedAt: now}
	if err := c.CheckNew(req.Suspected); err != nil {
		writeError(w, http.StatusBadRequest, "bad_case", err.Error())
		return
	}
	if req.Suspected {
		c.State = cases.Suspected
	} else {
		d, err := cases.ParseDeadline(a.cfg.CasePolicy, a.calendar, kind, req.Deadline, now)
		if err != nil {
			writeError(w, http.StatusBadRequest, "bad_case", err.Error())
			return
		}
		c.SetDeadline(d)
	}
	if err := c.Validate(); err != nil {
		writeError(w, http.StatusBadRequest, "bad_case", err.Error())
		return
	}
	if _, err := registry.NormalizeDomain(c.Domain); err != nil {
		writeError(w, http.StatusBadRequest, "bad_case", err.Error())
		return
	}
	c, err = a.st.OpenCase(r.Context(), c, actor(r))
	if err != nil {
		a.failCase(w, r, err)
		return
	}
	a.audit(r, "case.open", "case/"+strconv.FormatInt(c.ID, 10))
	writeJSON(w, http.StatusCreated, viewCase(c))
}

func (a *API) calendar() (cases.Calendar, error) {
	if a.cfg.Calendar == nil {
		return nil, errors.New("no holiday calendar")
	}
	return a.cfg.Calendar, nil
}

type casePosition struct {
	Before int64 `json:"b"`
}

// listCases lists cases, newest first, a page (limit, default 50) at a
// time; the cursor is the last case's id, as the audit log's.
func (a *API) listCases(w http.ResponseWriter, r *http.Request) {
	n, err := pageSize(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	f := registry.CaseFilter{Kind: cases.Kind(q.Get("kind")), State: cases.State(q.Get("state")), Domain: q.Get("domain"), Limit: n + 1}
	if f.Kind != "" {
		if _, err := cases.ParseKind(string(f.Kind)); err != nil {
			writeError(w, http.StatusBadRequest, "bad_parameter", err.Error())
			return
		}
	}
	if f.Active, err = boolParam(r, "active"); err != nil {
		a.fail(w, r, err)
		return
	}
	scope := fmt.Sprintf("cases\x00%s\x00%s\x00%s\x00%t", f.Kind, f.State, f.Domain, f.Active)
	var pos casePosition
	if err := a.cursors.open(scope, q.Get("cursor"), &pos); err != nil {
		writeError(w, http.StatusBadRequest, "bad_cursor", err.Error())
		return
	}
	f.BeforeID = pos.Before
	cs, err := a.st.ListCases(r.Context(), f)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out := struct {
		Cases      []caseView `json:"cases"`
		NextCursor *string    `json:"next_cursor"`
	}{Cases: []caseView{}}
	if len(cs) > n {
		cs = cs[:n]
		c := a.cursors.seal(scope, casePosition{Before: cs[n-1].ID})
		out.NextCursor = &c
	}
	for _, c := range cs {
		out.Cases = append(out.Cases, viewCase(c))
	}
	writeJSON(w, http.StatusOK, out)
}

type caseWithHistory struct {
	Case    caseView         `json:"case"`
	History []transitionView `json:"history"`
}

func (a *API) caseAndHistory(ctx context.Context, id int64) (caseWithHistory, error) {
	c, err := a.st.Case(ctx, id)
	if err != nil {
		return caseWithHistory{}, err
	}
	h, err := a.st.CaseHistory(ctx, id)
	if err != nil {
		return caseWithHistory{}, err
	}
	out := caseWithHistory{Case: viewCase(c), History: []transitionView{}}
	for _, t := range h {
		out.History = append(out.History, transitionView{string(t.From), string(t.To), t.At, t.Actor, t.Reason})
	}
	return out, nil
}

func (a *API) getCase(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	out, err := a.caseAndHistory(r.Context(), id)
	if err != nil {
		a.failCase(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, out)
}

// caseMove is the body of a case action.
type caseMove struct {
	Reason string `json:"reason"`
	// Days is extend's working days (default: the policy's).
	Days int `json:"days"`
	// Level is block's: url, domain or service.
	Level string `json:"level"`
}

// moveCase is `case notify|extend|confirm|dismiss|block|close`.
func (a *API) moveCase(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	var m caseMove
	if err := decodeJSON(w, r, a.cfg.MaxBody, &m); err != nil {
		a.fail(w, r, err)
		return
	}
	action := r.PathValue("action")
	now := a.cfg.Now()
	u := cases.Update{At: now, Actor: actor(r), Reason: m.Reason}
	var note string
	switch action {
	case "dismiss":
		if m.Reason == "" {
			writeError(w, http.StatusBadRequest, "bad_move", "dismiss needs a reason")
			return
		}
		u.To = cases.Dismissed
	case "close":
		u.To = cases.Closed
	case "block":
		l, err := cases.ParseBlockLevel(m.Level)
		if err != nil {
			writeError(w, http.StatusBadRequest, "bad_move", err.Error())
			return
		}
		u.To, u.BlockLevel = cases.Blocked, l
	case "extend":
		if m.Days == 0 {
			m.Days = a.cfg.CasePolicy.ExtensionDays
		}
		if m.Days < 1 {
			writeError(w, http.StatusBadRequest, "bad_move", "days: must be at least 1")
			return
		}
		cal, err := a.calendar()
		if err != nil {
			a.internal(w, r, err)
			return
		}
		u.To, u.ExtendDays, u.Calendar = cases.Extended, m.Days, cal
	case "confirm":
		// cases.Confirm is the one meaning of confirm, shared with the
		// command line and the console.
		before, _, err := cases.Confirm(r.Context(), a.st, id, a.cfg.CasePolicy, a.cfg.Calendar, now, u.Actor, m.Reason)
		if err != nil {
			a.failCase(w, r, err)
			return
		}
		if before.State != cases.Suspected {
			note = "escalation confirmed"
		}
		a.answerMove(w, r, id, action, note)
		return
	case "notify":
		// cases.Notify is the one meaning of notify, shared with the
		// command line and the console.
		_, _, note, err := cases.Notify(r.Context(), a.st, a.cfg.Noticer, id, now, u.Actor, m.Reason)
		if errors.Is(err, cases.ErrNoticeFailed) {
			writeError(w, http.StatusBadGateway, "notice_failed", fmt.Sprintf("case %d: the notice could not be delivered; the case is unchanged", id))
			return
		}
		if err != nil {
			a.failCase(w, r, err)
			return
		}
		a.answerMove(w, r, id, action, note)
		return
	default:
		writeError(w, http.StatusNotFound, "not_found", "no such case action: want notify, extend, confirm, dismiss, block or close")
		return
	}
	if _, err := a.st.TransitionCase(r.Context(), id, u); err != nil {
		a.failCase(w, r, err)
		return
	}
	a.answerMove(w, r, id, action, note)
}

func (a *API) answerMove(w http.ResponseWriter, r *http.Request, id int64, action, note string) {
	a.audit(r, "case."+action, "case/"+strconv.FormatInt(id, 10))
	out, err := a.caseAndHistory(r.Context(), id)
	if err != nil {
		a.failCase(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct {
		caseWithHistory
		Note string `json:"note"`
	}{out, note})
}
