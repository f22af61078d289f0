package main

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestServeConfigPrecedence checks flags over environment over file over
// defaults, through --print-config, and that secrets stay masked.
func TestServeConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "serve.yaml")
	yaml := "interval: 12h\nconcurrency: 8\nbody-memory: 96MiB\nper-host: 3\nresolve:\n  - a.test:127.0.0.1\n  - b.test:127.0.0.2\ndb: postgres://bw:s3cret@db.internal/bw\n"
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("BEIANWATCH_CONCURRENCY", "16")
	t.Setenv("BEIANWATCH_RECHECK_INTERVAL", "30m")
	res := runInProcess(t, "serve", "--config", file, "--per-host", "2", "--print-config")
	if res.code != 0 {
		t.Fatalf("serve --print-config = %d, stderr %q", res.code, res.stderr)
	}
	for _, want := range []string{
		"interval: 12h0m0s\n",       // file
		"concurrency: 16\n",         // environment over file
		"per-host: 2\n",             // flag over file
		"body-memory: 96MiB\n",      // file
		"recheck-interval: 30m0s\n", // environment
		"timeout: 15s\n",            // default
		"  - a.test:127.0.0.1\n  - b.test:127.0.0.2\n",
		"db: postgres://bw:xxxxx@db.internal/bw\n",
	} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("--print-config lacks %q:\n%s", want, res.stdout)
		}
	}
	if strings.Contains(res.stdout, "s3cret") {
		t.Errorf("--print-config shows the password:\n%s", res.stdout)
	}
}

