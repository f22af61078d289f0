package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/beianwatch/beianwatch/internal/farm"
)

// BenchmarkServeFarm runs `serve --once` in this process against a farm,
// so that the test binary's profiles cover the daemon (the farm's own
// share shows up under internal/farm):
//
//	go test ./cmd/beianwatch -run '^$' -bench ServeFarm -benchtime 1x \
//	    -cpuprofile cpu.out -blockprofile block.out -mutexprofile mutex.out -trace trace.out
//
// BEIANWATCH_BENCH_SITES sets the farm's size (default 2,000),
// BEIANWATCH_BENCH_LATENCY its response latency (default none),
// BEIANWATCH_BENCH_GZIP=false serves pages uncompressed,
// BEIANWATCH_BENCH_ARGS adds serve flags, and BEIANWATCH_BENCH_DB names an
// empty registry to use instead of a new SQLite file (PostgreSQL). The figures to quote come from
// `go run ./internal/loadtest`, which measures a real process.
func BenchmarkServeFarm(b *testing.B) {
	n := 2000
	if s := os.Getenv("BEIANWATCH_BENCH_SITES"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			b.Fatalf("BEIANWATCH_BENCH_SITES=%q: %v", s, err)
		}
	}
	var latency time.Duration
	if s := os.Getenv("BEIANWATCH_BENCH_LATENCY"); s != "" {
		var err error
		if latency, err = time.ParseDuration(s); err != nil {
			b.Fatalf("BEIANWATCH_BENCH_LATENCY=%q: %v", s, err)
		}
	}
	f := farm.New(farm.Config{Sites: n, Seed: 1, Gzip: os.Getenv("BEIANWATCH_BENCH_GZIP") != "false", Latency: latency})
	if err := f.Start(); err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	csv := filepath.Join(b.TempDir(), "farm.csv")
	var buf bytes.Buffer
	if err := f.CSV(&buf); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(csv, buf.Bytes(), 0o600); err != nil {
		b.Fatal(err)
	}
	var total time.Duration
	for i := 0; b.Loop(); i++ {
		b.StopTimer()
		dsn := "sqlite://" + filepath.Join(b.TempDir(), fmt.Sprintf("registry-%d.db", i))
		if db := os.Getenv("BEIANWATCH_BENCH_DB"); db != "" {
			if b.N > 1 {
				b.Fatal("BEIANWATCH_BENCH_DB takes -benchtime 1x: the registry must start empty")
			}
			dsn = db
		}
		benchRun(b, "import", "--db", dsn, csv)
		args := []string{"serve", "--once", "--db", dsn, "--allow-private", "--log-level", "warn"}
		for _, r := range f.Resolve() {
			args = append(args, "--resolve", r)
		}
		args = append(args, strings.Fields(os.Getenv("BEIANWATCH_BENCH_ARGS"))...)
		b.StartTimer()
		start := time.Now()
		benchRun(b, args...)
		total += time.Since(start)
	}
	b.ReportMetric(float64(n*b.N)/total.Seconds(), "sites/s")
}

// benchRun runs the program in-process and fails unless it exits 0.
func benchRun(b *testing.B, args ...string) {
	b.Helper()
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
		b.Fatalf("beianwatch %s: exit %d\n%s\n%s", args[0], code, stdout.String(), tail(stderr.String(), 20))
	}
}
