package main

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestConfigErrors: a bad --config file stops any command before it does
// anything, with the file, the setting and what is wrong.
func TestConfigErrors(t *testing.T) {
	dir := filepath.Join("testdata", "config")
	tests := []struct {
		file string
		want string
	}{
		{"unknown_key.yaml", `config testdata/config/unknown_key.yaml: unknown setting "intervall" (settings are the flags of the commands, without --)`},
		{"bad_duration.yaml", `config testdata/config/bad_duration.yaml: interval: time: invalid duration "soon"`},
		{"not_yaml.yaml", "config testdata/config/not_yaml.yaml: yaml: line 1: did not find expected node content"},
		{"unknown_cases_key.yaml", `config testdata/config/unknown_cases_key.yaml: cases: unknown setting "takedown_deadlin"`},
		{"cases_not_mapping.yaml", "config testdata/config/cases_not_mapping.yaml: cases: want a mapping"},
		{"cases_twice.yaml", "config testdata/config/cases_twice.yaml: cases: open_after and rectify-after set the same thing"},
		{"mapping_value.yaml", "config testdata/config/mapping_value.yaml: concurrency: a mapping is not a value"},
		{"actor.yaml", `config testdata/config/actor.yaml: unknown setting "actor" (settings are the flags of the commands, without --)`},
		{"bad_int.yaml", `config testdata/config/bad_int.yaml: rectification-days: strconv.ParseInt: parsing "many": invalid syntax`},
		{"missing.yaml", "read config: open testdata/config/missing.yaml: no such file or directory"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			// Any command reads the one file: case commands as serve does.
			db := "sqlite://" + filepath.Join(t.TempDir(), "r.db")
			for _, args := range [][]string{{"case", "list", "--db", db}, {"serve", "--print-config"}} {
				r := runInProcess(t, append(args, "--config", filepath.Join(dir, tt.file))...)
				if r.code != exitTrouble || !strings.HasPrefix(r.stderr, "beianwatch: "+tt.want+"\n") {
					t.Errorf("%v --config %s = %d, stderr %q; want %d and %q", args, tt.file, r.code, r.stderr, exitTrouble, tt.want)
				}
			}
		})
	}
}

// TestConfigPrecedence: flags, then BEIANWATCH_*, then the file, then
// the defaults, for a command other than serve; a setting another command
// owns (json, timeout: check's) is no error for it.
func TestConfigPrecedence(t *testing.T) {
	a := &app{getenv: func(k string) string {
		return map[string]string{"BEIANWATCH_EXTENSION_DAYS": "3", "BEIANWATCH_TAKEDOWN_DEADLINE": "6h", "BEIANWATCH_ACTOR": "cli:env"}[k]
	}}
	root := a.rootCmd()
	open, _, err := root.Find([]string{"case", "open"})
	if err != nil {
		t.Fatal(err)
	}
	if err := open.ParseFlags([]string{"--takedown-deadline", "2h", "--config", filepath.Join("testdata", "config", "good.yaml")}); err != nil {
		t.Fatal(err)
	}
	scratch := func() *cobra.Command { return (&app{getenv: a.getenv}).rootCmd() }
	if err := applyConfig(open, a.getenv, filepath.Join("testdata", "config", "good.yaml"), scratch); err != nil {
		t.Fatal(err)
	}
	for flag, want := range map[string]string{
		"takedown-deadline":  "2h0m0s", // the flag, over the environment
		"extension-days":     "3",      // the environment, over the default
		"rectification-days": "12",     // the file, over the default
		"log-level":          "warn",   // the file: a persistent flag
		"actor":              "",       // never from the environment
		// What case commands need on every call, set once in the file.
		"log-format":             "json",
		"notice-webhook":         "https://notice.example.cn/hook",
		"provider-name":          "示例云",
		"provider-contact-email": "support@example.cn",
	} {
		if got := open.Flag(flag).Value.String(); got != want {
			t.Errorf("--%s = %q, want %q", flag, got, want)
		}
	}
}
