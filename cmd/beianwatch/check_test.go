package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/beianwatch/beianwatch/checker"
)

// newSite serves the fixture pages, and the misbehaving endpoints the tests
// need, on 127.0.0.1.
func newSite(t *testing.T) *httptest.Server {
	t.Helper()
	compliant := readFile(t, "testdata/site/compliant.html")
	gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes(compliant)
	if err != nil {
		t.Fatal(err)
	}
	var bomb bytes.Buffer
	zw := gzip.NewWriter(&bomb)
	zw.Write(bytes.Repeat([]byte("<p>京ICP备2021034567号-1</p>"), 40000)) // about 1.3 MB decoded
	zw.Close()

	html := func(body []byte, charset string) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset="+charset)
			w.Write(body)
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/{$}", html(compliant, "utf-8"))
	mux.HandleFunc("/gbk", html(gbk, "gbk"))
	mux.HandleFunc("/no-icp", html(readFile(t, "testdata/site/no-icp.html"), "utf-8"))
	mux.HandleFunc("/delayed", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(200 * time.Millisecond)
		html(compliant, "utf-8")(w, r)
	})
	mux.HandleFunc("/loop", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop2", http.StatusFound) })
	mux.HandleFunc("/loop2", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/loop", http.StatusFound) })
	mux.HandleFunc("/slow", func(_ http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	mux.HandleFunc("/bomb", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Content-Encoding", "gzip")
		w.Write(bomb.Bytes())
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// result is what one run of the program did.
type result struct {
	code           int
	stdout, stderr string
}

// runInProcess runs the program as main would, without a process.
func runInProcess(t *testing.T, args ...string) result {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), withTestKeyFile(t, args), &stdout, &stderr)
	return result{code, stdout.String(), stderr.String()}
}

// contractFields are the keys of a JSON report: the --json contract.
var contractFields = []string{"target", "url", "http_status", "checked_at", "encoding", "verdict", "icp", "psb", "deadlines", "findings", "error", "policy"}

// reports parses --json output, checking that every line is one report
// with exactly the contract's keys.
func reports(t *testing.T, stdout string) []checker.Report {
	t.Helper()
	var out []checker.Report
	for line := range strings.Lines(stdout) {
		var keys map[string]json.RawMessage
		if err := json.Unmarshal([]byte(line), &keys); err != nil {
			t.Fatalf("output line %q is not a JSON object: %v", line, err)
		}
		var got []string
		for k := range keys {
			got = append(got, k)
		}
		slices.Sort(got)
		want := slices.Sorted(slices.Values(contractFields))
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("JSON report keys mismatch (-want +got):\n%s", diff)
		}
		var r checker.Report
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("output line %q: %v", line, err)
		}
		out = append(out, r)
	}
	return out
}

// codes lists a report's finding codes.
func codes(r checker.Report) []string {
	var out []string
	for _, f := range r.Findings {
		out = append(out, f.Code)
	}
	return out
}

func TestCheckJSON(t *testing.T) {
	site := newSite(t)
	u, _ := url.Parse(site.URL)
	tests := []struct {
		name     string
		args     []string
		code     int
		verdict  checker.Verdict
		url      string // final URL; "" to skip
		encoding string // "" to skip
		icp, psb string // numbers expected first on the page; "" for none
		finding  string // a finding code expected; "" for none
		errText  string // expected in Report.Error; "" for no error
	}{
		{
			name: "compliant utf-8", args: []string{"--allow-private", site.URL + "/"},
			code: 0, verdict: checker.VerdictPass, url: site.URL + "/", encoding: "utf-8",
			icp: "京ICP备2021034567号-1", psb: "11010502045678",
		},
		{
			name: "compliant gbk", args: []string{"--allow-private", site.URL + "/gbk"},
			code: 0, verdict: checker.VerdictPass, encoding: "gbk",
			icp: "京ICP备2021034567号-1", psb: "11010502045678",
		},
		{
			name: "allow-cidr", args: []string{"--allow-cidr", "10.0.0.0/8,127.0.0.0/8", site.URL + "/"},
			code: 0, verdict: checker.VerdictPass, icp: "京ICP备2021034567号-1", psb: "11010502045678",
		},
		{
			name: "expected numbers match", args: []string{"--allow-private", "--expect-icp", "京ICP备2021034567号-1", "--expect-psb", "11010502045678", site.URL + "/"},
			code: 0, verdict: checker.VerdictPass, icp: "京ICP备2021034567号-1", psb: "11010502045678",
		},
		{
			name: "missing ICP", args: []string{"--allow-private", site.URL + "/no-icp"},
			code: 1, verdict: checker.VerdictFail, psb: "11010502045678", finding: checker.CodeICPMissing,
		},
		{
			name: "expect-icp mismatch", args: []string{"--allow-private", "--expect-icp", "京ICP备2021099999号-1", site.URL + "/"},
			code: 1, verdict: checker.VerdictFail, icp: "京ICP备2021034567号-1", psb: "11010502045678", finding: checker.CodeICPMismatch,
		},
		{
			name: "bare domain falls back to http", args: []string{"--allow-private", "--resolve", "example.test:127.0.0.1:" + u.Port(), "example.test"},
			code: 0, verdict: checker.VerdictPass, url: "http://example.test/", icp: "京ICP备2021034567号-1", psb: "11010502045678", finding: checker.CodeHTTPSFailed,
		},
		{
			name: "redirect loop", args: []string{"--allow-private", site.URL + "/loop"},
			code: 2, verdict: checker.VerdictError, errText: "redirect loop",
		},
		{
			name: "timeout", args: []string{"--allow-private", "--timeout", "300ms", site.URL + "/slow"},
			code: 2, verdict: checker.VerdictError, errText: "timeout after 300ms",
		},
		{
			name: "gzip past max-body", args: []string{"--allow-private", "--max-body", "64KiB", site.URL + "/bomb"},
			code: 2, verdict: checker.VerdictError, url: site.URL + "/bomb", errText: "64 KiB limit",
		},
		{
			name: "loopback refused by default", args: []string{site.URL + "/"},
			code: 2, verdict: checker.VerdictError, errText: "loopback address is blocked",
		},
		{
			name: "loopback outside allow-cidr", args: []string{"--allow-cidr", "10.0.0.0/8", site.URL + "/"},
			code: 2, verdict: checker.VerdictError, errText: "loopback address is blocked",
		},
		{
			name: "odd IP spelling", args: []string{"--allow-private", "http://0x7f.1:" + u.Port() + "/"},
			code: 2, verdict: checker.VerdictError, errText: "non-standard spelling of IP address 127.0.0.1",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			res := runInProcess(t, append([]string{"check", "--json"}, tt.args...)...)
			if res.code != tt.code {
				t.Errorf("exit status = %d, want %d\nstdout: %s\nstderr: %s", res.code, tt.code, res.stdout, res.stderr)
			}
			rs := reports(t, res.stdout)
			if len(rs) != 1 {
				t.Fatalf("got %d reports, want 1:\n%s", len(rs), res.stdout)
			}
			r := rs[0]
			if r.Target != tt.args[len(tt.args)-1] || r.Verdict != tt.verdict {
				t.Errorf("report = target %q verdict %q, want %q %q (error %q, findings %v)", r.Target, r.Verdict, tt.args[len(tt.args)-1], tt.verdict, r.Error, codes(r))
			}
			if tt.url != "" && r.URL != tt.url {
				t.Errorf("url = %q, want %q", r.URL, tt.url)
			}
			if tt.encoding != "" && r.Encoding != tt.encoding {
				t.Errorf("encoding = %q, want %q", r.Encoding, tt.encoding)
			}
			if got := firstICP(r); got != tt.icp {
				t.Errorf("icp = %q, want %q", got, tt.icp)
			}
			if got := firstPSB(r); got != tt.psb {
				t.Errorf("psb = %q, want %q", got, tt.psb)
			}
			if tt.finding != "" && !r.Has(tt.finding) {
				t.Errorf("findings = %v, want %s", codes(r), tt.finding)
			}
			if !strings.Contains(r.Error, tt.errText) || (tt.errText == "") != (r.Error == "") {
				t.Errorf("error = %q, want it to contain %q", r.Error, tt.errText)
			}
		})
	}
}

