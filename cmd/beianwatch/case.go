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

	"github.com/beianwatch/beianwatch/cases"
	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/registry"
	"github.com/beianwatch/beianwatch/workday"
)

// caseOptions are the flags every `case` subcommand shares: who acts, and
// the provider's case policy. The policy flags also read BEIANWATCH_*
// variables (--takedown-deadline is BEIANWATCH_TAKEDOWN_DEADLINE), the
// names serve uses, so that the CLI and the daemon count deadlines alike.
type caseOptions struct {
	actor             string
	takedownDeadline  time.Duration
	rectificationDays int
	extensionDays     int
	holidayFiles      []string
	notices           noticeOptions
}

func (a *app) caseCmd() *cobra.Command {
	o := &caseOptions{}
	cmd := &cobra.Command{
		Use:   "case",
		Short: "Track takedown and rectification cases",
		Long: `Case opens and moves the provider's cases: takedowns of illegal content at
given URLs, and rectifications (整改) of sites that break the filing rules.
Every change is recorded with who made it and why; no case is ever deleted.

States: suspected → open → notified → fixed → closed; overdue (deadline
passed, not fixed) → blocked (the provider cut access) → closed; extended
(a rectification, once); dismissed (a false report). A blocked case is
closed only by a person, with a reason: beianwatch never lifts a block.

Deadlines: a takedown's defaults to --takedown-deadline after opening; a
rectification's to --rectification-days working days (China's official
calendar with its make-up working days; --holiday-file adds years), and
one extension adds --extension-days working days.

Exit status: 0 on success, 1 when no case has the ID given, 2 on bad input
(an unknown category, a URL of a site not in the registry, a move the
rules refuse) or trouble.`,
		Args: cobra.NoArgs,
	}
	f := cmd.PersistentFlags()
	f.StringVar(&o.actor, "actor", "", "who acts, recorded in the case's history (default cli:$USER)")
	f.DurationVar(&o.takedownDeadline, "takedown-deadline", 24*time.Hour, "a takedown's default time to respond")
	f.IntVar(&o.rectificationDays, "rectification-days", 10, "a rectification's default fix window, in `N` working days")
	f.IntVar(&o.extensionDays, "extension-days", 7, "what a rectification's one extension adds, in `N` working days")
	f.StringSliceVar(&o.holidayFiles, "holiday-file", nil, "a holiday `FILE` for a year the built-in calendar lacks (workday JSON; repeatable)")
	o.notices.addFlags(f)
	cmd.AddCommand(a.caseOpenCmd(o), a.caseListCmd(), a.caseShowCmd(),
		a.caseNotifyCmd(o), a.caseExtendCmd(o), a.caseConfirmCmd(o),
		a.caseMoveCmd(o, "dismiss", cases.Dismissed, "Dismiss a false report (a reason is required)", true),
		a.caseMoveCmd(o, "close", cases.Closed, "Close a fixed or blocked case (a blocked one needs a reason)", false),
		a.caseBlockCmd(o))
	return cmd
}

// actorName is --actor, or cli:$USER.
func (a *app) actorName(o *caseOptions) string {
	if o.actor != "" {
		return o.actor
	}
	user := a.getenv("USER")
	if user == "" {
		user = "unknown"
	}
	return "cli:" + user
}

// policy is the case policy the flags set.
func (o *caseOptions) policy() (cases.Policy, error) {
	p := cases.DefaultPolicy()
	p.TakedownDeadline, p.RectificationDays, p.ExtensionDays = o.takedownDeadline, o.rectificationDays, o.extensionDays
	if err := p.Validate(); err != nil {
		return cases.Policy{}, fmt.Errorf("case policy: %w", err)
	}
	return p, nil
}

// calendar is the built-in working-day calendar with the years of
// --holiday-file.
func (o *caseOptions) calendar() (*workday.Calendar, error) {
	cal := workday.Default()
	for _, name := range o.holidayFiles {
		f, err := os.Open(name)
		if err != nil {
			return nil, fmt.Errorf("holiday file: %w", err)
		}
		y, err := workday.ParseYear(f, name)
		f.Close()
		if err != nil {
			return nil, err
		}
		if cal, err = cal.Merge(y); err != nil {
			return nil, fmt.Errorf("holiday file %s: %w", name, err)
		}
	}
	return cal, nil
}

