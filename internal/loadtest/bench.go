package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/beianwatch/beianwatch/internal/farm"
	"github.com/beianwatch/beianwatch/keyring"
	"github.com/beianwatch/beianwatch/lexicon/lexicontest"
)

// bench runs the measurements and owns what they need: the work
// directory, the binary, and a throwaway PostgreSQL.
type bench struct {
	o        options
	log      io.Writer
	dir      string
	bin      string
	pg       *postgres
	pgDSN    string
	lexicons []lexiconFile
	cleanups []func()
}

// lexiconFile is a lexicon the cycle runs with; the zero value is none.
type lexiconFile struct {
	label string // as the tables show it
	path  string
}

// row is one measured cycle.
type row struct {
	sites   int
	latency time.Duration
	db      string
	imp     time.Duration
	serve   serveRun
	base    baseRun
	verify  verifyResult
	lexicon lexiconFile
	// farmCPU is the farm's CPU time (this process) during the cycle,
	// dbCPU the throwaway PostgreSQL server's, and otherCPU what the rest
	// of the machine used meanwhile.
	farmCPU, dbCPU, otherCPU time.Duration
	// sizes are the registry's after each of -cycles.
	sizes []sizeAt
}

func (b *bench) close() {
	for i := len(b.cleanups) - 1; i >= 0; i-- {
		b.cleanups[i]()
	}
}

