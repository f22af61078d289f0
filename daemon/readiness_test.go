package daemon

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/beianwatch/beianwatch/internal/logbuf"
	"github.com/beianwatch/beianwatch/internal/pgtest"
	"github.com/beianwatch/beianwatch/registry"
	"github.com/beianwatch/beianwatch/registry/registrytest"
)

func TestWriteHealth(t *testing.T) {
	now := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	h := &writeHealth{now: func() time.Time { return now }}
	ctx := context.Background()
	ended, cancel := context.WithCancel(ctx)
	cancel()
	fail := errors.New("read-only transaction")
	steps := []struct {
		name    string
		ctx     context.Context
		err     error
		advance time.Duration
		want    time.Duration
	}{
		{"success", ctx, nil, time.Minute, 0},
		{"first failure", ctx, fail, time.Minute, time.Minute},
		{"failures go on", ctx, fail, time.Minute, 2 * time.Minute},
		{"shutdown is no failure", ended, context.Canceled, time.Minute, 3 * time.Minute},
		{"a success clears", ctx, nil, time.Minute, 0},
		{"shutdown alone", ended, context.Canceled, time.Minute, 0},
	}
	for _, s := range steps {
		h.record(s.ctx, s.err)
		now = now.Add(s.advance)
		if got := h.failingFor(); got != s.want {
			t.Errorf("%s: failingFor() = %v, want %v", s.name, got, s.want)
		}
	}
}

