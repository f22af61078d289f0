// Command consoleload measures the console's sites page on loopback: it
// fills a registry with sites (from the web farm's generator, with
// made-up check results: 70% pass, 20% fail, 10% error), starts the
// daemon's HTTP server with the console on it, logs in with an API token,
// and has concurrent clients read sites pages (the first page, each
// filter, searches and deep keyset pages) for a while, printing the
// latency percentiles of each kind and of all.
//
//	go run ./internal/consoleload -db "$BEIANWATCH_TEST_POSTGRES" -sites 100000
//
// A registry that already holds the sites is reused (seeding 100,000 takes
// a minute or two); docs/console.md has the figures.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"runtime/pprof"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/crawler"
	"github.com/beianwatch/beianwatch/daemon"
	"github.com/beianwatch/beianwatch/internal/farm"
	"github.com/beianwatch/beianwatch/keyring"
	"github.com/beianwatch/beianwatch/registry"
	"github.com/beianwatch/beianwatch/sitefile"
)

func main() { os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr)) }

type options struct {
	dsn      string
	sites    int
	clients  int
	duration time.Duration
	profile  string
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	var o options
	fs := flag.NewFlagSet("consoleload", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.dsn, "db", os.Getenv("BEIANWATCH_TEST_POSTGRES"), "the registry `DSN` (default $BEIANWATCH_TEST_POSTGRES)")
	fs.IntVar(&o.sites, "sites", 100000, "sites in the registry")
	fs.IntVar(&o.clients, "clients", 8, "concurrent clients")
	fs.DurationVar(&o.duration, "duration", 20*time.Second, "how long the clients read")
	fs.StringVar(&o.profile, "cpuprofile", "", "write a CPU profile of the reading (server and clients) to `FILE`")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if o.dsn == "" || o.sites < 1 || o.clients < 1 || o.duration <= 0 {
		fmt.Fprintln(stderr, "consoleload: want -db, and positive -sites, -clients and -duration")
		return 2
	}
	if err := load(ctx, o, stdout); err != nil {
		fmt.Fprintf(stderr, "consoleload: %v\n", err)
		return 1
	}
	return 0
}

