package main

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/beianwatch/beianwatch/checker"
)

// Footers of the verdict tests: the ICP number alone, and a PSB badge
// without its icon.
const (
	footerICPOnly = `<a href="https://beian.miit.gov.cn/">京ICP备2021034567号-1</a>`
	footerNoIcon  = footerICPOnly + `<a href="https://beian.mps.gov.cn/#/query/webSearch?code=11010502045678">京公网安备11010502045678号</a>`
)

// newVerdictSite serves a page without a PSB badge (/no-psb) and one whose
// badge has no icon (/no-icon) on 127.0.0.1.
func newVerdictSite(t *testing.T) *httptest.Server {
	t.Helper()
	page := func(footer string) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			w.Write([]byte("<!DOCTYPE html><html><head><title>示例</title></head><body><main><p>欢迎访问示例网站。</p></main><footer>" + footer + "</footer></body></html>"))
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/no-psb", page(footerICPOnly))
	mux.HandleFunc("/no-icon", page(footerNoIcon))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// daysAgo is the Beijing date n days before today, as the flags take it.
func daysAgo(n int) string {
	return checker.DateOf(time.Now()).AddDays(-n).String()
}

func writePolicy(t *testing.T, name, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCheckVerdictRule: pass means compliant. Unknown dates do not excuse
// a missing PSB badge or part of it; a launch date inside the window does.
func TestCheckVerdictRule(t *testing.T) {
	site := newVerdictSite(t)
	warnIcon := writePolicy(t, "warn-icon.yaml", "severity:\n  PSB_NO_ICON: warning\n")
	lenient := writePolicy(t, "lenient.yaml", "unknown_dates: lenient\n")
	tests := []struct {
		name     string
		args     []string
		code     int
		finding  string
		severity checker.Severity
		message  string // in the finding's English message
		policy   string // the report's policy, a prefix
	}{
		{"no psb badge, no dates", []string{"/no-psb"}, 1, checker.CodePSBMissing, checker.SeverityError, "--launched, --psb-approved", "builtin"},
		{"no psb badge, --expect-psb", []string{"--expect-psb", "11010502045678", "/no-psb"}, 1, checker.CodePSBMissing, checker.SeverityError, "--psb-approved", "builtin"},
		{"no psb badge, launched ten days ago", []string{"--launched", daysAgo(10), "/no-psb"}, 0, checker.CodePSBMissing, checker.SeverityInfo, "20 days left", "builtin"},
		{"no psb badge, lenient policy", []string{"--policy", lenient, "/no-psb"}, 0, checker.CodePSBMissing, checker.SeverityWarning, "", "lenient.yaml@"},
		{"no icon, no dates", []string{"/no-icon"}, 1, checker.CodePSBNoIcon, checker.SeverityError, "", "builtin"},
		{"no icon, psb approved ten days ago", []string{"--launched", daysAgo(60), "--psb-approved", daysAgo(10), "/no-icon"}, 0, checker.CodePSBNoIcon, checker.SeverityInfo, "20 days left", "builtin"},
		{"no icon, policy makes it a warning", []string{"--policy", warnIcon, "/no-icon"}, 0, checker.CodePSBNoIcon, checker.SeverityWarning, "", "warn-icon.yaml@"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"check", "--json", "--no-db", "--allow-private"}, tt.args[:len(tt.args)-1]...)
			r := runInProcess(t, append(args, site.URL+tt.args[len(tt.args)-1])...)
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, tt.code, r.stdout, r.stderr)
			}
			reps := reports(t, r.stdout)
			if len(reps) != 1 {
				t.Fatalf("%d reports, want 1", len(reps))
			}
			if !strings.HasPrefix(reps[0].Policy, tt.policy) {
				t.Errorf("policy = %q, want %q…", reps[0].Policy, tt.policy)
			}
			i := slices.IndexFunc(reps[0].Findings, func(f checker.Finding) bool { return f.Code == tt.finding })
			if i < 0 {
				t.Fatalf("findings %v lack %s", codes(reps[0]), tt.finding)
			}
			if f := reps[0].Findings[i]; f.Severity != tt.severity || !strings.Contains(f.Message, tt.message) {
				t.Errorf("%s = %s %q, want %s and %q", f.Code, f.Severity, f.Message, tt.severity, tt.message)
			}
		})
	}
}

