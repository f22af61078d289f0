package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/beianwatch/beianwatch/internal/pgtest"
)

// TestPersonalDataCommands: the key beside a SQLite registry is made on
// first use and said so; sites show masks unless --include-personal;
// sites list finds sites by contact phone and email; keys new and keys
// rotate move every row to a new key that alone then reads them.
func TestPersonalDataCommands(t *testing.T) {
	forEachDB(t, func(t *testing.T, dsn string) {
		r := mustRun(t, 0, "import", "--db", dsn, "testdata/import/sites.csv")
		if strings.HasPrefix(dsn, "sqlite://") {
			keyFile := strings.TrimPrefix(dsn, "sqlite://") + ".key"
			if !strings.Contains(r.stderr, "created key file "+keyFile) {
				t.Errorf("first import: stderr %q, want it to say it created %s", r.stderr, keyFile)
			}
			if fi, err := os.Stat(keyFile); err != nil || fi.Mode().Perm() != 0o600 {
				t.Errorf("key file: %v, %v; want mode 0600", fi, err)
			}
		}
		for _, tt := range []struct {
			name       string
			args       []string
			want, hide []string
		}{
			{"show masked", []string{"sites", "show", "example.test"}, []string{"张*", "138****5678", "z***@example.cn"}, []string{"张三", "13812345678", "zhangsan@"}},
			{"show masked JSON", []string{"sites", "show", "--json", "xn--fiq228c.xn--fiqs8s"}, []string{`"operator_name": "李*"`}, []string{"李四", "13912345678"}},
			{"show personal", []string{"sites", "show", "--include-personal", "example.test"}, []string{"张三", "13812345678", "zhangsan@example.cn"}, nil},
			{"list by phone", []string{"sites", "list", "--contact-phone", "+86 139 1234 5678"}, []string{"中文.中国"}, []string{"example.test"}},
			{"list by email", []string{"sites", "list", "--contact-email", "ZhangSan@Example.cn"}, []string{"example.test"}, []string{"中文.中国"}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				r := mustRun(t, 0, append(tt.args, "--db", dsn)...)
				for _, w := range tt.want {
					if !strings.Contains(r.stdout, w) {
						t.Errorf("stdout lacks %q:\n%s", w, r.stdout)
					}
				}
				for _, h := range tt.hide {
					if strings.Contains(r.stdout, h) {
						t.Errorf("stdout shows %q:\n%s", h, r.stdout)
					}
				}
			})
		}
		keyFile := testKeyFile(t, dsn)
		r = mustRun(t, 0, "keys", "new", "--db", dsn, "--key-file", keyFile)
		if !strings.Contains(r.stdout, "added key") {
			t.Errorf("keys new: %q", r.stdout)
		}
		r = mustRun(t, 0, "keys", "rotate", "--db", dsn, "--key-file", keyFile)
		if !strings.Contains(r.stdout, "re-encrypted 2 contacts and 2 operators") {
			t.Errorf("keys rotate: %q", r.stdout)
		}
		// Keep the newest key only: every row must be under it.
		b, err := os.ReadFile(keyFile)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.Split(strings.TrimSpace(string(b)), "\n")
		newest := filepath.Join(t.TempDir(), "newest.key")
		if err := os.WriteFile(newest, []byte(lines[len(lines)-1]+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		r = mustRun(t, 0, "sites", "show", "--include-personal", "example.test", "--db", dsn, "--key-file", newest)
		if !strings.Contains(r.stdout, "13812345678") {
			t.Errorf("sites show with the new key alone:\n%s", r.stdout)
		}
		// A key file without the registry's key is an error, naming no value.
		other := filepath.Join(t.TempDir(), "other.key")
		if r := mustRun(t, 0, "keys", "init", "--key-file", other); !strings.HasPrefix(r.stdout, "created ") {
			t.Errorf("keys init, no file: %q", r.stdout)
		}
		if r := mustRun(t, 0, "keys", "init", "--key-file", other); !strings.Contains(r.stdout, "holds 1 keys") {
			t.Errorf("keys init, a file: %q", r.stdout)
		}
		r = mustRun(t, 2, "sites", "show", "example.test", "--db", dsn, "--key-file", other)
		if !strings.Contains(r.stderr, "not in the key file") || strings.Contains(r.stderr, "1381") {
			t.Errorf("wrong key file: stderr %q", r.stderr)
		}
		r = mustRun(t, 2, "serve", "--once", "--db", dsn, "--key-file", other)
		if !strings.Contains(r.stderr, "not in the key file") {
			t.Errorf("serve with a wrong key file: stderr %q", r.stderr)
		}
	})
}

// TestPostgresNeedsKeyFile: on PostgreSQL, no key file is an error
// before anything is read or written.
func TestPostgresNeedsKeyFile(t *testing.T) {
	dsn := pgtest.SchemaDSN(t)
	r := runInProcess(t, "migrate", "--db", dsn, "--key-file=")
	if r.code != 2 || !strings.Contains(r.stderr, "no key file") {
		t.Errorf("migrate on PostgreSQL without a key file: exit %d, stderr %q; want 2, no key file", r.code, r.stderr)
	}
}
