// Command apiload measures the HTTP API under load beside the crawl, on
// PostgreSQL: a registry of -sites farm sites (internal/farm, on
// loopback, with -latency per page), `beianwatch serve` crawling them,
// and -clients clients reading site pages (GET /api/v1/sites, following
// next_cursor) for -duration. It prints the API's requests/s, p50 and
// p99 latency and errors, and the crawl's checks/s before, during and
// after the load (docs/api.md).
//
//	go run ./internal/apiload -dsn postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable
//	go run ./internal/apiload            # a throwaway PostgreSQL (initdb, pg_ctl)
package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	_ "github.com/lib/pq"

	"github.com/beianwatch/beianwatch/internal/farm"
	"github.com/beianwatch/beianwatch/internal/pgtest"
	"github.com/beianwatch/beianwatch/keyring"
)

type options struct {
	dsn         string
	sites       int
	clients     int
	duration    time.Duration
	latency     time.Duration
	concurrency int
	pageSize    int
	think       time.Duration
	bin         string
	serveArgs   string
}

func main() {
	var o options
	flag.StringVar(&o.dsn, "dsn", "", "PostgreSQL server (postgres://…); a database is made on it and dropped after. Empty: a throwaway server")
	flag.IntVar(&o.sites, "sites", 100000, "sites in the farm and the registry")
	flag.IntVar(&o.clients, "clients", 200, "concurrent API clients")
	flag.DurationVar(&o.duration, "duration", 30*time.Second, "how long the clients read, and each crawl-only window")
	flag.DurationVar(&o.latency, "latency", 50*time.Millisecond, "the farm's latency per page (the crawl's pace)")
	flag.IntVar(&o.concurrency, "concurrency", 32, "serve --concurrency")
	flag.IntVar(&o.pageSize, "limit", 50, "sites a page")
	flag.DurationVar(&o.think, "think", 0, "each client's pause between requests (0: as fast as answered)")
	flag.StringVar(&o.serveArgs, "serve-args", "", "extra flags for serve, space-separated (e.g. --api-max-in-flight 2)")
	flag.StringVar(&o.bin, "bin", "", "beianwatch binary (default: go build ./cmd/beianwatch)")
	flag.Parse()
	if err := run(context.Background(), o); err != nil {
		fmt.Fprintln(os.Stderr, "apiload:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, o options) error {
	dir, err := os.MkdirTemp("", "apiload-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if o.bin == "" {
		o.bin = filepath.Join(dir, "beianwatch")
		if out, err := exec.Command("go", "build", "-o", o.bin, "./cmd/beianwatch").CombinedOutput(); err != nil {
			return fmt.Errorf("build: %v\n%s", err, out)
		}
	}
	server := o.dsn
	if server == "" {
		pg, err := pgtest.Start(ctx)
		if err != nil {
			return err
		}
		defer pg.Stop()
		server = pg.DSN
	}
	dsn, drop, err := freshDatabase(server)
	if err != nil {
		return err
	}
	defer drop()
	keyFile := filepath.Join(dir, "key")
	if _, err := keyring.Create(keyFile, time.Now()); err != nil {
		return err
	}
	env := append(os.Environ(), "BEIANWATCH_KEY_FILE="+keyFile, "BEIANWATCH_DB="+dsn)

	f := farm.New(farm.Config{Sites: o.sites, Seed: 1, Gzip: true, Latency: o.latency})
	if err := f.Start(); err != nil {
		return err
	}
	defer f.Close()
	csvPath := filepath.Join(dir, "sites.csv")
	cf, err := os.Create(csvPath)
	if err != nil {
		return err
	}
	if err := f.CSV(cf); err != nil {
		return err
	}
	cf.Close()
	start := time.Now()
	if out, err := command(ctx, env, o.bin, "import", csvPath).CombinedOutput(); err != nil {
		return fmt.Errorf("import: %v\n%s", err, out)
	}
	fmt.Printf("imported %d sites in %v\n", o.sites, time.Since(start).Round(time.Second))
	out, err := command(ctx, env, o.bin, "token", "create", "--name", "apiload", "--scope", "read").Output()
	if err != nil {
		return fmt.Errorf("token create: %v", err)
	}
	token := strings.TrimSpace(string(out))

	port, err := freePort()
	if err != nil {
		return err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	args := []string{"serve", "--listen", addr, "--allow-private", "--concurrency", strconv.Itoa(o.concurrency), "--log-level", "warn"}
	for _, r := range f.Resolve() {
		args = append(args, "--resolve", r)
	}
	args = append(args, strings.Fields(o.serveArgs)...)
	serve := command(ctx, env, o.bin, args...)
	serve.Stderr = os.Stderr
	if err := serve.Start(); err != nil {
		return err
	}
	defer func() {
		serve.Process.Signal(os.Interrupt)
		serve.Wait()
	}()
	base := "http://" + addr
	if err := waitReady(ctx, base); err != nil {
		return err
	}
	time.Sleep(5 * time.Second) // the crawl's warm-up

	before, err := crawlRate(ctx, base, o.duration)
	if err != nil {
		return err
	}
	fmt.Printf("crawl alone:        %7.1f checks/s\n", before)
	var during float64
	var cerr error
	var wg sync.WaitGroup
	wg.Go(func() { during, cerr = crawlRate(ctx, base, o.duration) })
	res := load(ctx, base, token, o)
	wg.Wait()
	if cerr != nil {
		return cerr
	}
	after, err := crawlRate(ctx, base, o.duration)
	if err != nil {
		return err
	}
	fmt.Printf("crawl beside load:  %7.1f checks/s\n", during)
	fmt.Printf("crawl alone again:  %7.1f checks/s\n", after)
	fmt.Printf("crawl speed kept:   %7.0f%% (beside load / mean of alone)\n", 100*during/((before+after)/2))
	fmt.Printf("API: %d clients, %v: %d requests, %.0f requests/s, p50 %v, p99 %v, max %v, errors %d, %d bytes a page of %d sites\n",
		o.clients, o.duration, res.n, float64(res.n)/o.duration.Seconds(), res.p(0.50), res.p(0.99), res.p(1), res.errors, res.bytes, o.pageSize)
	if res.firstErr != nil {
		fmt.Printf("first error: %v\n", res.firstErr)
	}
	if up, err := exec.Command("uptime").Output(); err == nil {
		fmt.Printf("uptime: %s", up)
	}
	if res.errors > 0 {
		return fmt.Errorf("%d requests failed", res.errors)
	}
	return nil
}

func command(ctx context.Context, env []string, bin string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	return cmd
}

// freshDatabase makes a database of its own on the server.
func freshDatabase(server string) (string, func(), error) {
	db, err := sql.Open("postgres", server)
	if err != nil {
		return "", nil, err
	}
	name := "apiload_" + strings.ToLower(rand.Text()[:12])
	if _, err := db.Exec("CREATE DATABASE " + name); err != nil {
		db.Close()
		return "", nil, err
	}
	u, err := url.Parse(server)
	if err != nil {
		return "", nil, err
	}
	u.Path = "/" + name
	return u.String(), func() {
		db.Exec("DROP DATABASE " + name + " WITH (FORCE)")
		db.Close()
	}, nil
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func waitReady(ctx context.Context, base string) error {
	for range 600 {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return errors.New("serve never became ready")
}

// checks reads the sum of beianwatch_checks_total from /metrics.
func checks(base string) (float64, error) {
	resp, err := http.Get(base + "/metrics")
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	var sum float64
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "beianwatch_checks_total{") {
			f := strings.Fields(line)
			v, _ := strconv.ParseFloat(f[len(f)-1], 64)
			sum += v
		}
	}
	return sum, sc.Err()
}

// crawlRate is the checks a second over d.
func crawlRate(ctx context.Context, base string, d time.Duration) (float64, error) {
	a, err := checks(base)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	select {
	case <-ctx.Done():
		return 0, ctx.Err()
	case <-time.After(d):
	}
	b, err := checks(base)
	if err != nil {
		return 0, err
	}
	return (b - a) / time.Since(start).Seconds(), nil
}

type result struct {
	n, errors int
	bytes     int64 // a response, on average
	lat       []time.Duration
	firstErr  error
}

func (r result) p(q float64) time.Duration {
	if len(r.lat) == 0 {
		return 0
	}
	i := min(len(r.lat)-1, int(q*float64(len(r.lat))))
	return r.lat[i].Round(100 * time.Microsecond)
}

// load runs the clients: each walks the site list a page at a time,
// following next_cursor, back to the first page at the end.
func load(ctx context.Context, base, token string, o options) result {
	tr := &http.Transport{MaxIdleConns: o.clients, MaxIdleConnsPerHost: o.clients}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	ctx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()
	var mu sync.Mutex
	var all result
	var failed, bytesRead atomic.Int64
	var wg sync.WaitGroup
	for c := range o.clients {
		wg.Go(func() {
			var lat []time.Duration
			var errs int
			var first error
			cursor := ""
			// A client in ten reads a customer's sites, the others the
			// whole list (farm sites have no customer id: an empty page
			// answered from the index).
			filter := ""
			if c%10 == 0 {
				filter = "&customer_id=c-" + strconv.Itoa(c)
			}
			for ctx.Err() == nil {
				u := fmt.Sprintf("%s/api/v1/sites?limit=%d%s", base, o.pageSize, filter)
				if cursor != "" {
					u += "&cursor=" + url.QueryEscape(cursor)
				}
				req, _ := http.NewRequestWithContext(ctx, "GET", u, nil)
				req.Header.Set("Authorization", "Bearer "+token)
				t0 := time.Now()
				resp, err := client.Do(req)
				if ctx.Err() != nil {
					break // the run ended mid-request: not counted
				}
				var page struct {
					NextCursor *string `json:"next_cursor"`
				}
				if err == nil {
					if resp.StatusCode != http.StatusOK {
						b, _ := io.ReadAll(resp.Body)
						err = fmt.Errorf("%s: %d %s", u, resp.StatusCode, b)
					} else {
						cr := &countingReader{r: resp.Body}
						err = json.NewDecoder(cr).Decode(&page)
						bytesRead.Add(cr.n)
					}
					resp.Body.Close()
				}
				if ctx.Err() != nil {
					break
				}
				lat = append(lat, time.Since(t0))
				if err != nil {
					errs++
					failed.Add(1)
					if first == nil {
						first = err
					}
					cursor = ""
					continue
				}
				cursor = ""
				if page.NextCursor != nil {
					cursor = *page.NextCursor
				}
				if o.think > 0 {
					time.Sleep(o.think)
				}
			}
			mu.Lock()
			all.n += len(lat)
			all.errors += errs
			all.lat = append(all.lat, lat...)
			if all.firstErr == nil {
				all.firstErr = first
			}
			mu.Unlock()
		})
	}
	wg.Wait()
	slices.Sort(all.lat)
	if all.n > 0 {
		all.bytes = bytesRead.Load() / int64(all.n)
	}
	return all
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
