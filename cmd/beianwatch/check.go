package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/crawler"
	"github.com/beianwatch/beianwatch/registry"
	"github.com/beianwatch/beianwatch/render"
	"github.com/beianwatch/beianwatch/sitefile"
)

// checkOptions are the flags of `beianwatch check`.
type checkOptions struct {
	expectICP, expectPSB            string
	launched, psbFiled, psbApproved string
	out                             *outputFlag
	format                          string
	fetchOptions
	concurrency int
	file        string
	// registry says to take each target's expectations from the registry
	// (--db given, or BEIANWATCH_DB set); changed tells which flags were
	// given, as they override the registry field by field.
	registry bool
	// defaultRegistry says the registry is the default file, used because
	// it exists in the working directory (not named by --db); noDB turns
	// that off.
	defaultRegistry bool
	noDB            bool
	changed         func(flag string) bool
	// policyFile is --policy; policy the policy read from it (nil: built in).
	policyFile string
	policy     *checker.Policy
	render     renderFlag
}

func (a *app) checkCmd() *cobra.Command {
	o := checkOptions{fetchOptions: fetchOptions{maxBody: crawler.DefaultMaxBody}}
	cmd := &cobra.Command{
		Use:   "check [flags] <domain|URL>...",
		Short: "Fetch pages and check their filing numbers",
		Long: `Check fetches each target and checks the ICP and PSB (公安) filing numbers in
the page. A target is a domain (tried over https://, then http://), a domain
with a path, or a full http(s) URL. The --expect and date flags apply to
every target.

Expectations come from the registry when --db is given (or BEIANWATCH_DB is
set), and also without it when the default registry file beianwatch.db exists
in the working directory and holds the target's domain: its numbers and dates
are used ("expectations from the registry"), and flags given override them
field by field. --no-db turns this off. The file is never created by check.

Dates decide what is due. With no launch date (nor, from the registry, an ICP
approval date) the site is judged as established: its PSB filing and the whole
PSB badge (number as text, icon, link to the PSB query page) must be on the
page, and a missing part is an error. --launched opens the 30-day PSB filing
window, --psb-approved the badge's; inside a window a missing part is info.
--policy FILE changes this (unknown_dates: lenient) and any finding's severity.

A page drawn by script (PAGE_SCRIPT_RENDERED) is rendered in headless Chromium
and its DOM judged by the same rules ("rendered": true in --json): --render
auto, the default; always renders every page, never none.

Exit status: 0 if every target passed, 1 if any failed, 2 if any could not be
checked or the command was used wrongly.`,
		Example: `  beianwatch check example.cn
  beianwatch check --expect-icp 京ICP备2021034567号-1 --launched 2024-03-01 https://example.cn/
  beianwatch check -o jsonl -f sites.txt
  beianwatch check --allow-private --resolve example.test:127.0.0.1:8080 example.test`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.noDB && cmd.Flags().Changed("db") {
				return errors.New("--no-db and --db exclude each other")
			}
			// --no-db also sets aside a BEIANWATCH_DB exported for other
			// commands.
			o.registry = !o.noDB && (cmd.Flags().Changed("db") || a.dsn != registry.DefaultDSN)
			if !o.registry && !o.noDB && defaultRegistryExists() {
				o.registry, o.defaultRegistry = true, true
			}
			o.changed = cmd.Flags().Changed
			var err error
			if o.format, err = o.out.format(cmd); err != nil {
				return err
			}
			return a.runCheck(cmd.Context(), o, args)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.expectICP, "expect-icp", "", "the ICP `NUMBER` the page must show (e.g. 京ICP备2021034567号-1)")
	f.StringVar(&o.expectPSB, "expect-psb", "", "the PSB `NUMBER` the page must show (digits or 京公网安备…号)")
	f.StringVar(&o.launched, "launched", "", "launch `DATE`, YYYY-MM-DD (starts the 30-day PSB filing clock)")
	f.StringVar(&o.psbFiled, "psb-filed", "", "PSB filing `DATE`, YYYY-MM-DD")
	f.StringVar(&o.psbApproved, "psb-approved", "", "PSB approval `DATE`, YYYY-MM-DD (starts the 30-day badge clock)")
	f.BoolVar(&o.noDB, "no-db", false, "take no expectations from a registry: not from ./beianwatch.db when it exists, nor BEIANWATCH_DB")
	f.StringVar(&o.policyFile, "policy", "", "judge by the policy `FILE` (YAML: unknown_dates, severity) instead of the built-in one")
	o.out = addOutputFlag(cmd, listFormats)
	o.out.alias(cmd, "json", formatJSONL)
	o.fetchOptions.addFlags(f, a.version)
	addRenderFlag(f, &o.render)
	f.IntVar(&o.concurrency, "concurrency", 4, "`N` targets checked at once")
	f.StringVarP(&o.file, "file", "f", "", "read targets from `FILE`, one a line (# comments; - for stdin)")
	cmd.Flags().SortFlags = false
	return cmd
}

