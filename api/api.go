// Package api is the daemon's authenticated HTTP API under /api/v1
// (docs/api.md; the OpenAPI document, openapi.json, is its contract).
// Handlers are thin: they check the token's scopes (package auth), parse
// and validate input as the import does (package sitefile), and call the
// registry for queries and writes and the daemon's checker for on-demand
// checks. Every write is recorded in the registry's audit log.
package api

import (
	"context"
	_ "embed" // the OpenAPI document
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"

	"github.com/beianwatch/beianwatch/auth"
	"github.com/beianwatch/beianwatch/cases"
	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/registry"
)

// OpenAPI is the API's OpenAPI 3 document, served at
// /api/v1/openapi.json.
//
//go:embed openapi.json
var OpenAPI []byte

// Store is what the API reads and writes; *registry.Store implements it.
type Store interface {
	SitesPage(ctx context.Context, f registry.SiteFilter, after int64, n int) ([]*registry.Site, []*registry.State, int64, error)
	SiteByID(ctx context.Context, id int64) (*registry.Site, *registry.State, error)
	SiteByDomain(ctx context.Context, domain string) (*registry.Site, *registry.State, error)
	UpsertSites(ctx context.Context, sites []registry.Site) (registry.ImportStats, error)
	ImportSites(ctx context.Context, sites []registry.Site, partial bool, reject func(*registry.ConflictError)) (registry.ImportStats, error)
	RetireSite(ctx context.Context, domain string) error
	ResultsPage(ctx context.Context, siteID int64, after registry.ResultKey, n int) ([]registry.Result, registry.ResultKey, error)
	ResultByID(ctx context.Context, id int64) (registry.Result, error)
	VerifyToken(ctx context.Context, secret string) (registry.Token, error)
	AppendAudit(ctx context.Context, e registry.AuditEntry) error
	ListAudit(ctx context.Context, before int64, limit int) ([]registry.AuditEntry, error)

	OpenCase(ctx context.Context, c cases.Case, actor string) (cases.Case, error)
	ListCases(ctx context.Context, f registry.CaseFilter) ([]cases.Case, error)
	CaseHistory(ctx context.Context, id int64) ([]cases.Transition, error)
	// Case, TransitionCase and ConfirmEscalation, for cases.Confirm.
	cases.Mover
}

// Checker runs on-demand checks through the crawler's pipeline, the one
// `beianwatch check` and the scheduler use; the daemon implements it.
type Checker interface {
	// Expect returns what target must show: its registered site's numbers,
	// dates and policy (siteID non-zero), or the defaults for a target
	// not in the registry.
	Expect(ctx context.Context, target string) (want checker.Expect, siteID int64, err error)
	// Check checks target against want now and, when siteID is not zero,
	// stores the result as the site's latest check. The report is
	// returned even when the fetch failed (verdict error).
	Check(ctx context.Context, target string, want checker.Expect, siteID int64) (checker.Report, error)
}

