package main

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/beianwatch/beianwatch/internal/farm"
)

// sizeAt is the registry's size after a cycle of -cycles.
type sizeAt struct {
	cycle   int
	bytes   int64 // the database file(s), or the schema's tables with their indexes and TOAST
	results int64 // check_results rows
	checks  int64 // checks they stand for (sum of seen_count)
	wall    time.Duration
}

// cycles runs cycles 2..-cycles on the registry cycle 1 left, making every
// site due again first (sites recheck --all), and measures the registry
// after each, cycle 1's included: a farm that does not change should not
// grow it (docs/history.md).
func (b *bench) cycles(ctx context.Context, dsn string, f *farm.Farm, db, tag string, first time.Duration) ([]sizeAt, error) {
	s, err := registrySize(ctx, dsn)
	if err != nil {
		return nil, err
	}
	s.cycle, s.wall = 1, first
	sizes := []sizeAt{s}
	b.logf("%s: cycle 1: %d bytes, %d results for %d checks", db, s.bytes, s.results, s.checks)
	for c := 2; c <= b.o.cycles; c++ {
		if db == "postgres" && b.o.vacuum {
			if err := vacuum(ctx, dsn); err != nil {
				return sizes, err
			}
		}
		cmd := exec.CommandContext(ctx, b.bin, "sites", "recheck", "--all", "--db", dsn)
		cmd.Env = b.childEnv()
		if out, err := cmd.CombinedOutput(); err != nil {
			return sizes, fmt.Errorf("sites recheck: %v\n%s", err, tail(string(out), 20))
		}
		run, err := b.serve(ctx, dsn, f, fmt.Sprintf("serve-%s-%s-cycle%d", db, tag, c), nil)
		if err != nil {
			return sizes, err
		}
		s, err := registrySize(ctx, dsn)
		if err != nil {
			return sizes, err
		}
		s.cycle, s.wall = c, run.wall
		sizes = append(sizes, s)
		b.logf("%s: cycle %d: %s; %d bytes, %d results for %d checks", db, c, run.summary, s.bytes, s.results, s.checks)
	}
	return sizes, nil
}

// vacuum runs VACUUM on the tables of the DSN's schema: what autovacuum
// does in the hours between real cycles, and has no time to do between
// cycles back to back (its naptime is a minute, a cycle here seconds).
// Plain VACUUM gives no space back to the system; it lets the next cycle
// reuse the dead rows' space.
func vacuum(ctx context.Context, dsn string) error {
	db, err := sql.Open("postgres", dsn)
	if err != nil {
		return err
	}
	defer db.Close()
	var tables []string
	rows, err := db.QueryContext(ctx, `SELECT tablename FROM pg_tables WHERE schemaname = current_schema()`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return err
		}
		tables = append(tables, t)
	}
	rows.Close()
	for _, t := range tables {
		if _, err := db.ExecContext(ctx, `VACUUM "`+t+`"`); err != nil {
			return fmt.Errorf("vacuum %s: %w", t, err)
		}
	}
	return nil
}

// registrySize measures the registry at dsn. SQLite's is the database
// file and its WAL (serve checkpoints it on exit); PostgreSQL's is every
// table of the DSN's schema with its indexes and TOAST, as the server
// keeps them on disk.
func registrySize(ctx context.Context, dsn string) (sizeAt, error) {
	var s sizeAt
	driver, source := "postgres", dsn
	if path, ok := strings.CutPrefix(dsn, "sqlite://"); ok {
		for _, name := range []string{path, path + "-wal"} {
			if fi, err := os.Stat(name); err == nil {
				s.bytes += fi.Size()
			}
		}
		driver, source = "sqlite", "file:"+path+"?mode=ro"
	}
	db, err := sql.Open(driver, source)
	if err != nil {
		return s, err
	}
	defer db.Close()
	if driver == "postgres" {
		// Statistics and the free space map lag; a VACUUM-less reading of
		// the relations' files is what the disk holds.
		err = db.QueryRowContext(ctx, `SELECT COALESCE(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c
			JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind = 'r'`).Scan(&s.bytes)
		if err != nil {
			return s, fmt.Errorf("registry size: %w", err)
		}
	}
	err = db.QueryRowContext(ctx, `SELECT COUNT(*), COALESCE(SUM(seen_count), 0) FROM check_results`).Scan(&s.results, &s.checks)
	if err != nil {
		return s, fmt.Errorf("registry size: %w", err)
	}
	return s, nil
}

// printCycles writes each row's sizes as a Markdown table.
func printCycles(w io.Writer, rows []row) {
	for _, r := range rows {
		if len(r.sizes) < 2 {
			continue
		}
		first := r.sizes[0]
		fmt.Fprintf(w, "\nregistry size over %d unchanged cycles: %d sites, %s\n\n", len(r.sizes), r.sites, r.db)
		fmt.Fprintln(w, "| cycle | serve | registry bytes | bytes/site | added bytes/site | × cycle 1 | history entries | checks |")
		fmt.Fprintln(w, "|---|---|---|---|---|---|---|---|")
		prev := int64(0)
		for _, s := range r.sizes {
			fmt.Fprintf(w, "| %d | %v | %d | %.0f | %.0f | %.2f | %d | %d |\n", s.cycle, s.wall.Round(time.Millisecond), s.bytes,
				float64(s.bytes)/float64(r.sites), float64(s.bytes-prev)/float64(r.sites), float64(s.bytes)/float64(first.bytes), s.results, s.checks)
			prev = s.bytes
		}
	}
}
