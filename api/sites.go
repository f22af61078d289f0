package api

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/beianwatch/beianwatch/auth"
	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/registry"
	"github.com/beianwatch/beianwatch/sitefile"
)

// siteView is a site as the API shows it: the import file's keys, its
// state, and personal data only for those allowed it (null otherwise).
type siteView struct {
	ID              int64        `json:"id"`
	Domains         []string     `json:"domains"`
	DomainsASCII    []string     `json:"domains_ascii"`
	SiteName        string       `json:"site_name"`
	ICPNumber       string       `json:"icp_number"`
	ICPApprovedOn   checker.Date `json:"icp_approved_on"`
	LaunchedOn      checker.Date `json:"launched_on"`
	PSBNumber       string       `json:"psb_number"`
	PSBFiledOn      checker.Date `json:"psb_filed_on"`
	PSBApprovedOn   checker.Date `json:"psb_approved_on"`
	IPs             []string     `json:"ips"`
	CheckURL        string       `json:"check_url"`
	CustomerID      string       `json:"customer_id"`
	OperatorType    string       `json:"operator_type"`
	OperatorName    *string      `json:"operator_name"`
	OperatorOrgCode string       `json:"operator_org_code"`
	ContactName     *string      `json:"contact_name"`
	ContactPhone    *string      `json:"contact_phone"`
	ContactEmail    *string      `json:"contact_email"`
	AccessProvider  string       `json:"access_provider"`
	Registrar       string       `json:"registrar"`
	Interactive     bool         `json:"interactive"`
	Languages       []string     `json:"languages"`
	Tags            []string     `json:"tags"`
	Active          bool         `json:"active"`
	CreatedAt       time.Time    `json:"created_at"`
	UpdatedAt       time.Time    `json:"updated_at"`
	State           stateView    `json:"state"`
}

type stateView struct {
	Verdict             checker.Verdict   `json:"verdict"`
	Findings            []checker.Finding `json:"findings"`
	Deadlines           checker.Deadlines `json:"deadlines"`
	LastCheckAt         *time.Time        `json:"last_check_at"`
	NextCheckAt         *time.Time        `json:"next_check_at"`
	LastPassAt          *time.Time        `json:"last_pass_at"`
	FailingSince        *time.Time        `json:"failing_since"`
	FirstLiveAt         *time.Time        `json:"first_live_at"`
	BadgeShown          bool              `json:"badge_shown"`
	ConsecutiveFailures int               `json:"consecutive_failures"`
}

