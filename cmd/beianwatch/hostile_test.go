package main

import (
	"bytes"
	"compress/flate"
	"database/sql"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/beianwatch/beianwatch/cases"
	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/internal/pgtest"
	"github.com/beianwatch/beianwatch/registry"
)

// TestCheckRefusesEmbeddedIPv4 proves that an IPv6 address carrying a
// loopback IPv4 address is judged as loopback: given directly, through a
// resolve pin, through a redirect and as a registry check_url. None of
// these addresses needs to be reachable: the refusal comes before the
// connection, and the message names the embedded range.
func TestCheckRefusesEmbeddedIPv4(t *testing.T) {
	t.Parallel()
	site := newSite(t)
	port := mustURL(t, site.URL).Port()
	// A redirect from the allowed 127.0.0.1 to 127.0.0.2 in disguise: with
	// only 127.0.0.1/32 allowed, the embedded 127.0.0.2 must stay refused.
	redirector := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://[64:ff9b:1::7f00:2]:"+port+"/", http.StatusFound)
	}))
	t.Cleanup(redirector.Close)

	tests := []struct {
		name string
		args []string
		err  string
	}{
		{"IPv4-translated literal", []string{"http://[::ffff:0:7f00:1]:" + port + "/"}, "IPv4-translated of loopback address is blocked"},
		{"local-use NAT64 literal", []string{"http://[64:ff9b:1::7f00:1]:" + port + "/"}, "local-use NAT64 of loopback address is blocked"},
		{"IPv4-compatible literal", []string{"http://[::7f00:1]:" + port + "/"}, "IPv4-compatible of loopback address is blocked"},
		{"Teredo literal", []string{"http://[2001:0:4136:e378:8000:63bf:80ff:fffe]:" + port + "/"}, "Teredo of loopback address is blocked"},
		{"resolve pin", []string{"--resolve", "example.test:[::ffff:0:7f00:1]:" + port, "http://example.test/"}, "example.test (::ffff:0:7f00:1): IPv4-translated of loopback"},
		{"resolve pin metadata with allow-private", []string{"--allow-private", "--resolve", "example.test:64:ff9b:1::a9fe:a9fe", "http://example.test/"}, "local-use NAT64 of cloud metadata"},
		{"redirect", []string{"--allow-cidr", "127.0.0.1/32", redirector.URL + "/"}, "local-use NAT64 of loopback address is blocked"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := runInProcess(t, append([]string{"check", "--json"}, tt.args...)...)
			if res.code != 2 {
				t.Errorf("exit status = %d, want 2\nstdout: %s\nstderr: %s", res.code, res.stdout, res.stderr)
			}
			rs := reports(t, res.stdout)
			if len(rs) != 1 || !strings.Contains(rs[0].Error, tt.err) {
				t.Fatalf("reports = %+v, want one with error containing %q", rs, tt.err)
			}
		})
	}

	t.Run("registry check_url", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		csv := filepath.Join(dir, "sites.csv")
		body := "domains,check_url\nexample.test,http://[::ffff:0:7f00:1]:" + port + "/\n"
		if err := os.WriteFile(csv, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		dbPath := filepath.Join(dir, "registry.db")
		dsn := "sqlite://" + dbPath
		mustRun(t, 0, "import", "--db", dsn, csv)
		mustRun(t, 0, "serve", "--once", "--db", dsn)
		db, err := sql.Open("sqlite", dbPath)
		if err != nil {
			t.Fatal(err)
		}
		defer db.Close()
		var verdict, msg string
		if err := db.QueryRow(`SELECT verdict, error FROM check_results`).Scan(&verdict, &msg); err != nil {
			t.Fatal(err)
		}
		if verdict != "error" || !strings.Contains(msg, "IPv4-translated of loopback address is blocked") {
			t.Errorf("stored result = %s %q, want error naming the IPv4-translated loopback", verdict, msg)
		}
	})
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// stackedDeflate returns page deflated n times over, with stored blocks:
// a few bytes a layer, so 8,000 layers make a body of about 40 KB.
func stackedDeflate(t *testing.T, page []byte, n int) []byte {
	t.Helper()
	for range n {
		var buf bytes.Buffer
		zw, err := flate.NewWriter(&buf, flate.NoCompression)
		if err != nil {
			t.Fatal(err)
		}
		zw.Write(page)
		zw.Close()
		page = buf.Bytes()
	}
	return page
}

