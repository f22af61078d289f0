// Command loadtest measures one `beianwatch serve --once` cycle against a
// web farm on loopback, and sets it beside the practical limit of the
// machine: a bare net/http client with a worker pool of the same size that
// fetches the same pages and runs bytes.Contains on them.
//
//	go run ./internal/loadtest                          # 10,000 sites, SQLite, no latency
//	go run ./internal/loadtest -latency 0,50ms -db both # the table in docs/benchmarks.md
//	go run ./internal/loadtest -sites 10000,100000      # does memory grow with the registry?
//	go run ./internal/loadtest -cycles 10 -db both -baseline=false # does history stay small?
//	go run ./internal/loadtest -lexicon-phrases 1000,100000 -baseline=false # what --lexicon adds
//
// The farm (internal/farm) runs in this process: it is the other side of
// the wire, and shares the machine's cores with the daemon as a real
// network would not, which is why the ratio to the baseline is the figure
// that counts. The daemon runs as a child process, so that its CPU time
// and peak RSS come from the kernel (wait4's rusage) and include
// everything: fetching, checking, the registry's writes, the runtime.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"time"
)

func main() { os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr)) }

// options are the command's flags.
type options struct {
	sites       []int
	latencies   []time.Duration
	dbs         []string
	dsn         string
	concurrency int
	workers     int
	large       float64
	gzip        bool
	seed        uint64
	bin         string
	workDir     string
	keep        bool
	wrap        string
	serveArgs   string
	baseline    bool
	verify      bool
	idleTimeout time.Duration
	pgFsync     bool
	quiet       float64
	rounds      int
	cycles      int
	vacuum      bool
	// lexicons are lexicon files, and lexiconPhrases sizes of generated
	// ones: each adds a cycle with serve --lexicon beside the one without.
	lexicons       []string
	lexiconPhrases []int
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var o options
	var sites, latencies, db, lexicons, phrases string
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&sites, "sites", "10000", "number of sites in the farm (a comma-separated list runs each)")
	fs.StringVar(&latencies, "latency", "0", "server latency per response (a comma-separated list runs each, e.g. 0,50ms)")
	fs.StringVar(&db, "db", "sqlite", "registry: sqlite, postgres or both")
	fs.StringVar(&o.dsn, "dsn", "", "PostgreSQL server to use (postgres://…); empty starts a throwaway one with initdb and pg_ctl")
	fs.IntVar(&o.concurrency, "concurrency", 0, "serve --concurrency (0: serve's default)")
	fs.IntVar(&o.workers, "baseline-workers", 256, "the baseline's workers")
	fs.Float64Var(&o.large, "large", 0, "share of the sites whose page is just under 5 MiB and sent slowly (0.05: every 20th)")
	fs.BoolVar(&o.gzip, "gzip", true, "the farm compresses pages (as most real sites do)")
	fs.Uint64Var(&o.seed, "seed", 1, "the farm's seed")
	fs.StringVar(&o.bin, "bin", "", "beianwatch binary to measure (default: go build ./cmd/beianwatch)")
	fs.StringVar(&o.workDir, "work", "", "directory for the registry, the CSV and the logs (default: a temporary one)")
	fs.BoolVar(&o.keep, "keep", false, "keep the work directory (and PostgreSQL schemas) afterwards")
	fs.StringVar(&o.wrap, "wrap", "", "command to run serve under, e.g. 'perf record -g -o serve.perf --' (rusage then includes it)")
	fs.StringVar(&o.serveArgs, "serve-args", "", "extra flags for serve, space-separated")
	fs.BoolVar(&o.baseline, "baseline", true, "run the net/http baseline")
	fs.BoolVar(&o.verify, "verify", true, "check every stored verdict against the farm's known answers")
	fs.DurationVar(&o.idleTimeout, "idle-timeout", 0, "the farm's keep-alive timeout (0: 75s, nginx's default)")
	fs.BoolVar(&o.pgFsync, "pg-fsync", true, "throwaway PostgreSQL with default durability (false: fsync=off, as scripts/test.sh)")
	fs.IntVar(&o.rounds, "rounds", 1, "measure each farm this many times: in each round, for each registry, the baseline and right after it a cycle (a summary gives the ratios' median and range)")
	fs.IntVar(&o.cycles, "cycles", 1, "run this many cycles on each registry (sites recheck --all between them) and print its size after each")
	fs.BoolVar(&o.vacuum, "vacuum", true, "with -cycles on PostgreSQL, VACUUM the registry between cycles, as autovacuum would in the hours between real ones")
	fs.Float64Var(&o.quiet, "quiet", 0, "before each measurement, wait (up to 15 min) until other processes use less than this many cores (0: do not wait)")
	fs.StringVar(&lexicons, "lexicon", "", "also run the cycle with serve --lexicon `FILE` (a comma-separated list runs each) and report the CPU it adds")
	fs.StringVar(&phrases, "lexicon-phrases", "", "also run the cycle with a generated lexicon of this many phrases (lexicontest.Generate; a comma-separated list runs each)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	for _, s := range strings.Split(sites, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return o, fmt.Errorf("invalid -sites %q", sites)
		}
		o.sites = append(o.sites, n)
	}
	for _, s := range strings.Split(latencies, ",") {
		d, err := time.ParseDuration(strings.TrimSpace(s))
		if err != nil || d < 0 {
			return o, fmt.Errorf("invalid -latency %q", latencies)
		}
		o.latencies = append(o.latencies, d)
	}
	switch db {
	case "sqlite", "postgres":
		o.dbs = []string{db}
	case "both":
		o.dbs = []string{"sqlite", "postgres"}
	default:
		return o, fmt.Errorf("invalid -db %q: want sqlite, postgres or both", db)
	}
	if lexicons != "" {
		o.lexicons = strings.Split(lexicons, ",")
	}
	if phrases != "" {
		for _, s := range strings.Split(phrases, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(s))
			if err != nil || n < 1 {
				return o, fmt.Errorf("invalid -lexicon-phrases %q", phrases)
			}
			o.lexiconPhrases = append(o.lexiconPhrases, n)
		}
	}
	if o.concurrency < 0 || o.workers < 1 {
		return o, fmt.Errorf("invalid -concurrency %d or -baseline-workers %d", o.concurrency, o.workers)
	}
	if o.large < 0 || o.large > 1 {
		return o, fmt.Errorf("invalid -large %v: want a share from 0 to 1", o.large)
	}
	if o.cycles < 1 {
		return o, fmt.Errorf("invalid -cycles %d", o.cycles)
	}
	if o.rounds < 1 {
		return o, fmt.Errorf("invalid -rounds %d", o.rounds)
	}
	return o, nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "loadtest: %v\n", err)
		return 2
	}
	b := &bench{o: o, log: stderr}
	defer b.close()
	rows, err := b.runAll(ctx)
	b.printTable(stdout, rows)
	printCycles(stdout, rows)
	if err != nil {
		fmt.Fprintf(stderr, "loadtest: %v\n", err)
		return 1
	}
	return 0
}
