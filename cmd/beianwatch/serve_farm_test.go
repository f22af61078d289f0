package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/internal/farm"
	"github.com/beianwatch/beianwatch/internal/pgtest"
	"github.com/beianwatch/beianwatch/registry"
)

// The end-to-end tests run the real program, as cron or Kubernetes would,
// against a web farm on loopback (internal/farm) whose every verdict is
// known from how its sites were made.

// buildFarmBinary builds the program, with the race detector when the
// tests have it (so that serve's own goroutines are checked too).
func buildFarmBinary(t *testing.T) string {
	t.Helper()
	return programBinary(t, raceBuild)
}

// programBinary returns the program for an end-to-end run: the one named by
// BEIANWATCH_TEST_BIN (scripts/test.sh builds it once for the whole run,
// with the flags its own builds use, so that no test adds a compile or a
// link), else a build of this package, with the race detector if race. The
// build cache makes every build after the first a link.
func programBinary(t *testing.T, race bool) string {
	t.Helper()
	if bin := os.Getenv("BEIANWATCH_TEST_BIN"); bin != "" && !race {
		return bin
	}
	bin := filepath.Join(t.TempDir(), "beianwatch")
	args := []string{"build", "-o", bin}
	if race {
		args = append(args, "-race")
	}
	if out, err := exec.Command("go", append(args, ".")...).CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// runBinary runs the program and fails the test unless it exits 0 within
// limit. It returns stdout and how long the run took.
func runBinary(t *testing.T, limit time.Duration, bin string, args ...string) (string, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, withTestKeyFile(t, args)...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	cmd.Env = farmEnv()
	start := time.Now()
	err := cmd.Run()
	took := time.Since(start)
	if ctx.Err() != nil {
		t.Fatalf("beianwatch %s: still running after %v\nstderr:\n%s", args[0], limit, tail(stderr.String(), 40))
	}
	if err != nil {
		t.Fatalf("beianwatch %s: %v\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), err, stdout.String(), tail(stderr.String(), 40))
	}
	return stdout.String(), took
}

// farmEnv is the environment without BEIANWATCH_* settings, which serve
// would read as flags.
func farmEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "BEIANWATCH_") {
			env = append(env, kv)
		}
	}
	return env
}

// tail keeps the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	return strings.Join(lines[max(0, len(lines)-n):], "\n")
}

// importFarm imports the farm's sites into a new SQLite registry and
// returns its DSN.
func importFarm(t *testing.T, bin string, f *farm.Farm) string {
	t.Helper()
	dsn := pgtest.SQLiteDSN(t)
	file := filepath.Join(t.TempDir(), "farm.csv")
	var buf bytes.Buffer
	if err := f.CSV(&buf); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _ := runBinary(t, 60*time.Second, bin, "import", "--db", dsn, file)
	if want := fmt.Sprintf("inserted %d,", f.Len()); !strings.HasPrefix(out, want) {
		t.Fatalf("import: %q, want %q…", out, want)
	}
	return dsn
}

// serveOnce runs one `serve --once` cycle against the farm.
func serveOnce(t *testing.T, bin, dsn string, f *farm.Farm, limit time.Duration, extra ...string) (string, time.Duration) {
	t.Helper()
	args := []string{"serve", "--once", "--db", dsn, "--allow-private", "--listen", "127.0.0.1:0", "--log-level", "warn"}
	for _, r := range f.Resolve() {
		args = append(args, "--resolve", r)
	}
	return runBinary(t, limit, bin, append(args, extra...)...)
}

// checked is a site's history as the registry holds it after the cycle.
type checked struct {
	site    *registry.Site
	results []registry.Result
}

