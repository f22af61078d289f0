package main

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	_ "github.com/lib/pq" // the "postgres" driver

	"github.com/beianwatch/beianwatch/internal/pgtest"
)

// postgres is a throwaway PostgreSQL server in a temporary directory, as
// scripts/test.sh starts one: run as nobody when we are root (the server
// refuses root), on a free loopback port.
type postgres struct {
	dir string
	as  []string // command prefix that runs as the server's user
	bin string
	dsn string
}

// newDB returns the DSN of an empty registry of the given kind, tagged for
// this run.
func (b *bench) newDB(ctx context.Context, kind, tag string) (string, error) {
	if kind == "sqlite" {
		return "sqlite://" + filepath.Join(b.dir, "registry-"+tag+".db"), nil
	}
	if b.pgDSN == "" {
		b.pgDSN = b.o.dsn
		if b.pgDSN == "" {
			pg, err := startPostgres(ctx, b.o.pgFsync)
			if err != nil {
				return "", err
			}
			b.pg, b.pgDSN = pg, pg.dsn
			b.cleanups = append(b.cleanups, pg.stop)
			b.logf("throwaway PostgreSQL at %s (%s)", pg.dsn, pg.dir)
		}
	}
	return b.schema(ctx, "loadtest_"+tag)
}

// schema makes a fresh schema on the PostgreSQL server and returns a DSN
// whose search_path is it.
func (b *bench) schema(ctx context.Context, name string) (string, error) {
	db, err := sql.Open("postgres", b.pgDSN)
	if err != nil {
		return "", err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `DROP SCHEMA IF EXISTS "`+name+`" CASCADE; CREATE SCHEMA "`+name+`"`); err != nil {
		return "", fmt.Errorf("create schema %s: %w", name, err)
	}
	if !b.o.keep {
		b.cleanups = append(b.cleanups, func() {
			if db, err := sql.Open("postgres", b.pgDSN); err == nil {
				db.Exec(`DROP SCHEMA IF EXISTS "` + name + `" CASCADE`)
				db.Close()
			}
		})
	}
	u, err := url.Parse(b.pgDSN)
	if err != nil {
		return "", err
	}
	q := u.Query()
	q.Set("search_path", name)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// startPostgres starts a throwaway server. Unless fsync, durability is off
// as in scripts/test.sh; by default it is the server's default, as a
// production registry would run.
func startPostgres(ctx context.Context, fsync bool) (*postgres, error) {
	bin, err := pgtest.Bin()
	if err != nil {
		return nil, err
	}
	pg := &postgres{bin: bin}
	tmp := os.TempDir()
	if os.Geteuid() == 0 {
		// Under /tmp, which nobody can reach (unlike root's own TMPDIR).
		tmp = "/tmp"
		if _, err := exec.LookPath("runuser"); err == nil {
			pg.as = []string{"runuser", "-u", "nobody", "--"}
		} else {
			u, err := user.Lookup("nobody")
			if err != nil {
				return nil, err
			}
			pg.as = []string{"setpriv", "--reuid=" + u.Uid, "--regid=" + u.Gid, "--clear-groups", "--"}
		}
	}
	if pg.dir, err = os.MkdirTemp(tmp, "beianwatch-pg-"); err != nil {
		return nil, err
	}
	if err := os.Chmod(pg.dir, 0o700); err != nil {
		return nil, err
	}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("nobody")
		if err != nil {
			return nil, err
		}
		uid, _ := strconv.Atoi(u.Uid)
		if err := os.Chown(pg.dir, uid, -1); err != nil {
			return nil, err
		}
	}
	data := filepath.Join(pg.dir, "data")
	if out, err := pg.cmd(ctx, "initdb", "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-locale", "-D", data).CombinedOutput(); err != nil {
		os.RemoveAll(pg.dir)
		return nil, fmt.Errorf("initdb: %v\n%s", err, out)
	}
	port, err := pgtest.FreePort()
	if err != nil {
		return nil, err
	}
	opts := fmt.Sprintf("-h 127.0.0.1 -p %d -k %s -c max_connections=200", port, pg.dir)
	if !fsync {
		opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
	}
	if out, err := pg.cmd(ctx, "pg_ctl", "-D", data, "-l", filepath.Join(pg.dir, "server.log"), "-w", "-t", "60", "-o", opts, "start").CombinedOutput(); err != nil {
		log, _ := os.ReadFile(filepath.Join(pg.dir, "server.log"))
		os.RemoveAll(pg.dir)
		return nil, fmt.Errorf("pg_ctl start: %v\n%s\n%s", err, out, log)
	}
	pg.dsn = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	return pg, nil
}

func (pg *postgres) cmd(ctx context.Context, name string, args ...string) *exec.Cmd {
	argv := append(slices.Clone(pg.as), filepath.Join(pg.bin, name))
	argv = append(argv, args...)
	return exec.CommandContext(ctx, argv[0], argv[1:]...)
}

func (pg *postgres) stop() {
	pg.cmd(context.Background(), "pg_ctl", "-D", filepath.Join(pg.dir, "data"), "-m", "immediate", "-w", "stop").Run()
	os.RemoveAll(pg.dir)
}

// cpu is the server's CPU time so far: the postmaster's, its live
// backends' and the reaped ones' (which the kernel adds to the
// postmaster's children's time). Zero if it cannot be read.
func (pg *postgres) cpu() time.Duration {
	if pg == nil {
		return 0
	}
	b, err := os.ReadFile(filepath.Join(pg.dir, "data", "postmaster.pid"))
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		return 0
	}
	ticks := procTicks(pid, true)
	procs, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range procs {
		if ppid, ok := procParent(p); ok && ppid == pid {
			child, _ := strconv.Atoi(filepath.Base(filepath.Dir(p)))
			ticks += procTicks(child, false)
		}
	}
	return time.Duration(ticks) * (time.Second / 100) // USER_HZ
}

// procStat returns the fields of /proc/PID/stat after the command name
// (which may hold spaces): field 3 of proc(5) is index 0.
func procStat(path string) []string {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return nil
	}
	return strings.Fields(string(b[i+1:]))
}

func procParent(path string) (int, bool) {
	f := procStat(path)
	if len(f) < 2 {
		return 0, false
	}
	ppid, err := strconv.Atoi(f[1])
	return ppid, err == nil
}

// procTicks sums utime and stime (fields 14 and 15) and, with children,
// cutime and cstime (16 and 17).
func procTicks(pid int, children bool) int64 {
	f := procStat(fmt.Sprintf("/proc/%d/stat", pid))
	if len(f) < 15 {
		return 0
	}
	last := 13
	if children {
		last = 15
	}
	var t int64
	for _, s := range f[11:last] {
		n, _ := strconv.ParseInt(s, 10, 64)
		t += n
	}
	return t
}
