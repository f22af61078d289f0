package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/internal/farm"
	"github.com/beianwatch/beianwatch/registry"
)

// serveRun is what one `serve --once` cycle cost, from the kernel's
// accounting of the child process.
type serveRun struct {
	wall    time.Duration
	cpu     time.Duration // user + system
	maxRSS  float64       // bytes
	summary string        // serve's own summary line
}

func (s serveRun) rate(n int) float64 { return float64(n) / s.wall.Seconds() }

// serve runs one cycle as a child process, with extra flags; its log goes
// to name.log in the work directory.
func (b *bench) serve(ctx context.Context, dsn string, f *farm.Farm, name string, extra []string) (serveRun, error) {
	args := []string{"serve", "--once", "--db", dsn, "--allow-private", "--no-migrate", "--log-level", "warn"}
	if b.o.concurrency > 0 {
		args = append(args, "--concurrency", strconv.Itoa(b.o.concurrency))
	}
	for _, r := range f.Resolve() {
		args = append(args, "--resolve", r)
	}
	args = append(args, extra...)
	args = append(args, strings.Fields(b.o.serveArgs)...)
	argv := append(strings.Fields(b.o.wrap), b.bin)
	logName := filepath.Join(b.dir, name+".log")
	logFile, err := os.Create(logName)
	if err != nil {
		return serveRun{}, err
	}
	defer logFile.Close()
	var stdout bytes.Buffer
	cmd := exec.CommandContext(ctx, argv[0], append(argv[1:], args...)...)
	cmd.Stdout, cmd.Stderr, cmd.Env = &stdout, logFile, b.childEnv()
	start := time.Now()
	err = cmd.Run()
	r := serveRun{wall: time.Since(start), summary: strings.TrimSpace(stdout.String())}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.cpu = time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
		r.maxRSS = float64(ru.Maxrss) * 1024 // Linux reports KiB
	}
	if err != nil {
		log, _ := os.ReadFile(logName)
		return r, fmt.Errorf("serve: %v\n%s", err, tail(string(log), 20))
	}
	return r, nil
}

// verifyResult counts stored verdicts against the farm's known answers.
type verifyResult struct {
	right, wrong, unchecked int
}

// verify reads every site's current state: its verdict and error codes
// must be the farm's.
func verify(ctx context.Context, dsn string, f *farm.Farm) (verifyResult, error) {
	var v verifyResult
	st, err := registry.Open(ctx, dsn, nil, prometheus.NewRegistry())
	if err != nil {
		return v, err
	}
	defer st.Close()
	err = st.ListSites(ctx, registry.SiteFilter{}, func(s *registry.Site, state *registry.State) error {
		i, ok := farm.Index(s.Domains[0].ASCII)
		if !ok {
			return fmt.Errorf("site %d: %s is not a farm domain", s.ID, s.Domains[0].ASCII)
		}
		want := f.Site(i)
		switch {
		case state.LastCheckAt.IsZero():
			v.unchecked++
		case state.Verdict == want.WantVerdict && slices.Equal(errorCodes(state.Findings), want.WantErrors):
			v.right++
		default:
			v.wrong++
		}
		return nil
	})
	return v, err
}

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
