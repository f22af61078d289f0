package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestRun seeds a small SQLite registry and reads it briefly: the pages
// answer 200 (an error fails the run) and the table is printed.
func TestRun(t *testing.T) {
	var out, errOut bytes.Buffer
	dsn := "sqlite://" + filepath.Join(t.TempDir(), "r.db")
	if code := run(context.Background(), []string{"-db", dsn, "-sites", "300", "-clients", "2", "-duration", "1s"}, &out, &errOut); code != 0 {
		t.Fatalf("run = %d\n%s%s", code, out.String(), errOut.String())
	}
	if !strings.Contains(out.String(), "\nall ") || !strings.Contains(out.String(), " 0 errors") {
		t.Errorf("output lacks the overall row or the error count:\n%s", out.String())
	}
}

func TestFlagErrors(t *testing.T) {
	for _, args := range [][]string{{"-db", ""}, {"-db", "x", "-sites", "0"}, {"-db", "x", "-clients", "0"}, {"-nope"}} {
		var out, errOut bytes.Buffer
		if code := run(context.Background(), args, &out, &errOut); code != 2 {
			t.Errorf("run(%q) = %d, want 2", args, code)
		}
	}
}