// runCheck checks every target and prints the reports in input order.
func (a *app) runCheck(ctx context.Context, o checkOptions, args []string) error {
	want, err := o.expect(time.Now())
	if err != nil {
		return err
	}
	if o.policyFile != "" {
		if o.policy, err = loadPolicy(o.policyFile); err != nil {
			return err
		}
	}
	cfg, err := o.fetchConfig()
	if err != nil {
		return err
	}
	targets, err := a.targets(o.file, args)
	if err != nil {
		return err
	}
	wants, fromRegistry, err := a.expectations(ctx, o, want, targets)
	if err != nil {
		return err
	}
	for i := range wants {
		wants[i].Policy = o.policy
	}
	fetcher, err := crawler.NewFetcher(cfg)
	if err != nil {
		return err
	}
	defer fetcher.Close()
	renderer, closeRenderer, err := a.newRenderer(o.render.mode, cfg, render.DefaultWorkers)
	if err != nil {
		return err
	}
	defer closeRenderer()
	pipe := crawler.Pipeline{Fetch: fetcher.Fetch}
	if renderer != nil {
		pipe.Render = crawler.RenderConfig{Renderer: renderer, Mode: o.render.mode}
	}

	p, err := newPrinter(a.stdout, o.format, isTerminal(a.stdout) && a.getenv("NO_COLOR") == "")
	if err != nil {
		return err
	}
	var bar *progressbar.ProgressBar
	if len(targets) > 1 && isTerminal(a.stderr) {
		bar = progressbar.NewOptions(len(targets), progressbar.OptionSetWriter(a.stderr),
			progressbar.OptionSetDescription("checking"), progressbar.OptionShowCount(),
			progressbar.OptionClearOnFinish(), progressbar.OptionThrottle(100*time.Millisecond))
		p.bar = bar
	}
	status := exitOK
	i := 0
	for r := range a.checkAll(ctx, pipe, targets, wants, o.concurrency) {
		var note string
		if fromRegistry[i] {
			note = "expectations from the registry (" + registry.RedactDSN(a.dsn) + ")"
		}
		i++
		if err := p.print(r, note); err != nil {
			return fmt.Errorf("write report: %w", err)
		}
		if bar != nil {
			_ = bar.Add(1)
		}
		switch r.Verdict {
		case checker.VerdictError:
			status = exitTrouble
		case checker.VerdictFail:
			status = max(status, exitFail)
		}
	}
	if bar != nil {
		_ = bar.Finish()
	}
	if err := p.close(); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if ctx.Err() != nil {
		fmt.Fprintln(a.stderr, "beianwatch: interrupted")
		return &exitError{exitTrouble}
	}
	if status != exitOK {
		return &exitError{status}
	}
	return nil
}

