package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/registry"
)

// showResults is how many of a site's latest history entries `sites
// show` prints; sinceResults how many it reads to say since when the
// verdict holds and when the site last passed.
const (
	showResults  = 5
	sinceResults = 200
)

// sitesListOptions are the flags of `beianwatch sites list`.
type sitesListOptions struct {
	verdict string
	tag     string
	all     bool
	limit   int
	format  string
	phone   string
	email   string
}

func (a *app) sitesCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sites [list|show DOMAIN|retire DOMAIN|recheck]",
		Short: "Look at the registry's sites from the shell",
		Long: `Sites lists the registry's sites, shows one with its state and latest checks,
retires one, or makes sites due now (recheck). With no subcommand it lists
the active sites.

Contacts and personal operators' names are stored encrypted and shown
masked (张*, 138****5678, z***@example.com); use sites show
--include-personal or export --include-personal for the real values.
sites list --contact-phone and --contact-email find sites by their
contact through a keyed hash, without decrypting the registry.

Exit status: 0 on success, 1 when no site lists the DOMAIN given, 2 on
trouble (a usage error, an unreachable or outdated registry).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runSitesList(cmd.Context(), sitesListOptions{format: formatTable})
		},
	}
	cmd.AddCommand(a.sitesListCmd(), a.sitesShowCmd(), a.sitesRetireCmd(), a.sitesRecheckCmd())
	return cmd
}

func (a *app) sitesListCmd() *cobra.Command {
	var o sitesListOptions
	var out *outputFlag
	cmd := &cobra.Command{
		Use:   "list [flags]",
		Short: "List sites with their current verdict",
		Example: `  beianwatch sites list --verdict fail
  beianwatch sites list --tag vip --all -o json
  beianwatch sites list --contact-phone 13812345678`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var err error
			if o.format, err = out.format(cmd); err != nil {
				return err
			}
			return a.runSitesList(cmd.Context(), o)
		},
	}
	out = addOutputFlag(cmd, listFormats)
	out.alias(cmd, "json", formatJSONL)
	f := cmd.Flags()
	f.StringVar(&o.verdict, "verdict", "", "only sites whose current `VERDICT` is pass, fail, error or unchecked")
	completeVerdicts(cmd)
	f.StringVar(&o.tag, "tag", "", "only sites carrying `TAG`")
	f.BoolVar(&o.all, "all", false, "include retired sites")
	f.IntVar(&o.limit, "limit", 0, "list at most `N` sites (0: all)")
	f.StringVar(&o.phone, "contact-phone", "", "only sites whose contact's phone is `PHONE` (blanks, dashes and +86 ignored)")
	f.StringVar(&o.email, "contact-email", "", "only sites whose contact's email is `EMAIL` (case ignored)")
	return cmd
}

func (a *app) sitesShowCmd() *cobra.Command {
	var personal bool
	var shot string
	var out *outputFlag
	cmd := &cobra.Command{
		Use:   "show DOMAIN",
		Short: "Show a site, its state and its latest checks",
		Long: `Show prints a site, its state and its latest checks. When a rendered check
failed, serve kept a PNG of the page's footer: show says so, and
--screenshot FILE writes the latest one (evidence for a rectification notice).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if shot != "" {
				return a.runSitesScreenshot(cmd.Context(), args[0], shot)
			}
			format, err := out.format(cmd)
			if err != nil {
				return err
			}
			return a.runSitesShow(cmd.Context(), args[0], format, personal)
		},
	}
	cmd.Flags().StringVar(&shot, "screenshot", "", "write the site's latest screenshot (PNG) to `FILE` and print nothing else")
	out = addOutputFlag(cmd, showFormats)
	out.alias(cmd, "json", formatJSON)
	cmd.Flags().BoolVar(&personal, "include-personal", false, "show contact names, phones and emails unmasked")
	return cmd
}

func (a *app) sitesRetireCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "retire DOMAIN",
		Short: "Stop checking a site; keep it and its history",
		Long: `Retire stops checking the site listing DOMAIN. The site and its check history
stay in the registry (sites list --all shows it); importing it again brings
it back.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runSitesRetire(cmd.Context(), args[0])
		},
	}
}

func (a *app) sitesRecheckCmd() *cobra.Command {
	var all bool
	var verdict string
	cmd := &cobra.Command{
		Use:   "recheck [--all | --verdict V | DOMAIN…]",
		Short: "Make sites due now: serve checks them next",
		Long: `Recheck makes active sites due now, so that the running serve checks them