// TestReadinessFollowsTheRegistry runs the daemon against a PostgreSQL
// server of its own: started while the server is down, it waits for it
// (alive, not ready) instead of exiting; once the server is up it is
// ready; when the server stops, /readyz turns 503 within a lease period,
// and when it is back the daemon is ready again and goes on checking.
func TestReadinessFollowsTheRegistry(t *testing.T) {
	if os.Getenv("BEIANWATCH_TEST_POSTGRES") == "" {
		t.Skip("BEIANWATCH_TEST_POSTGRES is empty: runs with the PostgreSQL tests, on a server of its own")
	}
	ctx := context.Background()
	pg, err := pgtest.Start(ctx)
	if errors.Is(err, pgtest.ErrNoPostgres) {
		t.Skip(err)
	} else if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.Stop() })
	site := serveHTML(t, "", fixed(readFile(t, "testdata/site/compliant.html")))

	// A password the server ignores (trust), to see it stays out of logs.
	dsn := strings.Replace(pg.DSN, "postgres@", "postgres:s3cret@", 1)
	st := registrytest.Open(t, dsn, nil)
	s := filedSite(t, "ok.test", "京ICP备2021034567号-1", "11010502045678")
	s.CheckURL = site.URL + "/"
	if _, err := st.UpsertSites(ctx, []registry.Site{s}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	if err := pg.Halt(ctx); err != nil {
		t.Fatal(err)
	}

	port, err := pgtest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	var logs logbuf.Buffer
	opts := testOptions(t)
	opts.DSN, opts.Listen = dsn, fmt.Sprintf("127.0.0.1:%d", port)
	opts.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	opts.Fetch.Timeout, opts.LeaseTTL = time.Second, 3*time.Second
	opts.Interval, opts.RecheckInterval = time.Second, time.Second
	base := "http://" + opts.Listen
	status := func(path string) (int, string) {
		resp, err := http.Get(base + path)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, strings.TrimSpace(string(b))
	}
	waitFor := func(what string, want int, wantBody string, within time.Duration) time.Duration {
		t.Helper()
		start := time.Now()
		for {
			code, body := status("/readyz")
			if code == want && strings.Contains(body, wantBody) {
				return time.Since(start)
			}
			if time.Since(start) > within {
				t.Fatalf("%s: /readyz = %d %q after %v, want %d %q\nlogs:\n%s", what, code, body, within, want, wantBody, logs.String())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitStatus := func(what string, want int, within time.Duration) time.Duration {
		t.Helper()
		return waitFor(what, want, "", within)
	}

	type built struct {
		d   *Daemon
		err error
	}
	newDone := make(chan built, 1)
	go func() {
		d, err := New(ctx, opts)
		newDone <- built{d, err}
	}()
	waitStatus("registry down at start", http.StatusServiceUnavailable, 10*time.Second)
	if code, _ := status("/healthz"); code != http.StatusOK {
		t.Errorf("/healthz while waiting for the registry = %d, want 200", code)
	}
	time.Sleep(time.Second) // a few attempts
	if err := pg.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	var b built
	select {
	case b = <-newDone:
	case <-time.After(30 * time.Second):
		t.Fatalf("New still waiting 30s after the server started\nlogs:\n%s", logs.String())
	}
	if b.err != nil {
		t.Fatalf("New: %v", b.err)
	}
	runCtx, stop := context.WithCancel(ctx)
	runDone := make(chan error, 1)
	go func() { runDone <- b.d.Run(runCtx) }()
	t.Cleanup(func() {
		stop()
		<-runDone
		b.d.Close()
	})
	waitStatus("registry up", http.StatusOK, 30*time.Second)

	if err := pg.Halt(ctx); err != nil {
		t.Fatal(err)
	}
	took := waitStatus("registry stopped while serving", http.StatusServiceUnavailable, opts.LeaseTTL)
	t.Logf("/readyz turned 503 %v after the server stopped", took)
	resumed := time.Now()
	if err := pg.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	took = waitStatus("registry back", http.StatusOK, 30*time.Second)
	t.Logf("/readyz turned 200 %v after the server started again", took)

	// Nothing lost: the site is there and is checked again.
	st = registrytest.Open(t, dsn, nil)
	deadline := time.Now().Add(30 * time.Second)
	for {
		// An unchanged check extends the latest history entry (its
		// last-seen time) rather than adding one.
		rs, err := st.Results(ctx, 1, 1)
		if err == nil && len(rs) == 1 && rs[0].LastSeenAt.After(resumed) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no check stored after the server came back: %v %v\nlogs:\n%s", rs, err, logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}

	// A server that answers pings but refuses writes, as with a full
	// disk: a statement trigger fails every write to the lease table.
	// /readyz must say so within a lease period of the first failed
	// lease (which comes within a poll), and recover with the disk.
	admin, err := sql.Open("postgres", pg.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close()
	for _, q := range []string{
		`CREATE FUNCTION refuse_writes() RETURNS trigger LANGUAGE plpgsql AS $$
		 BEGIN RAISE EXCEPTION 'could not extend file: No space left on device' USING ERRCODE = '53100'; END $$`,
		`CREATE TRIGGER refuse_writes BEFORE INSERT OR UPDATE OR DELETE ON site_state
		 FOR EACH STATEMENT EXECUTE FUNCTION refuse_writes()`,
	} {
		if _, err := admin.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	took = waitFor("registry refusing writes", http.StatusServiceUnavailable, "refusing leases and stores", 2*opts.LeaseTTL)
	t.Logf("/readyz turned 503 %v after writes began to fail (lease period %v)", took, opts.LeaseTTL)
	if _, err := admin.Exec(`DROP TRIGGER refuse_writes ON site_state`); err != nil {
		t.Fatal(err)
	}
	took = waitStatus("registry writable again", http.StatusOK, 2*time.Minute)
	t.Logf("/readyz turned 200 %v after writes succeeded again", took)

	if l := logs.String(); !strings.Contains(l, "registry unreachable; retrying") || strings.Contains(l, "s3cret") {
		t.Errorf("logs should say the registry is retried, without the password:\n%s", l)
	}
}

// TestReadyzFailsWhileWritesFail: a registry that answers pings but has
// refused the queue's leases and stores for longer than a lease period
// (a full disk, a read-only failover) makes the replica unready; a
// shorter hiccup does not.
func TestReadyzFailsWhileWritesFail(t *testing.T) {
	opts := testOptions(t)
	opts.Listen = "127.0.0.1:0"
	registrytest.Open(t, opts.DSN, nil)
	d, _ := mustRunDaemon(t, opts)
	readyz := func() (int, string) {
		resp, err := http.Get("http://" + d.Addr().String() + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, strings.TrimSpace(string(b))
	}
	deadline := time.Now().Add(10 * time.Second)
	for code, _ := readyz(); code != http.StatusOK; code, _ = readyz() {
		if time.Now().After(deadline) {
			t.Fatal("daemon not ready")
		}
		time.Sleep(20 * time.Millisecond)
	}
	tests := []struct {
		name    string
		failing time.Duration // how long writes have failed; 0: they succeed
		code    int
		body    string
	}{
		{"writes succeed", 0, http.StatusOK, "ready"},
		{"failing for less than a lease period", opts.LeaseTTL / 2, http.StatusOK, "ready"},
		{"failing for more than a lease period", opts.LeaseTTL + time.Minute, http.StatusServiceUnavailable, "registry refusing leases and stores for 6m0s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := d.q.health
			h.mu.Lock()
			h.failingSince = time.Time{}
			if tt.failing > 0 {
				h.failingSince = h.now().Add(-tt.failing)
			}
			h.mu.Unlock()
			if code, body := readyz(); code != tt.code || body != tt.body {
				t.Errorf("/readyz = %d %q, want %d %q", code, body, tt.code, tt.body)
			}
		})
	}
}