func timeOrNull(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

func viewSite(s *registry.Site, st *registry.State, personal bool) siteView {
	v := siteView{
		ID: s.ID, SiteName: s.Name, ICPNumber: s.ICPNumber, ICPApprovedOn: s.ICPApprovedOn, LaunchedOn: s.LaunchedOn,
		PSBNumber: s.PSBNumber, PSBFiledOn: s.PSBFiledOn, PSBApprovedOn: s.PSBApprovedOn, CheckURL: s.CheckURL,
		CustomerID: s.CustomerID, OperatorType: string(s.Operator.Type), OperatorOrgCode: s.Operator.OrgCode,
		AccessProvider: s.AccessProvider, Registrar: s.Registrar, Interactive: s.Interactive,
		Languages: nonNil(s.Languages), Tags: nonNil(s.Tags), Active: s.Active, CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt,
		Domains: []string{}, DomainsASCII: []string{}, IPs: []string{},
		State: stateView{
			Verdict: st.Verdict, Findings: nonNil(st.Findings), Deadlines: st.Deadlines,
			LastCheckAt: timeOrNull(st.LastCheckAt), NextCheckAt: timeOrNull(st.NextCheckAt), LastPassAt: timeOrNull(st.LastPassAt),
			FailingSince: timeOrNull(st.FailingSince), FirstLiveAt: timeOrNull(st.FirstLiveAt), BadgeShown: st.BadgeShown,
			ConsecutiveFailures: st.ConsecutiveFailures,
		},
	}
	for _, d := range s.Domains {
		v.Domains, v.DomainsASCII = append(v.Domains, d.Unicode), append(v.DomainsASCII, d.ASCII)
	}
	for _, ip := range s.IPs {
		v.IPs = append(v.IPs, ip.String())
	}
	// An organisation's name is public; a person's is personal data.
	if personal || s.Operator.Type != registry.OperatorPersonal {
		v.OperatorName = &s.Operator.Name
	}
	if personal {
		v.ContactName, v.ContactPhone, v.ContactEmail = &s.Contact.Name, &s.Contact.Phone, &s.Contact.Email
	}
	return v
}

// personal says whether the request may see personal data: admin
// always, write when it asks with include_personal=true.
func personal(r *http.Request) (bool, error) {
	p, _ := auth.FromContext(r.Context())
	asked, err := boolParam(r, "include_personal")
	switch {
	case err != nil:
		return false, err
	case p.Has(auth.Admin):
		return true, nil
	case !asked:
		return false, nil
	case !p.Has(auth.Write):
		return false, &inputError{Status: http.StatusForbidden, Code: "forbidden", Msg: "include_personal=true needs the write or admin scope"}
	}
	return true, nil
}

func boolParam(r *http.Request, name string) (bool, error) {
	switch s := r.URL.Query().Get(name); s {
	case "", "false":
		return false, nil
	case "true":
		return true, nil
	default:
		return false, badRequest("bad_parameter", "%s %q: want true or false", name, s)
	}
}

// siteFilter reads the list's filters, and the scope its cursors carry.
func siteFilter(r *http.Request) (registry.SiteFilter, string, error) {
	q := r.URL.Query()
	f := registry.SiteFilter{
		Verdict: checker.Verdict(q.Get("verdict")), FindingCode: q.Get("finding"),
		Deadline: registry.DeadlineFilter(q.Get("deadline")), CustomerID: q.Get("customer_id"),
		Tag: q.Get("tag"), Prefix: q.Get("q"),
	}
	switch f.Verdict {
	case "", checker.VerdictPass, checker.VerdictFail, checker.VerdictError, registry.VerdictUnchecked:
	default:
		return f, "", badRequest("bad_parameter", "verdict %q: want pass, fail, error or unchecked", f.Verdict)
	}
	switch f.Deadline {
	case "", registry.DeadlineOverdue, registry.DeadlineDueSoon:
	default:
		return f, "", badRequest("bad_parameter", "deadline %q: want overdue or due_soon", f.Deadline)
	}
	if s := q.Get("due_within"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 || n > 3650 || f.Deadline != registry.DeadlineDueSoon {
			return f, "", badRequest("bad_parameter", "due_within %q: want days, 0 to 3650, with deadline=due_soon", s)
		}
		f.DueWithinDays = n
	} else if f.Deadline == registry.DeadlineDueSoon {
		f.DueWithinDays = 7
	}
	var err error
	if f.IncludeRetired, err = boolParam(r, "include_retired"); err != nil {
		return f, "", err
	}
	scope := fmt.Sprintf("sites\x00%s\x00%s\x00%s\x00%d\x00%s\x00%s\x00%s\x00%t",
		f.Verdict, f.FindingCode, f.Deadline, f.DueWithinDays, f.CustomerID, f.Tag, f.Prefix, f.IncludeRetired)
	return f, scope, nil
}

type sitePosition struct {
	After int64 `json:"a"`
}

func (a *API) listSites(w http.ResponseWriter, r *http.Request) {
	f, scope, err := siteFilter(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	n, err := pageSize(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	withPersonal, err := personal(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	var pos sitePosition
	if err := a.cursors.open(scope, r.URL.Query().Get("cursor"), &pos); err != nil {
		writeError(w, http.StatusBadRequest, "bad_cursor", err.Error())
		return
	}
	sites, states, next, err := a.st.SitesPage(r.Context(), f, pos.After, n)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	page := struct {
		Sites      []siteView `json:"sites"`
		NextCursor *string    `json:"next_cursor"`
	}{Sites: make([]siteView, len(sites))}
	for i := range sites {
		page.Sites[i] = viewSite(sites[i], states[i], withPersonal)
	}
	if next != 0 {
		c := a.cursors.seal(scope, sitePosition{After: next})
		page.NextCursor = &c
	}
	writeJSON(w, http.StatusOK, page)
}

func (a *API) getSite(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	withPersonal, err := personal(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	s, st, err := a.st.SiteByID(r.Context(), id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, viewSite(s, st, withPersonal))
}

// rowProblem is one row's error or warning, as import lists them.
type rowProblem struct {
	Line    int    `json:"line"`
	Column  string `json:"column"`
	Message string `json:"message"`
}

func problems(es []*sitefile.RowError) []rowProblem {
	out := []rowProblem{}
	for _, e := range es {
		out = append(out, rowProblem{Line: e.Line, Column: e.Column, Message: e.Message})
	}
	return out
}

// readOneSite validates a JSON object with the import's keys exactly as
// import validates a row.
func (a *API) readOneSite(w http.ResponseWriter, r *http.Request) (registry.Site, error) {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return registry.Site{}, &inputError{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type", Msg: "want Content-Type: application/json"}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.cfg.MaxBody))
	var me *http.MaxBytesError
	if errors.As(err, &me) {
		return registry.Site{}, jsonError(err, a.cfg.MaxBody)
	}
	if err != nil {
		return registry.Site{}, badRequest("malformed_json", "the body could not be read")
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return registry.Site{}, badRequest("malformed_json", "want one JSON object with the import's keys (domains, site_name, icp_number, …)")
	}
	rd, err := sitefile.NewReader(io.MultiReader(strings.NewReader("["), bytes.NewReader(trimmed), strings.NewReader("]")),
		"body", sitefile.ReadOptions{Format: sitefile.FormatJSON, Now: a.cfg.Now()})
	if err != nil {
		return registry.Site{}, badRequest("malformed_json", "%s", strings.TrimPrefix(err.Error(), "body:"))
	}
	row, err := rd.Next()
	if err != nil {
		return registry.Site{}, badRequest("malformed_json", "%s", strings.TrimPrefix(err.Error(), "body:"))
	}
	if _, err := rd.Next(); !errors.Is(err, io.EOF) {
		return registry.Site{}, badRequest("malformed_json", "want one JSON object")
	}
	if len(row.Errors) > 0 {
		return registry.Site{}, &rowErrors{row.Errors}
	}
	return row.Site, nil
}

// rowErrors is a site that failed validation: answered 422 with them.
type rowErrors struct{ errs []*sitefile.RowError }

func (e *rowErrors) Error() string { return "invalid site" }

func (a *API) failSite(w http.ResponseWriter, r *http.Request, err error) {
	var re *rowErrors
	var ce *registry.ConflictError
	switch {
	case errors.As(err, &re):
		writeJSON(w, http.StatusUnprocessableEntity, map[string]any{
			"error":  map[string]string{"code": "invalid_site", "message": "the site failed validation: see errors"},
			"errors": problems(re.errs),
		})
	case errors.As(err, &ce):
		writeError(w, http.StatusConflict, "conflict", fmt.Sprintf("domain %s: %v", ce.Domain, ce.Err))
	default:
		a.fail(w, r, err)
	}
}

// upsertOne writes one site and reads it back by its first domain.
func (a *API) upsertOne(r *http.Request, s registry.Site) (*registry.Site, *registry.State, registry.ImportStats, error) {
	stats, err := a.st.UpsertSites(r.Context(), []registry.Site{s})
	if err != nil {
		return nil, nil, stats, err
	}
	got, st, err := a.st.SiteByDomain(r.Context(), s.Domains[0].ASCII)
	return got, st, stats, err
}

func (a *API) createSite(w http.ResponseWriter, r *http.Request) {
	s, err := a.readOneSite(w, r)
	if err != nil {
		a.failSite(w, r, err)
		return
	}
	got, st, stats, err := a.upsertOne(r, s)
	if err != nil {
		a.failSite(w, r, err)
		return
	}
	a.audit(r, "site.create", "site/"+strconv.FormatInt(got.ID, 10))
	status := http.StatusOK
	if stats.Inserted > 0 {
		status = http.StatusCreated
	}
	withPersonal, _ := personal(r)
	writeJSON(w, status, viewSite(got, st, withPersonal))
}

func (a *API) updateSite(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	old, _, err := a.st.SiteByID(r.Context(), id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	s, err := a.readOneSite(w, r)
	if err != nil {
		a.failSite(w, r, err)
		return
	}
	// The registry matches a site by its domains: the new version must
	// keep one of this site's, or it would write another site.
	if !sharesDomain(old, &s) {
		writeError(w, http.StatusConflict, "conflict", "the body keeps none of this site's domains: create the new site instead")
		return
	}
	got, st, _, err := a.upsertOne(r, s)
	if err != nil {
		a.failSite(w, r, err)
		return
	}
	if got.ID != id {
		a.internal(w, r, fmt.Errorf("update of site %d wrote site %d", id, got.ID))
		return
	}
	a.audit(r, "site.update", "site/"+strconv.FormatInt(id, 10))
	withPersonal, _ := personal(r)
	writeJSON(w, http.StatusOK, viewSite(got, st, withPersonal))
}

func sharesDomain(old, s *registry.Site) bool {
	for _, d := range old.Domains {
		for _, e := range s.Domains {
			if d.ASCII == e.ASCII {
				return true
			}
		}
	}
	return false
}

func (a *API) retireSite(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	s, _, err := a.st.SiteByID(r.Context(), id)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if len(s.Domains) == 0 {
		a.internal(w, r, fmt.Errorf("site %d has no domain", id))
		return
	}
	if err := a.st.RetireSite(r.Context(), s.Domains[0].ASCII); err != nil {
		a.fail(w, r, err)
		return
	}
	a.audit(r, "site.retire", "site/"+strconv.FormatInt(id, 10))
	w.WriteHeader(http.StatusNoContent)
}

// importReport is the per-row report of an import, as `beianwatch
// import` prints it.
type importReport struct {
	DryRun    bool         `json:"dry_run"`
	Imported  bool         `json:"imported"`
	Valid     int          `json:"valid"`
	Inserted  int          `json:"inserted"`
	Updated   int          `json:"updated"`
	Unchanged int          `json:"unchanged"`
	Rejected  int          `json:"rejected"`
	Errors    []rowProblem `json:"errors"`
	Warnings  []rowProblem `json:"warnings"`
}

// importSites reads a CSV (text/csv), JSON array (application/json) or
// Excel workbook (sitefile.MediaTypeXLSX) body with import's validation:
// by default a bad row imports nothing; partial=true imports the good
// rows; dry_run=true writes nothing.
func (a *API) importSites(w http.ResponseWriter, r *http.Request) {
	dryRun, err := boolParam(r, "dry_run")
	if err != nil {
		a.fail(w, r, err)
		return
	}
	partial, err := boolParam(r, "partial")
	if err != nil {
		a.fail(w, r, err)
		return
	}
	format := ""
	switch ct := r.Header.Get("Content-Type"); {
	case strings.HasPrefix(ct, "text/csv"):
		format = sitefile.FormatCSV
	case strings.HasPrefix(ct, "application/json"):
		format = sitefile.FormatJSON
	case strings.HasPrefix(ct, sitefile.MediaTypeXLSX):
		format = sitefile.FormatXLSX
	default:
		writeError(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "want Content-Type: text/csv, application/json or "+sitefile.MediaTypeXLSX)
		return
	}
	body := http.MaxBytesReader(w, r.Body, a.cfg.MaxImportBody)
	rep := importReport{DryRun: dryRun, Errors: []rowProblem{}, Warnings: []rowProblem{}}
	rd, err := sitefile.NewReader(body, "body", sitefile.ReadOptions{Format: format, Now: a.cfg.Now()})
	if err != nil {
		a.fail(w, r, importReadError(err, a.cfg.MaxImportBody))
		return
	}
	var sites []registry.Site
	var lines []int
	for {
		row, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			a.fail(w, r, importReadError(err, a.cfg.MaxImportBody))
			return
		}
		rep.Warnings = append(rep.Warnings, problems(row.Warnings)...)
		if len(row.Errors) > 0 {
			rep.Errors = append(rep.Errors, problems(row.Errors)...)
			rep.Rejected++
			continue
		}
		sites, lines = append(sites, row.Site), append(lines, row.Line)
	}
	rep.Valid = len(sites)
	if rep.Rejected > 0 && !partial {
		writeJSON(w, http.StatusUnprocessableEntity, rep)
		return
	}
	if !dryRun {
		conflicts := 0
		stats, err := a.st.ImportSites(r.Context(), sites, partial, func(ce *registry.ConflictError) {
			conflicts++
			rep.Errors = append(rep.Errors, rowProblem{Line: lines[ce.Index], Column: "domains", Message: fmt.Sprintf("%s: %v", ce.Domain, ce.Err)})
			rep.Rejected++
		})
		var ce *registry.ConflictError
		switch {
		case errors.As(err, &ce):
			writeJSON(w, http.StatusUnprocessableEntity, rep)
			return
		case err != nil:
			a.internal(w, r, fmt.Errorf("import: %w", err))
			return
		}
		rep.Inserted, rep.Updated, rep.Unchanged, rep.Imported = stats.Inserted, stats.Updated, stats.Unchanged, len(sites) > conflicts
		a.audit(r, "site.import", fmt.Sprintf("sites/%d", rep.Inserted+rep.Updated+rep.Unchanged))
	}
	writeJSON(w, http.StatusOK, rep)
}

func importReadError(err error, limit int64) error {
	var me *http.MaxBytesError
	if errors.As(err, &me) {
		return jsonError(err, limit)
	}
	// The reader names the body "body": "body:3: …" is line 3.
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "body:"); ok {
		msg = strings.TrimSpace(rest)
		if msg != "" && msg[0] >= '0' && msg[0] <= '9' {
			msg = "line " + msg
		}
	}
	return &inputError{Status: http.StatusUnprocessableEntity, Code: "invalid_file", Msg: msg}
}
