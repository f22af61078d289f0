package console

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"slices"
	"strings"

	"github.com/beianwatch/beianwatch/registry"
	"github.com/beianwatch/beianwatch/sitefile"
)

// rowsShown bounds the rows a dry run lists one by one; rows with errors
// or warnings are listed first.
const rowsShown = 1000

type importPage struct {
	// Step is "" (the upload form), "check" (the dry run's report) or
	// "done" (the import's result).
	Step     string
	Name     string
	Encoding string
	// Content is the file, base64, carried from the dry run to the import
	// so that what is imported is what was checked.
	Content  string
	Rows     []importRow
	Valid    int
	Rejected int
	Warnings int
	Hidden   int
	Stats    registry.ImportStats
	// FileError is a problem with the whole file (a bad header).
	FileError string
}

type importRow struct {
	Line     int
	Domain   string
	Errors   []string
	Warnings []string
}

func (c *Console) importForm(w http.ResponseWriter, r *http.Request, u *user) {
	c.render(w, r, u, http.StatusOK, "import", importPage{Encoding: sitefile.EncodingUTF8})
}

// importFile runs the two steps of an import: "check" validates the
// uploaded file as `beianwatch import --dry-run` does and reports every
// row; "import" writes the valid rows of the same file (the bad ones are
// left out and listed again).
func (c *Console) importFile(w http.ResponseWriter, r *http.Request, u *user) {
	p := importPage{Step: "check", Encoding: r.FormValue("encoding")}
	var data []byte
	switch r.FormValue("step") {
	case "import":
		p.Step, p.Name = "done", filepath.Base(r.FormValue("name"))
		var err error
		if data, err = base64.StdEncoding.DecodeString(r.FormValue("content")); err != nil {
			c.failText(w, r, u, http.StatusBadRequest, "err_input", "content: "+err.Error())
			return
		}
	default:
		f, hdr, err := r.FormFile("file")
		if err != nil {
			c.failText(w, r, u, http.StatusBadRequest, "err_input", "file: "+err.Error())
			return
		}
		defer f.Close()
		p.Name = filepath.Base(hdr.Filename)
		if data, err = io.ReadAll(io.LimitReader(f, c.o.MaxUpload+1)); err != nil {
			c.failText(w, r, u, http.StatusBadRequest, "err_input", "file: "+err.Error())
			return
		}
		if int64(len(data)) > c.o.MaxUpload {
			c.failText(w, r, u, http.StatusRequestEntityTooLarge, "err_too_large", fmt.Sprintf("%d MiB", c.o.MaxUpload>>20))
			return
		}
		p.Content = base64.StdEncoding.EncodeToString(data)
	}
	if strings.EqualFold(filepath.Ext(p.Name), "."+sitefile.FormatXLSX) {
		p.Encoding = "" // a workbook has its own; the form's choice is for text files
	}
	switch strings.ToLower(p.Encoding) {
	case "", "utf-8", "utf8", "gbk", "gb18030":
	default:
		c.failText(w, r, u, http.StatusBadRequest, "err_input", "encoding: want utf-8, gbk or gb18030")
		return
	}
	sites, lines := c.readRows(data, &p)
	if p.Step == "done" && p.FileError == "" && len(sites) > 0 {
		if err := c.upsert(r, sites, lines, &p); err != nil {
			c.storeError(w, r, u, "import sites", err)
			return
		}
		c.audit(r, u, "site.import", fmt.Sprintf("sites/%d", p.Stats.Inserted+p.Stats.Updated+p.Stats.Unchanged))
		c.o.Logger.Info("sites imported from the console", "inserted", p.Stats.Inserted, "updated", p.Stats.Updated,
			"rejected", p.Rejected, "token", u.Name)
	}
	c.render(w, r, u, http.StatusOK, "import", p)
}

// readRows validates the file's rows into p's report and returns the
// valid sites with their lines.
func (c *Console) readRows(data []byte, p *importPage) ([]registry.Site, []int) {
	rd, err := sitefile.NewReader(bytes.NewReader(data), p.Name, sitefile.ReadOptions{Encoding: p.Encoding, Now: c.o.Now()})
	if err != nil {
		p.FileError = err.Error()
		return nil, nil
	}
	var sites []registry.Site
	var lines []int
	var ok []importRow
	for {
		row, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			p.FileError = err.Error()
			return nil, nil
		}
		ir := importRow{Line: row.Line}
		if len(row.Site.Domains) > 0 {
			ir.Domain = row.Site.Domains[0].Unicode
		}
		for _, e := range row.Errors {
			ir.Errors = append(ir.Errors, rowMessage(e))
		}
		for _, e := range row.Warnings {
			ir.Warnings = append(ir.Warnings, rowMessage(e))
		}
		p.Warnings += len(row.Warnings)
		switch {
		case len(row.Errors) > 0:
			p.Rejected++
			p.Rows = append(p.Rows, ir)
		default:
			p.Valid++
			sites, lines = append(sites, row.Site), append(lines, row.Line)
			if len(row.Warnings) > 0 {
				p.Rows = append(p.Rows, ir)
			} else {
				ok = append(ok, ir)
			}
		}
	}
	p.Rows = append(p.Rows, ok...)
	if len(p.Rows) > rowsShown {
		p.Hidden, p.Rows = len(p.Rows)-rowsShown, p.Rows[:rowsShown]
	}
	return sites, lines
}

// rowMessage is a row's problem without the file and line the report
// shows in columns of their own.
func rowMessage(e *sitefile.RowError) string {
	if e.Column != "" {
		return e.Column + ": " + e.Message
	}
	return e.Message
}

// upsert writes the sites as `beianwatch import --partial` does
// (registry's ImportSites): a site the registry cannot match
// unambiguously is left out and reported.
func (c *Console) upsert(r *http.Request, sites []registry.Site, lines []int, p *importPage) error {
	stats, err := c.o.Store.ImportSites(r.Context(), sites, true, func(ce *registry.ConflictError) {
		// The row was listed as valid; it is listed again, first, as refused.
		p.Rows = slices.DeleteFunc(p.Rows, func(ir importRow) bool { return ir.Line == lines[ce.Index] })
		p.Rows = append([]importRow{{Line: lines[ce.Index], Domain: ce.Domain, Errors: []string{"domains: " + ce.Err.Error()}}}, p.Rows...)
		p.Rejected++
		p.Valid--
	})
	if err != nil {
		return err
	}
	p.Stats = stats
	return nil
}