func (b *bench) logf(format string, args ...any) {
	fmt.Fprintf(b.log, "%s "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// setup makes the work directory and builds the binary.
func (b *bench) setup(ctx context.Context) error {
	b.dir = b.o.workDir
	if b.dir == "" {
		dir, err := os.MkdirTemp("", "beianwatch-loadtest-")
		if err != nil {
			return err
		}
		b.dir = dir
		if !b.o.keep {
			b.cleanups = append(b.cleanups, func() { os.RemoveAll(dir) })
		}
	} else if err := os.MkdirAll(b.dir, 0o755); err != nil {
		return err
	}
	b.logf("work directory %s", b.dir)
	if err := b.setupLexicons(); err != nil {
		return err
	}
	b.bin = b.o.bin
	if b.bin != "" {
		return nil
	}
	b.bin = filepath.Join(b.dir, "beianwatch")
	b.logf("building %s", b.bin)
	cmd := exec.CommandContext(ctx, "go", "build", "-o", b.bin, "github.com/beianwatch/beianwatch/cmd/beianwatch")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build: %v\n%s", err, out)
	}
	return nil
}

// setupLexicons lists the -lexicon files and writes the generated ones
// into the work directory.
func (b *bench) setupLexicons() error {
	for _, name := range b.o.lexicons {
		if _, err := os.Stat(name); err != nil {
			return fmt.Errorf("-lexicon: %w", err)
		}
		b.lexicons = append(b.lexicons, lexiconFile{label: filepath.Base(name), path: name})
	}
	for _, n := range b.o.lexiconPhrases {
		name := filepath.Join(b.dir, fmt.Sprintf("lexicon-%d.txt", n))
		if err := os.WriteFile(name, lexicontest.Generate(n, b.o.seed), 0o644); err != nil {
			return err
		}
		b.lexicons = append(b.lexicons, lexiconFile{label: fmt.Sprintf("%d phrases", n), path: name})
		b.logf("generated a lexicon of %d phrases: %s", n, name)
	}
	return nil
}

// runAll measures every combination of the flags' lists.
func (b *bench) runAll(ctx context.Context) ([]row, error) {
	if err := b.setup(ctx); err != nil {
		return nil, err
	}
	var rows []row
	for _, n := range b.o.sites {
		for _, lat := range b.o.latencies {
			rs, err := b.runFarm(ctx, n, lat)
			rows = append(rows, rs...)
			if err != nil {
				return rows, err
			}
		}
	}
	return rows, nil
}

// runFarm starts a farm of n sites and measures it in -rounds rounds.
func (b *bench) runFarm(ctx context.Context, n int, latency time.Duration) ([]row, error) {
	cfg := farm.Config{Sites: n, Seed: b.o.seed, Latency: latency, Gzip: b.o.gzip, IdleTimeout: b.o.idleTimeout}
	if b.o.large > 0 {
		cfg.LargeEvery = max(1, int(1/b.o.large+0.5))
	}
	f := farm.New(cfg)
	if err := f.Start(); err != nil {
		return nil, err
	}
	defer f.Close()
	csv := filepath.Join(b.dir, fmt.Sprintf("farm-%d.csv", n))
	if err := writeCSV(f, csv); err != nil {
		return nil, err
	}
	b.logf("farm of %d sites on %s, latency %v, gzip %v, every %d a large slow page", n, f.Addr(), latency, b.o.gzip, cfg.LargeEvery)
	var rows []row
	for round := range b.o.rounds {
		rs, err := b.runRound(ctx, f, csv, n, latency, round)
		rows = append(rows, rs...)
		if err != nil {
			return rows, err
		}
	}
	return rows, nil
}

// runRound measures, for each database, the baseline and right after it
// a cycle: on a shared virtual machine whose speed drifts by 10–20%
// within minutes, a ratio is only as good as the time between its two
// measurements is short.
func (b *bench) runRound(ctx context.Context, f *farm.Farm, csv string, n int, latency time.Duration, round int) ([]row, error) {
	var rows []row
	for _, db := range b.o.dbs {
		var base baseRun
		if b.o.baseline {
			var err error
			b.waitQuiet(ctx)
			if base, err = baseline(ctx, f, n, b.o.workers); err != nil {
				return rows, err
			}
			b.logf("baseline: %d pages in %v: %.0f sites/s (%d with the needle, %d failed); this process (farm included) used %.1f s CPU, other processes %.1f s",
				base.ok, base.wall.Round(time.Millisecond), base.rate(n), base.matched, base.failed, base.cpu.Seconds(), base.otherCPU.Seconds())
			b.warnSkew(base.otherCPU, base.cpu)
			if base.failed > 0 {
				b.logf("baseline: first failure: %s: %v", base.firstFailureURL, base.firstFailure)
			}
		}
		// With lexicons, the cycle without one runs first and again last:
		// the two bracket the lexicon cycles and show how far the
		// machine drifted meanwhile.
		variants := []lexiconFile{{}}
		if len(b.lexicons) > 0 {
			variants = append(append(variants, b.lexicons...), lexiconFile{})
		}
		for i, lex := range variants {
			r, err := b.cycle(ctx, f, csv, db, fmt.Sprintf("%d_%d_%d_%d", n, latency.Milliseconds(), round, i), lex)
			r.latency, r.base = latency, base
			rows = append(rows, r)
			if err != nil {
				return rows, err
			}
		}
	}
	return rows, nil
}

// cycle imports the farm into a fresh registry and measures one serve
// cycle over it, with lex's --lexicon when it has a path.
func (b *bench) cycle(ctx context.Context, f *farm.Farm, csv, db, tag string, lex lexiconFile) (row, error) {
	n := f.Len()
	r := row{sites: n, db: db, lexicon: lex}
	dsn, err := b.newDB(ctx, db, tag)
	if err != nil {
		return r, err
	}
	if r.imp, err = b.importCSV(ctx, dsn, csv); err != nil {
		return r, err
	}
	b.logf("%s: imported %d sites in %v", db, n, r.imp.Round(time.Millisecond))
	var extra []string
	what := db
	if lex.path != "" {
		extra = []string{"--lexicon", lex.path}
		what += " with lexicon " + lex.label
	}
	b.waitQuiet(ctx)
	before, machine, server := selfCPU(), machineCPU(), b.pg.cpu()
	r.serve, err = b.serve(ctx, dsn, f, "serve-"+db+"-"+tag, extra)
	r.farmCPU, r.dbCPU = selfCPU()-before, b.pg.cpu()-server
	r.otherCPU = max(0, machineCPU()-machine-r.farmCPU-r.dbCPU-r.serve.cpu)
	if err != nil {
		return r, err
	}
	b.logf("%s: %s; %.0f sites/s, %.1f s CPU, peak RSS %.0f MiB; meanwhile the farm used %.1f s CPU, PostgreSQL %.1f s, other processes %.1f s",
		what, r.serve.summary, r.serve.rate(n), r.serve.cpu.Seconds(), r.serve.maxRSS/(1<<20), r.farmCPU.Seconds(), r.dbCPU.Seconds(), r.otherCPU.Seconds())
	b.warnSkew(r.otherCPU, r.serve.cpu+r.farmCPU+r.dbCPU)
	if b.o.verify {
		if r.verify, err = verify(ctx, dsn, f); err != nil {
			return r, err
		}
		b.logf("%s: %d of %d verdicts as the farm knows them; %d wrong, %d unchecked", what,
			r.verify.right, n, r.verify.wrong, r.verify.unchecked)
	}
	if b.o.cycles > 1 {
		r.sizes, err = b.cycles(ctx, dsn, f, db, tag, r.serve.wall)
	}
	return r, err
}

func writeCSV(f *farm.Farm, name string) error {
	file, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := f.CSV(file); err != nil {
		file.Close()
		return err
	}
	return file.Close()
}

// importCSV runs `beianwatch import`.
func (b *bench) importCSV(ctx context.Context, dsn, csv string) (time.Duration, error) {
	cmd := exec.CommandContext(ctx, b.bin, "import", "--db", dsn, csv)
	cmd.Env = b.childEnv()
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		return 0, fmt.Errorf("import: %v\n%s", err, tail(string(out), 20))
	}
	return time.Since(start), nil
}