// TestBinaryStackedEncodings runs the real program against a server that
// stacks 8,000 deflate layers, and checks that it fails at once, clearly,
// without the memory each layer's decoder would cost (280 MB before
// stacked encodings were refused).
func TestBinaryStackedEncodings(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	const layers = 8000
	body := stackedDeflate(t, []byte("<p>京ICP备2021034567号-1</p>"), layers)
	coding := strings.TrimSuffix(strings.Repeat("deflate, ", layers), ", ")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Encoding", coding)
		w.Write(body)
	}))
	t.Cleanup(srv.Close)

	bin := programBinary(t, false)
	site := newSite(t)
	_, _, _, baseRSS := runMeasured(t, bin, "check", "--json", "--allow-private", site.URL+"/")
	code, stdout, elapsed, rss := runMeasured(t, bin, "check", "--json", "--allow-private", srv.URL+"/")
	if code != 2 {
		t.Errorf("exit status = %d, want 2\nstdout: %s", code, stdout)
	}
	if want := "8000 stacked content encodings (at most 2 accepted)"; !strings.Contains(stdout, want) {
		t.Errorf("stdout = %q, want it to contain %q", stdout, want)
	}
	if elapsed > 5*time.Second {
		t.Errorf("check took %v, want a prompt refusal", elapsed)
	}
	// Compared with checking a plain page, because Linux starts a child's
	// peak RSS at its parent's (this test process's) when it execs.
	if growth := rss - baseRSS; growth > 32<<20 {
		t.Errorf("peak RSS = %d MiB, %d MiB more than for a plain page; want under 32 MiB more", rss>>20, growth>>20)
	}
	t.Logf("8000 deflate layers: %v, peak RSS %.1f MiB (plain page: %.1f MiB)", elapsed, float64(rss)/(1<<20), float64(baseRSS)/(1<<20))
}

// runMeasured runs bin with args and returns its exit status, stdout, run
// time and peak RSS in bytes.
func runMeasured(t *testing.T, bin string, args ...string) (code int, stdout string, elapsed time.Duration, rss int64) {
	t.Helper()
	var out, stderr bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &stderr
	start := time.Now()
	err := cmd.Run()
	elapsed = time.Since(start)
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("run: %v", err)
	}
	// Maxrss is in KiB on Linux.
	rss = int64(cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss) << 10
	return cmd.ProcessState.ExitCode(), out.String(), elapsed, rss
}

// TestPrintConfigMasksCredentials: every URL-valued setting shows where it
// points but not its password or token, whether it came from a flag, the
// environment or the file; and so does a DSN's sslpassword.
func TestPrintConfigMasksCredentials(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "serve.yaml")
	yaml := "db: postgres://bw:dbpa55@db.internal/bw?sslmode=verify-full&sslpassword=k3ypa55\n" +
		"cases:\n  escalation:\n    url: https://ops:filepa55@cp.example.cn/block?token=FILET0K\n" +
		"alerts:\n  receivers:\n    - name: hook\n      type: webhook\n      url: https://hooks.example.cn/in?access_token=HOOKT0K\n  default_receivers: [hook]\n"
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"file", nil, nil, "https://ops:xxxxx@cp.example.cn/block?token=xxxxx"},
		{"environment", map[string]string{"BEIANWATCH_ESCALATION_URL": "https://ops:envpa55@cp.example.cn/block?sign=ENVT0K"}, nil, "https://ops:xxxxx@cp.example.cn/block?sign=xxxxx"},
		{"flag", nil, []string{"--escalation-url", "https://ops:flagpa55@cp.example.cn/block?key=FLAGT0K&region=bj"}, "https://ops:xxxxx@cp.example.cn/block?key=xxxxx&region=bj"},
	}
	secrets := []string{"dbpa55", "k3ypa55", "filepa55", "FILET0K", "HOOKT0K", "envpa55", "ENVT0K", "flagpa55", "FLAGT0K"}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			res := runInProcess(t, append([]string{"serve", "--config", file, "--print-config"}, tt.args...)...)
			if res.code != 0 {
				t.Fatalf("serve --print-config = %d, stderr %q", res.code, res.stderr)
			}
			for _, want := range []string{tt.want, "sslmode=verify-full&sslpassword=xxxxx", "access_token=xxxxx"} {
				if !strings.Contains(res.stdout, want) {
					t.Errorf("--print-config lacks %q:\n%s", want, res.stdout)
				}
			}
			for _, s := range secrets {
				if strings.Contains(res.stdout, s) {
					t.Errorf("--print-config shows %q:\n%s", s, res.stdout)
				}
			}
		})
	}
}