// Config is what the API runs with.
type Config struct {
	Store   Store
	Checker Checker
	// CursorKey signs pagination cursors (at least 32 bytes): replicas
	// behind one load balancer need the same key.
	CursorKey []byte
	// MaxBody bounds a request body (default 1 MiB); MaxImportBody an
	// import's (default 32 MiB).
	MaxBody       int64
	MaxImportBody int64
	// CheckRate is how many on-demand checks a token may start a second,
	// with bursts of CheckBurst (defaults 1 and 5); MaxChecks bounds those
	// running at once over all tokens (default 4). Over either: 429.
	CheckRate  float64
	CheckBurst int
	MaxChecks  int
	// MaxInFlight bounds the authenticated requests served at once
	// (default 2, see docs/api.md); more wait their turn. It keeps the API's share of the
	// registry's connections and the CPU bounded, so that the crawl
	// beside it keeps its pace.
	MaxInFlight int
	// CasePolicy and Calendar count case deadlines as `case` and the
	// daemon do; Noticer, when set, delivers `notify`'s customer notice.
	CasePolicy cases.Policy
	Calendar   cases.Calendar
	Noticer    cases.Noticer
	// Probe, when set, is served at /probe for tokens with the probe
	// scope.
	Probe  http.Handler
	Logger *slog.Logger
	// Metrics registers the API's metrics (required).
	Metrics prometheus.Registerer
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// API is the HTTP API. Its handler is safe for concurrent use.
type API struct {
	cfg      Config
	st       Store
	cursors  cursors
	limits   *checkLimits
	inFlight chan struct{}
	logger   *slog.Logger
	requests *prometheus.CounterVec
}

// New checks cfg and builds the API.
func New(cfg Config) (*API, error) {
	switch {
	case cfg.Store == nil:
		return nil, errors.New("api: no store")
	case cfg.Checker == nil:
		return nil, errors.New("api: no checker")
	case len(cfg.CursorKey) < 32:
		return nil, errors.New("api: cursor key shorter than 32 bytes")
	case cfg.Metrics == nil:
		return nil, errors.New("api: no metrics registry")
	case cfg.MaxBody < 0 || cfg.MaxImportBody < 0 || cfg.CheckRate < 0 || cfg.CheckBurst < 0 || cfg.MaxChecks < 0 || cfg.MaxInFlight < 0:
		return nil, errors.New("api: negative limit")
	}
	if cfg.MaxBody == 0 {
		cfg.MaxBody = 1 << 20
	}
	if cfg.MaxImportBody == 0 {
		cfg.MaxImportBody = 32 << 20
	}
	if cfg.CheckRate == 0 {
		cfg.CheckRate = 1
	}
	if cfg.CheckBurst == 0 {
		cfg.CheckBurst = 5
	}
	if cfg.MaxChecks == 0 {
		cfg.MaxChecks = 4
	}
	if cfg.MaxInFlight == 0 {
		cfg.MaxInFlight = 2
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	a := &API{cfg: cfg, st: cfg.Store, cursors: cursors{key: cfg.CursorKey}, logger: cfg.Logger.With("component", "api"),
		limits: newCheckLimits(cfg.CheckRate, cfg.CheckBurst, cfg.MaxChecks, cfg.Now), inFlight: make(chan struct{}, cfg.MaxInFlight)}
	a.requests = promauto.With(cfg.Metrics).NewCounterVec(prometheus.CounterOpts{
		Name: "beianwatch_api_requests_total",
		Help: "HTTP API requests by route pattern and status code.",
	}, []string{"route", "code"})
	return a, nil
}

// Handler serves /api/v1/ (and /probe when Config.Probe is set).
func (a *API) Handler() http.Handler {
	mux := http.NewServeMux()
	route := func(pattern string, scope auth.Scope, h http.HandlerFunc) {
		mux.Handle(pattern, a.count(pattern, a.queue(auth.Middleware(verifier{a.st}, a.logger, auth.Require(scope, h)))))
	}
	mux.Handle("GET /api/v1/openapi.json", a.count("GET /api/v1/openapi.json", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(OpenAPI)
	})))
	route("GET /api/v1/sites", auth.Read, a.listSites)
	route("POST /api/v1/sites", auth.Write, a.createSite)
	route("POST /api/v1/sites/import", auth.Write, a.importSites)
	route("GET /api/v1/sites/{id}", auth.Read, a.getSite)
	route("PUT /api/v1/sites/{id}", auth.Write, a.updateSite)
	route("DELETE /api/v1/sites/{id}", auth.Write, a.retireSite)
	route("GET /api/v1/sites/{id}/results", auth.Read, a.listResults)
	route("GET /api/v1/results/{id}", auth.Read, a.getResult)
	route("POST /api/v1/checks", auth.Write, a.runCheck)
	route("GET /api/v1/export", auth.Read, a.exportSites)
	route("GET /api/v1/cases", auth.Cases, a.listCases)
	route("POST /api/v1/cases", auth.Cases, a.openCase)
	route("GET /api/v1/cases/{id}", auth.Cases, a.getCase)
	route("POST /api/v1/cases/{id}/{action}", auth.Cases, a.moveCase)
	route("GET /api/v1/audit", auth.Admin, a.listAudit)
	// Here the probe helper's /probe handler is mounted (Config.Probe).
	if a.cfg.Probe != nil {
		route("GET /probe", auth.Probe, a.cfg.Probe.ServeHTTP)
	}
	mux.Handle("/api/v1/", a.count("/api/v1/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "not_found", "no such endpoint: see /api/v1/openapi.json")
	})))
	return mux
}

// queue serves a request once fewer than MaxInFlight are being served.
func (a *API) queue(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case a.inFlight <- struct{}{}:
		case <-r.Context().Done():
			return // the client left
		}
		defer func() { <-a.inFlight }()
		h.ServeHTTP(w, r)
	})
}

// TokenStore is where Verifier looks tokens up.
type TokenStore interface {
	VerifyToken(ctx context.Context, secret string) (registry.Token, error)
}

// Verifier lets auth check tokens against the registry: the one mapping
// of the registry's token errors to auth's, for the API and /metrics.
func Verifier(st TokenStore) auth.Verifier { return verifier{st} }

type verifier struct{ st TokenStore }