// childEnv is this process's environment without BEIANWATCH_* settings,
// which the child would read as flags, but for one key file for every
// run (a PostgreSQL registry needs one, and import and serve must share
// it), made in the work directory on first use.
func (b *bench) childEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "BEIANWATCH_") {
			env = append(env, kv)
		}
	}
	keys := filepath.Join(b.dir, "loadtest.key")
	if _, err := os.Stat(keys); errors.Is(err, fs.ErrNotExist) {
		// An error here shows as the child's own "key file" error.
		_, _ = keyring.Create(keys, time.Now())
	}
	return append(env, "BEIANWATCH_KEY_FILE="+keys)
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// selfCPU is this process's CPU time so far, user and system.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// printTable writes the rows as a Markdown table.
func (b *bench) printTable(w io.Writer, rows []row) {
	o := b.o
	if len(rows) == 0 {
		return
	}
	conc := "serve's default"
	if o.concurrency > 0 {
		conc = fmt.Sprint(o.concurrency)
	}
	fmt.Fprintf(w, "\nserve --once vs a bare net/http baseline of %d workers; serve's concurrency %s, gzip %v, large slow pages %v, farm in the same machine\n\n", o.workers, conc, o.gzip, o.large)
	fmt.Fprintln(w, "| sites | latency | registry | import | serve | sites/s | CPU s | CPU ms/site | peak RSS | baseline sites/s | ratio | verdicts right | farm CPU s | PostgreSQL CPU s | other CPU s |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	for _, r := range rows {
		base, ratio := "–", "–"
		if r.base.wall > 0 {
			base = fmt.Sprintf("%.0f", r.base.rate(r.sites))
			ratio = fmt.Sprintf("%.0f%%", 100*r.serve.rate(r.sites)/r.base.rate(r.sites))
		}
		right := "–"
		if o.verify {
			right = fmt.Sprintf("%d/%d", r.verify.right, r.sites)
		}
		pg := "–"
		if r.db == "postgres" && b.pg != nil {
			pg = fmt.Sprintf("%.1f", r.dbCPU.Seconds())
		}
		registry := r.db
		if r.lexicon.path != "" {
			registry += ", lexicon " + r.lexicon.label
		}
		fmt.Fprintf(w, "| %d | %v | %s | %.1f s | %.1f s | %.0f | %.1f | %.2f | %.0f MiB | %s | %s | %s | %.1f | %s | %.1f |\n",
			r.sites, r.latency, registry, r.imp.Seconds(), r.serve.wall.Seconds(), r.serve.rate(r.sites), r.serve.cpu.Seconds(),
			r.cpuPerSite(), r.serve.maxRSS/(1<<20), base, ratio, right, r.farmCPU.Seconds(), pg, r.otherCPU.Seconds())
	}
	if b.o.rounds > 1 && o.baseline {
		printRatios(w, rows)
	}
	if len(b.lexicons) > 0 {
		printLexiconTable(w, rows)
	}
}

