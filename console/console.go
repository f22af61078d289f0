package console

import (
	"context"
	"embed"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/beianwatch/beianwatch/auth"
	"github.com/beianwatch/beianwatch/cases"
	"github.com/beianwatch/beianwatch/registry"
)

// Store is what the console reads and writes; *registry.Store implements
// it.
type Store interface {
	Stats(ctx context.Context, now time.Time) (*registry.Stats, error)
	CaseCounts(ctx context.Context, now time.Time) (registry.CaseCounts, error)
	SiteByID(ctx context.Context, id int64) (*registry.Site, *registry.State, error)
	SiteByDomain(ctx context.Context, domain string) (*registry.Site, *registry.State, error)
	Results(ctx context.Context, siteID int64, limit int) ([]registry.Result, error)
	ListCases(ctx context.Context, f registry.CaseFilter) ([]cases.Case, error)
	cases.Mover
	CaseHistory(ctx context.Context, id int64) ([]cases.Transition, error)
	CaseVerifications(ctx context.Context, id int64, limit int) ([]cases.Verification, error)
	ImportSites(ctx context.Context, sites []registry.Site, partial bool, reject func(*registry.ConflictError)) (registry.ImportStats, error)
	AppendAudit(ctx context.Context, e registry.AuditEntry) error
	Sessions
	SitesPage(ctx context.Context, f registry.SiteFilter, after int64, n int) ([]*registry.Site, []*registry.State, int64, error)
}

// Sessions check the API token a user logs in with and keep the
// console's logins; *registry.Store implements it.
type Sessions interface {
	VerifyToken(ctx context.Context, secret string) (registry.Token, error)
	StartSession(ctx context.Context, idHash string, tokenID int64, now, expires time.Time) error
	SessionAt(ctx context.Context, idHash string, now time.Time) (registry.Session, error)
	EndSession(ctx context.Context, idHash string) error
}

// Checker checks a registered site now and stores the result, as the
// scheduler would (the daemon's pipeline).
type Checker interface {
	CheckSite(ctx context.Context, siteID int64) error
}

// Options configure a Console. Store, Checker, Calendar and Logger are
// required.
type Options struct {
	Store   Store
	Checker Checker
	// Cases is the case policy (deadlines of confirmed cases, extension
	// days); Calendar counts working days.
	Cases    cases.Policy
	Calendar cases.Calendar
	// Noticer delivers a case's customer notice (serve's notice webhook);
	// nil records "notify" without delivering anything, and says so.
	Noticer cases.Noticer
	// KnownUntil is the end of the calendar's last known year: the
	// overview shows it, since deadlines past it are provisional.
	KnownUntil time.Time
	// SessionTTL is how long a login lasts (DefaultSessionTTL when 0).
	SessionTTL time.Duration
	// MaxUpload bounds an imported file (DefaultMaxUpload when 0).
	MaxUpload int64
	Logger    *slog.Logger
	// Now is the clock (time.Now when nil).
	Now func() time.Time
}

// DefaultSessionTTL is a login's default lifetime: a working day.
const DefaultSessionTTL = 12 * time.Hour

// DefaultMaxUpload is the default bound of an imported file: the dry run
// carries it to the import in a form field, which net/http bounds near
// 10 MiB once base64 has grown it. Larger files go through the CLI.
const DefaultMaxUpload = 8 << 20

// Console serves the console's pages. Mount it at Prefix.
type Console struct {
	o     Options
	pages map[string]*template.Template
	mux   *http.ServeMux
}

// Prefix is where the console is mounted.
const Prefix = "/ui/"

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// New builds a console.
func New(o Options) (*Console, error) {
	switch {
	case o.Store == nil || o.Checker == nil:
		return nil, errors.New("console: no store or checker")
	case o.Calendar == nil:
		return nil, errors.New("console: no calendar")
	case o.Logger == nil:
		return nil, errors.New("console: no logger")
	}
	if o.SessionTTL <= 0 {
		o.SessionTTL = DefaultSessionTTL
	}
	if o.MaxUpload <= 0 {
		o.MaxUpload = DefaultMaxUpload
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	o.Logger = o.Logger.With("component", "console")
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	c := &Console{o: o, pages: pages, mux: http.NewServeMux()}
	c.routes()
	return c, nil
}

// routes registers every page. Each handler states the scope it needs;
// state-changing ones are POSTs, which withSession checks for the CSRF
// token before they run.
func (c *Console) routes() {
	static, _ := fs.Sub(staticFS, "static")
	c.mux.Handle("GET /ui/static/", http.StripPrefix("/ui/static/", http.FileServerFS(static)))
	c.mux.HandleFunc("GET /ui/login", c.loginForm)
	c.mux.HandleFunc("POST /ui/login", c.login)
	c.mux.Handle("POST /ui/logout", c.withSession("", c.logout))
	c.mux.Handle("GET /ui/{$}", c.withSession(auth.Read, c.overview))
	c.mux.Handle("GET /ui/sites", c.withSession(auth.Read, c.sites))
	c.mux.Handle("GET /ui/sites/{id}", c.withSession(auth.Read, c.site))
	c.mux.Handle("POST /ui/sites/{id}/check", c.withSession(auth.Write, c.checkNow))
	c.mux.Handle("GET /ui/cases", c.withSession(auth.Read, c.caseList))
	c.mux.Handle("GET /ui/cases/{id}", c.withSession(auth.Read, c.casePage))
	c.mux.Handle("POST /ui/cases/{id}/{action}", c.withSession(auth.Cases, c.caseAction))
	c.mux.Handle("GET /ui/import", c.withSession(auth.Write, c.importForm))
	c.mux.Handle("POST /ui/import", c.withSession(auth.Write, c.importFile))
}

// ServeHTTP serves a console page, with the security headers every answer
// carries.
func (c *Console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	// No script at all, styles and images only from the console itself,
	// forms only to it, never in a frame.
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Referrer-Policy", "no-referrer")
	if r.TLS != nil {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
	c.mux.ServeHTTP(w, r)
}

// audit records a write in the registry's audit log, as the API does and
// with its action names: the token's name, the action, the object and
// the client's address. A failed record is logged; the write stands.
func (c *Console) audit(r *http.Request, u *user, action, object string) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	e := registry.AuditEntry{At: c.o.Now(), Token: u.Name, Action: action, Object: object, Source: host}
	if err := c.o.Store.AppendAudit(context.WithoutCancel(r.Context()), e); err != nil {
		c.o.Logger.Error("audit log write failed", "action", action, "object", object, "err", err)
	}
}
