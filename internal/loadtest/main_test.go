package main

import (
	"bytes"
	"context"
	"io"
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
	code := run(context.Background(), []string{"-sites", "40", "-db", "sqlite", "-concurrency", "4"}, &stdout, &stderr)
	if code != 0 {
		t.Fatalf("loadtest = %d\nstdout:\n%s\nstderr:\n%s", code, stdout.String(), stderr.String())
	}
	for _, want := range []string{"| 40 | 0s | sqlite |", "| 40/40 |"} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("table lacks %q:\n%s", want, stdout.String())
		}
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
		{[]string{"-concurrency", "0"}, "invalid -concurrency 0"},
		{[]string{"extra"}, `unexpected arguments ["extra"]`},
	}
	for _, tt := range tests {
		_, err := parseFlags(tt.args, io.Discard)
		if err == nil || err.Error() != tt.want {
			t.Errorf("parseFlags(%q) = %v, want %q", tt.args, err, tt.want)
		}
	}
}