func load(ctx context.Context, o options, stdout io.Writer) error {
	keys := keyring.New(mustKey())
	st, err := registry.Open(ctx, o.dsn, nil, prometheus.NewRegistry())
	if err != nil {
		return err
	}
	defer st.Close()
	if err := st.Migrate(ctx); err != nil {
		return err
	}
	st.SetKeys(keys)
	if err := seed(ctx, st, o.sites, stdout); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	opts := daemon.DefaultOptions()
	opts.DSN, opts.Listen, opts.Keys, opts.NoMigrate = o.dsn, "127.0.0.1:0", keys, true
	opts.Logger, opts.Metrics = slog.New(slog.DiscardHandler), prometheus.NewRegistry()
	opts.Render = crawler.RenderNever
	d, err := daemon.New(ctx, opts)
	if err != nil {
		return err
	}
	defer d.Close()
	base := "http://" + d.Addr().String()
	secret, _, err := st.CreateToken(ctx, "consoleload-"+strconv.FormatInt(time.Now().UnixNano(), 36), []string{"read"}, time.Now().Add(time.Hour))
	if err != nil {
		return err
	}
	c, err := login(base, secret, o.clients)
	if err != nil {
		return err
	}
	var ids []int64
	// Deep pages start after ids spread over the whole registry.
	err = st.ListSites(ctx, registry.SiteFilter{}, func(s *registry.Site, _ *registry.State) error {
		if s.ID%97 == 0 {
			ids = append(ids, s.ID)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if o.profile != "" {
		f, err := os.Create(o.profile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
	}
	lat, errs := read(ctx, c, base, ids, o)
	pprof.StopCPUProfile()
	fmt.Fprintf(stdout, "%d sites, %d clients, %v\n", o.sites, o.clients, o.duration)
	fmt.Fprintf(stdout, "%-12s %8s %8s %8s %8s\n", "page", "requests", "p50", "p99", "max")
	var all []time.Duration
	for _, k := range kinds {
		all = append(all, lat[k.name]...)
		printRow(stdout, k.name, lat[k.name])
	}
	printRow(stdout, "all", all)
	fmt.Fprintf(stdout, "%.0f requests/s, %d errors\n", float64(len(all))/o.duration.Seconds(), errs)
	if errs > 0 {
		return errors.New("some requests failed")
	}
	return nil
}

func mustKey() *keyring.Key {
	k, err := keyring.Generate("load")
	if err != nil {
		panic(err)
	}
	return k
}

func printRow(w io.Writer, name string, ds []time.Duration) {
	if len(ds) == 0 {
		return
	}
	slices.Sort(ds)
	pct := func(p float64) time.Duration { return ds[min(len(ds)-1, int(p*float64(len(ds))))] }
	fmt.Fprintf(w, "%-12s %8d %8s %8s %8s\n", name, len(ds), ms(pct(0.5)), ms(pct(0.99)), ms(ds[len(ds)-1]))
}

func ms(d time.Duration) string {
	return strconv.FormatFloat(float64(d.Microseconds())/1000, 'f', 1, 64) + "ms"
}

// kinds are the sites pages the clients read, in turn.
var kinds = []struct {
	name  string
	query func(r *rand.Rand, ids []int64) string
}{
	{"first", func(*rand.Rand, []int64) string { return "" }},
	{"deep", func(r *rand.Rand, ids []int64) string { return "after=" + strconv.FormatInt(ids[r.IntN(len(ids))], 10) }},
	{"verdict", func(*rand.Rand, []int64) string { return "verdict=fail" }},
	{"deep-fail", func(r *rand.Rand, ids []int64) string {
		return "verdict=fail&after=" + strconv.FormatInt(ids[r.IntN(len(ids))], 10)
	}},
	{"code", func(*rand.Rand, []int64) string { return "code=" + checker.CodeICPMismatch }},
	{"deadline", func(*rand.Rand, []int64) string { return "deadline=7d" }},
	// A domain's first digits: a hundred sites match each.
	{"search", func(r *rand.Rand, _ []int64) string { return fmt.Sprintf("q=site%04d", r.IntN(1000)) }},
	{"customer", func(r *rand.Rand, _ []int64) string { return "customer=" + url.QueryEscape(customer(r.IntN(1000))) }},
}

// customer is the customer id seed gives the i-th group of sites.
func customer(i int) string { return "cust-" + strconv.Itoa(i) }

// read has o.clients clients read sites pages for o.duration.
func read(ctx context.Context, c *http.Client, base string, ids []int64, o options) (map[string][]time.Duration, int) {
	ctx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	var mu sync.Mutex
	lat := map[string][]time.Duration{}
	errs := 0
	var wg sync.WaitGroup
	for w := range o.clients {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 1))
			for i := w; ctx.Err() == nil; i++ {
				k := kinds[i%len(kinds)]
				start := time.Now()
				ok := get(ctx, c, base+"/ui/sites?"+k.query(r, ids))
				d := time.Since(start)
				if ctx.Err() != nil {
					return // cut short by the end, not counted
				}
				mu.Lock()
				lat[k.name] = append(lat[k.name], d)
				if !ok {
					errs++
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return lat, errs
}

func get(ctx context.Context, c *http.Client, u string) bool {
	req, err := http.NewRequestWithContext(ctx, "GET", u, nil)
	if err != nil {
		return false
	}
	resp, err := c.Do(req)
	if err != nil {
		return false
	}
	defer resp.Body.Close()
	_, err = io.Copy(io.Discard, resp.Body)
	return err == nil && resp.StatusCode == http.StatusOK
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// login logs in through the form and returns a client holding the
// session.
func login(base, secret string, conns int) (*http.Client, error) {
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Transport: &http.Transport{MaxIdleConnsPerHost: conns}}
	resp, err := c.Get(base + "/ui/login")
	if err != nil {
		return nil, err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfRE.FindSubmatch(b)
	if m == nil {
		return nil, errors.New("login page: no CSRF token")
	}
	resp, err = c.PostForm(base+"/ui/login", url.Values{"csrf": {string(m[1])}, "token": {secret}})
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || resp.Request.URL.Path != "/ui/" {
		return nil, fmt.Errorf("login: %s at %s", resp.Status, resp.Request.URL.Path)
	}
	return c, nil
}

// seed fills the registry up to n sites, unless it holds them already.
func seed(ctx context.Context, st *registry.Store, n int, w io.Writer) error {
	have, err := st.CountSites(ctx)
	if err != nil || have >= n {
		return err
	}
	start := time.Now()
	f := farm.New(farm.Config{Sites: n, Seed: 1})
	var csv bytes.Buffer
	if err := f.CSV(&csv); err != nil {
		return err
	}
	rows, bad, err := sitefile.Read(&csv, "farm.csv", sitefile.ReadOptions{})
	if err != nil || len(bad) > 0 {
		return fmt.Errorf("farm CSV: %v %v", err, bad)
	}
	sites := make([]registry.Site, len(rows))
	for i, r := range rows {
		sites[i] = r.Site
		sites[i].CustomerID = customer(i / (n/1000 + 1))
	}
	for chunk := range slices.Chunk(sites, 10000) {
		if _, err := st.UpsertSites(ctx, chunk); err != nil {
			return err
		}
	}
	if err := results(ctx, st); err != nil {
		return err
	}
	fmt.Fprintf(w, "seeded %d sites in %v\n", n, time.Since(start).Round(time.Second))
	return nil
}

// results stores a made-up check of every site, through the scheduler's
// own write path (leases and batches).
func results(ctx context.Context, st *registry.Store) error {
	now := time.Now()
	for {
		leases, err := st.Lease(ctx, "consoleload", 1000, time.Minute)
		if err != nil || len(leases) == 0 {
			return err
		}
		cs := make([]registry.Completion, len(leases))
		for i, l := range leases {
			cs[i] = completion(l, now)
		}
		if _, err := st.CompleteBatch(ctx, "consoleload", cs); err != nil {
			return err
		}
	}
}

func completion(l registry.Lease, now time.Time) registry.Completion {
	r := registry.Result{SiteID: l.Site.ID, CheckedAt: now, Target: l.Site.Domains[0].ASCII, FinalURL: "https://" + l.Site.Domains[0].ASCII + "/",
		HTTPStatus: 200, Verdict: checker.VerdictPass, Policy: "default"}
	switch l.Site.ID % 10 {
	case 0, 1:
		r.Verdict = checker.VerdictFail
		r.Findings = []checker.Finding{{Code: checker.CodeICPMismatch, Severity: checker.SeverityError,
			Message: "the page shows another ICP number", Evidence: `<div class="beian"><a href="https://beian.miit.gov.cn/">京ICP备12345678号-1</a></div>`}}
		r.Evidence = r.Findings[0].Evidence
	case 2:
		r.Verdict, r.HTTPStatus, r.Error = checker.VerdictError, 0, "connection refused"
	}
	return registry.Completion{Result: r, Next: now.Add(24 * time.Hour), Deadlines: l.Site.Deadlines(l.State, now)}
}