next (or serve --once, when run). It prints how many sites it made due.
Retired sites are not checked.`,
		Example: `  beianwatch sites recheck example.cn 示例.中国
  beianwatch sites recheck --verdict fail
  beianwatch sites recheck --all && beianwatch serve --once`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.runSitesRecheck(cmd.Context(), all, verdict, args)
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "every active site")
	cmd.Flags().StringVar(&verdict, "verdict", "", "the active sites whose current `VERDICT` is pass, fail, error or unchecked")
	completeVerdicts(cmd)
	return cmd
}

func (a *app) runSitesRecheck(ctx context.Context, all bool, verdict string, domains []string) error {
	chosen := 0
	for _, b := range []bool{all, verdict != "", len(domains) > 0} {
		if b {
			chosen++
		}
	}
	switch {
	case chosen != 1:
		return errors.New("recheck: give exactly one of --all, --verdict or domains")
	case verdict != "" && !isVerdict(checker.Verdict(verdict)):
		return fmt.Errorf("invalid --verdict %q: want pass, fail, error or unchecked", verdict)
	}
	st, err := a.openCurrentStore(ctx)
	if err != nil {
		return a.trouble(err)
	}
	defer st.Close()
	var n int
	if len(domains) > 0 {
		n, err = st.RecheckDomains(ctx, domains)
		if errors.Is(err, registry.ErrNotFound) {
			fmt.Fprintf(a.stderr, "beianwatch: %v\n", err)
			return &exitError{exitFail}
		}
	} else {
		n, err = st.RecheckSites(ctx, checker.Verdict(verdict))
	}
	if err != nil {
		return a.trouble(err)
	}
	_, err = fmt.Fprintf(a.stdout, "%d sites due now\n", n)
	return err
}

var verdicts = []checker.Verdict{checker.VerdictPass, checker.VerdictFail, checker.VerdictError, registry.VerdictUnchecked}

func (a *app) runSitesList(ctx context.Context, o sitesListOptions) error {
	f := registry.SiteFilter{IncludeRetired: o.all, Tag: o.tag, Limit: o.limit, Verdict: checker.Verdict(o.verdict),
		ContactPhone: o.phone, ContactEmail: o.email}
	switch {
	case o.verdict != "" && !isVerdict(f.Verdict):
		return fmt.Errorf("invalid --verdict %q: want pass, fail, error or unchecked", o.verdict)
	case o.limit < 0:
		return fmt.Errorf("invalid --limit %d: want 0 or more", o.limit)
	}
	st, err := a.openCurrentStore(ctx)
	if err != nil {
		return a.trouble(err)
	}
	defer st.Close()
	if o.format != formatTable {
		rw, err := newRecordWriter(a.stdout, o.format, siteListCSVHeader, siteListCSVRow)
		if err != nil {
			return err
		}
		err = st.ListSites(ctx, f, func(s *registry.Site, state *registry.State) error {
			return rw.write(listView(s, state))
		})
		if err != nil {
			return a.trouble(err)
		}
		return rw.close()
	}
	// Rows are written as they come, in fixed-width columns (the domain,
	// of any width, last), so that a long list streams.
	fmt.Fprintln(a.stdout, listRow("ID", "VERDICT", "NEXT CHECK", "ICP", "PSB", "DOMAIN"))
	n := 0
	err = st.ListSites(ctx, f, func(s *registry.Site, state *registry.State) error {
		n++
		_, err := fmt.Fprintln(a.stdout, listRow(strconv.FormatInt(s.ID, 10), siteVerdict(s, state), nextCheck(s, state),
			orDash(s.ICPNumber), orDash(s.PSBNumber), domainList(s.Domains)))
		return err
	})
	if err != nil {
		return a.trouble(err)
	}
	if n == 0 {
		// On stderr: the table stays a table for whoever reads it.
		g := f
		g.IncludeRetired = false
		switch {
		case g != (registry.SiteFilter{}):
			fmt.Fprintln(a.stderr, "beianwatch: no site matches")
		case f.IncludeRetired:
			fmt.Fprintln(a.stderr, "beianwatch: the registry has no sites: 'beianwatch import FILE' adds them")
		default:
			fmt.Fprintln(a.stderr, "beianwatch: the registry has no active sites: 'beianwatch import FILE' adds them (--all lists retired ones too)")
		}
	}
	a.logger.Debug("listed sites", "count", n)
	return nil
}

func isVerdict(v checker.Verdict) bool {
	for _, w := range verdicts {
		if v == w {
			return true
		}
	}
	return false
}

func (a *app) runSitesShow(ctx context.Context, domain, format string, includePersonal bool) error {
	st, err := a.openCurrentStore(ctx)
	if err != nil {
		return a.trouble(err)
	}
	defer st.Close()
	s, state, err := st.SiteByDomain(ctx, domain)
	if err != nil {
		return a.siteError(domain, err)
	}
	results, err := st.Results(ctx, s.ID, sinceResults)
	if err != nil {
		return a.trouble(err)
	}
	if !includePersonal {
		maskPersonal(s)
	}
	since := historySince(results)
	results = results[:min(len(results), showResults)]
	if format != formatTable {
		return writeRecord(a.stdout, format, showView(s, state, results, since))
	}
	if _, err = fmt.Fprint(a.stdout, siteText(s, state, results, since)); err != nil {
		return err
	}
	switch id, at, png, err := st.LatestScreenshot(ctx, s.ID); {
	case errors.Is(err, registry.ErrNotFound):
	case err != nil:
		return a.trouble(err)
	default:
		_, err = fmt.Fprintf(a.stdout, "\nScreenshot of check %d (%s, %d bytes): beianwatch sites show --screenshot FILE %s\n",
			id, at.UTC().Format(time.RFC3339), len(png), domain)
		return err
	}
	return nil
}

// runSitesScreenshot writes the site's latest screenshot to file.
func (a *app) runSitesScreenshot(ctx context.Context, domain, file string) error {
	st, err := a.openCurrentStore(ctx)
	if err != nil {
		return a.trouble(err)
	}
	defer st.Close()
	s, _, err := st.SiteByDomain(ctx, domain)
	if err != nil {
		return a.siteError(domain, err)
	}
	_, _, png, err := st.LatestScreenshot(ctx, s.ID)
	if errors.Is(err, registry.ErrNotFound) {
		return a.trouble(fmt.Errorf("site %s has no screenshot (one is kept when a rendered check fails)", domain))
	}
	if err != nil {
		return a.trouble(err)
	}
	if err := os.WriteFile(file, png, 0o644); err != nil {
		return a.trouble(fmt.Errorf("--screenshot: %w", err))
	}
	return nil
}

func (a *app) runSitesRetire(ctx context.Context, domain string) error {
	st, err := a.openCurrentStore(ctx)
	if err != nil {
		return a.trouble(err)
	}
	defer st.Close()
	if err := st.RetireSite(ctx, domain); err != nil {
		return a.siteError(domain, err)
	}
	s, _, err := st.SiteByDomain(ctx, domain)
	if err != nil {
		return a.siteError(domain, err)
	}
	a.logger.Info("site retired", "site_id", s.ID, "domain", primaryDomain(s))
	_, err = fmt.Fprintf(a.stdout, "retired site %d (%s)\n", s.ID, primaryDomain(s))
	return err
}

// siteError reports a failed lookup: a domain no site lists ends the
// command with exitFail, as grep does when nothing matches.
func (a *app) siteError(domain string, err error) error {
	if errors.Is(err, registry.ErrNotFound) {
		fmt.Fprintf(a.stderr, "beianwatch: no site lists %s\n", domain)
		return &exitError{exitFail}
	}
	return a.trouble(err)
}

func primaryDomain(s *registry.Site) string {
	if len(s.Domains) == 0 {
		return "-"
	}
	return s.Domains[0].Unicode
}

// listRow is one line of `sites list`. ICP numbers take up to 24 cells
// (京ICP备2021000001号-12: Chinese characters are two cells wide).
func listRow(id, verdict, next, icp, psb, domains string) string {
	return fmt.Sprintf("%-6s  %-9s  %-23s  %s  %s  %s", id, verdict, next, padCells(printable(icp), 24), padCells(printable(psb), 14), printable(domains))
}

// siteVerdict is the current verdict, or "retired".
func siteVerdict(s *registry.Site, st *registry.State) string {
	if !s.Active {
		return "retired"
	}
	return string(st.Verdict)
}

// nextCheck is when the site is due, "-" if retired (never).
func nextCheck(s *registry.Site, st *registry.State) string {
	if !s.Active {
		return "-"
	}
	return cstTime(st.NextCheckAt)
}

// domainList shows domains in Unicode, with the ASCII form of IDNs.
func domainList(ds []registry.Domain) string {
	parts := make([]string, len(ds))
	for i, d := range ds {
		parts[i] = d.Unicode
		if d.ASCII != d.Unicode {
			parts[i] += " (" + d.ASCII + ")"
		}
	}
	return strings.Join(parts, ", ")
}
