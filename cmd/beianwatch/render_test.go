package main

import (
	"bytes"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/internal/chromium"
	"github.com/beianwatch/beianwatch/internal/chromium/chromiumtest"
)

// scriptFooter is a page whose footer a script writes.
const scriptFooter = `<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>页脚</title></head>
<body><div id="app"></div><script src="/app.js"></script></body></html>`

const scriptFooterJS = `document.getElementById("app").innerHTML = '<footer>' +
  '<a href="https://beian.miit.gov.cn/">鲁ICP备2022031907号-1</a> ' +
  '<a href="https://beian.mps.gov.cn/#/query/webSearch?code=37010202002316"><img src="/b.png">鲁公网安备37010202002316号</a></footer>';`

// failingFooterJS writes a footer whose PSB number has no badge icon: a
// failing rendered page.
const failingFooterJS = `document.getElementById("app").innerHTML = '<footer>' +
  '<a href="https://beian.miit.gov.cn/">鲁ICP备2022031907号-1</a> ' +
  '<a href="https://beian.mps.gov.cn/#/query/webSearch?code=37010202002316">鲁公网安备37010202002316号</a></footer>';`

// scriptSite serves a page whose footer /app.js writes, on 127.0.0.2 (a
// loopback address of its own, which --allow-cidr opens alone).
func scriptSite(t *testing.T, js string) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skip(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/app.js" {
			w.Header().Set("Content-Type", "text/javascript")
			w.Write([]byte(js))
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(scriptFooter))
	}))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return srv.URL
}

// TestCheckRender checks a page drawn by script with --render auto and
// never, and that no browser process outlives the command.
func TestCheckRender(t *testing.T) {
	chromiumtest.Need(t)
	site := scriptSite(t, scriptFooterJS)

	tests := []struct {
		render   string
		code     int
		verdict  checker.Verdict
		rendered bool
	}{
		{"never", exitTrouble, checker.VerdictError, false},
		{"auto", exitOK, checker.VerdictPass, true},
	}
	for _, tt := range tests {
		t.Run(tt.render, func(t *testing.T) {
			res := runInProcess(t, "check", "--no-db", "--json", "--allow-cidr", "127.0.0.2/32", "--render", tt.render, site+"/")
			var r checker.Report
			if err := json.Unmarshal([]byte(res.stdout), &r); err != nil {
				t.Fatalf("output %q: %v (stderr %s)", res.stdout, err, res.stderr)
			}
			if res.code != tt.code || r.Verdict != tt.verdict || r.Rendered != tt.rendered {
				t.Errorf("--render %s: exit %d, verdict %s, rendered %v; want %d, %s, %v (error %q)", tt.render, res.code, r.Verdict, r.Rendered, tt.code, tt.verdict, tt.rendered, r.Error)
			}
			if got := strings.Contains(res.stdout, `"rendered":true`); got != tt.rendered {
				t.Errorf(`"rendered":true in the JSON = %v, want %v`, got, tt.rendered)
			}
			if pids := chromium.Processes(os.Getpid()); len(pids) > 0 {
				t.Errorf("browser processes left after check: %v", pids)
			}
		})
	}
}

// TestServeRender runs the built program: serve --once renders a failing
// page drawn by script and keeps its screenshot, which sites show
// exports; then a serve killed with SIGKILL while its browser runs leaves
// processes that the next serve sweeps away at start-up.
func TestServeRender(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	chromiumtest.Need(t)
	site := scriptSite(t, failingFooterJS)
	dir := t.TempDir()
	bin := programBinary(t, false)
	dsn := "sqlite://" + filepath.Join(dir, "r.db")
	csv := filepath.Join(dir, "sites.csv")
	if err := os.WriteFile(csv, []byte("domains,check_url\nscript.test,"+site+"/\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.Command(bin, append(args, "--db", dsn)...).CombinedOutput()
		if err != nil {
			t.Fatalf("beianwatch %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	serveArgs := []string{"serve", "--db", dsn, "--allow-cidr", "127.0.0.2/32", "--listen", ""}
	run("import", csv)

	once := exec.Command(bin, append(serveArgs, "--once")...)
	if out, err := once.CombinedOutput(); err != nil {
		t.Fatalf("serve --once: %v\n%s", err, out)
	}
	if pids := chromium.Processes(once.Process.Pid); len(pids) > 0 {
		t.Errorf("browser processes left after serve --once: %v", pids)
	}
	if out := run("sites", "show", "script.test"); !strings.Contains(out, "Screenshot of check") {
		t.Errorf("sites show says nothing of a screenshot:\n%s", out)
	}
	png := filepath.Join(dir, "footer.png")
	run("sites", "show", "script.test", "--screenshot", png)
	if b, err := os.ReadFile(png); err != nil || !bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")) {
		t.Errorf("--screenshot wrote %d bytes (%v), want a PNG", len(b), err)
	}

	// A serve whose browser is up, killed without a chance to clean up.
	run("sites", "recheck", "--all")
	first := exec.Command(bin, serveArgs...)
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, time.Minute, "the first serve's browser", func() bool { return len(chromium.Processes(first.Process.Pid)) > 0 })
	if err := first.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = first.Wait()
	t.Logf("browser processes alive right after SIGKILL: %d", len(chromium.Processes(first.Process.Pid)))

	second := exec.Command(bin, serveArgs...)
	var stderr bytes.Buffer
	second.Stderr = &stderr
	if err := second.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = second.Process.Signal(syscall.SIGTERM)
		_ = second.Wait()
		if pids := chromium.Processes(second.Process.Pid); len(pids) > 0 {
			t.Errorf("browser processes left after serve exited on SIGTERM: %v", pids)
		}
	}()
	waitFor(t, time.Minute, "the first serve's browser processes to be gone", func() bool { return len(chromium.Processes(first.Process.Pid)) == 0 })
}