// caseOpenOptions are the flags of `case open`.
type caseOpenOptions struct {
	kind, domain, category, deadline, reporter, note string
	urls, evidence, hashes, codes                    []string
	regulator, suspected                             bool
}

func (a *app) caseOpenCmd(o *caseOptions) *cobra.Command {
	var co caseOpenOptions
	cmd := &cobra.Command{
		Use:   "open --kind takedown|rectification --domain DOMAIN [flags]",
		Short: "Open a case",
		Example: `  beianwatch case open --kind takedown --domain example.cn --url https://example.cn/x \
      --category gambling --evidence "澳门赌场" --reporter 网安 --regulator
  beianwatch case open --kind rectification --domain example.cn --code PSB_MISSING`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return a.runCaseOpen(cmd.Context(), o, co)
		},
	}
	f := cmd.Flags()
	f.StringVar(&co.kind, "kind", "", "takedown or rectification")
	f.StringVar(&co.domain, "domain", "", "the site's `DOMAIN` (any of its domains)")
	f.StringArrayVar(&co.urls, "url", nil, "an offending `URL` on the site (takedown; repeatable)")
	f.StringVar(&co.category, "category", "", "gambling, pornography, fraud, illegal_trade, copyright or other (takedown)")
	f.StringArrayVar(&co.codes, "code", nil, "a finding `CODE` to rectify, such as PSB_MISSING (rectification; repeatable)")
	f.StringArrayVar(&co.evidence, "evidence", nil, "a `PHRASE` the offending page shows (repeatable)")
	f.StringArrayVar(&co.hashes, "evidence-sha256", nil, "the `SHA256` (hex) of an offending body (repeatable)")
	f.StringVar(&co.deadline, "deadline", "", "time to respond: a duration (24h), working days (10wd) or a last day (2026-12-31)")
	f.StringVar(&co.reporter, "reporter", "", "who reported it")
	f.BoolVar(&co.regulator, "regulator", false, "ordered by a regulator (cannot be dismissed)")
	f.StringVar(&co.note, "note", "", "a note kept with the case")
	f.BoolVar(&co.suspected, "suspected", false, "open it suspected, for a person to confirm (takedown)")
	_ = cmd.MarkFlagRequired("kind")
	_ = cmd.MarkFlagRequired("domain")
	completeValues(cmd, "kind", cases.AllKinds())
	completeValues(cmd, "category", cases.TakedownCategories())
	f.SortFlags = false
	return cmd
}

func (a *app) runCaseOpen(ctx context.Context, o *caseOptions, co caseOpenOptions) error {
	kind, err := cases.ParseKind(co.kind)
	if err != nil {
		return err
	}
	c := cases.Case{Kind: kind, Domain: co.domain, URLs: co.urls, Category: cases.Category(co.category),
		EvidencePhrases: co.evidence, EvidenceSHA256: co.hashes, Reporter: co.reporter,
		RegulatorOrdered: co.regulator, Notes: co.note, State: cases.Open, CreatedAt: time.Now()}
	c.Codes = co.codes
	if err := c.CheckNew(co.suspected); err != nil {
		return err
	}
	if co.suspected {
		c.State = cases.Suspected
	} else {
		d, err := o.deadline(kind, co.deadline, c.CreatedAt)
		if err != nil {
			return a.trouble(err)
		}
		c.SetDeadline(d)
	}
	st, err := a.openCurrentStore(ctx)
	if err != nil {
		return a.trouble(err)
	}
	defer st.Close()
	c, err = st.OpenCase(ctx, c, a.actorName(o))
	if err != nil {
		return a.trouble(err)
	}
	a.logger.Info("case opened", "case", c.ID, "kind", c.Kind, "site_id", c.SiteID, "domain", c.Domain)
	_, err = fmt.Fprintf(a.stdout, "opened case %d: %s %s for %s, %s, deadline %s\n",
		c.ID, c.Kind, c.Category, c.Domain, c.State, deadlineText(c))
	return err
}

// deadlineText is a case's deadline as people read it, with why it is
// provisional: "by end of 2028-01-04 CST (provisional: the 2028 holiday
// calendar is not loaded)".
func deadlineText(c cases.Case) string {
	s := checker.DeadlineText(c.Deadline)
	if n := cases.ProvisionalNote(c.Provisional); n != "" {
		s += " (" + n + ")"
	}
	return s
}

