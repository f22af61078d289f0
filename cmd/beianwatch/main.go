// Command beianwatch audits the ICP and PSB (公安) filing numbers that
// Chinese websites show in their footers.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/beianwatch/beianwatch/keyring"
	"github.com/beianwatch/beianwatch/registry"
)

// Exit statuses.
const (
	exitOK      = 0 // every target passed
	exitFail    = 1 // some target failed its check
	exitTrouble = 2 // usage error, or some target could not be checked
)

func main() { os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr)) }

// app is what every subcommand shares: the streams, the environment and the
// logger. One is built per run, so tests can run the program in-process.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	version        string
	logger         *slog.Logger
	// dsn is the registry's address (--db, BEIANWATCH_DB); see openStore.
	dsn string
	// keyFile is the key file (--key-file, BEIANWATCH_KEY_FILE); keys is
	// what openStore loaded from it (see loadKeys).
	keyFile string
	keys    *keyring.Keyring
	// metrics collects the run's metrics. One-shot commands do not serve
	// it, but the store refuses to work without one (style.md).
	metrics *prometheus.Registry
}

// run runs the program and returns its exit status. Only here do signals
// become context cancellation.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	a := &app{
		stdin:   os.Stdin,
		stdout:  stdout,
		stderr:  stderr,
		getenv:  os.Getenv,
		version: buildVersion(),
		logger:  slog.New(slog.DiscardHandler),
		metrics: prometheus.NewRegistry(),
	}
	root := a.rootCmd()
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	return a.exitStatus(cmd, err)
}

// exitError ends a command with a status and no message: the command has
// already said what it had to.
type exitError struct{ code int }

func (e *exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// exitStatus maps a command's error to the exit status, printing usage
// errors (bad flags, arguments or values) with a hint.
func (a *app) exitStatus(cmd *cobra.Command, err error) int {
	var ee *exitError
	switch {
	case err == nil:
		return exitOK
	case errors.As(err, &ee):
		return ee.code
	}
	fmt.Fprintf(a.stderr, "beianwatch: %v\n", err)
	if cmd != nil {
		fmt.Fprintf(a.stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
	}
	return exitTrouble
}

func (a *app) rootCmd() *cobra.Command {
	var logLevel, logFormat, config string
	root := &cobra.Command{
		Use:   "beianwatch",
		Short: "Audit the ICP and PSB (公安) filing numbers in Chinese website footers",
		Long: `beianwatch checks that a website shows its ICP filing number (ICP备案) and its
public-security filing number (公安备案) as the rules require: visible, well
formed, linked to the official query pages, badged, and filed in time.`,
		Version:       readVersion().String(),
		SilenceErrors: true, // exitStatus prints them, with a hint
		SilenceUsage:  true,
		PersistentPreRunE: func(cmd *cobra.Command, _ []string) error {
			// One precedence for every command: flags, then BEIANWATCH_*,
			// then the --config file, then the defaults. The log level may
			// come from any of them, so the logger is made after.
			scratch := func() *cobra.Command { return (&app{getenv: a.getenv, version: a.version}).rootCmd() }
			if err := applyConfig(cmd, a.getenv, config, scratch); err != nil {
				return err
			}
			var level slog.Level
			if err := level.UnmarshalText([]byte(logLevel)); err != nil {
				return fmt.Errorf("invalid --log-level %q: want debug, info, warn or error", logLevel)
			}
			opts := &slog.HandlerOptions{Level: level}
			switch logFormat {
			case "text":
				a.logger = slog.New(slog.NewTextHandler(a.stderr, opts))
			case "json":
				a.logger = slog.New(slog.NewJSONHandler(a.stderr, opts))
			default:
				return fmt.Errorf("invalid --log-format %q: want text or json", logFormat)
			}
			return nil
		},
	}
	root.SetVersionTemplate("{{.Version}}\n")
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetIn(a.stdin)
	root.PersistentFlags().StringVar(&logLevel, "log-level", "info", "log `LEVEL` on stderr: debug, info, warn or error")
	root.PersistentFlags().StringVar(&logFormat, "log-format", "text", "log `FORMAT` on stderr: text (key=value) or json (one object a line)")
	completeValues(root, "log-level", []string{"debug", "info", "warn", "error"})
	completeValues(root, "log-format", []string{"text", "json"})
	root.PersistentFlags().StringVar(&config, "config", a.getenv("BEIANWATCH_CONFIG"), "read settings from this YAML `FILE`: keys are flag names, for every command (env BEIANWATCH_CONFIG)")
	root.PersistentFlags().StringVar(&a.dsn, "db", a.defaultDSN(), "registry `DSN`: sqlite://FILE, sqlite::memory: or postgres://… (env BEIANWATCH_DB)")
	root.PersistentFlags().StringVar(&a.keyFile, "key-file", "", "key `FILE` encrypting personal data (default: FILE.key beside a sqlite://FILE registry, made on first use; required on PostgreSQL) (env BEIANWATCH_KEY_FILE)")
	root.AddCommand(a.checkCmd())
	root.AddCommand(a.importCmd(), a.exportCmd())
	root.AddCommand(a.migrateCmd())
	root.AddCommand(a.sitesCmd())
	root.AddCommand(a.caseCmd())
	root.AddCommand(a.serveCmd())
	root.AddCommand(a.keysCmd())
	root.AddCommand(a.tokenCmd(), a.auditCmd())
	root.AddCommand(a.versionCmd())
	refuseUnknownSubcommands(root)
	return root
}

// defaultDSN is the --db default: BEIANWATCH_DB when set, else a SQLite
// file in the working directory.
func (a *app) defaultDSN() string {
	if dsn := a.getenv("BEIANWATCH_DB"); dsn != "" {
		return dsn
	}
	return registry.DefaultDSN
}

// buildVersion is the module version the binary was built from ("dev"
// when built from a work tree).
func buildVersion() string {
	info, ok := debug.ReadBuildInfo()
	if !ok || info.Main.Version == "" || info.Main.Version == "(devel)" {
		return "dev"
	}
	return info.Main.Version
}

// refuseUnknownSubcommands makes every group command below root (its work
// is in its subcommands: case, keys, token …) print its help when called
// alone and refuse anything else as an unknown command. Left to cobra, a
// group prints its help for "beianwatch keys rotat" too and exits 0, so a
// script's typo would pass for success.
func refuseUnknownSubcommands(root *cobra.Command) {
	for _, c := range root.Commands() {
		if c.HasSubCommands() && !c.Runnable() {
			c.Args = cobra.NoArgs
			c.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
		}
		refuseUnknownSubcommands(c)
	}
}