// TestCheckPolicyAndDateErrors: a bad policy file or inconsistent dates
// are usage errors (exit 2) that say what is wrong and where.
func TestCheckPolicyAndDateErrors(t *testing.T) {
	badCode := writePolicy(t, "policy.yaml", "unknown_dates: due\nseverity:\n  PSB_NO_ICN: warning\n")
	tests := []struct {
		name string
		args []string
		msg  string
	}{
		{"unknown code", []string{"--policy", badCode}, badCode + `:3: severity: unknown finding code "PSB_NO_ICN"`},
		{"missing policy", []string{"--policy", filepath.Join(t.TempDir(), "none.yaml")}, "read policy: open "},
		{"future date", []string{"--launched", "2999-01-01"}, "invalid --launched: 2999-01-01 is in the future"},
		{"approval before filing", []string{"--psb-filed", "2025-03-01", "--psb-approved", "2025-02-01"}, "invalid --psb-approved: 2025-02-01 is before --psb-filed 2025-03-01"},
		{"approval before launch", []string{"--launched", "2025-03-01", "--psb-approved", "2025-02-01"}, "invalid --psb-approved: 2025-02-01 is before --launched 2025-03-01; a PSB filing follows the launch"},
		{"no-db with db", []string{"--no-db", "--db", "sqlite::memory:"}, "--no-db and --db exclude each other"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runInProcess(t, append(append([]string{"check"}, tt.args...), "example.test")...)
			if r.code != exitTrouble || !strings.Contains(r.stderr, tt.msg) || r.stdout != "" {
				t.Errorf("exit %d, stderr %q, stdout %q; want 2 and %q", r.code, r.stderr, r.stdout, tt.msg)
			}
		})
	}
}

// TestCheckDefaultRegistry: without --db, ./beianwatch.db is used when it
// exists and holds the domain, never created when it does not, and
// --no-db turns it off.
func TestCheckDefaultRegistry(t *testing.T) {
	site := newSite(t)
	u, _ := url.Parse(site.URL)
	sites, err := filepath.Abs("testdata/import/sites.csv")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("BEIANWATCH_DB", "")
	resolve := []string{"--allow-private", "--resolve", "example.test:127.0.0.1:" + u.Port(), "example.test"}

	empty := t.TempDir()
	t.Chdir(empty)
	if r := runInProcess(t, append([]string{"check"}, resolve...)...); r.code != 0 || strings.Contains(r.stdout, "registry") {
		t.Errorf("with no registry file: exit %d, stdout %s; want 0 and no registry", r.code, r.stdout)
	}
	if _, err := os.Stat(filepath.Join(empty, "beianwatch.db")); !os.IsNotExist(err) {
		t.Errorf("check created beianwatch.db (stat: %v)", err)
	}

	t.Chdir(t.TempDir())
	mustRun(t, 0, "import", sites)
	// The registry's ICP number differs from the page's.
	r := runInProcess(t, append([]string{"check"}, resolve...)...)
	if r.code != 1 || !strings.Contains(r.stdout, "  Expect:    expectations from the registry (sqlite://beianwatch.db)\n") ||
		!strings.Contains(r.stdout, checker.CodeICPMismatch) {
		t.Errorf("with ./beianwatch.db: exit %d\nstdout: %s\nstderr: %s\nwant 1, expectations from the registry, ICP_MISMATCH", r.code, r.stdout, r.stderr)
	}
	if r := runInProcess(t, append([]string{"check", "--no-db"}, resolve...)...); r.code != 0 || strings.Contains(r.stdout, "registry") {
		t.Errorf("--no-db: exit %d\nstdout: %s\nwant 0, no registry", r.code, r.stdout)
	}
	t.Setenv("BEIANWATCH_DB", "sqlite://beianwatch.db")
	if r := runInProcess(t, append([]string{"check", "--no-db"}, resolve...)...); r.code != 0 || strings.Contains(r.stdout, "registry") {
		t.Errorf("--no-db with BEIANWATCH_DB: exit %d\nstdout: %s\nwant 0, no registry", r.code, r.stdout)
	}
	if r := runInProcess(t, "check", "--help"); !strings.Contains(r.stdout, "--no-db") || !strings.Contains(r.stdout, "beianwatch.db exists") {
		t.Errorf("check --help does not explain the default registry:\n%s", r.stdout)
	}
}