// checkAll checks the targets, n at a time, each against its expectations
// in wants, and yields the reports in the order of the targets. It stops
// yielding when ctx is done.
func (a *app) checkAll(ctx context.Context, f crawler.Pipeline, targets []string, wants []checker.Expect, n int) func(yield func(checker.Report) bool) {
	return func(yield func(checker.Report) bool) {
		ctx, cancel := context.WithCancel(ctx)
		// One buffered channel per target lets the workers finish in any
		// order while the reports come out in input order.
		results := make([]chan checker.Report, len(targets))
		for i := range results {
			results[i] = make(chan checker.Report, 1)
		}
		jobs := make(chan int)
		var wg sync.WaitGroup
		defer wg.Wait()
		defer cancel() // runs before wg.Wait, so the workers stop early
		for range min(n, len(targets)) {
			wg.Go(func() {
				for i := range jobs {
					results[i] <- a.checkOne(ctx, f, targets[i], wants[i])
				}
			})
		}
		go func() {
			defer close(jobs)
			for i := range targets {
				select {
				case jobs <- i:
				case <-ctx.Done():
					return
				}
			}
		}()
		for _, ch := range results {
			select {
			case r := <-ch:
				if !yield(r) {
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}
}

// checkOne checks one target through the pipeline the scheduler uses.
// It always returns a report: a fetch failure is a report with the
// verdict "error".
func (a *app) checkOne(ctx context.Context, p crawler.Pipeline, target string, want checker.Expect) checker.Report {
	start := time.Now()
	o, err := p.Run(ctx, crawler.Job{Target: target, Want: want})
	if err != nil {
		a.logger.Debug("fetch failed", "target", target, "reason", crawler.Reason(err), "err", err)
		if errors.Is(err, crawler.ErrBlockedAddress) {
			o.Report.Error += " (--allow-private or --allow-cidr lifts this)"
		}
		return o.Report
	}
	a.logger.Debug("checked", "target", target, "url", o.Report.URL, "verdict", o.Report.Verdict, "duration", time.Since(start))
	return o.Report
}

// expect builds the expectations from the flags. The dates are refused
// as import refuses them (sitefile.CheckDates): not a date, in the future
// at now, or out of the filing order.
func (o checkOptions) expect(now time.Time) (checker.Expect, error) {
	for _, d := range []struct{ flag, in string }{
		{"--launched", o.launched}, {"--psb-filed", o.psbFiled}, {"--psb-approved", o.psbApproved},
	} {
		if _, err := checker.ParseDate(d.in); err != nil {
			return checker.Expect{}, fmt.Errorf("invalid %s %q: want a date as YYYY-MM-DD", d.flag, d.in)
		}
	}
	want, err := checkDates(checker.Expect{}, o.launched, o.psbFiled, o.psbApproved, now)
	if err != nil {
		return checker.Expect{}, err
	}
	want.ICP, want.PSB = o.expectICP, o.expectPSB
	return want, nil
}

// dateFlags name the import's date columns as check's flags, for errors.
var dateFlags = strings.NewReplacer("launched_on", "--launched", "psb_filed_on", "--psb-filed", "psb_approved_on", "--psb-approved")

// checkDates validates the dates as import does, with base's ICP approval
// date (the registry's; check has no flag for it), and returns base with
// the dates set. Its errors name the flags.
func checkDates(base checker.Expect, launched, psbFiled, psbApproved string, now time.Time) (checker.Expect, error) {
	o := sitefile.ExpectOverride{LaunchedOn: &launched, PSBFiledOn: &psbFiled, PSBApproved: &psbApproved}
	return applyOverride(o, base, now)
}

// applyOverride applies o to base (sitefile.ExpectOverride, which the
// API's checks use too), its errors naming the flags.
func applyOverride(o sitefile.ExpectOverride, base checker.Expect, now time.Time) (checker.Expect, error) {
	w, errs := o.Apply(base, now)
	if len(errs) > 0 {
		e := errs[0]
		return checker.Expect{}, fmt.Errorf("invalid %s: %s", dateFlags.Replace(e.Column), dateFlags.Replace(e.Message))
	}
	return w, nil
}

// override is what the flags given explicitly (changed) say, to apply
// over the registry's expectations field by field.
func (o checkOptions) override() sitefile.ExpectOverride {
	var v sitefile.ExpectOverride
	for _, f := range []struct {
		flag string
		dst  **string
		val  *string
	}{
		{"expect-icp", &v.ICP, &o.expectICP}, {"expect-psb", &v.PSB, &o.expectPSB},
		{"launched", &v.LaunchedOn, &o.launched}, {"psb-filed", &v.PSBFiledOn, &o.psbFiled},
		{"psb-approved", &v.PSBApproved, &o.psbApproved},
	} {
		if o.changed(f.flag) {
			*f.dst = f.val
		}
	}
	return v
}

// loadPolicy reads a policy file. Its errors name the file and the line.
func loadPolicy(file string) (*checker.Policy, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("read policy: %w", err)
	}
	return checker.ParsePolicy(file, data)
}

// defaultRegistryExists says whether the default registry's SQLite file
// is in the working directory. It only looks: check must not create it.
func defaultRegistryExists() bool {
	path, _ := sqliteFile(registry.DefaultDSN)
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}

// fetchOptions are the fetching flags that check and serve share.
type fetchOptions struct {
	timeout      time.Duration
	maxBody      byteSize
	userAgent    string
	allowPrivate bool
	allowCIDRs   []string
	resolve      []string
}

func (o *fetchOptions) addFlags(f *pflag.FlagSet, version string) {
	f.DurationVar(&o.timeout, "timeout", crawler.DefaultTimeout, "time allowed for each attempt at a target, redirects and body included")
	f.Var(&o.maxBody, "max-body", "largest page accepted, also after decompression (`SIZE`: 5MiB, 512KiB, 1MB, 1048576)")
	f.StringVar(&o.userAgent, "user-agent", crawler.DefaultUserAgent(version), "User-Agent header `TEXT`")
	f.BoolVar(&o.allowPrivate, "allow-private", false, "allow loopback, private and other non-public addresses")
	f.StringSliceVar(&o.allowCIDRs, "allow-cidr", nil, "allow these non-public networks only (`CIDR`,…; repeatable)")
	f.StringArrayVar(&o.resolve, "resolve", nil, "connect to ADDR for HOST, like curl's --resolve (`HOST:ADDR` or HOST:ADDR:PORT; repeatable)")
}

// fetchConfig builds the crawler configuration from the flags.
func (o checkOptions) fetchConfig() (crawler.FetchConfig, error) {
	if o.concurrency < 1 {
		return crawler.FetchConfig{}, fmt.Errorf("invalid --concurrency %d: must be at least 1", o.concurrency)
	}
	return o.fetchOptions.config()
}

func (o fetchOptions) config() (crawler.FetchConfig, error) {
	cfg := crawler.FetchConfig{
		Timeout:      o.timeout,
		MaxBody:      int64(o.maxBody),
		UserAgent:    o.userAgent,
		AllowPrivate: o.allowPrivate,
	}
	if o.timeout <= 0 {
		return cfg, fmt.Errorf("invalid --timeout %v: must be positive", o.timeout)
	}
	var err error
	if cfg.AllowCIDRs, err = parseCIDRs("--allow-cidr", o.allowCIDRs); err != nil {
		return cfg, err
	}
	for _, s := range o.resolve {
		r, err := crawler.ParseResolve(s)
		if err != nil {
			return cfg, fmt.Errorf("invalid --resolve %q: want HOST:ADDR or HOST:ADDR:PORT, e.g. example.test:127.0.0.1:8080", s)
		}
		cfg.Resolve = append(cfg.Resolve, r)
	}
	return cfg, nil
}

// parseCIDRs reads the networks of a list flag.
func parseCIDRs(flag string, list []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range list {
		p, err := parseCIDR(s)
		if err != nil {
			return nil, fmt.Errorf("invalid %s %q: want a network such as 10.0.0.0/8 or fd00::/8", flag, s)
		}
		out = append(out, p)
	}
	return out, nil
}

// parseCIDR reads a network, or a single address as a one-address network.
func parseCIDR(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if a, err := netip.ParseAddr(s); err == nil && a.Zone() == "" {
		return netip.PrefixFrom(a, a.BitLen()), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	return p.Masked(), nil
}

// targets gathers the targets from the arguments and the -f file.
func (a *app) targets(file string, args []string) ([]string, error) {
	targets := append([]string(nil), args...)
	if file != "" {
		var r io.Reader = a.stdin
		if file != "-" {
			f, err := os.Open(file)
			if err != nil {
				return nil, fmt.Errorf("read targets: %w", err)
			}
			defer f.Close()
			r = f
		}
		more, err := readTargets(r)
		if err != nil {
			return nil, fmt.Errorf("read targets from %s: %w", file, err)
		}
		targets = append(targets, more...)
	}
	if len(targets) == 0 {
		return nil, errors.New("no targets: give domains or URLs as arguments, or -f FILE")
	}
	return targets, nil
}

// readTargets reads one target a line, skipping blank lines and # comments.
func readTargets(r io.Reader) ([]string, error) {
	var out []string
	sc := bufio.NewScanner(r)
	for first := true; sc.Scan(); first = false {
		line := sc.Text()
		if first {
			line = strings.TrimPrefix(line, "\ufeff") // files saved by Windows Notepad
		}
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		out = append(out, line)
	}
	return out, sc.Err()
}