func TestServeConfigErrors(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown key", []string{"--config", write("typo.yaml", "intervall: 1h\n")}, `unknown setting "intervall"`},
		{"bad value", []string{"--config", write("bad.yaml", "interval: soon\n")}, "interval"},
		{"not yaml", []string{"--config", write("broken.yaml", "a: [\n")}, "broken.yaml"},
		{"missing file", []string{"--config", filepath.Join(dir, "nope.yaml")}, "read config"},
		{"bad robots", []string{"--robots", "maybe"}, `invalid --robots "maybe"`},
		{"short lease", []string{"--lease-ttl", "10s", "--timeout", "15s"}, "invalid --lease-ttl"},
		{"body memory below max body", []string{"--body-memory", "1MiB"}, "invalid --body-memory 1048576 bytes: must be at least --max-body"},
		{"bad body memory", []string{"--body-memory", "lots"}, `size "lots"`},
		{"bad provider range", []string{"--provider-ranges", "10.0.0.0/33"}, `invalid --provider-ranges "10.0.0.0/33"`},
		{"empty lexicon", []string{"--lexicon", write("empty.txt", "# nothing yet\n\n")}, "--lexicon: lexicon: no phrases in"},
		{"lexicon category", []string{"--lexicon", write("cat.txt", "gambling\t赌场\nspam\t广告\n")}, `cat.txt:2: unknown category "spam"`},
		{"missing lexicon", []string{"--lexicon", filepath.Join(dir, "none.txt")}, "--lexicon: open"},
		{"bad escalation URL", []string{"--escalation-url", "ftp://x"}, "invalid --escalation-url"},
		{"bad holiday file", []string{"--holiday-file", write("2027.json", "{")}, "2027.json"},
		{"bad alerts section", []string{"--config", write("alerts.yaml", "alerts:\n  receivers:\n    - name: x\n      type: pager\n")}, "alerts:"},
		{"bad policy", []string{"--policy", write("strict.yaml", "severity:\n  PSB_NO_ICN: warning\n")}, `--policy: ` + filepath.Join(dir, "strict.yaml") + `:2: severity: unknown finding code "PSB_NO_ICN"`},
		{"bad tag policy", []string{"--config", write("tags.yaml", "policies:\n  vip: "+filepath.Join(dir, "lax.yaml")+"\n")}, "policies: vip: read policy: open "},
		{"policies not a mapping", []string{"--config", write("list.yaml", "policies: [a, b]\n")}, "policies: want a mapping of site tags to policy files"},
		{"policy in the file", []string{"--config", write("pol.yaml", "policy: "+filepath.Join(dir, "strict.yaml")+"\n")}, `unknown finding code "PSB_NO_ICN"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"serve", "--once", "--db", "sqlite://" + filepath.Join(dir, "r.db")}, tt.args...)
			res := runInProcess(t, args...)
			if res.code != exitTrouble || !strings.Contains(res.stderr, tt.want) {
				t.Errorf("serve %v = %d, stderr %q; want %d and %q", tt.args, res.code, res.stderr, exitTrouble, tt.want)
			}
		})
	}
}

// TestServeHTTP runs the daemon on an empty registry and checks its
// listener, then stops it like SIGTERM would: it exits 0.
func TestServeHTTP(t *testing.T) {
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	var stderr strings.Builder
	go func() {
		done <- run(ctx, []string{"serve", "--db", "sqlite://" + filepath.Join(dir, "r.db"), "--listen", addr}, io.Discard, &stderr)
	}()
	get := func(path string) (int, string) {
		for range 100 {
			resp, err := http.Get("http://" + addr + path)
			if err == nil {
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				return resp.StatusCode, string(b)
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Fatalf("GET %s: the daemon never listened", path)
		return 0, ""
	}
	if code, _ := get("/healthz"); code != 200 {
		t.Errorf("/healthz = %d, want 200", code)
	}
	// Alive at once, ready once the registry is open and migrated.
	for start := time.Now(); ; time.Sleep(20 * time.Millisecond) {
		code, body := get("/readyz")
		if code == 200 {
			break
		}
		if time.Since(start) > 10*time.Second {
			t.Fatalf("/readyz = %d %q after 10 s, want 200", code, body)
		}
	}
	if _, body := get("/metrics"); !strings.Contains(body, `beianwatch_checks_total{result="pass"} 0`) || !strings.Contains(body, "go_goroutines") {
		t.Errorf("/metrics lacks the crawl counters or the Go collector:\n%.2000s", body)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("serve exited %d after shutdown, want 0; stderr %q", code, stderr.String())
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not stop within 15 s of shutdown")
	}
	if !strings.Contains(stderr.String(), "beianwatch import") {
		t.Errorf("an empty registry should say how to import sites; stderr %q", stderr.String())
	}
}

// TestServeLargeLexicon: a lexicon of 100,000 phrases loads and serve
// runs its cycle.
func TestServeLargeLexicon(t *testing.T) {
	dir := t.TempDir()
	var b strings.Builder
	cats := []string{"gambling", "pornography", "fraud", "illegal_trade", "copyright", "other"}
	for i := range 100000 {
		fmt.Fprintf(&b, "%s\t词%06d条\n", cats[i%len(cats)], i)
	}
	lex := filepath.Join(dir, "big.txt")
	if err := os.WriteFile(lex, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	r := runInProcess(t, "serve", "--once", "--db", "sqlite://"+filepath.Join(dir, "r.db"), "--lexicon", lex)
	if r.code != 0 {
		t.Fatalf("serve --once with a 100,000-phrase lexicon = %d, stderr %q", r.code, r.stderr)
	}
	t.Logf("serve --once with a 100,000-phrase lexicon took %v", time.Since(start))
}

// TestServeCasesSection: the config file's cases section sets the case
// flags, below flags and environment in precedence.
func TestServeCasesSection(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "serve.yaml")
	yaml := "cases:\n  takedown_deadline: 12h\n  rectification_days: 5\n  open_codes: [PSB_MISSING, ICP_MISSING]\n" +
		"  escalation:\n    url: http://127.0.0.1:9/block\n    require_confirmation: true\n"
	if err := os.WriteFile(file, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("BEIANWATCH_RECTIFICATION_DAYS", "7")
	res := runInProcess(t, "serve", "--config", file, "--takedown-deadline", "6h", "--print-config")
	if res.code != 0 {
		t.Fatalf("serve --print-config = %d, stderr %q", res.code, res.stderr)
	}
	for _, want := range []string{
		"takedown-deadline: 6h0m0s\n",                        // flag over file
		"rectification-days: 7\n",                            // environment over file
		"rectify-codes:\n  - PSB_MISSING\n  - ICP_MISSING\n", // file
		"escalation-url: http://127.0.0.1:9/block\n",
		"escalation-require-confirmation: true\n",
	} {
		if !strings.Contains(res.stdout, want) {
			t.Errorf("--print-config lacks %q:\n%s", want, res.stdout)
		}
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("cases:\n  escalation:\n    urll: x\n"), 0o600)
	res = runInProcess(t, "serve", "--config", bad, "--print-config")
	if res.code != exitTrouble || !strings.Contains(res.stderr, `cases: unknown setting "escalation.urll"`) {
		t.Errorf("a typo in the cases section = %d %q, want refused", res.code, res.stderr)
	}
}
