package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// parseList parses a list command's output in format and returns its
// records as maps (CSV: by the header's names).
func parseList(t *testing.T, format, out string) []map[string]any {
	t.Helper()
	var recs []map[string]any
	switch format {
	case formatJSON:
		if err := json.Unmarshal([]byte(out), &recs); err != nil {
			t.Fatalf("-o json: not a JSON array: %v\n%s", err, out)
		}
	case formatJSONL:
		for line := range strings.Lines(out) {
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatalf("-o jsonl: line %q is not a JSON object: %v", line, err)
			}
			recs = append(recs, m)
		}
	case formatYAML:
		if err := yaml.Unmarshal([]byte(out), &recs); err != nil {
			t.Fatalf("-o yaml: not a YAML sequence of mappings: %v\n%s", err, out)
		}
	case formatCSV:
		rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
		if err != nil || len(rows) == 0 {
			t.Fatalf("-o csv: %v\n%s", err, out)
		}
		for _, row := range rows[1:] {
			m := map[string]any{}
			for i, h := range rows[0] {
				m[h] = row[i]
			}
			recs = append(recs, m)
		}
	}
	return recs
}

// TestOutputFormats runs every list command with each -o and parses what
// it printed: the same records in every format, keyed as the JSON is.
func TestOutputFormats(t *testing.T) {
	t.Parallel()
	site := newSite(t)
	dsn := "sqlite://" + filepath.Join(t.TempDir(), "registry.db")
	mustRun(t, 0, "import", "--db", dsn, "../../examples/sites.csv")
	mustRun(t, 0, "case", "open", "--db", dsn, "--kind", "rectification", "--domain", "example.cn", "--code", "PSB_MISSING")
	mustRun(t, 0, "case", "open", "--db", dsn, "--kind", "takedown", "--domain", "shop.example.com.cn",
		"--url", "https://shop.example.com.cn/x", "--category", "fraud", "--evidence", "刷单")
	mustRun(t, 0, "token", "create", "--db", dsn, "--name", "ci", "--scope", "read")
	lists := []struct {
		name string
		args []string
		n    int
		key  string // a key every record has, and its value in the first
		want string
	}{
		{"sites list", []string{"sites", "list", "--db", dsn}, 3, "site_name", "示例科技"},
		{"case list", []string{"case", "list", "--db", dsn}, 2, "kind", "takedown"},
		{"check", []string{"check", "--no-db", "--allow-private", site.URL + "/", site.URL + "/no-icp"}, 2, "verdict", "pass"},
		{"token list", []string{"token", "list", "--db", dsn}, 1, "name", "ci"},
		{"audit list", []string{"audit", "list", "--db", dsn}, 0, "", ""},
		{"migrate status", []string{"migrate", "status", "--db", dsn}, countMigrations(t), "name", "init"},
	}
	for _, l := range lists {
		for _, format := range listFormats[1:] {
			t.Run(l.name+" "+format, func(t *testing.T) {
				r := runInProcess(t, append(l.args, "-o", format)...)
				if r.code == exitTrouble {
					t.Fatalf("exit %d: %s", r.code, r.stderr)
				}
				recs := parseList(t, format, r.stdout)
				if len(recs) != l.n {
					t.Fatalf("%d records, want %d:\n%s", len(recs), l.n, r.stdout)
				}
				if l.n == 0 {
					return
				}
				if got := recs[0][l.key]; got != l.want {
					t.Errorf("first record's %s = %v, want %q", l.key, got, l.want)
				}
			})
		}
	}
	shows := [][]string{
		{"sites", "show", "--db", dsn, "example.cn"},
		{"case", "show", "--db", dsn, "1"},
	}
	for _, args := range shows {
		for _, format := range showFormats[1:] {
			t.Run(strings.Join(args[:2], " ")+" "+format, func(t *testing.T) {
				r := mustRun(t, 0, append(args, "-o", format)...)
				var m map[string]any
				var err error
				if format == formatYAML {
					err = yaml.Unmarshal([]byte(r.stdout), &m)
				} else {
					err = json.Unmarshal([]byte(r.stdout), &m)
				}
				if err != nil || len(m) < 3 {
					t.Errorf("-o %s: %v\n%s", format, err, r.stdout)
				}
			})
		}
	}
	// The older flags still give what they gave.
	json1 := mustRun(t, 0, "sites", "show", "--db", dsn, "--json", "example.cn").stdout
	if json2 := mustRun(t, 0, "sites", "show", "--db", dsn, "-o", "json", "example.cn").stdout; json1 != json2 {
		t.Errorf("sites show --json differs from -o json:\n%s\n%s", json1, json2)
	}
	if r := mustRun(t, 0, "case", "list", "--db", dsn, "--format", "json"); len(parseList(t, formatJSONL, r.stdout)) != 2 {
		t.Errorf("case list --format json is not JSON lines:\n%s", r.stdout)
	}
}

