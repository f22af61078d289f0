package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"

	"github.com/beianwatch/beianwatch/registry"
	"github.com/beianwatch/beianwatch/sitefile"
)

// importOptions are the flags of `beianwatch import`.
type importOptions struct {
	encoding  string
	partial   bool
	dryRun    bool
	noMigrate bool
}

func (a *app) importCmd() *cobra.Command {
	var o importOptions
	cmd := &cobra.Command{
		Use:   "import [flags] FILE.csv|FILE.xlsx|FILE.json",
		Short: "Import sites into the registry from a CSV, Excel or JSON file",
		Long: `Import reads sites from a CSV file (with a header line naming the columns,
in any order), an Excel workbook (.xlsx: the first sheet, a header row first;
errors name the sheet's row numbers) or a JSON array of objects with the same
keys, validates every row, and writes the sites to the registry in one
transaction. A site that matches a registered one by a domain or its ICP site
number is updated, never duplicated.

Columns: domains (required; several separated by ;), site_name, icp_number,
icp_approved_on, launched_on, psb_number, psb_filed_on, psb_approved_on, ips,
check_url, customer_id, operator_type, operator_name, contact_name,
contact_phone, contact_email, access_provider, registrar, interactive,
languages, tags. Dates are YYYY-MM-DD. The result columns of an export
(verdict, findings, …) are accepted and ignored.

By default any bad row imports nothing: every error is listed as
FILE:LINE: COLUMN: MESSAGE and nothing is written. With --partial the good
rows are imported and the bad ones listed.

Exit status: 0 if the import was done (with --partial, even if some rows were
rejected, as long as one was imported or none was rejected); 1 if the file was
refused (bad rows without --partial, a bad header, no row importable); 2 on a
usage error or when the file or the registry could not be used.`,
		Example: `  beianwatch import sites.csv
  beianwatch import --encoding gbk --partial 备案.csv
  beianwatch import --dry-run sites.json
  beianwatch import 备案.xlsx
  beianwatch import --db postgres://beianwatch@db/beianwatch sites.csv`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runImport(cmd.Context(), o, args[0])
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.encoding, "encoding", sitefile.EncodingUTF8, "the file's `ENCODING`: utf-8 (with or without BOM), gbk or gb18030 (what Excel in China saves)")
	f.BoolVar(&o.partial, "partial", false, "import the good rows and list the bad ones, instead of importing nothing")
	f.BoolVar(&o.dryRun, "dry-run", false, "validate the file only; the registry is not opened")
	f.BoolVar(&o.noMigrate, "no-migrate", false, "do not bring the registry's schema up to date first")
	completeValues(cmd, "encoding", []string{sitefile.EncodingUTF8, sitefile.EncodingGBK, sitefile.EncodingGB18030})
	cmd.Flags().SortFlags = false
	return cmd
}

// importRun is one import's progress: the valid sites with their lines,
// and the counts for the summary.
type importRun struct {
	name     string
	sites    []registry.Site
	lines    []int // of each site, for conflicts reported by the store
	rejected int
	warnings int
	stats    registry.ImportStats
}

// runImport reads and validates the whole file, then writes the valid
// sites in one UpsertSites call: all-or-nothing needs one transaction, so
// every site is held in memory until then.
func (a *app) runImport(ctx context.Context, o importOptions, name string) error {
	switch strings.ToLower(o.encoding) {
	case "utf-8", "utf8", "gbk", "gb18030":
	default:
		return fmt.Errorf("invalid --encoding %q: want utf-8, gbk or gb18030", o.encoding)
	}
	f, err := os.Open(name)
	if err != nil {
		fmt.Fprintf(a.stderr, "beianwatch: %v\n", err)
		return &exitError{exitTrouble}
	}
	defer f.Close()

	imp := &importRun{name: name}
	if err := a.readSites(ctx, f, o, imp); err != nil {
		fmt.Fprintf(a.stderr, "beianwatch: %v\n", err)
		if ctx.Err() != nil {
			return &exitError{exitTrouble}
		}
		return &exitError{exitFail}
	}
	if imp.rejected > 0 && !o.partial {
		a.importSummary(imp, o)
		fmt.Fprintf(a.stderr, "beianwatch: %d bad rows: nothing imported (--partial imports the good rows)\n", imp.rejected)
		return &exitError{exitFail}
	}
	if !o.dryRun {
		switch code := a.writeSites(ctx, o, imp); code {
		case exitTrouble:
			return &exitError{code}
		case exitFail:
			a.importSummary(imp, o)
			return &exitError{code}
		}
	}
	a.importSummary(imp, o)
	if imp.rejected > 0 && len(imp.sites) == 0 {
		return &exitError{exitFail} // --partial, and nothing was importable
	}
	return nil
}

