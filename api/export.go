package api

import (
	"context"
	"net/http"

	"github.com/beianwatch/beianwatch/registry"
	"github.com/beianwatch/beianwatch/sitefile"
)

// exportSites downloads what `beianwatch export` writes, CSV (UTF-8 with
// a BOM, for Excel) or JSON, through the same code (sitefile.Export).
// Personal data is masked unless the token may see it (see personal).
func (a *API) exportSites(w http.ResponseWriter, r *http.Request) {
	format := r.URL.Query().Get("format")
	if format == "" {
		format = sitefile.FormatCSV
	}
	if format != sitefile.FormatCSV && format != sitefile.FormatJSON {
		writeError(w, http.StatusBadRequest, "bad_parameter", "format "+quote(format)+": want csv or json")
		return
	}
	withResults, err := boolParam(r, "with_results")
	if err != nil {
		a.fail(w, r, err)
		return
	}
	withPersonal, err := personal(r)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	ctype := "text/csv; charset=utf-8"
	if format == sitefile.FormatJSON {
		ctype = "application/json"
	}
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", `attachment; filename="beianwatch-sites.`+format+`"`)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if withPersonal {
		w.Header().Set("Cache-Control", "no-store")
	}
	opts := sitefile.WriteOptions{Format: format, WithResults: withResults, IncludePersonal: withPersonal, Now: a.cfg.Now()}
	// The status is sent with the first bytes: a failure after them can
	// only cut the download short, which the client sees as a truncated
	// body (CSV and JSON both end visibly).
	if _, err := sitefile.Export(r.Context(), lister{a.st}, w, opts); err != nil {
		a.logger.Error("export failed", "err", err)
	}
}

// lister lists sites through SitesPage, the API's one site query.
type lister struct{ st Store }

func (l lister) ListSites(ctx context.Context, f registry.SiteFilter, fn func(*registry.Site, *registry.State) error) error {
	var after int64
	for {
		sites, states, next, err := l.st.SitesPage(ctx, f, after, 1000)
		if err != nil {
			return err
		}
		for i := range sites {
			if err := fn(sites[i], states[i]); err != nil {
				return err
			}
		}
		if next == 0 {
			return nil
		}
		after = next
	}
}

func quote(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return `"` + s + `"`
}
