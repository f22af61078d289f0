package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/beianwatch/beianwatch/cases"
	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/registry"
	"github.com/beianwatch/beianwatch/sitefile"
)

// showVerifications is how many of a case's latest verifications `case
// show` prints.
const showVerifications = 10

func (a *app) caseListCmd() *cobra.Command {
	var kind, state, domain string
	var active bool
	var limit int
	var out *outputFlag
	cmd := &cobra.Command{
		Use:   "list [flags]",
		Short: "List cases, newest first",
		Example: `  beianwatch case list --state overdue
  beianwatch case list --kind takedown --domain example.cn -o csv > cases.csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			f := registry.CaseFilter{Domain: domain, Active: active, Limit: limit}
			var err error
			if kind != "" {
				if f.Kind, err = cases.ParseKind(kind); err != nil {
					return err
				}
			}
			if state != "" {
				if f.State, err = cases.ParseState(state); err != nil {
					return err
				}
			}
			format, err := out.format(cmd)
			switch {
			case err != nil:
				return err
			case limit < 0:
				return fmt.Errorf("invalid --limit %d: want 0 or more", limit)
			}
			return a.runCaseList(cmd.Context(), f, format)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&kind, "kind", "", "only takedown or rectification cases")
	fl.StringVar(&state, "state", "", "only cases in this `STATE`")
	fl.StringVar(&domain, "domain", "", "only the cases of the site listing `DOMAIN`")
	fl.BoolVar(&active, "active", false, "only cases still waiting for something (suspected, open, notified, extended, overdue)")
	fl.IntVar(&limit, "limit", 0, "list at most `N` cases (0: all)")
	out = addOutputFlag(cmd, listFormats)
	// --format was -o's name here; its json meant one object a line.
	out.deprecatedFormat(cmd, map[string]string{formatJSON: formatJSONL})
	completeValues(cmd, "kind", cases.AllKinds())
	completeValues(cmd, "state", cases.AllStates())
	return cmd
}

func (a *app) runCaseList(ctx context.Context, f registry.CaseFilter, format string) error {
	st, err := a.openCurrentStore(ctx)
	if err != nil {
		return a.trouble(err)
	}
	defer st.Close()
	cs, err := st.ListCases(ctx, f)
	if err != nil {
		return a.trouble(err)
	}
	switch format {
	case formatCSV:
		return writeCasesCSV(a.stdout, cs)
	case formatTable:
	default:
		rw, err := newRecordWriter[caseJSON](a.stdout, format, nil, nil)
		if err != nil {
			return err
		}
		for _, c := range cs {
			if err := rw.write(caseView(c)); err != nil {
				return err
			}
		}
		return rw.close()
	}
	fmt.Fprintln(a.stdout, caseRow("ID", "STATE", "KIND", "CATEGORY", "DEADLINE", "DOMAIN"))
	for _, c := range cs {
		fmt.Fprintln(a.stdout, caseRow(strconv.FormatInt(c.ID, 10), string(c.State), string(c.Kind), string(c.Category),
			listDeadline(c), caseTarget(c)))
	}
	if len(cs) == 0 {
		if f == (registry.CaseFilter{}) {
			fmt.Fprintln(a.stderr, "beianwatch: no cases yet: 'beianwatch case open' opens one")
		} else {
			fmt.Fprintln(a.stderr, "beianwatch: no case matches")
		}
	}
	return nil
}

// caseRow is one line of `case list`; the domain, of any width, last.
func caseRow(id, state, kind, category, deadline, domain string) string {
	return fmt.Sprintf("%-6s  %-9s  %-13s  %-23s  %-36s  %s", id, state, kind, printable(category), deadline, printable(domain))
}

// listDeadline is the deadline in `case list`: "end of 2027-01-04 CST",
// marked when provisional (`case show` says why).
func listDeadline(c cases.Case) string {
	s := strings.TrimPrefix(checker.DeadlineText(c.Deadline), "by ")
	if len(c.Provisional) > 0 {
		s += " (provisional)"
	}
	return s
}

// caseTarget is the case's domain, with the number of URLs of a takedown.
func caseTarget(c cases.Case) string {
	switch len(c.URLs) {
	case 0:
		return c.Domain
	case 1:
		return c.Domain + " (1 URL)"
	}
	return fmt.Sprintf("%s (%d URLs)", c.Domain, len(c.URLs))
}

// writeCasesCSV writes `case list --format csv`: times in UTC RFC 3339,
// lists space-separated.
func writeCasesCSV(w io.Writer, cs []cases.Case) error {
	cw := csv.NewWriter(w)
	header := []string{"id", "kind", "state", "category", "codes", "domain", "site_id", "urls", "reporter",
		"regulator_ordered", "created_at", "deadline", "extensions_used", "block_level", "escalation", "notified_at",
		"fixed_at", "closed_at", "deadline_provisional"}
	if err := cw.Write(header); err != nil {
		return err
	}
	for _, c := range cs {
		rec := []string{strconv.FormatInt(c.ID, 10), string(c.Kind), string(c.State), string(c.Category),
			strings.Join(c.Codes, " "), c.Domain, strconv.FormatInt(c.SiteID, 10), strings.Join(c.URLs, " "), c.Reporter,
			strconv.FormatBool(c.RegulatorOrdered), csvTime(c.CreatedAt), csvTime(c.Deadline), strconv.Itoa(c.ExtensionsUsed),
			string(c.BlockLevel), string(c.Escalation), csvTime(c.NotifiedAt), csvTime(c.FixedAt), csvTime(c.ClosedAt),
			cases.ProvisionalNote(c.Provisional)}
		for i := range rec {
			rec[i] = sitefile.GuardCell(rec[i])
		}
		if err := cw.Write(rec); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

func csvTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func (a *app) caseShowCmd() *cobra.Command {
	var out *outputFlag
	cmd := &cobra.Command{
		Use:   "show ID",
		Short: "Show a case, its full history and its latest verifications",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := caseID(args[0])
			if err != nil {
				return err
			}
			format, err := out.format(cmd)
			if err != nil {
				return err
			}
			return a.runCaseShow(cmd.Context(), id, format)
		},
	}
	out = addOutputFlag(cmd, showFormats)
	out.alias(cmd, "json", formatJSON)
	return cmd
}

func (a *app) runCaseShow(ctx context.Context, id int64, format string) error {
	st, err := a.openCurrentStore(ctx)
	if err != nil {
		return a.trouble(err)
	}
	defer st.Close()
	c, err := st.Case(ctx, id)
	if err != nil {
		return a.caseError(id, err)
	}
	history, err := st.CaseHistory(ctx, id)
	if err != nil {
		return a.trouble(err)
	}
	vs, err := st.CaseVerifications(ctx, id, showVerifications)
	if err != nil {
		return a.trouble(err)
	}
	if format != formatTable {
		return writeRecord(a.stdout, format, caseShowJSON{Case: caseView(c), History: historyView(history), Verifications: verificationsView(vs)})
	}
	_, err = fmt.Fprint(a.stdout, caseText(c, history, vs))
	return err
}

// caseText is `case show` for people.
func caseText(c cases.Case, history []cases.Transition, vs []cases.Verification) string {
	var b strings.Builder
	field := func(name, value string) { fmt.Fprintf(&b, "%-14s %s\n", name, printable(value)) }
	fmt.Fprintf(&b, "Case %d  %s  %s  (%s)\n", c.ID, c.Kind, printable(string(c.Category)), c.State)
	field("Site", fmt.Sprintf("%s (site %d)", c.Domain, c.SiteID))
	if len(c.Codes) > 1 {
		field("Codes", strings.Join(c.Codes, ", "))
	}
	for i, u := range c.URLs {
		name := ""
		if i == 0 {
			name = "URLs"
		}
		field(name, u)
	}
	var evidence []string
	for _, p := range c.EvidencePhrases {
		evidence = append(evidence, strconv.Quote(p))
	}
	for _, h := range c.EvidenceSHA256 {
		evidence = append(evidence, "sha256 "+h)
	}
	if len(evidence) > 0 {
		field("Evidence", strings.Join(evidence, "; "))
	}
	reporter := orDash(c.Reporter)
	if c.RegulatorOrdered {
		reporter += " (ordered by a regulator)"
	}
	field("Reporter", reporter)
	if c.Notes != "" {
		field("Notes", c.Notes)
	}
	field("Created", cstTime(c.CreatedAt))
	field("Deadline", fmt.Sprintf("%s (extensions used: %d)", deadlineText(c), c.ExtensionsUsed))
	if c.DeadlineDays > 0 {
		field("Counted", fmt.Sprintf("%d working days after %s", c.DeadlineDays, checker.DateOf(c.DeadlineFrom)))
	}
	for _, t := range []struct {
		name string
		at   time.Time
	}{{"Notified", c.NotifiedAt}, {"Fixed", c.FixedAt}, {"Blocked", c.BlockedAt}, {"Closed", c.ClosedAt}, {"Next verify", c.NextVerifyAt}} {
		if !t.at.IsZero() {
			v := cstTime(t.at)
			if t.name == "Blocked" {
				v += " at " + string(c.BlockLevel) + " level"
			}
			field(t.name, v)
		}
	}
	field("Escalation", escalationText(c))
	fmt.Fprintf(&b, "\nHistory (%d)\n", len(history))
	for _, t := range history {
		from := string(t.From)
		if from == "" {
			from = "-"
		}
		fmt.Fprintf(&b, "  %s  %-9s → %-9s  %s  %s\n", cstTime(t.At), from, t.To, printable(t.Actor), printable(t.Reason))
	}
	if len(vs) == 0 {
		b.WriteString("\nVerifications: none\n")
	} else {
		fmt.Fprintf(&b, "\nVerifications (latest %d)\n", len(vs))
	}
	for _, v := range vs {
		detail := v.Error
		switch {
		case len(v.Matched) > 0:
			detail = "shows " + strings.Join(v.Matched, ", ")
		case v.HashMatched:
			detail = "same body (sha256)"
		}
		fmt.Fprintf(&b, "  %s  %-11s  %3d  %s  %s\n", cstTime(v.CheckedAt), v.Outcome, v.Status, printable(v.URL), printable(detail))
	}
	return b.String()
}

// escalationText says where the escalation webhook call stands.
func escalationText(c cases.Case) string {
	s := string(c.Escalation)
	if c.EscalationConfirmedBy != "" {
		s += ", confirmed by " + c.EscalationConfirmedBy + " at " + cstTime(c.EscalationConfirmedAt)
	}
	if !c.EscalationAt.IsZero() {
		s += ", answered " + cstTime(c.EscalationAt) + ": " + c.EscalationResponse
	}
	return s
}

// The JSON of `case list --format json` and `case show --json`.

type caseJSON struct {
	ID                    int64            `json:"id"`
	Kind                  cases.Kind       `json:"kind"`
	State                 cases.State      `json:"state"`
	Category              cases.Category   `json:"category"`
	Codes                 []string         `json:"codes"`
	Domain                string           `json:"domain"`
	SiteID                int64            `json:"site_id"`
	URLs                  []string         `json:"urls"`
	EvidencePhrases       []string         `json:"evidence_phrases"`
	EvidenceSHA256        []string         `json:"evidence_sha256"`
	Reporter              string           `json:"reporter"`
	RegulatorOrdered      bool             `json:"regulator_ordered"`
	Notes                 string           `json:"notes"`
	CreatedAt             time.Time        `json:"created_at"`
	UpdatedAt             time.Time        `json:"updated_at"`
	Deadline              *time.Time       `json:"deadline"`
	DeadlineText          string           `json:"deadline_text"`
	DeadlineWorkingDays   int              `json:"deadline_working_days"`
	DeadlineProvisional   bool             `json:"deadline_provisional"`
	ProvisionalYears      []int            `json:"deadline_provisional_years"`
	DeadlineNote          string           `json:"deadline_note"`
	ExtensionsUsed        int              `json:"extensions_used"`
	BlockLevel            cases.BlockLevel `json:"block_level"`
	Escalation            cases.Escalation `json:"escalation"`
	EscalationResponse    string           `json:"escalation_response"`
	EscalationAt          *time.Time       `json:"escalation_at"`
	EscalationConfirmedBy string           `json:"escalation_confirmed_by"`
	NotifiedAt            *time.Time       `json:"notified_at"`
	FixedAt               *time.Time       `json:"fixed_at"`
	BlockedAt             *time.Time       `json:"blocked_at"`
	ClosedAt              *time.Time       `json:"closed_at"`
	NextVerifyAt          *time.Time       `json:"next_verify_at"`
}

func caseView(c cases.Case) caseJSON {
	return caseJSON{
		ID: c.ID, Kind: c.Kind, State: c.State, Category: c.Category, Codes: nonNil(c.Codes),
		Domain: c.Domain, SiteID: c.SiteID, URLs: nonNil(c.URLs),
		EvidencePhrases: nonNil(c.EvidencePhrases), EvidenceSHA256: nonNil(c.EvidenceSHA256),
		Reporter: c.Reporter, RegulatorOrdered: c.RegulatorOrdered, Notes: c.Notes,
		CreatedAt: c.CreatedAt.UTC(), UpdatedAt: c.UpdatedAt.UTC(), Deadline: timeOrNull(c.Deadline),
		DeadlineText: checker.DeadlineText(c.Deadline), DeadlineWorkingDays: c.DeadlineDays,
		DeadlineProvisional: len(c.Provisional) > 0, ProvisionalYears: nonNil(c.Provisional),
		DeadlineNote:   cases.ProvisionalNote(c.Provisional),
		ExtensionsUsed: c.ExtensionsUsed, BlockLevel: c.BlockLevel,
		Escalation: c.Escalation, EscalationResponse: c.EscalationResponse, EscalationAt: timeOrNull(c.EscalationAt),
		EscalationConfirmedBy: c.EscalationConfirmedBy,
		NotifiedAt:            timeOrNull(c.NotifiedAt), FixedAt: timeOrNull(c.FixedAt), BlockedAt: timeOrNull(c.BlockedAt),
		ClosedAt: timeOrNull(c.ClosedAt), NextVerifyAt: timeOrNull(c.NextVerifyAt),
	}
}

type transitionJSON struct {
	At     time.Time   `json:"at"`
	From   cases.State `json:"from"`
	To     cases.State `json:"to"`
	Actor  string      `json:"actor"`
	Reason string      `json:"reason"`
}

func historyView(ts []cases.Transition) []transitionJSON {
	out := make([]transitionJSON, len(ts))
	for i, t := range ts {
		out[i] = transitionJSON{At: t.At.UTC(), From: t.From, To: t.To, Actor: t.Actor, Reason: t.Reason}
	}
	return out
}

type verificationJSON struct {
	CheckedAt   time.Time     `json:"checked_at"`
	URL         string        `json:"url"`
	Outcome     cases.Outcome `json:"outcome"`
	HTTPStatus  int           `json:"http_status"`
	BodySHA256  string        `json:"body_sha256"`
	Matched     []string      `json:"matched"`
	HashMatched bool          `json:"hash_matched"`
	Error       string        `json:"error"`
}

func verificationsView(vs []cases.Verification) []verificationJSON {
	out := make([]verificationJSON, len(vs))
	for i, v := range vs {
		out[i] = verificationJSON{CheckedAt: v.CheckedAt.UTC(), URL: v.URL, Outcome: v.Outcome, HTTPStatus: v.Status,
			BodySHA256: v.BodySHA256, Matched: nonNil(v.Matched), HashMatched: v.HashMatched, Error: v.Error}
	}
	return out
}

type caseShowJSON struct {
	Case          caseJSON           `json:"case"`
	History       []transitionJSON   `json:"history"`
	Verifications []verificationJSON `json:"verifications"`
}
