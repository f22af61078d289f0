package pgtest

import (
	"context"
	"database/sql"
	"errors"
	"net"
	"os"
	"strconv"
	"testing"

	_ "github.com/lib/pq" // the "postgres" driver
)

func TestStartRestartStop(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a PostgreSQL server: skipped with -short")
	}
	ctx := context.Background()
	s, err := Start(ctx)
	if errors.Is(err, ErrNoPostgres) && os.Getenv("CI") != "true" {
		t.Skip(err)
	}
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	db, err := sql.Open("postgres", s.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	pid := func() int {
		t.Helper()
		var pid int
		if err := db.QueryRowContext(ctx, "SELECT pg_backend_pid()").Scan(&pid); err != nil {
			t.Fatalf("query: %v", err)
		}
		return pid
	}
	before := pid()
	if err := s.Restart(ctx); err != nil {
		t.Fatalf("Restart: %v", err)
	}
	// The pool's connection died with the server; database/sql retries a
	// bad connection on a fresh one.
	if after := pid(); after == before {
		t.Errorf("backend pid %d after Restart, the same as before: not restarted?", after)
	}
	dir := s.dir
	if err := s.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Stop left %s behind (%v)", dir, err)
	}
}

func TestFreePortBelowEphemeralRange(t *testing.T) {
	low := ephemeralLow()
	for range 20 {
		port, err := FreePort()
		if err != nil {
			t.Fatal(err)
		}
		if port < 1024 || port >= low {
			t.Fatalf("FreePort() = %d, want a port in [1024, %d)", port, low)
		}
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			t.Fatalf("FreePort() = %d, which cannot be listened on: %v", port, err)
		}
		ln.Close()
	}
}