// TestImportControlCharacters: a NUL, which PostgreSQL cannot store, and
// terminal escapes are refused with their line and column, and --partial
// imports the rest, on both engines.
func TestImportControlCharacters(t *testing.T) {
	file := filepath.Join(t.TempDir(), "sites.csv")
	data := "domains,site_name,customer_id\n" +
		"good.example.cn,\"Good\tsite\",c1\n" +
		"nul.example.cn,Nul\x00site,c2\n" +
		"esc.example.cn,\x1b[2J\x1b]0;owned\x07,c3\n" +
		"tab.example.cn,Tab,c\t4\n"
	if err := os.WriteFile(file, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	wantErr := file + ":3: site_name: control character U+0000 at character 4\n" +
		file + ":4: site_name: control character U+001B at character 1\n" +
		file + ":5: customer_id: control character U+0009 at character 2; tabs and line breaks belong only in free-text columns\n"
	for _, engine := range []struct {
		name string
		dsn  func(*testing.T) string
	}{{"sqlite", func(t *testing.T) string { return pgtest.SQLiteDSN(t) }}, {"postgres", func(t *testing.T) string { return pgtest.SchemaDSN(t) }}} {
		t.Run(engine.name, func(t *testing.T) {
			dsn := engine.dsn(t)
			r := mustRun(t, 1, "import", "--db", dsn, file)
			if !strings.HasPrefix(r.stderr, wantErr) || !strings.Contains(r.stderr, "nothing imported") {
				t.Errorf("stderr = %q, want %q and nothing imported", r.stderr, wantErr)
			}
			r = mustRun(t, 0, "import", "--db", dsn, "--partial", file)
			if want := "inserted 1, updated 0, unchanged 0, rejected 3, warnings 0\n"; r.stdout != want {
				t.Errorf("summary = %q, want %q\nstderr: %s", r.stdout, want, r.stderr)
			}
			if diff := cmp.Diff([]string{"good.example.cn"}, exported(t, dsn)); diff != "" {
				t.Errorf("sites (-want +got):\n%s", diff)
			}
			r = mustRun(t, 0, "sites", "show", "--db", dsn, "good.example.cn")
			if !strings.Contains(r.stdout, `Good\tsite`) {
				t.Errorf("sites show = %q, want the tab escaped", r.stdout)
			}
		})
	}
}

// TestViewsEscapeControlCharacters: text stored before imports refused
// control characters, or that came from a page or a webhook's answer,
// cannot drive the terminal through the human views.
func TestViewsEscapeControlCharacters(t *testing.T) {
	const evil = "x\x1b[2J\x1b]0;owned\x07\nVerdict        pass\u009b"
	s := &registry.Site{ID: 1, Name: evil, Domains: []registry.Domain{{ASCII: "a.cn", Unicode: "a.cn"}},
		CustomerID: evil, Registrar: evil, Tags: []string{evil}}
	st := &registry.State{Findings: []checker.Finding{{Code: "X", Severity: checker.SeverityError, Message: evil}}}
	rs := []registry.Result{{FinalURL: evil, Error: evil}}
	c := cases.Case{ID: 1, Domain: evil, Notes: evil, URLs: []string{evil}, Reporter: evil, EscalationResponse: evil}
	history := []cases.Transition{{To: cases.Open, Actor: evil, Reason: evil}}
	vs := []cases.Verification{{URL: evil, Error: evil}}
	for name, out := range map[string]string{
		"sites show": siteText(s, st, rs, historySince(rs)),
		"sites list": listRow("1", "pass", "-", evil, evil, evil),
		"case show":  caseText(c, history, vs),
		"case list":  caseRow("1", "open", "takedown", evil, "-", evil),
	} {
		if strings.ContainsFunc(out, func(r rune) bool { return r != '\n' && isControl(r) }) {
			t.Errorf("%s shows a control character: %q", name, out)
		}
		if !strings.Contains(out, `x\x1b[2J\x1b]0;owned\a\nVerdict        pass\u009b`) {
			t.Errorf("%s = %q, want the text escaped", name, out)
		}
	}
}
