package deploy

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// repoRoot is the product module's root: this module lives in its deploy/.
const repoRoot = ".."

// onCI reports whether the test runs under CI, where a missing tool is a
// failure instead of a skip (scripts/test.sh installs them there).
func onCI() bool { return os.Getenv("CI") == "true" }

// lookTool finds an external program, or skips the test (fails it on CI)
// with the Debian package that provides it.
func lookTool(t *testing.T, name, debianPackage string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	msg := fmt.Sprintf("%s not found (apt-get install %s; scripts/test.sh does under CI=true)", name, debianPackage)
	if onCI() {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// buildBeianwatch builds the program from the work tree into a temporary
// directory and returns the binary's path. The build cache makes every
// build after the first a link. BEIANWATCH_TEST_BIN names a binary to use
// instead (one built once for the whole run, or from another tree).
func buildBeianwatch(t *testing.T) string {
	t.Helper()
	if bin := os.Getenv("BEIANWATCH_TEST_BIN"); bin != "" {
		return bin
	}
	bin := filepath.Join(t.TempDir(), "beianwatch")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/beianwatch")
	cmd.Dir = repoRoot
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/beianwatch: %v\n%s", err, out)
	}
	return bin
}

// runBeianwatch runs the binary to completion with the given environment
// (added to a clean one) and returns stdout; a non-zero exit fails the test.
func runBeianwatch(t *testing.T, bin string, env map[string]string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = cleanEnv(env)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("beianwatch %s: %v\nstderr:\n%s", strings.Join(args, " "), err, stderr.String())
	}
	return stdout.String()
}

// cleanEnv is PATH and HOME plus env: the caller's BEIANWATCH_* variables
// must not leak into a test of what a deployment file sets.
func cleanEnv(env map[string]string) []string {
	out := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")}
	keys := make([]string, 0, len(env))
	for k := range env {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		out = append(out, k+"="+env[k])
	}
	return out
}

// effectiveConfig runs `serve --print-config` with the arguments and
// environment a deployment file gives the daemon, which fails on any flag,
// variable value or config key serve does not accept, and returns the
// settings it would run with.
func effectiveConfig(t *testing.T, bin string, env map[string]string, args ...string) map[string]any {
	t.Helper()
	out := runBeianwatch(t, bin, env, append(args, "--print-config")...)
	var settings map[string]any
	if err := yaml.Unmarshal([]byte(out), &settings); err != nil {
		t.Fatalf("--print-config printed no YAML: %v\n%s", err, out)
	}
	return settings
}

// freePort returns a loopback TCP port nothing listens on (for programs
// that take a port, not a listener).
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// waitFor polls cond until it returns nil or the timeout passes, and
// returns its last error.
func waitFor(timeout time.Duration, cond func() error) error {
	deadline := time.Now().Add(timeout)
	for {
		err := cond()
		if err == nil || time.Now().After(deadline) {
			return err
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// httpOK is a waitFor condition: url answers 200.
func httpOK(url string) func() error {
	return func() error {
		resp, err := http.Get(url)
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return errors.New(url + ": " + resp.Status)
		}
		return nil
	}
}

// startProcess starts a long-running program whose output goes to a file in
// a temporary directory; the test's cleanup kills it and, if the test
// failed, prints the output's tail.
func startProcess(t *testing.T, name string, cmd *exec.Cmd) {
	t.Helper()
	logPath := filepath.Join(t.TempDir(), name+".log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		logFile.Close()
		if t.Failed() {
			out, _ := os.ReadFile(logPath)
			if len(out) > 4000 {
				out = out[len(out)-4000:]
			}
			t.Logf("%s output (tail):\n%s", name, out)
		}
	})
}

// readYAMLDocs reads every document of a (multi-document) YAML file, each
// re-encoded on its own for a typed decoder.
func readYAMLDocs(t *testing.T, path string) [][]byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	var docs [][]byte
	for {
		var n yaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			return docs
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		b, err := yaml.Marshal(&n)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		docs = append(docs, b)
	}
}
