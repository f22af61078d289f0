package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/beianwatch/beianwatch/sitefile"
)

// exportOptions are the flags of `beianwatch export`.
type exportOptions struct {
	out             *outputFlag
	format          string
	withResults     bool
	includePersonal bool
	file            string
}

// exportFormats are export's -o values.
var exportFormats = []string{sitefile.FormatCSV, sitefile.FormatJSON, sitefile.FormatXLSX}

func (a *app) exportCmd() *cobra.Command {
	var o exportOptions
	cmd := &cobra.Command{
		Use:   "export [flags]",
		Short: "Export the registry's active sites as CSV, JSON or Excel (.xlsx)",
		Long: `Export writes the registry's active sites with the columns import reads, in
the same order, so that an export re-imports cleanly. CSV is UTF-8 with a BOM
and CRLF line ends, so that Excel in China shows Chinese correctly; a cell
that a spreadsheet would run as a formula (= + - @) gets a leading '. An
Excel workbook (-o xlsx) holds every cell as text.

-o is the format (csv, json or xlsx; by default the --file name's extension,
else csv), --file the file written (default: standard output). -o used to
name the file: a value that is not a format but a path (report.csv, ./out)
still does, with a warning.

Personal data (contact name, phone and email, a personal operator's name) is
masked (张*, 138****5678, z***@example.com) unless --include-personal is
given. A masked export does not re-import its masked cells: import rejects
them rather than overwrite the real values with stars.

With --with-results, eight columns follow: verdict, findings (codes, ;
separated), psb_filing_deadline and badge_deadline (status and due date, as
"pending 2026-12-20"), last_check_at, last_pass_at, and while the site fails
failing_since and failing_checks (how many checks saw it fail since).`,
		Example: `  beianwatch export > sites.csv
  beianwatch export --with-results --file report.xlsx
  beianwatch export -o json --include-personal --file backup.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := a.exportFormat(cmd, &o); err != nil {
				return err
			}
			return a.runExport(cmd.Context(), o)
		},
	}
	f := cmd.Flags()
	o.out = addOutputFlag(cmd, exportFormats)
	f.Lookup("output").DefValue = ""
	o.out.value = ""
	o.out.deprecatedFormat(cmd, nil)
	f.StringVar(&o.file, "file", "", "write to `FILE` instead of standard output")
	f.BoolVar(&o.withResults, "with-results", false, "add the current verdict, finding codes and deadline statuses")
	f.BoolVar(&o.includePersonal, "include-personal", false, "write contact names, phones and emails unmasked")
	cmd.Flags().SortFlags = false
	return cmd
}

// exportFormat settles the format and the file: -o, else --format (its
// old name), else the file's extension, else CSV. An -o that is no format
// but a --file name is taken as one (what -o meant before), with a
// warning.
func (a *app) exportFormat(cmd *cobra.Command, o *exportOptions) error {
	v := strings.ToLower(strings.TrimSpace(o.out.value))
	if !cmd.Flags().Changed("output") && !slices.Contains(exportFormats, v) && isFormat(v) {
		// Another command's format, from BEIANWATCH_OUTPUT or the file.
		o.out.value = ""
	}
	if v != "" && !slices.Contains(exportFormats, v) && o.file == "" && o.out.formatAlias == "" &&
		cmd.Flags().Changed("output") && strings.ContainsAny(v, "./\\") {
		fmt.Fprintf(a.stderr, "beianwatch: warning: -o %s: -o is the format now; use --file %s\n", o.out.value, o.out.value)
		o.file, o.out.value = o.out.value, ""
	}
	if o.out.value == "" && o.out.formatAlias == "" {
		ext := strings.TrimPrefix(strings.ToLower(filepath.Ext(o.file)), ".")
		o.out.value = sitefile.FormatCSV
		if slices.Contains(exportFormats, ext) {
			o.out.value = ext
		}
	}
	var err error
	o.format, err = o.out.format(cmd)
	return err
}

func (a *app) runExport(ctx context.Context, o exportOptions) error {
	opts := sitefile.WriteOptions{
		Format:          o.format,
		WithResults:     o.withResults,
		IncludePersonal: o.includePersonal,
		Now:             time.Now(),
	}
	if o.includePersonal {
		fmt.Fprintln(a.stderr, "beianwatch: warning: the export holds personal data (names, phone numbers, email addresses): keep it safe and delete it when done")
	}
	st, err := a.openCurrentStore(ctx)
	if err != nil {
		fmt.Fprintf(a.stderr, "beianwatch: %v\n", err)
		return &exitError{exitTrouble}
	}
	defer st.Close()

	out, finish, err := a.exportOutput(o)
	if err != nil {
		fmt.Fprintf(a.stderr, "beianwatch: %v\n", err)
		return &exitError{exitTrouble}
	}
	n, err := sitefile.Export(ctx, st, out, opts)
	if err := finish(err == nil); err != nil {
		fmt.Fprintf(a.stderr, "beianwatch: export: %v\n", err)
		return &exitError{exitTrouble}
	}
	if err != nil {
		fmt.Fprintf(a.stderr, "beianwatch: export: %v\n", err)
		return &exitError{exitTrouble}
	}
	if o.file != "" {
		fmt.Fprintf(a.stderr, "exported %d sites to %s\n", n, o.file)
	}
	return nil
}

// exportOutput returns where to write and a finish function to call with
// whether all was written. A file is written beside its final name and
// renamed into place only then, so that a failed export never leaves a
// truncated file behind, nor replaces a good one.
func (a *app) exportOutput(o exportOptions) (io.Writer, func(ok bool) error, error) {
	if o.file == "" || o.file == "-" {
		return a.stdout, func(bool) error { return nil }, nil
	}
	tmp, err := os.CreateTemp(filepath.Dir(o.file), "."+filepath.Base(o.file)+".*")
	if err != nil {
		return nil, nil, err
	}
	finish := func(ok bool) error {
		if !ok {
			tmp.Close()
			return os.Remove(tmp.Name())
		}
		// CreateTemp makes the file 0600; that stays so when it holds
		// personal data, else it gets the usual mode.
		mode := os.FileMode(0o644)
		if o.includePersonal {
			mode = 0o600
		}
		err := tmp.Chmod(mode)
		if err == nil {
			err = tmp.Close()
		}
		if err == nil {
			err = os.Rename(tmp.Name(), o.file)
		}
		if err != nil {
			os.Remove(tmp.Name())
		}
		return err
	}
	return tmp, finish, nil
}
