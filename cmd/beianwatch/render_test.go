package main

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/internal/chromium"
)

// scriptFooter is a page whose footer a script writes.
const scriptFooter = `<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>页脚</title></head>
<body><div id="app"></div><script src="/app.js"></script></body></html>`

const scriptFooterJS = `document.getElementById("app").innerHTML = '<footer>' +
  '<a href="https://beian.miit.gov.cn/">鲁ICP备2022031907号-1</a> ' +
  '<a href="https://beian.mps.gov.cn/#/query/webSearch?code=37010202002316"><img src="/b.png">鲁公网安备37010202002316号</a></footer>';`

// TestCheckRender checks a page drawn by script with --render auto and
// never, and that no browser process outlives the command.
func TestCheckRender(t *testing.T) {
	if _, err := chromium.Find(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and %v", err)
		}
		t.Skip(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Skip(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/app.js" {
			w.Header().Set("Content-Type", "text/javascript")
			w.Write([]byte(scriptFooterJS))
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(scriptFooter))
	}))
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	defer srv.Close()

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
			res := runInProcess(t, "check", "--no-db", "--json", "--allow-cidr", "127.0.0.2/32", "--render", tt.render, srv.URL+"/")
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
