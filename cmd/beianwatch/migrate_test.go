package main

import (
	"os"
	"strconv"
	"strings"
	"testing"
)

// registryMigrations lists the registry's SQLite migration files, in
// version order.
func registryMigrations(t *testing.T) []os.DirEntry {
	t.Helper()
	es, err := os.ReadDir("../../registry/migrations/sqlite")
	if err != nil || len(es) == 0 {
		t.Fatalf("registry migrations: %v (%d files)", err, len(es))
	}
	return es
}

func TestMigrateCommand(t *testing.T) {
	// The versions, from the files' names: they need not be contiguous
	// (numbers are reserved by parallel work), so "down" walks them.
	versions := []int{0}
	for _, e := range registryMigrations(t) {
		v, err := strconv.Atoi(strings.SplitN(e.Name(), "_", 2)[0])
		if err != nil {
			t.Fatalf("migration file %s: %v", e.Name(), err)
		}
		versions = append(versions, v)
	}
	latest := strconv.Itoa(versions[len(versions)-1])
	at := func(v int) string {
		return "registry schema at version " + strconv.Itoa(v) + " (latest " + latest + ")"
	}
	forEachDB(t, func(t *testing.T, dsn string) {
		type step struct {
			args       []string
			wantCode   int
			wantStdout string // a substring
			wantStderr string // a substring
		}
		n, _ := strconv.Atoi(latest)
		steps := []step{
			{[]string{"migrate", "status"}, exitOK, "pending\n", ""},
			{[]string{"sites", "list"}, exitTrouble, "", "not up to date (migration 1 init pending): run 'beianwatch migrate'"},
			{[]string{"migrate"}, exitOK, at(n), "msg=migrated component=registry from=0 to=" + latest},
		}
		steps = append(steps,
			step{[]string{"migrate", "up"}, exitOK, at(n), ""},
			step{[]string{"migrate", "status"}, exitOK, " CST\n", ""},
			step{[]string{"sites", "list"}, exitOK, "ID      VERDICT", ""})
		for i := len(versions) - 2; i >= 0; i-- {
			steps = append(steps, step{[]string{"migrate", "down"}, exitOK, at(versions[i]), ""})
		}
		steps = append(steps,
			step{[]string{"migrate", "down"}, exitTrouble, "", "migrate down:"},
			step{[]string{"migrate", "sideways"}, exitTrouble, "", `invalid argument "sideways"`},
			step{[]string{"migrate", "up", "down"}, exitTrouble, "", "accepts at most 1 arg"})
		for _, s := range steps {
			r := runInProcess(t, append(s.args, "--db", dsn)...)
			if r.code != s.wantCode || !strings.Contains(r.stdout, s.wantStdout) || !strings.Contains(r.stderr, s.wantStderr) {
				t.Errorf("%q = %d\nstdout %q\nstderr %q\nwant %d, stdout with %q, stderr with %q",
					s.args, r.code, r.stdout, r.stderr, s.wantCode, s.wantStdout, s.wantStderr)
			}
		}
	})
}