func TestOutputFormatRejected(t *testing.T) {
	t.Parallel()
	dsn := "sqlite://" + filepath.Join(t.TempDir(), "registry.db")
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"sites", "list", "-o", "xml"}, `invalid -o/--output "xml": want one of table, json, jsonl, csv, yaml`},
		{[]string{"sites", "show", "-o", "csv", "example.cn"}, `invalid -o/--output "csv": want one of table, json, jsonl, yaml`},
		{[]string{"case", "list", "--output", "JSONS"}, `invalid -o/--output "JSONS": want one of table, json, jsonl, csv, yaml`},
		{[]string{"case", "show", "-o", "", "1"}, `invalid -o/--output "": want one of table, json, jsonl, yaml`},
		{[]string{"check", "-o", "txt", "example.cn"}, `invalid -o/--output "txt": want one of table, json, jsonl, csv, yaml`},
		{[]string{"check", "--json", "-o", "csv", "example.cn"}, `--json and -o "csv" disagree: --json is the same as -o jsonl`},
		{[]string{"export", "-o", "yaml"}, `invalid -o/--output "yaml": want one of csv, json, xlsx`},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			r := runInProcess(t, append(tt.args, "--db", dsn)...)
			if r.code != exitTrouble || !strings.Contains(r.stderr, tt.want) {
				t.Errorf("exit %d, stderr %q; want %d and %q", r.code, r.stderr, exitTrouble, tt.want)
			}
		})
	}
}

// TestExportXLSXRoundTrip exports a registry as a workbook and imports it
// into another: the second exports the same CSV as the first.
func TestExportXLSXRoundTrip(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	dsn1, dsn2 := "sqlite://"+filepath.Join(dir, "a.db"), "sqlite://"+filepath.Join(dir, "b.db")
	book := filepath.Join(dir, "sites.xlsx")
	mustRun(t, 0, "import", "--db", dsn1, "../../examples/sites.csv")
	r := mustRun(t, 0, "export", "--db", dsn1, "--include-personal", "--file", book)
	if !strings.Contains(r.stderr, "exported 3 sites to "+book) {
		t.Errorf("stderr = %q", r.stderr)
	}
	mustRun(t, 0, "import", "--db", dsn2, book)
	csv1 := mustRun(t, 0, "export", "--db", dsn1, "--include-personal").stdout
	csv2 := mustRun(t, 0, "export", "--db", dsn2, "--include-personal", "-o", "csv").stdout
	if csv1 != csv2 || !bytes.HasPrefix([]byte(csv1), []byte("\ufeffdomains,")) {
		t.Errorf("after an .xlsx round trip the registry differs:\n%s\n%s", csv1, csv2)
	}
	// -o as a file name, what it meant before: still works, with a warning.
	old := filepath.Join(dir, "old.csv")
	r = mustRun(t, 0, "export", "--db", dsn1, "-o", old)
	if !strings.Contains(r.stderr, "-o is the format now; use --file") {
		t.Errorf("export -o FILE: stderr = %q", r.stderr)
	}
}

// TestOutputFromEnvironment: BEIANWATCH_OUTPUT sets -o for every command;
// a command that lacks its format keeps its default, a typo is an error.
func TestOutputFromEnvironment(t *testing.T) {
	dir := t.TempDir()
	dsn := "sqlite://" + filepath.Join(dir, "r.db")
	mustRun(t, 0, "import", "--db", dsn, "../../examples/sites.csv")
	t.Setenv("BEIANWATCH_OUTPUT", "jsonl")
	if r := mustRun(t, 0, "sites", "list", "--db", dsn); len(parseList(t, formatJSONL, r.stdout)) != 3 {
		t.Errorf("sites list with BEIANWATCH_OUTPUT=jsonl:\n%s", r.stdout)
	}
	if r := mustRun(t, 0, "sites", "list", "--db", dsn, "-o", "csv"); !strings.HasPrefix(r.stdout, "id,domains,") {
		t.Errorf("-o csv over BEIANWATCH_OUTPUT:\n%s", r.stdout)
	}
	if r := mustRun(t, 0, "export", "--db", dsn); !strings.HasPrefix(r.stdout, "\ufeffdomains,") {
		t.Errorf("export with BEIANWATCH_OUTPUT=jsonl is not its default CSV:\n%s", r.stdout)
	}
	if r := mustRun(t, 0, "sites", "show", "--db", dsn, "example.cn"); strings.Count(r.stdout, "\n") != 1 {
		t.Errorf("sites show with BEIANWATCH_OUTPUT=jsonl is not one line:\n%s", r.stdout)
	}
	t.Setenv("BEIANWATCH_OUTPUT", "jsn")
	if r := runInProcess(t, "sites", "list", "--db", dsn); r.code != exitTrouble || !strings.Contains(r.stderr, `invalid -o/--output "jsn"`) {
		t.Errorf("BEIANWATCH_OUTPUT=jsn: exit %d, %q", r.code, r.stderr)
	}
}

// countMigrations is how many migrations the registry ships (one file a
// migration for each engine).
func countMigrations(t *testing.T) int {
	t.Helper()
	es, err := os.ReadDir(filepath.Join("..", "..", "registry", "migrations", "sqlite"))
	if err != nil {
		t.Fatal(err)
	}
	return len(es)
}
