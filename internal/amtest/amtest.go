// Package amtest starts a real Prometheus Alertmanager for tests: Debian's
// prometheus-alertmanager (or an alertmanager binary on PATH) on a free
// loopback port, with a throwaway configuration and storage directory and
// clustering off, so tests can post alerts to it and read them back.
package amtest

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// ErrNoAlertmanager is returned by Start when no Alertmanager binary is
// installed.
var ErrNoAlertmanager = errors.New("amtest: no prometheus-alertmanager or alertmanager in PATH (apt-get install prometheus-alertmanager)")

// config routes every alert to a receiver that sends nothing: the tests
// read alerts back through the API, and no notification must leave the
// machine.
const config = `route:
  receiver: blackhole
  group_wait: 1s
receivers:
  - name: blackhole
`

// Server is a running (or stopped) Alertmanager.
type Server struct {
	// URL is the server's base URL, http://127.0.0.1:PORT, without a
	// trailing slash. It stays the same across Stop and Start.
	URL string

	bin  string
	dir  string // config, storage/ and the log
	addr string // 127.0.0.1:PORT
	cmd  *exec.Cmd
	done chan struct{} // closed when cmd has exited
}

// Bin returns the path of the Alertmanager binary: Debian's
// prometheus-alertmanager, else alertmanager.
func Bin() (string, error) {
	for _, name := range []string{"prometheus-alertmanager", "alertmanager"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", ErrNoAlertmanager
}

// New starts a server for a test and stops it (removing its files) when
// the test ends. Without a binary the test is skipped, unless CI=true,
// where it fails: CI installs the binary (scripts/test.sh).
func New(tb testing.TB) *Server {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := Start(ctx)
	if errors.Is(err, ErrNoAlertmanager) && os.Getenv("CI") != "true" {
		tb.Skip(err)
	}
	if err != nil {
		tb.Fatalf("amtest: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("amtest: close: %v", err)
		}
	})
	return s
}

// Start writes a configuration to a new temporary directory and starts a
// server on a free loopback port, waiting until it is ready. Close it with
// Close.
func Start(ctx context.Context) (*Server, error) {
	bin, err := Bin()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "beianwatch-amtest-")
	if err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(dir, "alertmanager.yml"), []byte(config), 0o600); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	s := &Server{bin: bin, dir: dir, addr: fmt.Sprintf("127.0.0.1:%d", port)}
	s.URL = "http://" + s.addr
	if err := s.Start(ctx); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

// Start starts a stopped server again on the same port with the same
// storage directory and waits until it is ready.
func (s *Server) Start(ctx context.Context) error {
	if s.cmd != nil {
		return errors.New("amtest: already running")
	}
	logf, err := os.OpenFile(s.logPath(), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	defer logf.Close() // the child holds its own descriptor
	cmd := exec.Command(s.bin,
		"--config.file="+filepath.Join(s.dir, "alertmanager.yml"),
		"--storage.path="+filepath.Join(s.dir, "storage"),
		"--web.listen-address="+s.addr,
		// An empty address turns the gossip cluster off: no port 9094, no
		// waiting for peers before notifying.
		"--cluster.listen-address=",
		"--log.level=debug",
	)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("amtest: start %s: %w", s.bin, err)
	}
	s.cmd, s.done = cmd, make(chan struct{})
	go func() { cmd.Wait(); close(s.done) }()
	if err := s.waitReady(ctx); err != nil {
		s.Stop()
		return fmt.Errorf("%w\nlog:\n%s", err, s.Log())
	}
	return nil
}

// waitReady polls /-/ready until it answers 200, the process exits or ctx
// ends.
func (s *Server) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	client := &http.Client{Timeout: time.Second}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+"/-/ready", nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-s.done:
			return errors.New("amtest: alertmanager exited before it was ready")
		case <-ctx.Done():
			return fmt.Errorf("amtest: alertmanager not ready: %w", ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// Stop stops the server (SIGTERM, then SIGKILL after 10 s) and keeps its
// files, so Start can bring it back.
func (s *Server) Stop() error {
	if s.cmd == nil {
		return nil
	}
	cmd := s.cmd
	s.cmd = nil
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
		return nil
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-s.done
		return errors.New("amtest: alertmanager ignored SIGTERM for 10s; killed")
	}
}

// Close stops the server and removes its files.
func (s *Server) Close() error {
	err := s.Stop()
	return errors.Join(err, os.RemoveAll(s.dir))
}

// Log returns the server's log so far, for a failing test to show.
func (s *Server) Log() string {
	b, _ := os.ReadFile(s.logPath())
	return string(b)
}

func (s *Server) logPath() string { return filepath.Join(s.dir, "alertmanager.log") }

// freePort asks the kernel for a loopback port nothing listens on. Another
// process could take it before the server binds it; on loopback in a test
// that race is rare enough.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