// printRatios gives, for each farm and registry measured in several
// rounds, the median and the range of the ratio to the baseline measured
// just before.
func printRatios(w io.Writer, rows []row) {
	type key struct {
		sites   int
		latency time.Duration
		db      string
	}
	var keys []key
	ratios := map[key][]float64{}
	for _, r := range rows {
		if r.lexicon.path != "" || r.base.wall <= 0 || r.serve.wall <= 0 {
			continue
		}
		k := key{r.sites, r.latency, r.db}
		if ratios[k] == nil {
			keys = append(keys, k)
		}
		ratios[k] = append(ratios[k], r.serve.rate(r.sites)/r.base.rate(r.sites))
	}
	fmt.Fprintf(w, "\nratio to the baseline measured just before, over the rounds\n\n")
	fmt.Fprintln(w, "| sites | latency | registry | rounds | median | lowest | highest |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
	for _, k := range keys {
		rs := ratios[k]
		slices.Sort(rs)
		median := rs[len(rs)/2]
		if len(rs)%2 == 0 {
			median = (rs[len(rs)/2-1] + rs[len(rs)/2]) / 2
		}
		fmt.Fprintf(w, "| %d | %v | %s | %d | %.0f%% | %.0f%% | %.0f%% |\n", k.sites, k.latency, k.db, len(rs), 100*median, 100*rs[0], 100*rs[len(rs)-1])
	}
}

// cpuPerSite is the cycle's CPU time per site, in milliseconds.
func (r row) cpuPerSite() float64 { return 1000 * r.serve.cpu.Seconds() / float64(r.sites) }

// printLexiconTable sets each cycle with a lexicon beside the cycles
// without one on the same farm and registry (the first and the last),
// and gives the CPU the lexicon scan added.
func printLexiconTable(w io.Writer, rows []row) {
	fmt.Fprintf(w, "\nwhat serve --lexicon adds to a cycle's CPU (without: the cycles before and after the lexicon ones)\n\n")
	fmt.Fprintln(w, "| sites | latency | registry | lexicon | CPU ms/site without (before, after) | CPU ms/site with | added |")
	fmt.Fprintln(w, "|---|---|---|---|---|---|---|")
	same := func(a, b row) bool { return a.sites == b.sites && a.latency == b.latency && a.db == b.db }
	for _, r := range rows {
		if r.lexicon.path == "" {
			continue
		}
		var without []float64
		for _, o := range rows {
			if same(o, r) && o.lexicon.path == "" && o.serve.cpu > 0 {
				without = append(without, o.cpuPerSite())
			}
		}
		if len(without) == 0 {
			continue
		}
		mean := 0.0
		for _, x := range without {
			mean += x / float64(len(without))
		}
		each := make([]string, len(without))
		for i, x := range without {
			each[i] = fmt.Sprintf("%.2f", x)
		}
		fmt.Fprintf(w, "| %d | %v | %s | %s | %.2f (%s) | %.2f | %+.1f%% |\n", r.sites, r.latency, r.db, r.lexicon.label,
			mean, strings.Join(each, ", "), r.cpuPerSite(), 100*(r.cpuPerSite()-mean)/mean)
	}
}

// machineCPU is the CPU time the whole machine has spent busy so far
// (every CPU, from /proc/stat; zero where there is none). Beside the
// child's and this process's own, it tells how much else ran during a
// measurement: on a shared machine, other work would skew the figures.
func machineCPU() time.Duration {
	b, err := os.ReadFile("/proc/stat")
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	fields := strings.Fields(line)
	var ticks int64
	for i, f := range fields {
		// user nice system idle iowait irq softirq steal …: idle and
		// iowait are not busy.
		if i == 0 || i == 4 || i == 5 || i > 8 {
			continue
		}
		n, _ := strconv.ParseInt(f, 10, 64)
		ticks += n
	}
	return time.Duration(ticks) * (time.Second / 100) // USER_HZ
}

// waitQuiet waits, with -quiet, until the rest of the machine uses less
// than that many cores (measured over 5 s), for at most 15 minutes.
func (b *bench) waitQuiet(ctx context.Context) {
	if b.o.quiet <= 0 {
		return
	}
	const sample = 5 * time.Second
	for deadline := time.Now().Add(15 * time.Minute); time.Now().Before(deadline) && ctx.Err() == nil; {
		self, machine := selfCPU(), machineCPU()
		time.Sleep(sample)
		other := machineCPU() - machine - (selfCPU() - self)
		cores := other.Seconds() / sample.Seconds()
		if cores < b.o.quiet {
			return
		}
		b.logf("waiting for a quiet machine: other processes use %.1f cores", cores)
	}
}

// warnSkew says when other processes used a tenth or more of the CPU the
// measurement itself used.
func (b *bench) warnSkew(other, own time.Duration) {
	if other*10 >= own {
		b.logf("warning: other processes used %.1f s of CPU meanwhile (the measurement used %.1f s): its figures are skewed", other.Seconds(), own.Seconds())
	}
}
