package api

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/beianwatch/beianwatch/registry"
	"github.com/beianwatch/beianwatch/sitefile"
)

// exportSites downloads what `beianwatch export` writes, CSV (UTF-8 with
// a BOM, for Excel), JSON or an Excel workbook, through the same code
// (sitefile.Export). Personal data is masked unless the token may see it
// (see personal).
func (a *API) exportSites(w http.ResponseWriter, r *http.Request) {
	format := r.URL.Query().Get("format")
	if format == "" {
		format = sitefile.FormatCSV
	}
	ctype, ok := exportTypes[format]
	if !ok {
		writeError(w, http.StatusBadRequest, "bad_parameter", "format "+quote(format)+": want csv, json or xlsx")
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
	w.Header().Set("Content-Type", ctype)
	w.Header().Set("Content-Disposition", `attachment; filename="beianwatch-sites.`+format+`"`)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	if withPersonal {
		w.Header().Set("Cache-Control", "no-store")
	}
	opts := sitefile.WriteOptions{Format: format, WithResults: withResults, IncludePersonal: withPersonal, Now: a.cfg.Now()}
	// The status is sent with the first bytes: a failure after them can
	// only cut the download short, which the client sees as a truncated
	// body (CSV and JSON both end visibly). A failure before them (a
	// workbook is written whole at the end) is an error answer, not an
	// empty file.
	cw := &countingWriter{w: w}
	if _, err := sitefile.Export(r.Context(), lister{a.st}, cw, opts); err != nil {
		if cw.n == 0 {
			w.Header().Del("Content-Disposition")
			a.internal(w, r, fmt.Errorf("export: %w", err))
			return
		}
		a.logger.Error("export failed", "err", err)
	}
}

// exportTypes are the export's formats and their media types.
var exportTypes = map[string]string{
	sitefile.FormatCSV:  "text/csv; charset=utf-8",
	sitefile.FormatJSON: "application/json",
	sitefile.FormatXLSX: sitefile.MediaTypeXLSX,
}

// countingWriter counts the bytes written through it.
type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
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