// readSites reads the file row by row, listing each problem on stderr as
// it is found. The error is fatal: the file cannot be read.
func (a *app) readSites(ctx context.Context, f *os.File, o importOptions, imp *importRun) error {
	var r io.Reader = f
	var bar *progressbar.ProgressBar
	if fi, err := f.Stat(); err == nil && isTerminal(a.stderr) {
		bar = progressbar.NewOptions64(fi.Size(), progressbar.OptionSetWriter(a.stderr),
			progressbar.OptionSetDescription("reading "+imp.name), progressbar.OptionShowBytes(true),
			progressbar.OptionClearOnFinish(), progressbar.OptionThrottle(100*time.Millisecond))
		pr := progressbar.NewReader(f, bar)
		r = &pr
		defer bar.Finish()
	}
	rd, err := sitefile.NewReader(r, imp.name, sitefile.ReadOptions{Encoding: o.encoding, Now: time.Now()})
	if err != nil {
		return err
	}
	for {
		if ctx.Err() != nil {
			return errors.New("interrupted: nothing imported")
		}
		row, err := rd.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if bar != nil && len(row.Errors)+len(row.Warnings) > 0 {
			bar.Clear()
		}
		for _, w := range row.Warnings {
			fmt.Fprintln(a.stderr, w)
		}
		imp.warnings += len(row.Warnings)
		if len(row.Errors) > 0 {
			for _, e := range row.Errors {
				fmt.Fprintln(a.stderr, e)
			}
			imp.rejected++
			continue
		}
		imp.sites = append(imp.sites, row.Site)
		imp.lines = append(imp.lines, row.Line)
	}
}

// writeSites writes the sites in one transaction (registry's
// ImportSites): with --partial, a site the registry cannot match
// unambiguously is reported and left out; without, it stops the import.
func (a *app) writeSites(ctx context.Context, o importOptions, imp *importRun) int {
	st, err := a.openStore(ctx, !o.noMigrate)
	if err != nil {
		fmt.Fprintf(a.stderr, "beianwatch: %v\n", err)
		return exitTrouble
	}
	defer st.Close()
	if len(imp.sites) > 0 && isTerminal(a.stderr) {
		fmt.Fprintf(a.stderr, "writing %d sites to the registry…\n", len(imp.sites))
	}
	stats, err := st.ImportSites(ctx, imp.sites, o.partial, func(ce *registry.ConflictError) {
		fmt.Fprintf(a.stderr, "%s:%d: domains: %s: %v\n", imp.name, imp.lines[ce.Index], ce.Domain, ce.Err)
		imp.rejected++
	})
	var ce *registry.ConflictError
	switch {
	case errors.As(err, &ce):
		imp.sites = nil
		fmt.Fprintln(a.stderr, "beianwatch: nothing imported (--partial imports the other rows)")
		return exitFail
	case err != nil:
		fmt.Fprintf(a.stderr, "beianwatch: import: %v\n", err)
		return exitTrouble
	}
	imp.stats = stats
	return exitOK
}

// importSummary prints what the import did (or, with --dry-run, would
// do) on stdout.
func (a *app) importSummary(imp *importRun, o importOptions) {
	if o.dryRun {
		fmt.Fprintf(a.stdout, "valid %d, rejected %d, warnings %d (dry run: nothing written)\n",
			len(imp.sites), imp.rejected, imp.warnings)
		return
	}
	s := imp.stats
	fmt.Fprintf(a.stdout, "inserted %d, updated %d, unchanged %d, rejected %d, warnings %d\n",
		s.Inserted, s.Updated, s.Unchanged, imp.rejected, imp.warnings)
}
