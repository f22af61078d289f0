package main

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestRun runs a tiny load test end to end, so that the documented command
// keeps working: it builds the binary, imports, runs one cycle and the
// baseline, and verifies every verdict.
func TestRun(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"-sites", "40", "-db", "sqlite", "-concurrency", "4", "-rounds", "2"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("loadtest = %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	if n := strings.Count(stdout.String(), "| 40/40 |"); n != 2 {
		t.Errorf("%d rows with every verdict right, want one a round (2):\n%s", n, stdout.String())
	}
	for _, want := range []string{"| 40 | 0s | sqlite |", "| 40 | 0s | sqlite | 2 |"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, stdout.String())
		}
	}
}

// TestRunLexicon runs the cycle without a lexicon, with a file that
// matches farm pages (so suspected cases open) and with a generated one,
// and without again, and reads the lexicon table.
func TestRunLexicon(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	lex := filepath.Join(t.TempDir(), "farm-words.txt")
	if err := os.WriteFile(lex, []byte("other\t国家统计局\nother\t保温杯\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"-sites", "30", "-concurrency", "4", "-baseline=false",
		"-lexicon", lex, "-lexicon-phrases", "100"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("loadtest = %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	for _, want := range []string{
		"| 30 | 0s | sqlite |", "| 30 | 0s | sqlite, lexicon farm-words.txt |", "| 30 | 0s | sqlite, lexicon 100 phrases |",
		"| 30 | 0s | sqlite | farm-words.txt | ", "| 30 | 0s | sqlite | 100 phrases | ",
	} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("tables lack %q:\n%s", want, stdout.String())
		}
	}
	if got := strings.Count(stdout.String(), "| 30/30 |"); got != 4 {
		t.Errorf("%d cycles with every verdict right, want 4 (without, two lexicons, without):\n%s", got, stdout.String())
	}
}

func TestFlagErrors(t *testing.T) {
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"-sites", "0"}, `invalid -sites "0"`},
		{[]string{"-sites", "10,x"}, `invalid -sites "10,x"`},
		{[]string{"-latency", "-1s"}, `invalid -latency "-1s"`},
		{[]string{"-db", "mysql"}, `invalid -db "mysql": want sqlite, postgres or both`},
		{[]string{"-concurrency", "-1"}, "invalid -concurrency -1 or -baseline-workers 256"},
		{[]string{"-baseline-workers", "0"}, "invalid -concurrency 0 or -baseline-workers 0"},
		{[]string{"-large", "1.5"}, "invalid -large 1.5: want a share from 0 to 1"},
		{[]string{"-rounds", "0"}, "invalid -rounds 0"},
		{[]string{"extra"}, `unexpected arguments ["extra"]`},
		{[]string{"-lexicon-phrases", "1000,0"}, `invalid -lexicon-phrases "1000,0"`},
	}
	for _, tt := range tests {
		_, err := parseFlags(tt.args, io.Discard)
		if err == nil || err.Error() != tt.want {
			t.Errorf("parseFlags(%q) = %v, want %q", tt.args, err, tt.want)
		}
	}
}
