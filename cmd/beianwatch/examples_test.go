package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestExamples loads every file in examples/ the way the README uses it,
// from the clone's directory (the sample settings name the sample policy
// by a path relative to it). A new sample needs a case here.
func TestExamples(t *testing.T) {
	// The compliant page without its badge icon: the built-in policy
	// fails it, the sample policy makes that a warning.
	noIcon := strings.Replace(string(readFile(t, "testdata/site/compliant.html")), `<img src="/备案图标.png" alt="">`, "", 1)
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		io.WriteString(w, noIcon)
	}))
	defer site.Close()
	t.Chdir("../..")
	entries, err := os.ReadDir("examples")
	if err != nil {
		t.Fatal(err)
	}
	db := "sqlite://" + filepath.Join(t.TempDir(), "r.db")
	if r := runInProcess(t, "check", "--no-db", "--allow-private", site.URL+"/"); r.code != exitFail || !strings.Contains(r.stdout, "PSB_NO_ICON") {
		t.Fatalf("the page without its icon passes the built-in policy: %d\n%s", r.code, r.stdout)
	}
	tests := map[string]struct {
		args []string
		code int
		want string
	}{
		"sites.csv":  {[]string{"import", "--db", db, "examples/sites.csv"}, 0, "inserted 3,"},
		"sites.xlsx": {[]string{"import", "--db", db, "examples/sites.xlsx"}, 0, "unchanged 3,"},
		"beianwatch.yaml": {[]string{"serve", "--config", "examples/beianwatch.yaml", "--print-config"}, 0,
			"policies:\n  vip: examples/policy.yaml\n"},
		"policy.yaml": {[]string{"check", "--no-db", "--allow-private", "--policy", "examples/policy.yaml", site.URL + "/"}, 0,
			"Policy:    policy.yaml@"},
	}
	for _, e := range entries {
		tt, ok := tests[e.Name()]
		if !ok {
			t.Errorf("examples/%s: no test loads it", e.Name())
			continue
		}
		r := runInProcess(t, tt.args...)
		if r.code != tt.code || !strings.Contains(r.stdout, tt.want) {
			t.Errorf("examples/%s: beianwatch %s = %d\nstdout:\n%s\nstderr:\n%s\nwant %d and %q",
				e.Name(), strings.Join(tt.args, " "), r.code, r.stdout, r.stderr, tt.code, tt.want)
		}
	}
	for name := range tests {
		if !slices.ContainsFunc(entries, func(e os.DirEntry) bool { return e.Name() == name }) {
			t.Errorf("examples/%s is gone: remove its test", name)
		}
	}
}
