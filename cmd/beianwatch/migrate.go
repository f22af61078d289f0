package main

import (
	"context"
	"fmt"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/registry"
)

func (a *app) migrateCmd() *cobra.Command {
	var out *outputFlag
	cmd := &cobra.Command{
		Use:   "migrate [up|down|status]",
		Short: "Update the registry's schema, undo its latest migration, or list migrations",
		Long: `Migrate brings the registry's database schema (--db) up to the version this
binary knows (up, the default), undoes the latest applied migration (down),
or lists every migration and whether it is applied (status).

Up is safe to run at any time and by several replicas at once: on PostgreSQL
they take turns.`,
		Example: `  beianwatch migrate
  beianwatch migrate status --db postgres://beianwatch@db.internal/beianwatch
  beianwatch migrate status -o json`,
		Args:      cobra.MatchAll(cobra.MaximumNArgs(1), cobra.OnlyValidArgs),
		ValidArgs: []string{"up", "down", "status"},
		RunE: func(cmd *cobra.Command, args []string) error {
			action := "up"
			if len(args) == 1 {
				action = args[0]
			}
			format, err := out.format(cmd)
			if err != nil {
				return err
			}
			return a.runMigrate(cmd.Context(), action, format)
		},
	}
	out = addOutputFlag(cmd, listFormats)
	return cmd
}

// migrationView is a row of `migrate status -o json|jsonl|csv|yaml`.
type migrationView struct {
	Version   int64  `json:"version" yaml:"version"`
	Name      string `json:"name" yaml:"name"`
	Applied   bool   `json:"applied" yaml:"applied"`
	AppliedAt string `json:"applied_at,omitempty" yaml:"applied_at,omitempty"`
}

func (a *app) runMigrate(ctx context.Context, action, format string) error {
	st, err := a.openStore(ctx, false)
	if err != nil {
		return a.trouble(err)
	}
	defer st.Close()
	switch action {
	case "up":
		if err = st.Migrate(ctx); err == nil {
			err = a.prepareKeys(ctx, st)
		}
	case "down":
		err = st.MigrateDown(ctx)
	}
	if err != nil {
		return a.trouble(err)
	}
	ms, err := st.MigrationStatus(ctx)
	if err != nil {
		return a.trouble(err)
	}
	if action == "status" && format != formatTable {
		return writeList(a.stdout, format, ms, func(m registry.Migration) migrationView {
			v := migrationView{Version: m.Version, Name: m.Name, Applied: m.Applied}
			if m.Applied {
				v.AppliedAt = m.AppliedAt.UTC().Format(time.RFC3339)
			}
			return v
		}, []string{"version", "name", "applied", "applied_at"}, func(v migrationView) []string {
			return []string{strconv.FormatInt(v.Version, 10), v.Name, strconv.FormatBool(v.Applied), v.AppliedAt}
		})
	}
	if action == "status" {
		tw := tabwriter.NewWriter(a.stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "VERSION\tNAME\tAPPLIED")
		for _, m := range ms {
			fmt.Fprintf(tw, "%d\t%s\t%s\n", m.Version, m.Name, appliedAt(m.Applied, m.AppliedAt))
		}
		return tw.Flush()
	}
	var version, latest int64
	for _, m := range ms {
		if m.Applied {
			version = m.Version
		}
		latest = max(latest, m.Version)
	}
	_, err = fmt.Fprintf(a.stdout, "registry schema at version %d (latest %d)\n", version, latest)
	return err
}

func appliedAt(applied bool, at time.Time) string {
	if !applied {
		return "pending"
	}
	return cstTime(at)
}

// cstTime shows an instant in Beijing time, as filing dates are.
func cstTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.In(checker.CST).Format("2006-01-02 15:04:05 CST")
}
