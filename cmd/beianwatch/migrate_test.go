package main

import (
	"strings"
	"testing"
)

func TestMigrateCommand(t *testing.T) {
	forEachDB(t, func(t *testing.T, dsn string) {
		steps := []struct {
			args       []string
			wantCode   int
			wantStdout string // a substring
			wantStderr string // a substring
		}{
			{[]string{"migrate", "status"}, exitOK, "1        init   pending\n2        lease  pending\n", ""},
			{[]string{"sites", "list"}, exitTrouble, "", "not up to date (migration 1 init pending): run 'beianwatch migrate'"},
			{[]string{"migrate"}, exitOK, "registry schema at version 2 (latest 2)", "msg=migrated"},
			{[]string{"migrate", "up"}, exitOK, "registry schema at version 2 (latest 2)", ""},
			{[]string{"migrate", "status"}, exitOK, " CST\n", ""},
			{[]string{"sites", "list"}, exitOK, "ID      VERDICT", ""},
			{[]string{"migrate", "down"}, exitOK, "registry schema at version 1 (latest 2)", ""},
			{[]string{"migrate", "down"}, exitOK, "registry schema at version 0 (latest 2)", ""},
			{[]string{"migrate", "down"}, exitTrouble, "", "migrate down:"},
			{[]string{"migrate", "sideways"}, exitTrouble, "", `invalid argument "sideways"`},
			{[]string{"migrate", "up", "down"}, exitTrouble, "", "accepts at most 1 arg"},
		}
		for _, s := range steps {
			r := runInProcess(t, append(s.args, "--db", dsn)...)
			if r.code != s.wantCode || !strings.Contains(r.stdout, s.wantStdout) || !strings.Contains(r.stderr, s.wantStderr) {
				t.Errorf("%q = %d\nstdout %q\nstderr %q\nwant %d, stdout with %q, stderr with %q",
					s.args, r.code, r.stdout, r.stderr, s.wantCode, s.wantStdout, s.wantStderr)
			}
		}
	})
}