// deadline turns --deadline (or the policy's default for the kind) into
// a deadline, counted from start.
func (o *caseOptions) deadline(k cases.Kind, flag string, start time.Time) (cases.Deadline, error) {
	p, err := o.policy()
	if err != nil {
		return cases.Deadline{}, err
	}
	var calErr error
	cal := func() (cases.Calendar, error) {
		c, err := o.calendar()
		calErr = err
		return c, err
	}
	d, err := cases.ParseDeadline(p, cal, k, flag, start)
	switch {
	case calErr != nil:
		return cases.Deadline{}, calErr
	case err != nil:
		return cases.Deadline{}, fmt.Errorf("invalid --%w", err)
	}
	return d, nil
}

// caseID parses a case ID argument.
func caseID(arg string) (int64, error) {
	id, err := strconv.ParseInt(strings.TrimPrefix(arg, "#"), 10, 64)
	if err != nil || id < 1 {
		return 0, fmt.Errorf("invalid case ID %q: want a positive number", arg)
	}
	return id, nil
}

// caseError ends a command that failed on case id: no such case is
// exitFail, as in `sites show`; a refused move or anything else is
// exitTrouble, with the rules' own message.
func (a *app) caseError(id int64, err error) error {
	var te *cases.TransitionError
	switch {
	case errors.As(err, &te):
		fmt.Fprintf(a.stderr, "beianwatch: %v\n", te)
		return &exitError{exitTrouble}
	case errors.Is(err, registry.ErrNotFound):
		fmt.Fprintf(a.stderr, "beianwatch: no case %d\n", id)
		return &exitError{exitFail}
	}
	return a.trouble(err)
}

// caseNoticer returns the notice delivery `case notify` uses, or nil when
// none is configured: then the case is recorded as notified (the operator
// told the customer by other means) and the command says that beianwatch
// did not deliver a notice. The notice/ and alerts/ packages plug in here.
func (a *app) caseNoticer(o *caseOptions, st *registry.Store) (cases.Noticer, error) {
	return o.notices.noticer(st.SiteByDomain)
}

func (a *app) caseNotifyCmd(o *caseOptions) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "notify ID",
		Short: "Send the customer notice and record the case as notified",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := caseID(args[0])
			if err != nil {
				return err
			}
			return a.runCaseNotify(cmd.Context(), o, id, reason)
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "a note for the history")
	return cmd
}

func (a *app) runCaseNotify(ctx context.Context, o *caseOptions, id int64, reason string) error {
	st, err := a.openCurrentStore(ctx)
	if err != nil {
		return a.trouble(err)
	}
	defer st.Close()
	n, err := a.caseNoticer(o, st)
	if err != nil {
		return a.trouble(err)
	}
	before, after, note, err := cases.Notify(ctx, st, n, id, time.Now(), a.actorName(o), reason)
	if err != nil {
		return a.caseError(id, err)
	}
	a.logger.Info("case moved", "case", id, "from", before.State, "to", after.State, "actor", a.actorName(o))
	_, err = fmt.Fprintf(a.stdout, "case %d: %s → %s (%s)\n", id, before.State, after.State, note)
	return err
}

// moveCase makes a move and prints it, with a note when given.
func (a *app) moveCase(ctx context.Context, st *registry.Store, id int64, u cases.Update, note string) error {
	if u.At.IsZero() {
		u.At = time.Now()
	}
	before, err := st.Case(ctx, id)
	if err != nil {
		return a.caseError(id, err)
	}
	c, err := st.TransitionCase(ctx, id, u)
	if err != nil {
		return a.caseError(id, err)
	}
	a.logger.Info("case moved", "case", id, "from", before.State, "to", c.State, "actor", u.Actor)
	line := fmt.Sprintf("case %d: %s → %s", id, before.State, c.State)
	if !c.Deadline.Equal(before.Deadline) {
		line += ", deadline " + deadlineText(c)
	}
	if note != "" {
		line += " (" + note + ")"
	}
	_, err = fmt.Fprintln(a.stdout, line)
	return err
}