// registryResults reads every site and its results, by farm index.
func registryResults(t *testing.T, dsn string) map[int]checked {
	t.Helper()
	ctx := context.Background()
	st, err := registry.Open(ctx, dsn, nil, prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	st.SetKeys(testKeys(t, dsn))
	out := map[int]checked{}
	err = st.ListSites(ctx, registry.SiteFilter{}, func(s *registry.Site, _ *registry.State) error {
		i, ok := farm.Index(s.Domains[0].ASCII)
		if !ok {
			return fmt.Errorf("site %d has the domain %s, not the farm's", s.ID, s.Domains[0].ASCII)
		}
		rs, err := st.Results(ctx, s.ID, 0)
		out[i] = checked{s, rs}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// errorCodes lists the error-severity codes, sorted.
func errorCodes(fs []checker.Finding) []string {
	var out []string
	for _, f := range fs {
		if f.Severity == checker.SeverityError {
			out = append(out, f.Code)
		}
	}
	slices.Sort(out)
	return out
}

// TestServeFarm1000 runs one serve cycle over a farm of a thousand sites
// (300 with -short) and checks that every site was checked exactly once
// and judged as the farm knows it must be.
func TestServeFarm1000(t *testing.T) {
	n := 1000
	if testing.Short() {
		n = 300
	}
	f := farm.New(farm.Config{Sites: n, Seed: 20261127, Gzip: true})
	if err := f.Start(); err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	bin := buildFarmBinary(t)
	dsn := importFarm(t, bin, f)

	out, took := serveOnce(t, bin, dsn, f, 90*time.Second)
	t.Logf("serve --once, %d sites: %v (%.0f sites/s): %s", n, took.Round(time.Millisecond), float64(n)/took.Seconds(), strings.TrimSpace(out))
	var pass, fail int
	for i := 1; i <= n; i++ {
		if f.Site(i).WantVerdict == checker.VerdictPass {
			pass++
		} else {
			fail++
		}
	}
	if want := fmt.Sprintf("checked %d: %d pass, %d fail, 0 error in ", n, pass, fail); !strings.HasPrefix(out, want) {
		t.Errorf("summary %q, want %q…", out, want)
	}

	// The farm's side of "exactly once": one page served per site.
	if got := f.Pages(); got != int64(n) {
		t.Errorf("the farm served %d pages, want %d", got, n)
	}
	got := registryResults(t, dsn)
	if len(got) != n {
		t.Errorf("registry holds %d farm sites, want %d", len(got), n)
	}
	wrong := 0
	for i := 1; i <= n; i++ {
		s, c := f.Site(i), got[i]
		if len(c.results) != 1 {
			t.Errorf("site %d (%s) checked %d times, want once", i, s.Host, len(c.results))
			continue
		}
		r := c.results[0]
		if r.Verdict != s.WantVerdict || !slices.Equal(errorCodes(r.Findings), s.WantErrors) {
			if wrong++; wrong <= 20 {
				t.Errorf("site %d (%s, %v, %s, redirect %d): verdict %s, errors %v; want %s, %v (error %q)",
					i, s.Host, s.Defect, s.Charset, s.Redirect, r.Verdict, errorCodes(r.Findings), s.WantVerdict, s.WantErrors, r.Error)
			}
		}
	}
	if wrong > 0 {
		t.Errorf("%d of %d sites judged wrongly", wrong, n)
	}
}

// hostileReasons match the error text of each crawler.Reason a hostile
// site must end in.
var hostileReasons = map[string]*regexp.Regexp{
	"timeout":       regexp.MustCompile(`timeout`),
	"too_large":     regexp.MustCompile(`body larger than the \d+ [KM]iB limit`),
	"redirect_loop": regexp.MustCompile(`redirect loop`),
	"connection":    regexp.MustCompile(`connection reset by peer|EOF`),
}

// TestServeHostile runs one serve cycle over one site per hostile behavior
// and a few normal ones: every hostile site must end as a recorded error
// for the right reason, within its timeout, and the cycle must go on.
func TestServeHostile(t *testing.T) {
	const timeout = 2 * time.Second
	f := farm.New(farm.Config{Sites: 4, Hostile: farm.Behaviors(), Seed: 11})
	if err := f.Start(); err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	bin := buildFarmBinary(t)
	dsn := importFarm(t, bin, f)

	out, took := serveOnce(t, bin, dsn, f, 30*time.Second, "--timeout", timeout.String())
	t.Logf("serve --once: %v: %s", took.Round(time.Millisecond), strings.TrimSpace(out))
	if want := fmt.Sprintf("checked %d: ", f.Len()); !strings.HasPrefix(out, want) {
		t.Errorf("summary %q, want %q…", out, want)
	}
	got := registryResults(t, dsn)
	for i := 1; i <= f.Len(); i++ {
		s, c := f.Site(i), got[i]
		t.Run(s.Behavior.String()+"/"+s.Host, func(t *testing.T) {
			if len(c.results) != 1 {
				t.Fatalf("checked %d times, want once", len(c.results))
			}
			r := c.results[0]
			if r.Verdict != s.WantVerdict {
				t.Errorf("verdict %s (error %q), want %s", r.Verdict, r.Error, s.WantVerdict)
			}
			if s.Behavior == farm.Normal {
				return
			}
			t.Logf("%v in %v: %s", r.Verdict, r.Duration, r.Error)
			if re := hostileReasons[s.WantReason]; !re.MatchString(r.Error) {
				t.Errorf("error %q, want %s (%s)", r.Error, s.WantReason, re)
			}
			// Durations are stored to the millisecond; a second of slack
			// covers the race detector and a busy machine.
			if r.Duration > timeout+time.Second {
				t.Errorf("took %v, want at most the %v timeout", r.Duration, timeout)
			}
		})
	}
}

// TestServeLargeBodies runs one serve cycle, at serve's default
// concurrency, over a farm where every eighth page is almost --max-body
// and sent slowly, with a --body-memory that holds two such bodies: the
// large pages must wait for memory in turn, and every site must still be
// checked once and judged right.
func TestServeLargeBodies(t *testing.T) {
	const n = 40
	f := farm.New(farm.Config{Sites: n, Seed: 7, LargeEvery: 8, LargeSize: 1<<20 - 16<<10, LargePause: time.Millisecond})
	if err := f.Start(); err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	bin := buildFarmBinary(t)
	dsn := importFarm(t, bin, f)

	out, took := serveOnce(t, bin, dsn, f, 60*time.Second, "--max-body", "1MiB", "--body-memory", "2MiB")
	t.Logf("serve --once: %v: %s", took.Round(time.Millisecond), strings.TrimSpace(out))
	got := registryResults(t, dsn)
	large := 0
	for i := 1; i <= n; i++ {
		s, c := f.Site(i), got[i]
		if s.Large {
			large++
		}
		if len(c.results) != 1 {
			t.Errorf("site %d (%s) checked %d times, want once", i, s.Host, len(c.results))
			continue
		}
		r := c.results[0]
		if r.Verdict != s.WantVerdict || !slices.Equal(errorCodes(r.Findings), s.WantErrors) {
			t.Errorf("site %d (%s, large %v): verdict %s, errors %v; want %s, %v (error %q)",
				i, s.Host, s.Large, r.Verdict, errorCodes(r.Findings), s.WantVerdict, s.WantErrors, r.Error)
		}
	}
	if large != n/8 {
		t.Errorf("%d large pages, want %d", large, n/8)
	}
}
