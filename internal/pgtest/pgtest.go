// Package pgtest starts throwaway PostgreSQL servers for tests that need a
// server of their own (to restart it, say), as scripts/test.sh starts the
// suite's: initdb in a temporary directory, a free loopback port, no
// fsync, run as nobody when the test runs as root (the server refuses
// root).
package pgtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ErrNoPostgres is returned by Start when initdb and pg_ctl are nowhere to
// be found.
var ErrNoPostgres = errors.New("pgtest: no PostgreSQL (initdb, pg_ctl) in PATH or /usr/lib/postgresql/*/bin")

// Server is a running throwaway server.
type Server struct {
	// DSN is a lib/pq URL of the server's postgres database, as superuser.
	DSN string

	dir  string   // holds data/, server.log and the socket
	bin  string   // the directory of initdb and pg_ctl
	as   []string // command prefix that runs as the server's user
	opts string   // postgres options, kept for restarts
}

// Start initialises and starts a server. Stop it with Stop.
func Start(ctx context.Context) (*Server, error) {
	bin, err := Bin()
	if err != nil {
		return nil, err
	}
	s := &Server{bin: bin}
	tmp := os.TempDir()
	uid := -1
	if os.Geteuid() == 0 {
		// Under /tmp, which nobody can reach (unlike root's own TMPDIR).
		tmp = "/tmp"
		if s.as, uid, err = asNobody(); err != nil {
			return nil, err
		}
	}
	if s.dir, err = os.MkdirTemp(tmp, "beianwatch-pgtest-"); err != nil {
		return nil, err
	}
	if uid >= 0 {
		if err := os.Chown(s.dir, uid, -1); err != nil {
			os.RemoveAll(s.dir)
			return nil, err
		}
	}
	if err := s.start(ctx); err != nil {
		os.RemoveAll(s.dir)
		return nil, err
	}
	return s, nil
}

func (s *Server) start(ctx context.Context) error {
	if err := s.run(ctx, "initdb", "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-locale", "-D", s.data()); err != nil {
		return err
	}
	port, err := FreePort()
	if err != nil {
		return err
	}
	// fsync off: a throwaway server need not survive a power cut.
	s.opts = fmt.Sprintf("-h 127.0.0.1 -p %d -k %s -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200", port, s.dir)
	if err := s.pgCtl(ctx, "start"); err != nil {
		return err
	}
	s.DSN = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/postgres?sslmode=disable", port)
	return nil
}

// Restart stops the server the way an operator would (pg_ctl restart -m
// fast: clients are disconnected, transactions in flight rolled back) and
// starts it again on the same port, waiting until it accepts connections.
func (s *Server) Restart(ctx context.Context) error {
	return s.pgCtl(ctx, "restart", "-m", "fast")
}

// Halt stops the server as an operator or an outage would (pg_ctl stop
// -m fast: clients are disconnected), keeping its files and port, so that
// a test can see its clients cope with the server gone; Resume starts it
// again.
func (s *Server) Halt(ctx context.Context) error {
	return s.run(ctx, "pg_ctl", "-D", s.data(), "-m", "fast", "-w", "stop")
}

// Resume starts a server Halt stopped, on the same port, waiting until it
// accepts connections.
func (s *Server) Resume(ctx context.Context) error { return s.pgCtl(ctx, "start") }

// Stop stops the server at once and removes its files.
func (s *Server) Stop() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := s.run(ctx, "pg_ctl", "-D", s.data(), "-m", "immediate", "-w", "stop")
	return errors.Join(err, os.RemoveAll(s.dir))
}

// Log returns the server's log so far, for a failing test to show.
func (s *Server) Log() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "server.log"))
	return string(b)
}

func (s *Server) data() string { return filepath.Join(s.dir, "data") }

// pgCtl runs pg_ctl start or restart with the server's options. The log
// file matters beyond logging: without one the server would inherit
// pg_ctl's output, and holding that pipe open it would keep run waiting.
func (s *Server) pgCtl(ctx context.Context, action string, args ...string) error {
	args = append([]string{"-D", s.data(), "-l", filepath.Join(s.dir, "server.log"), "-w", "-t", "60", "-o", s.opts, action}, args...)
	if err := s.run(ctx, "pg_ctl", args...); err != nil {
		return fmt.Errorf("%w\nserver log:\n%s", err, s.Log())
	}
	return nil
}

// run runs one of the server's programs as the server's user.
func (s *Server) run(ctx context.Context, name string, args ...string) error {
	argv := append(slices.Clone(s.as), filepath.Join(s.bin, name))
	argv = append(argv, args...)
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("pgtest: %s %s: %v\n%s", name, strings.Join(args, " "), err, out.String())
	}
	return nil
}

// asNobody returns the command prefix that runs a program as nobody, and
// nobody's uid.
func asNobody() ([]string, int, error) {
	u, err := user.Lookup("nobody")
	if err != nil {
		return nil, 0, fmt.Errorf("pgtest: running as root, and %w", err)
	}
	uid, err := strconv.Atoi(u.Uid)
	if err != nil {
		return nil, 0, fmt.Errorf("pgtest: nobody's uid %q: %w", u.Uid, err)
	}
	if _, err := exec.LookPath("runuser"); err == nil {
		return []string{"runuser", "-u", "nobody", "--"}, uid, nil
	}
	return []string{"setpriv", "--reuid=" + u.Uid, "--regid=" + u.Gid, "--clear-groups", "--"}, uid, nil
}

// Bin returns the directory holding initdb and pg_ctl: the one on PATH,
// else the newest /usr/lib/postgresql/*/bin (Debian's layout, which does
// not put them on PATH).
func Bin() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		if _, err := exec.LookPath("pg_ctl"); err == nil {
			return filepath.Dir(p), nil
		}
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int { return version(b) - version(a) })
	for _, d := range dirs {
		if isFile(filepath.Join(d, "initdb")) && isFile(filepath.Join(d, "pg_ctl")) {
			return d, nil
		}
	}
	return "", ErrNoPostgres
}

// version is the major version in /usr/lib/postgresql/VERSION/bin.
func version(binDir string) int {
	v, _ := strconv.Atoi(strings.Split(filepath.Base(filepath.Dir(binDir)), ".")[0])
	return v
}

func isFile(name string) bool {
	fi, err := os.Stat(name)
	return err == nil && !fi.IsDir()
}
