package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/beianwatch/beianwatch/auth"
	"github.com/beianwatch/beianwatch/registry"
)

// tokenCmd manages the HTTP API's bearer tokens (docs/api.md).
func (a *app) tokenCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "token",
		Short: "Create, list and revoke the HTTP API's bearer tokens (docs/api.md)",
	}
	var scopes, name string
	var expires retainValue
	create := &cobra.Command{
		Use:   "create --name N --scope S[,S] [--expires 90d]",
		Short: "Create a token and print its secret, the only time it is shown",
		Long: `Create stores a new API token with the given scopes and prints its secret on
stdout, once: the registry keeps only a hash of it. Scopes: read, write,
cases, probe, admin (admin implies every other). Without --expires the
token never expires; revoke it with 'beianwatch token revoke'.`,
		Example: "  beianwatch token create --name portal --scope read,write --expires 90d",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			sc, err := auth.ParseScopes(scopes)
			if err != nil {
				return fmt.Errorf("invalid --scope: %w", err)
			}
			if strings.TrimSpace(name) == "" {
				return errors.New("--name is required")
			}
			var until time.Time
			if expires > 0 {
				until = time.Now().Add(time.Duration(expires))
			}
			st, err := a.openCurrentStore(cmd.Context())
			if err != nil {
				return a.trouble(err)
			}
			defer st.Close()
			list := make([]string, len(sc))
			for i, s := range sc {
				list[i] = string(s)
			}
			secret, _, err := st.CreateToken(cmd.Context(), name, list, until)
			if err != nil {
				return a.trouble(err)
			}
			fmt.Fprintln(a.stdout, secret)
			fmt.Fprintf(a.stderr, "beianwatch: token %q created; its secret is shown only now\n", name)
			return nil
		},
	}
	create.Flags().StringVar(&name, "name", "", "the token's `NAME`, as the audit log shows it")
	create.Flags().StringVar(&scopes, "scope", "", "comma-separated `SCOPES`: read, write, cases, probe, admin")
	create.Flags().Var(&expires, "expires", "expire after this many days (90, 90d) or this duration (2160h); default never")

	var tokenOut *outputFlag
	list := &cobra.Command{
		Use:   "list",
		Short: "List the tokens (never their secrets), revoked ones included",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			format, err := tokenOut.format(cmd)
			if err != nil {
				return err
			}
			st, err := a.openCurrentStore(cmd.Context())
			if err != nil {
				return a.trouble(err)
			}
			defer st.Close()
			ts, err := st.ListTokens(cmd.Context())
			if err != nil {
				return a.trouble(err)
			}
			if format != formatTable {
				return writeList(a.stdout, format, ts, tokenJSON, tokenCSVHeader, tokenCSVRow)
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tSCOPES\tCREATED\tEXPIRES\tLAST USED\tSTATE")
			now := time.Now()
			for _, t := range ts {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", printable(t.Name), strings.Join(t.Scopes, ","),
					when(t.CreatedAt), orNever(t.ExpiresAt), orNever(t.LastUsedAt), tokenState(t, now))
			}
			return tw.Flush()
		},
	}
	tokenOut = addOutputFlag(list, listFormats)
	tokenOut.alias(list, "json", formatJSONL)

	revoke := &cobra.Command{
		Use:   "revoke NAME",
		Short: "Revoke a token for good",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			st, err := a.openCurrentStore(cmd.Context())
			if err != nil {
				return a.trouble(err)
			}
			defer st.Close()
			if err := st.RevokeToken(cmd.Context(), args[0]); err != nil {
				return a.trouble(err)
			}
			fmt.Fprintf(a.stdout, "revoked token %q\n", args[0])
			return nil
		},
	}
	c.AddCommand(create, list, revoke)
	return c
}

// auditCmd reads the API's audit log.
func (a *app) auditCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "audit",
		Short: "Read the audit log of writes made through the HTTP API",
	}
	var limit int
	var before int64
	var out *outputFlag
	list := &cobra.Command{
		Use:   "list",
		Short: "List audit entries, newest first",
		Long: `List prints the newest --limit entries of the audit log, or those older than
the entry --before names (an ID from an earlier page).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			format, err := out.format(cmd)
			if err != nil {
				return err
			}
			if limit < 1 {
				return fmt.Errorf("invalid --limit %d: want at least 1", limit)
			}
			st, err := a.openCurrentStore(cmd.Context())
			if err != nil {
				return a.trouble(err)
			}
			defer st.Close()
			es, err := st.ListAudit(cmd.Context(), before, limit)
			if err != nil {
				return a.trouble(err)
			}
			if format != formatTable {
				return writeList(a.stdout, format, es, auditJSON, auditCSVHeader, auditCSVRow)
			}
			tw := tabwriter.NewWriter(a.stdout, 0, 0, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tTIME\tTOKEN\tACTION\tOBJECT\tSOURCE")
			for _, e := range es {
				fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", e.ID, when(e.At), printable(e.Token), printable(e.Action), printable(e.Object), printable(e.Source))
			}
			return tw.Flush()
		},
	}
	list.Flags().IntVar(&limit, "limit", 50, "at most this many entries")
	list.Flags().Int64Var(&before, "before", 0, "entries older than this `ID` (the next page)")
	out = addOutputFlag(list, listFormats)
	out.alias(list, "json", formatJSONL)
	c.AddCommand(list)
	return c
}

// tokenView is a token as the API and 'token list --json' show it.
type tokenView struct {
	Name       string     `json:"name"`
	Scopes     []string   `json:"scopes"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  *time.Time `json:"expires_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
}

func tokenJSON(t registry.Token) tokenView {
	return tokenView{Name: t.Name, Scopes: t.Scopes, CreatedAt: t.CreatedAt,
		ExpiresAt: timePtr(t.ExpiresAt), RevokedAt: timePtr(t.RevokedAt), LastUsedAt: timePtr(t.LastUsedAt)}
}

// auditView is an audit entry as 'audit list -o json' shows it.
type auditView struct {
	ID     int64     `json:"id"`
	At     time.Time `json:"at"`
	Token  string    `json:"token"`
	Action string    `json:"action"`
	Object string    `json:"object"`
	Source string    `json:"source"`
}

func auditJSON(e registry.AuditEntry) auditView {
	return auditView{e.ID, e.At, e.Token, e.Action, e.Object, e.Source}
}

// The -o csv columns of token list and audit list: the JSON's keys.
var (
	tokenCSVHeader = []string{"name", "scopes", "created_at", "expires_at", "revoked_at", "last_used_at"}
	auditCSVHeader = []string{"id", "at", "token", "action", "object", "source"}
)

func tokenCSVRow(v tokenView) []string {
	t := func(p *time.Time) string {
		if p == nil {
			return ""
		}
		return csvTime(*p)
	}
	return []string{v.Name, strings.Join(v.Scopes, ";"), csvTime(v.CreatedAt), t(v.ExpiresAt), t(v.RevokedAt), t(v.LastUsedAt)}
}

func auditCSVRow(v auditView) []string {
	return []string{strconv.FormatInt(v.ID, 10), csvTime(v.At), v.Token, v.Action, v.Object, v.Source}
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func when(t time.Time) string { return t.UTC().Format(time.RFC3339) }

func orNever(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return when(t)
}

func tokenState(t registry.Token, now time.Time) string {
	switch {
	case !t.RevokedAt.IsZero():
		return "revoked"
	case !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt):
		return "expired"
	}
	return "active"
}