func (a *app) caseExtendCmd(o *caseOptions) *cobra.Command {
	var days int
	var reason string
	cmd := &cobra.Command{
		Use:   "extend ID",
		Short: "Extend a rectification's deadline, once, by working days",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := caseID(args[0])
			if err != nil {
				return err
			}
			if days == 0 {
				days = o.extensionDays
			}
			if days < 1 {
				return fmt.Errorf("invalid --days %d: must be at least 1", days)
			}
			cal, err := o.calendar()
			if err != nil {
				return a.trouble(err)
			}
			st, err := a.openCurrentStore(cmd.Context())
			if err != nil {
				return a.trouble(err)
			}
			defer st.Close()
			return a.moveCase(cmd.Context(), st, id, cases.Update{To: cases.Extended, Actor: a.actorName(o), Reason: reason,
				ExtendDays: days, Calendar: cal}, "")
		},
	}
	cmd.Flags().IntVar(&days, "days", 0, "working `DAYS` to add (default --extension-days)")
	cmd.Flags().StringVar(&reason, "reason", "", "why (the customer's request)")
	return cmd
}

func (a *app) caseConfirmCmd(o *caseOptions) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   "confirm ID",
		Short: "Confirm a suspected case, or a pending escalation",
		Long: `Confirm opens a suspected case (found by the lexicon scan) with its deadline
counted from now. On an overdue case whose escalation waits for a person
(require_confirmation), it gives the go-ahead for the escalation webhook.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := caseID(args[0])
			if err != nil {
				return err
			}
			return a.runCaseConfirm(cmd.Context(), o, id, reason)
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "a note for the history")
	return cmd
}

func (a *app) runCaseConfirm(ctx context.Context, o *caseOptions, id int64, reason string) error {
	p, err := o.policy()
	if err != nil {
		return a.trouble(err)
	}
	cal, err := o.calendar()
	if err != nil {
		return a.trouble(err)
	}
	st, err := a.openCurrentStore(ctx)
	if err != nil {
		return a.trouble(err)
	}
	defer st.Close()
	before, c, err := cases.Confirm(ctx, st, id, p, cal, time.Now(), a.actorName(o), reason)
	switch {
	case errors.Is(err, cases.ErrNothingToConfirm):
		return a.trouble(fmt.Errorf("case %d is %s with escalation %s: nothing to confirm", id, before.State, before.Escalation))
	case err != nil:
		return a.caseError(id, err)
	case before.State != cases.Suspected:
		_, err = fmt.Fprintf(a.stdout, "case %d: escalation confirmed by %s\n", id, c.EscalationConfirmedBy)
		return err
	}
	a.logger.Info("case moved", "case", id, "from", before.State, "to", c.State, "actor", a.actorName(o))
	_, err = fmt.Fprintf(a.stdout, "case %d: %s → %s, deadline %s\n", id, before.State, c.State, deadlineText(c))
	return err
}

// caseMoveCmd is a command that moves a case to one state with a reason.
func (a *app) caseMoveCmd(o *caseOptions, name string, to cases.State, short string, reasonRequired bool) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:   name + " ID",
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := caseID(args[0])
			if err != nil {
				return err
			}
			st, err := a.openCurrentStore(cmd.Context())
			if err != nil {
				return a.trouble(err)
			}
			defer st.Close()
			return a.moveCase(cmd.Context(), st, id, cases.Update{To: to, Actor: a.actorName(o), Reason: reason}, "")
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why")
	if reasonRequired {
		_ = cmd.MarkFlagRequired("reason")
	}
	return cmd
}

func (a *app) caseBlockCmd(o *caseOptions) *cobra.Command {
	var level, reason string
	cmd := &cobra.Command{
		Use:   "block ID --level url|domain|service",
		Short: "Record that the provider cut the customer's access",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := caseID(args[0])
			if err != nil {
				return err
			}
			l, err := cases.ParseBlockLevel(level)
			if err != nil {
				return err
			}
			st, err := a.openCurrentStore(cmd.Context())
			if err != nil {
				return a.trouble(err)
			}
			defer st.Close()
			return a.moveCase(cmd.Context(), st, id, cases.Update{To: cases.Blocked, Actor: a.actorName(o), Reason: reason, BlockLevel: l}, "at "+level+" level")
		},
	}
	cmd.Flags().StringVar(&level, "level", "", "what was cut: url, domain or service")
	cmd.Flags().StringVar(&reason, "reason", "", "why")
	_ = cmd.MarkFlagRequired("level")
	completeValues(cmd, "level", []string{"url", "domain", "service"})
	return cmd
}