func (v verifier) Verify(ctx context.Context, secret string) (auth.Principal, error) {
	t, err := v.st.VerifyToken(ctx, secret)
	switch {
	case errors.Is(err, registry.ErrTokenExpired):
		return auth.Principal{}, fmt.Errorf("%w: %w", auth.ErrExpired, err)
	case errors.Is(err, registry.ErrTokenUnknown):
		return auth.Principal{}, fmt.Errorf("%w: %w", auth.ErrUnknown, err)
	case err != nil:
		return auth.Principal{}, err
	}
	p := auth.Principal{Name: t.Name}
	for _, s := range t.Scopes {
		p.Scopes = append(p.Scopes, auth.Scope(s))
	}
	return p, nil
}

// statusWriter remembers the status code, for the request counter.
type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (a *API) count(route string, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		h.ServeHTTP(sw, r)
		a.requests.WithLabelValues(route, strconv.Itoa(max(sw.code, 200))).Inc()
	})
}

// writeError answers {"error":{"code","message"}}.
func writeError(w http.ResponseWriter, status int, code, message string) {
	auth.WriteError(w, status, code, message)
}

// writeJSON answers v as JSON, HTML left unescaped as `check --json`
// writes it (the content type and nosniff keep browsers from reading it
// as HTML).
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // the client may be gone
}

// internal answers 500 and logs what failed (never request bodies).
func (a *API) internal(w http.ResponseWriter, r *http.Request, err error) {
	if r.Context().Err() != nil {
		return // the client left: nothing failed, and nobody reads the answer
	}
	a.logger.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	writeError(w, http.StatusInternalServerError, "internal", "the request failed; see the daemon's log")
}

// inputError is a request the client must fix: answered 400 (or Status).
type inputError struct {
	Status int
	Code   string
	Msg    string
}

func (e *inputError) Error() string { return e.Msg }

func badRequest(code, format string, args ...any) *inputError {
	return &inputError{Status: http.StatusBadRequest, Code: code, Msg: fmt.Sprintf(format, args...)}
}

// fail answers err: an inputError as it says, anything else as 500.
func (a *API) fail(w http.ResponseWriter, r *http.Request, err error) {
	var ie *inputError
	switch {
	case errors.As(err, &ie):
		writeError(w, ie.Status, ie.Code, ie.Msg)
	case errors.Is(err, registry.ErrNotFound):
		writeError(w, http.StatusNotFound, "not_found", "not found")
	default:
		a.internal(w, r, err)
	}
}

// decodeJSON reads the request's JSON body into v: one value, at most
// limit bytes, no unknown fields, every field of the right type.
func decodeJSON(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return &inputError{Status: http.StatusUnsupportedMediaType, Code: "unsupported_media_type", Msg: "want Content-Type: application/json"}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err, limit)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return badRequest("malformed_json", "the body holds more than one JSON value")
	}
	return nil
}

// jsonError turns a decoding error into what the client must fix.
func jsonError(err error, limit int64) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	var me *http.MaxBytesError
	switch {
	case errors.As(err, &me):
		return &inputError{Status: http.StatusRequestEntityTooLarge, Code: "too_large", Msg: fmt.Sprintf("the body is larger than %d bytes", limit)}
	case errors.As(err, &se), errors.Is(err, io.ErrUnexpectedEOF):
		return badRequest("malformed_json", "the body is not valid JSON: %v", err)
	case errors.Is(err, io.EOF):
		return badRequest("malformed_json", "the body is empty: want a JSON object")
	case errors.As(err, &te):
		return badRequest("wrong_type", "field %q: want %s, have JSON %s", te.Field, te.Type, te.Value)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return badRequest("unknown_field", "%s", strings.TrimPrefix(err.Error(), "json: "))
	}
	return badRequest("malformed_json", "the body could not be read: %v", err)
}

// audit records a write; a failure is logged, as the write is done.
func (a *API) audit(r *http.Request, action, object string) {
	p, _ := auth.FromContext(r.Context())
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	e := registry.AuditEntry{At: a.cfg.Now(), Token: p.Name, Action: action, Object: object, Source: host}
	if err := a.st.AppendAudit(context.WithoutCancel(r.Context()), e); err != nil {
		a.logger.Error("audit log write failed", "action", action, "object", object, "err", err)
	}
}

// pageSize reads ?limit= (default 50, at most 500).
func pageSize(r *http.Request) (int, error) {
	s := r.URL.Query().Get("limit")
	if s == "" {
		return 50, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > 500 {
		return 0, badRequest("bad_parameter", "limit %q: want a whole number from 1 to 500", s)
	}
	return n, nil
}

// pathID reads the {id} path value.
func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id < 1 {
		return 0, &inputError{Status: http.StatusNotFound, Code: "not_found", Msg: fmt.Sprintf("no such id %q", r.PathValue("id"))}
	}
	return id, nil
}
