package main

import (
	"encoding/json"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func TestVersion(t *testing.T) {
	var v versionInfo
	r := mustRun(t, 0, "version", "-o", "json")
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatalf("version -o json: %v\n%s", err, r.stdout)
	}
	if v.GoVersion != runtime.Version() || v.Version == "" || v.Platform != runtime.GOOS+"/"+runtime.GOARCH {
		t.Errorf("version -o json = %+v", v)
	}
	line := mustRun(t, 0, "version").stdout
	if flag := mustRun(t, 0, "--version").stdout; line != flag || !strings.HasPrefix(line, "beianwatch version "+v.Version+" ") {
		t.Errorf("version = %q, --version = %q", line, flag)
	}
}

// TestLogFormat: --log-format json makes every log line a JSON object,
// and it comes from the environment like any setting.
func TestLogFormat(t *testing.T) {
	t.Setenv("BEIANWATCH_LOG_FORMAT", "json")
	r := mustRun(t, 0, "migrate", "--db", "sqlite::memory:", "--log-level", "info")
	n := 0
	for line := range strings.Lines(r.stderr) {
		if !strings.HasPrefix(line, "{") {
			continue // the key file notice is for people, not a log line
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(line), &m); err != nil || m["msg"] == nil {
			t.Errorf("log line %q: %v", line, err)
		}
		n++
	}
	if n == 0 {
		t.Errorf("no JSON log lines in %q", r.stderr)
	}
	r = runInProcess(t, "version", "--log-format", "xml")
	if r.code != exitTrouble || !strings.Contains(r.stderr, `invalid --log-format "xml": want text or json`) {
		t.Errorf("--log-format xml: exit %d, %q", r.code, r.stderr)
	}
}

// TestCompletion runs the shell completion's hidden command, as the shells
// do, and checks that flag values complete.
func TestCompletion(t *testing.T) {
	tests := []struct {
		args []string
		want []string
	}{
		{[]string{"sites", "list", "--verdict", ""}, []string{"pass", "fail", "error", "unchecked"}},
		{[]string{"sites", "recheck", "--verdict", ""}, []string{"pass", "fail", "error", "unchecked"}},
		{[]string{"check", "-o", ""}, []string{"table", "json", "jsonl", "csv", "yaml"}},
		{[]string{"sites", "show", "--output", ""}, []string{"table", "json", "jsonl", "yaml"}},
		{[]string{"export", "-o", ""}, []string{"csv", "json", "xlsx"}},
		{[]string{"case", "list", "--state", ""}, []string{"suspected", "open", "notified", "extended", "overdue", "fixed", "blocked", "closed", "dismissed"}},
		{[]string{"case", "open", "--kind", ""}, []string{"takedown", "rectification"}},
		{[]string{"import", "--encoding", ""}, []string{"utf-8", "gbk", "gb18030"}},
		{[]string{"serve", "--log-format", ""}, []string{"text", "json"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := mustRun(t, 0, append([]string{"__complete"}, tt.args...)...)
			var got []string
			for line := range strings.Lines(r.stdout) {
				line = strings.TrimSpace(line)
				if !strings.HasPrefix(line, ":") { // the last line is the directive
					got = append(got, strings.SplitN(line, "\t", 2)[0])
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("completions = %q, want %q", got, tt.want)
			}
		})
	}
	// The scripts themselves, as README says to load them.
	for _, sh := range []string{"bash", "zsh", "fish", "powershell"} {
		if r := mustRun(t, 0, "completion", sh); !strings.Contains(r.stdout, "beianwatch") {
			t.Errorf("completion %s printed no script", sh)
		}
	}
}
