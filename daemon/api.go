package daemon

import (
	"context"
	"crypto/rand"
	"errors"
	"net/http"
	"time"

	"github.com/beianwatch/beianwatch/api"
	"github.com/beianwatch/beianwatch/auth"
	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/crawler"
	"github.com/beianwatch/beianwatch/registry"
)

// APIOptions configure the HTTP API under /api/v1 (package api).
type APIOptions struct {
	// Disabled leaves /api/v1 unserved.
	Disabled bool
	// CheckRate and CheckBurst bound each token's on-demand checks (a
	// second, and in a burst); MaxChecks those running at once.
	CheckRate  float64
	CheckBurst int
	MaxChecks  int
	// MaxInFlight bounds the API requests served at once (more wait).
	MaxInFlight int
	// MaxBody bounds request bodies; imports may be up to MaxImportBody.
	MaxBody       int64
	MaxImportBody int64
	// MetricsTokenRequired makes /metrics need a token with the read or
	// probe scope.
	MetricsTokenRequired bool
}

// buildAPI builds the API on the open registry and the crawler.
func (d *Daemon) buildAPI() error {
	o := &d.opts
	key, err := cursorKey(o)
	if err != nil {
		return err
	}
	a, err := api.New(api.Config{
		Store: d.st, Checker: &onDemand{st: d.st, q: d.q, fetch: d.col.Fetch, render: d.onDemandRender(), pin: o.PinFiledIP, now: o.now},
		CursorKey: key, MaxBody: o.API.MaxBody, MaxImportBody: o.API.MaxImportBody,
		CheckRate: o.API.CheckRate, CheckBurst: o.API.CheckBurst, MaxChecks: o.API.MaxChecks, MaxInFlight: o.API.MaxInFlight,
		CasePolicy: o.Cases, Calendar: o.Calendar, Noticer: d.noticer,
		Probe: d.probe, Logger: o.Logger, Metrics: o.Metrics, Now: o.Now,
	})
	if err != nil {
		return err
	}
	d.api.Store(a.Handler())
	return nil
}

// cursorKey signs the API's cursors: derived from the personal-data keys
// when there are some, so that every replica derives the same; else
// random, so that a cursor works on the replica that made it only.
func cursorKey(o *Options) ([]byte, error) {
	if o.Keys != nil {
		h, err := o.Keys.Hash(o.Keys.Newest(), "api-cursor", "v1")
		return []byte(h), err
	}
	k := make([]byte, 32)
	_, err := rand.Read(k)
	return k, err
}

// serveAPI answers /api/v1/ (and /probe) once the registry is open, 503
// before.
func (d *Daemon) serveAPI(w http.ResponseWriter, r *http.Request) {
	h, _ := d.api.Load().(http.Handler)
	if h == nil {
		auth.WriteError(w, http.StatusServiceUnavailable, "starting", "the registry is not open yet")
		return
	}
	h.ServeHTTP(w, r)
}

// metricsAuth requires a token with the read or probe scope.
func (d *Daemon) metricsAuth(next http.Handler) http.Handler {
	verify := auth.VerifierFunc(func(ctx context.Context, secret string) (auth.Principal, error) {
		if !d.built.Load() {
			return auth.Principal{}, errors.New("the registry is not open yet")
		}
		// d.st is set once the registry is open, after this is built.
		return api.Verifier(d.st).Verify(ctx, secret)
	})
	return auth.Middleware(verify, d.opts.Logger, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		if !p.Has(auth.Read) && !p.Has(auth.Probe) {
			auth.WriteError(w, http.StatusForbidden, auth.CodeForbidden, "the token lacks the read or probe scope")
			return
		}
		next.ServeHTTP(w, r)
	}))
}

// onDemand runs the API's checks: the scheduler's expectations for a
// registered site, the crawler's pipeline and collector (its
// connection-safety rule included), and the registry for the result.
type onDemand struct {
	st     *registry.Store
	q      *storeQueue
	fetch  func(ctx context.Context, target string) (*checker.Page, error)
	render crawler.RenderConfig
	// pin fetches a registered site from its filed addresses
	// (--pin-filed-ip), as the scheduler does.
	pin bool
	now func() time.Time
}

var _ api.Checker = (*onDemand)(nil)

func (c *onDemand) Expect(ctx context.Context, target string) (checker.Expect, int64, error) {
	none := checker.Expect{ProviderRanges: c.q.providerRanges, Policy: c.q.policy}
	host := crawler.TargetHost(target)
	if _, err := registry.NormalizeDomain(host); host == "" || err != nil {
		return none, 0, nil // not a domain: an address, or a target the fetch will refuse
	}
	site, state, err := c.st.SiteByDomain(ctx, host)
	switch {
	case errors.Is(err, registry.ErrNotFound):
		return none, 0, nil
	case err != nil:
		return checker.Expect{}, 0, err
	}
	want := c.q.expect(site, state)
	if !site.Active {
		return want, 0, nil // judged as registered, but a retired site's history stays closed
	}
	return want, site.ID, nil
}

func (c *onDemand) Check(ctx context.Context, target string, want checker.Expect, siteID int64) (checker.Report, error) {
	start := time.Now()
	if c.pin && siteID != 0 {
		ctx = crawler.PinTarget(ctx, target, want.FiledIPs)
	}
	o, _ := crawler.Pipeline{Fetch: c.fetch, Render: c.render, Now: c.now}.Run(ctx, crawler.Job{SiteID: siteID, Target: target, Want: want})
	o.Duration = time.Since(start)
	if siteID == 0 {
		return o.Report, nil
	}
	// The site keeps its place in the schedule.
	_, st, err := c.st.SiteByID(ctx, siteID)
	if err != nil {
		return checker.Report{}, err
	}
	// Stored as a scheduled check is: its alert changes decided in its
	// transaction, and a fix it sees closing the site's rectifications.
	if err := c.st.SaveResultAlerting(ctx, registryResult(o), st.NextCheckAt, o.Report.Deadlines, o.BadgeShown, c.q.alerting); err != nil {
		return checker.Report{}, err
	}
	if c.q.cases != nil {
		c.q.cases.afterOnDemand(ctx, o)
	}
	return o.Report, nil
}
