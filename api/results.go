package api

import (
	"net/http"
	"strconv"
	"time"

	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/registry"
)

// resultView is a history entry: Count checks in a row that saw the same,
// the first at checked_at, the last at last_seen_at.
type resultView struct {
	ID         int64             `json:"id"`
	SiteID     int64             `json:"site_id"`
	CheckedAt  time.Time         `json:"checked_at"`
	LastSeenAt time.Time         `json:"last_seen_at"`
	Count      int               `json:"count"`
	Target     string            `json:"target"`
	FinalURL   string            `json:"final_url"`
	HTTPStatus int               `json:"http_status"`
	Verdict    checker.Verdict   `json:"verdict"`
	Findings   []checker.Finding `json:"findings"`
	Evidence   string            `json:"evidence"`
	BodySHA256 string            `json:"body_sha256"`
	DurationMS int64             `json:"duration_ms"`
	Error      string            `json:"error"`
	Policy     string            `json:"policy"`
}

func viewResult(r registry.Result) resultView {
	return resultView{
		ID: r.ID, SiteID: r.SiteID, CheckedAt: r.CheckedAt, LastSeenAt: r.LastSeenAt, Count: r.Count,
		Target: r.Target, FinalURL: r.FinalURL, HTTPStatus: r.HTTPStatus, Verdict: r.Verdict,
		Findings: nonNil(r.Findings), Evidence: r.Evidence, BodySHA256: r.BodySHA256,
		DurationMS: r.Duration.Milliseconds(), Error: r.Error, Policy: r.Policy,
	}
}

type resultPosition struct {
	At time.Time `json:"t"`
	ID int64     `json:"i"`
}

func (a *API) listResults(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	n, err := pageSize(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	scope := "results\x00" + strconv.FormatInt(id, 10)
	var pos resultPosition
	if err := a.cursors.open(scope, r.URL.Query().Get("cursor"), &pos); err != nil {
		writeError(w, http.StatusBadRequest, "bad_cursor", err.Error())
		return
	}
	if _, _, err := a.st.SiteByID(r.Context(), id); err != nil {
		a.fail(w, r, err)
		return
	}
	rs, next, err := a.st.ResultsPage(r.Context(), id, registry.ResultKey{CheckedAt: pos.At, ID: pos.ID}, n)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	page := struct {
		Results    []resultView `json:"results"`
		NextCursor *string      `json:"next_cursor"`
	}{Results: make([]resultView, len(rs))}
	for i := range rs {
		page.Results[i] = viewResult(rs[i])
	}
	if next.ID != 0 {
		c := a.cursors.seal(scope, resultPosition{At: next.CheckedAt, ID: next.ID})
		page.NextCursor = &c
	}
	writeJSON(w, http.StatusOK, page)
}

func (a *API) getResult(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	res, err := a.st.ResultByID(r.Context(), id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewResult(res))
}

type auditView struct {
	ID     int64     `json:"id"`
	At     time.Time `json:"at"`
	Token  string    `json:"token"`
	Action string    `json:"action"`
	Object string    `json:"object"`
	Source string    `json:"source"`
}

type auditPosition struct {
	Before int64 `json:"b"`
}

func (a *API) listAudit(w http.ResponseWriter, r *http.Request) {
	n, err := pageSize(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	var pos auditPosition
	if err := a.cursors.open("audit", r.URL.Query().Get("cursor"), &pos); err != nil {
		writeError(w, http.StatusBadRequest, "bad_cursor", err.Error())
		return
	}
	es, err := a.st.ListAudit(r.Context(), pos.Before, n+1)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	page := struct {
		Entries    []auditView `json:"entries"`
		NextCursor *string     `json:"next_cursor"`
	}{Entries: []auditView{}}
	if len(es) > n {
		es = es[:n]
		c := a.cursors.seal("audit", auditPosition{Before: es[n-1].ID})
		page.NextCursor = &c
	}
	for _, e := range es {
		page.Entries = append(page.Entries, auditView{e.ID, e.At, e.Token, e.Action, e.Object, e.Source})
	}
	writeJSON(w, http.StatusOK, page)
}