func firstICP(r checker.Report) string {
	if len(r.ICP) == 0 {
		return ""
	}
	return r.ICP[0].Number
}

func firstPSB(r checker.Report) string {
	if len(r.PSB) == 0 {
		return ""
	}
	return r.PSB[0].Number
}

func TestCheckKeepsInputOrder(t *testing.T) {
	site := newSite(t)
	dir := t.TempDir()
	list := filepath.Join(dir, "targets.txt")
	content := "\ufeff# first the slow one\r\n" + site.URL + "/delayed\n\n   \n" + site.URL + "/no-icp\n  # indented comment\n" + site.URL + "/gbk\n"
	if err := os.WriteFile(list, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	res := runInProcess(t, "check", "--json", "--allow-private", "--concurrency", "3", "-f", list, site.URL+"/")
	if res.code != 1 {
		t.Errorf("exit status = %d, want 1 (one failure)\nstderr: %s", res.code, res.stderr)
	}
	var got []string
	for _, r := range reports(t, res.stdout) {
		got = append(got, r.Target)
	}
	want := []string{site.URL + "/", site.URL + "/delayed", site.URL + "/no-icp", site.URL + "/gbk"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("report order mismatch (-want +got):\n%s", diff)
	}
}

func TestCheckErrorWinsOverFail(t *testing.T) {
	site := newSite(t)
	res := runInProcess(t, "check", "--json", "--allow-private", site.URL+"/no-icp", site.URL+"/loop", site.URL+"/")
	if res.code != 2 {
		t.Errorf("exit status = %d, want 2", res.code)
	}
	var verdicts []checker.Verdict
	for _, r := range reports(t, res.stdout) {
		verdicts = append(verdicts, r.Verdict)
	}
	if diff := cmp.Diff([]checker.Verdict{checker.VerdictFail, checker.VerdictError, checker.VerdictPass}, verdicts); diff != "" {
		t.Errorf("verdicts mismatch (-want +got):\n%s", diff)
	}
}

func TestCheckHumanOutput(t *testing.T) {
	site := newSite(t)
	res := runInProcess(t, "check", "--allow-private", "--expect-icp", "京ICP备2021099999号-1", site.URL+"/", site.URL+"/loop")
	if res.code != 2 {
		t.Errorf("exit status = %d, want 2", res.code)
	}
	for _, want := range []string{
		site.URL + "/\n",
		"  URL:       " + site.URL + "/\n",
		"  HTTP:      200\n",
		"  Encoding:  utf-8\n",
		"  Verdict:   FAIL\n",
		"  ICP:       京ICP备2021034567号-1  (linked, visible)\n",
		"  PSB:       京公网安备11010502045678号  (linked: mps, icon, visible)\n",
		"  Deadlines: PSB filing ",
		"    ERROR ICP_MISMATCH the page shows ICP number 京ICP备2021034567号-1, the filing is 京ICP备2021099999号-1\n",
		"                       页面显示的 ICP 备案号为 京ICP备2021034567号-1,备案记录为 京ICP备2021099999号-1\n",
		"  Verdict:   ERROR\n",
		"  Error:     fetch " + site.URL + "/loop2: crawler: redirect loop",
	} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, res.stdout)
		}
	}
	if strings.Contains(res.stdout, "\x1b[") {
		t.Errorf("output to a non-terminal has colour codes:\n%q", res.stdout)
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name string
		args []string
		msg  string
	}{
		{"no targets", []string{"check"}, "no targets"},
		{"unknown flag", []string{"check", "--nope", "example.test"}, "unknown flag: --nope"},
		{"bad date", []string{"check", "--launched", "2024-13-01", "example.test"}, `invalid --launched "2024-13-01": want a date as YYYY-MM-DD`},
		{"bad approval date", []string{"check", "--psb-approved", "yesterday", "example.test"}, `invalid --psb-approved "yesterday"`},
		{"bad CIDR", []string{"check", "--allow-cidr", "127.0.0.0/8,10.0.0.0/33", "example.test"}, `invalid --allow-cidr "10.0.0.0/33"`},
		{"bad resolve", []string{"check", "--resolve", "example.test", "example.test"}, `invalid --resolve "example.test"`},
		{"bad resolve address", []string{"check", "--resolve", "example.test:localhost", "example.test"}, `invalid --resolve "example.test:localhost"`},
		{"bad max-body", []string{"check", "--max-body", "5 parsecs", "example.test"}, `unknown unit "parsecs"`},
		{"zero max-body", []string{"check", "--max-body", "0", "example.test"}, "must be positive"},
		{"bad timeout", []string{"check", "--timeout", "soon", "example.test"}, `invalid argument "soon" for "--timeout"`},
		{"zero timeout", []string{"check", "--timeout", "0s", "example.test"}, "invalid --timeout 0s"},
		{"zero concurrency", []string{"check", "--concurrency", "0", "example.test"}, "invalid --concurrency 0"},
		{"missing file", []string{"check", "-f", "testdata/does-not-exist.txt"}, "read targets"},
		{"bad log level", []string{"--log-level", "loud", "check", "example.test"}, `invalid --log-level "loud"`},
		{"unknown command", []string{"chekc", "example.test"}, `unknown command "chekc"`},
		{"unknown subcommand", []string{"keys", "rotat"}, `unknown command "rotat" for "beianwatch keys"`},
		{"unknown case subcommand", []string{"case", "opne"}, `unknown command "opne" for "beianwatch case"`},
		{"unknown token subcommand", []string{"token", "craete"}, `unknown command "craete" for "beianwatch token"`},
		{"unknown audit subcommand", []string{"audit", "lsit"}, `unknown command "lsit" for "beianwatch audit"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := runInProcess(t, tt.args...)
			if res.code != 2 {
				t.Errorf("exit status = %d, want 2", res.code)
			}
			if !strings.Contains(res.stderr, tt.msg) || !strings.Contains(res.stderr, "--help' for usage.") {
				t.Errorf("stderr = %q, want %q and a hint", res.stderr, tt.msg)
			}
			if res.stdout != "" {
				t.Errorf("stdout = %q, want nothing", res.stdout)
			}
		})
	}
}

func TestHelpAndVersion(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"--help"}, "Usage:\n  beianwatch [command]"},
		{[]string{"check", "--help"}, "--expect-icp NUMBER"},
		{[]string{"help", "check"}, "--resolve HOST:ADDR"},
		{[]string{"--version"}, "beianwatch version dev"},
		{[]string{"keys"}, "Available Commands:\n  init"},
		{[]string{"case"}, "Available Commands:"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			res := runInProcess(t, tt.args...)
			if res.code != 0 || !strings.Contains(res.stdout, tt.want) {
				t.Errorf("exit %d, stdout %q; want 0 and %q", res.code, res.stdout, tt.want)
			}
		})
	}
}

func TestSizeFlag(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		out  string
	}{
		{"5MiB", 5 << 20, "5MiB"},
		{"512KiB", 512 << 10, "512KiB"},
		{"512kib", 512 << 10, "512KiB"},
		{"1MB", 1000000, "1000000"},
		{"1 GB", 1000000000, "1000000000"},
		{"2GiB", 2 << 30, "2GiB"},
		{"1048576", 1 << 20, "1MiB"},
		{"100B", 100, "100"},
	}
	for _, tt := range tests {
		var s byteSize
		if err := s.Set(tt.in); err != nil || int64(s) != tt.want || s.String() != tt.out {
			t.Errorf("Set(%q) = %d (%s), %v; want %d (%s)", tt.in, s, s.String(), err, tt.want, tt.out)
		}
	}
	for _, in := range []string{"", "MiB", "-1", "1.5MiB", "5 parsecs", "0", "99999999999GiB"} {
		var s byteSize
		if err := s.Set(in); err == nil {
			t.Errorf("Set(%q) = %d, want an error", in, s)
		}
	}
}

// TestBinary runs the real program, to check what only a process shows:
// exit statuses, stdin and signals.
func TestBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := programBinary(t, false)
	site := newSite(t)
	tests := []struct {
		name  string
		args  []string
		stdin string
		code  int
		out   string // expected in stdout
		err   string // expected in stderr
	}{
		{"pass", []string{"check", "--allow-private", site.URL + "/"}, "", 0, "Verdict:   PASS", ""},
		{"fail", []string{"check", "--allow-private", site.URL + "/no-icp"}, "", 1, "ICP_MISSING", ""},
		{"redirect loop", []string{"check", "--json", "--allow-private", site.URL + "/loop"}, "", 2, `"verdict":"error"`, ""},
		{"blocked", []string{"check", "--json", site.URL + "/"}, "", 2, "loopback address is blocked", ""},
		{"usage", []string{"check"}, "", 2, "", "no targets"},
		{"stdin", []string{"check", "--json", "--allow-private", "-f", "-"}, "# list\n" + site.URL + "/\n\n" + site.URL + "/gbk\n", 0, `"encoding":"gbk"`, ""},
		{"help", []string{"check", "--help"}, "", 0, "Exit status: 0 if every target passed", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			cmd := exec.Command(bin, tt.args...)
			cmd.Stdin = strings.NewReader(tt.stdin)
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			cmd.Env = append(os.Environ(), "NO_COLOR=1")
			err := cmd.Run()
			var ee *exec.ExitError
			if err != nil && !errors.As(err, &ee) {
				t.Fatalf("run: %v", err)
			}
			if got := cmd.ProcessState.ExitCode(); got != tt.code {
				t.Errorf("exit status = %d, want %d\nstdout: %s\nstderr: %s", got, tt.code, stdout.String(), stderr.String())
			}
			if !strings.Contains(stdout.String(), tt.out) || !strings.Contains(stderr.String(), tt.err) {
				t.Errorf("stdout %q, stderr %q; want %q and %q", stdout.String(), stderr.String(), tt.out, tt.err)
			}
		})
	}

	t.Run("interrupt", func(t *testing.T) {
		var stderr bytes.Buffer
		cmd := exec.Command(bin, "check", "--allow-private", "--timeout", "10s", site.URL+"/slow")
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(300 * time.Millisecond)
		start := time.Now()
		if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		if got := cmd.ProcessState.ExitCode(); got != 2 || !strings.Contains(stderr.String(), "interrupted") {
			t.Errorf("after SIGINT: exit %d, stderr %q; want 2 and \"interrupted\"", got, stderr.String())
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("took %v to stop after SIGINT", d)
		}
	})
}
