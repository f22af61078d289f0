package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io/fs"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/internal/pgtest"
	"github.com/beianwatch/beianwatch/registry"
	"github.com/beianwatch/beianwatch/sitefile"
)

// mustRun runs the program and fails the test unless it exits with code.
func mustRun(t *testing.T, code int, args ...string) result {
	t.Helper()
	r := runInProcess(t, args...)
	if r.code != code {
		t.Fatalf("beianwatch %s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), r.code, code, r.stdout, r.stderr)
	}
	return r
}

// exported lists the primary domains of the registry's sites, from a
// JSON export.
func exported(t *testing.T, dsn string) []string {
	t.Helper()
	r := mustRun(t, 0, "export", "--db", dsn, "--format", "json")
	var rows []struct {
		Domains []string `json:"domains"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &rows); err != nil {
		t.Fatalf("export: %v\n%s", err, r.stdout)
	}
	var out []string
	for _, row := range rows {
		out = append(out, row.Domains[0])
	}
	slices.Sort(out)
	return out
}

// fileSites reads the sites of a site file.
func fileSites(t *testing.T, name string, data []byte) []registry.Site {
	t.Helper()
	rows, bad, err := sitefile.Read(bytes.NewReader(data), name, sitefile.ReadOptions{})
	if err != nil || len(bad) > 0 {
		t.Fatalf("read %s: %v %v", name, bad, err)
	}
	var out []registry.Site
	for _, r := range rows {
		out = append(out, r.Site)
	}
	return out
}

// roundTrip imports sites.csv into dsn1, exports it, imports the export
// into dsn2 and exports that: the sites and the two exports are the same.
func roundTrip(t *testing.T, dsn1, dsn2 string) {
	dir := t.TempDir()
	e1, e2 := filepath.Join(dir, "e1.csv"), filepath.Join(dir, "e2.csv")
	r := mustRun(t, 0, "import", "--db", dsn1, "testdata/import/sites.csv")
	if want := "inserted 3, updated 0, unchanged 0, rejected 0, warnings 0\n"; r.stdout != want {
		t.Errorf("import summary = %q, want %q", r.stdout, want)
	}
	r = mustRun(t, 0, "export", "--db", dsn1, "--include-personal", "--file", e1)
	if !strings.Contains(r.stderr, "warning: the export holds personal data") {
		t.Errorf("--include-personal gave no warning on stderr: %q", r.stderr)
	}
	mustRun(t, 0, "import", "--db", dsn2, e1)
	mustRun(t, 0, "export", "--db", dsn2, "--include-personal", "--file", e2)

	in, out1, out2 := readFile(t, "testdata/import/sites.csv"), readFile(t, e1), readFile(t, e2)
	if !bytes.HasPrefix(out1, []byte("\ufeffdomains,site_name,")) {
		t.Errorf("export does not start with a BOM and the header: %q", out1[:min(40, len(out1))])
	}
	if diff := cmp.Diff(string(out1), string(out2)); diff != "" {
		t.Errorf("export of the re-imported export differs (-first +second):\n%s", diff)
	}
	opt := cmpopts.EquateComparable(netip.Addr{})
	if diff := cmp.Diff(fileSites(t, "sites.csv", in), fileSites(t, "e1.csv", out1), opt); diff != "" {
		t.Errorf("exported sites differ from imported (-imported +exported):\n%s", diff)
	}
	// A second import of the same file changes nothing.
	r = mustRun(t, 0, "import", "--db", dsn1, "testdata/import/sites.csv")
	if want := "inserted 0, updated 0, unchanged 3, rejected 0, warnings 0\n"; r.stdout != want {
		t.Errorf("re-import summary = %q, want %q", r.stdout, want)
	}
}

func TestImportExportRoundTrip(t *testing.T) {
	t.Run("sqlite", func(t *testing.T) { roundTrip(t, pgtest.SQLiteDSN(t), pgtest.SQLiteDSN(t)) })
	t.Run("postgres", func(t *testing.T) { roundTrip(t, pgtest.SchemaDSN(t), pgtest.SchemaDSN(t)) })
}

// TestImportAllOrNothing: one bad row, or one row the registry cannot
// match, and nothing is written.
func TestImportAllOrNothing(t *testing.T) {
	dsn := pgtest.SQLiteDSN(t)
	mustRun(t, 0, "import", "--db", dsn, "testdata/import/sites.csv")
	before := exported(t, dsn)

	r := mustRun(t, 1, "import", "--db", dsn, "testdata/import/mixed.csv")
	wantErr := `testdata/import/mixed.csv:3: domains: "bad..example.cn" has an empty label
testdata/import/mixed.csv:4: launched_on: 2099-01-01 is in the future
testdata/import/mixed.csv:5: contact_phone: not a phone number
beianwatch: 3 bad rows: nothing imported (--partial imports the good rows)
`
	if r.stderr != wantErr {
		t.Errorf("stderr = %q, want %q", r.stderr, wantErr)
	}
	if want := "inserted 0, updated 0, unchanged 0, rejected 3, warnings 0\n"; r.stdout != want {
		t.Errorf("summary = %q, want %q", r.stdout, want)
	}

	r = mustRun(t, 1, "import", "--db", dsn, "testdata/import/conflict.csv")
	if !strings.Contains(r.stderr, "testdata/import/conflict.csv:2: domains: ") || !strings.Contains(r.stderr, "nothing imported") {
		t.Errorf("conflict stderr = %q, want the row's line and nothing imported", r.stderr)
	}
	if diff := cmp.Diff(before, exported(t, dsn)); diff != "" {
		t.Errorf("registry changed by refused imports (-before +after):\n%s", diff)
	}
}

func TestImportPartial(t *testing.T) {
	dsn := pgtest.SQLiteDSN(t)
	mustRun(t, 0, "import", "--db", dsn, "testdata/import/sites.csv")
	r := mustRun(t, 0, "import", "--db", dsn, "--partial", "testdata/import/mixed.csv")
	if want := "inserted 2, updated 0, unchanged 0, rejected 3, warnings 0\n"; r.stdout != want {
		t.Errorf("summary = %q, want %q", r.stdout, want)
	}
	if strings.Count(r.stderr, "testdata/import/mixed.csv:") != 3 {
		t.Errorf("stderr = %q, want the 3 bad rows", r.stderr)
	}
	// The registry's conflict drops that row; the others go in.
	r = mustRun(t, 0, "import", "--db", dsn, "--partial", "testdata/import/conflict.csv")
	if want := "inserted 1, updated 0, unchanged 0, rejected 1, warnings 0\n"; r.stdout != want {
		t.Errorf("conflict summary = %q, want %q\n%s", r.stdout, want, r.stderr)
	}
	want := []string{"example.test", "good1.example.cn", "good2.example.cn", "new.example.cn", "other.example.cn", "中文.中国"}
	if diff := cmp.Diff(want, exported(t, dsn)); diff != "" {
		t.Errorf("sites (-want +got):\n%s", diff)
	}
	// Nothing importable at all: exit 1 even with --partial.
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("domains\nbad..cn\n"), 0o644)
	mustRun(t, 1, "import", "--db", dsn, "--partial", bad)
}

// TestImportDryRun validates without touching the registry: the database
// is not even created.
func TestImportDryRun(t *testing.T) {
	dir := t.TempDir()
	db := filepath.Join(dir, "registry.db")
	r := mustRun(t, 0, "import", "--db", "sqlite://"+db, "--dry-run", "testdata/import/sites.csv")
	if want := "valid 3, rejected 0, warnings 0 (dry run: nothing written)\n"; r.stdout != want {
		t.Errorf("summary = %q, want %q", r.stdout, want)
	}
	r = mustRun(t, 1, "import", "--db", "sqlite://"+db, "--dry-run", "testdata/import/mixed.csv")
	if want := "valid 2, rejected 3, warnings 0 (dry run: nothing written)\n"; r.stdout != want {
		t.Errorf("summary = %q, want %q", r.stdout, want)
	}
	mustRun(t, 0, "import", "--db", "sqlite://"+db, "--dry-run", "--partial", "testdata/import/mixed.csv")
	if _, err := os.Stat(db); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("stat %s after --dry-run: %v, want it not to exist", db, err)
	}
}

// TestImportGBK imports a file as Excel in China saves it.
func TestImportGBK(t *testing.T) {
	gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes(readFile(t, "testdata/import/sites.csv"))
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "备案.csv")
	if err := os.WriteFile(file, gbk, 0o644); err != nil {
		t.Fatal(err)
	}
	dsn := pgtest.SQLiteDSN(t)
	r := mustRun(t, 1, "import", "--db", dsn, file)
	if want := file + ":2: not valid UTF-8 text; a file saved by Excel in China is usually GBK or GB18030: give its encoding\n"; r.stderr != "beianwatch: "+want {
		t.Errorf("stderr = %q, want %q", r.stderr, want)
	}
	mustRun(t, 0, "import", "--db", dsn, "--encoding", "gbk", file)
	r = mustRun(t, 0, "export", "--db", dsn, "--include-personal")
	for _, s := range []string{"示例网站", "北京示例科技有限公司", "中文.中国;www.中文.中国", "李四"} {
		if !strings.Contains(r.stdout, s) {
			t.Errorf("export lacks %q:\n%s", s, r.stdout)
		}
	}
}

func TestImportExportUsage(t *testing.T) {
	dsn := pgtest.SQLiteDSN(t)
	empty := filepath.Join(t.TempDir(), "empty.csv")
	os.WriteFile(empty, nil, 0o644)
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"bad encoding", []string{"import", "--encoding", "big5", "x.csv"}, 2, `invalid --encoding "big5": want utf-8, gbk or gb18030`},
		{"no file", []string{"import", "--db", dsn, "testdata/import/missing.csv"}, 2, "no such file or directory"},
		{"no argument", []string{"import"}, 2, "accepts 1 arg(s), received 0"},
		{"empty file", []string{"import", "--db", dsn, empty}, 1, empty + ": empty file: want a header line naming the columns"},
		{"not csv or json", []string{"import", "--db", dsn, "testdata/site/compliant.html"}, 1, "compliant.html: cannot tell the format from the name"},
		{"bad format", []string{"export", "--db", dsn, "-o", "xml"}, 2, `invalid -o/--output "xml": want one of csv, json, xlsx`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runInProcess(t, tt.args...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("beianwatch %v: exit %d, stderr %q; want exit %d, stderr with %q", tt.args, r.code, r.stderr, tt.code, tt.stderr)
			}
		})
	}
}

// TestExportMasksPersonalData: without --include-personal, no name, phone
// or email leaves the registry whole.
func TestExportMasksPersonalData(t *testing.T) {
	dsn := pgtest.SQLiteDSN(t)
	mustRun(t, 0, "import", "--db", dsn, "testdata/import/sites.csv")
	for _, format := range []string{"csv", "json"} {
		r := mustRun(t, 0, "export", "--db", dsn, "--format", format, "--with-results")
		for _, secret := range []string{"张三", "李四", "13812345678", "zhangsan@"} {
			if strings.Contains(r.stdout, secret) {
				t.Errorf("%s export shows %q", format, secret)
			}
		}
		for _, masked := range []string{"张*", "李*", "138****5678", "z***@example.cn", "unchecked"} {
			if !strings.Contains(r.stdout, masked) {
				t.Errorf("%s export lacks %q", format, masked)
			}
		}
		if r.stderr != "" {
			t.Errorf("stderr = %q, want nothing without --include-personal", r.stderr)
		}
	}
}

// TestCheckWithRegistry: with --db (or BEIANWATCH_DB), check expects what
// the registry holds for the domain, flags overriding it.
func TestCheckWithRegistry(t *testing.T) {
	site := newSite(t)
	u, _ := url.Parse(site.URL)
	dsn := pgtest.SQLiteDSN(t)
	mustRun(t, 0, "import", "--db", dsn, "testdata/import/sites.csv")
	resolve := func(host string) []string {
		return []string{"--json", "--allow-private", "--resolve", host + ":127.0.0.1:" + u.Port(), host}
	}
	tests := []struct {
		name    string
		env     string // BEIANWATCH_DB
		args    []string
		code    int
		finding string // expected; "" for none
		absent  string // a finding code that must not be there
		stderr  string
	}{
		{
			name: "registry ICP differs from the page", args: append([]string{"check", "--db", dsn}, resolve("example.test")...),
			code: 1, finding: checker.CodeICPMismatch,
		},
		{
			name: "from BEIANWATCH_DB", env: dsn, args: append([]string{"check"}, resolve("example.test")...),
			code: 1, finding: checker.CodeICPMismatch,
		},
		{
			name: "flag overrides the registry", args: append([]string{"check", "--db", dsn, "--expect-icp", "京ICP备2021034567号-1"}, resolve("example.test")...),
			code: 0, absent: checker.CodeICPMismatch,
		},
		{
			name: "not in the registry", args: append([]string{"check", "--db", dsn}, resolve("unknown.test")...),
			code: 0, absent: checker.CodeICPMismatch, stderr: "beianwatch: note: unknown.test is not in the registry; checked without its numbers and dates\n",
		},
		{
			name: "no registry without --db", args: append([]string{"check"}, resolve("example.test")...),
			code: 0, absent: checker.CodeICPMismatch,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("BEIANWATCH_DB", tt.env)
			r := runInProcess(t, tt.args...)
			if r.code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, tt.code, r.stdout, r.stderr)
			}
			reps := reports(t, r.stdout)
			if len(reps) != 1 {
				t.Fatalf("%d reports, want 1", len(reps))
			}
			got := codes(reps[0])
			if tt.finding != "" && !slices.Contains(got, tt.finding) {
				t.Errorf("findings %v lack %s", got, tt.finding)
			}
			if slices.Contains(got, tt.absent) {
				t.Errorf("findings %v hold %s", got, tt.absent)
			}
			if r.stderr != tt.stderr {
				t.Errorf("stderr = %q, want %q", r.stderr, tt.stderr)
			}
		})
	}
}
