package daemon

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/crawler"
	"github.com/beianwatch/beianwatch/internal/chromium/chromiumtest"
	"github.com/beianwatch/beianwatch/registry"
	"github.com/beianwatch/beianwatch/registry/registrytest"
)

// scriptPage is a page whose footer /app.js writes: the static check
// cannot judge it (PAGE_SCRIPT_RENDERED), the browser can.
const (
	scriptPage = `<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>页脚</title></head>
<body><div id="app"></div><script src="/app.js"></script></body></html>`
	scriptPageJS = `document.getElementById("app").innerHTML = '<footer>' +
  '<a href="https://beian.miit.gov.cn/">鲁ICP备2022031907号-1</a> ' +
  '<a href="https://beian.mps.gov.cn/#/query/webSearch?code=37010202002316"><img src="/b.png">鲁公网安备37010202002316号</a></footer>';`
)

// TestOnDemandChecksRender: the checks someone asks for (the API's, the
// console's "check now", /probe) render a page drawn by script as the
// crawl does, instead of leaving it an error.
func TestOnDemandChecksRender(t *testing.T) {
	chromiumtest.Need(t)
	ctx := context.Background()
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/app.js" {
			w.Header().Set("Content-Type", "text/javascript")
			io.WriteString(w, scriptPageJS)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, scriptPage)
	}))
	t.Cleanup(site.Close)
	opts := testOptions(t)
	opts.Listen = "127.0.0.1:0"
	opts.Render = crawler.RenderAuto
	rs, err := crawler.ParseResolve("script.test:" + site.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	opts.Fetch.Resolve = append(opts.Fetch.Resolve, rs)
	st := registrytest.Open(t, opts.DSN, nil)
	s := filedSite(t, "script.test", "鲁ICP备2022031907号-1", "37010202002316")
	if _, err := st.UpsertSites(ctx, []registry.Site{s}); err != nil {
		t.Fatal(err)
	}
	token, _, err := st.CreateToken(ctx, "ops", []string{"write", "read", "probe"}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	d, _ := mustRunDaemon(t, opts)
	waitReady(t, d)
	code, body := apiCall(t, d, token, http.MethodPost, "/api/v1/checks", `{"target":"script.test"}`)
	var r checker.Report
	if err := json.Unmarshal([]byte(body), &r); err != nil || code != http.StatusOK {
		t.Fatalf("POST /api/v1/checks = %d %s (%v)", code, body, err)
	}
	if r.Verdict != checker.VerdictPass || !r.Rendered {
		t.Errorf("the API's check of a page drawn by script: verdict %s, rendered %v, error %q; want pass, rendered", r.Verdict, r.Rendered, r.Error)
	}
	got, _, err := st.SiteByDomain(ctx, "script.test")
	if err != nil {
		t.Fatal(err)
	}
	stored, err := st.Results(ctx, got.ID, 1)
	if err != nil || len(stored) != 1 || !stored[0].Rendered || stored[0].Verdict != checker.VerdictPass {
		t.Errorf("stored result of the API's check: %+v (%v); want one, pass and rendered", stored, err)
	}

	code, body = apiCall(t, d, token, http.MethodGet, "/probe?target=script.test", "")
	if code != http.StatusOK || !strings.Contains(body, "beianwatch_probe_success 1") {
		t.Errorf("/probe of a page drawn by script = %d:\n%s\nwant success", code, body)
	}
}

// apiCall sends an authenticated request to the daemon's HTTP server and
// returns the status and the body.
func apiCall(t *testing.T, d *Daemon, token, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, "http://"+d.Addr().String()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}
