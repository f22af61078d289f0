package sitefile

import (
	"bytes"
	"iter"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/registry"
)

// goodSites reads the sites of testdata/good.csv.
func goodSites(t *testing.T) []registry.Site {
	t.Helper()
	rows, bad, err := readAll(t, readFile(t, "testdata/good.csv"), "good.csv", ReadOptions{})
	if err != nil || len(bad) > 0 {
		t.Fatalf("Read(good.csv) = %v, %v", bad, err)
	}
	return sites(rows)
}

// seq pairs sites with states (nil past the end of states).
func seq(ss []registry.Site, states []*registry.State) iter.Seq2[*registry.Site, *registry.State] {
	return func(yield func(*registry.Site, *registry.State) bool) {
		for i := range ss {
			var st *registry.State
			if i < len(states) {
				st = states[i]
			}
			if !yield(&ss[i], st) {
				return
			}
		}
	}
}

// testStates are check states for the first sites of good.csv.
func testStates() []*registry.State {
	at := time.Date(2026, 11, 26, 20, 30, 0, 0, time.UTC)
	return []*registry.State{
		{Verdict: checker.VerdictFail, LastCheckAt: at, BadgeFirstSeenAt: at.AddDate(-1, 0, 0),
			Findings:     []checker.Finding{{Code: checker.CodeICPMismatch}, {Code: checker.CodePSBNoIcon}},
			FailingSince: at.Add(-48 * time.Hour), FailStreak: 9, LastPassAt: at.Add(-49 * time.Hour)},
		{Verdict: checker.VerdictPass, LastCheckAt: at, LastPassAt: at, Findings: []checker.Finding{}},
	}
}

// TestWriteGolden writes good.csv's sites in each form an export takes.
func TestWriteGolden(t *testing.T) {
	ss := goodSites(t)
	// A cell of each kind a spreadsheet would run as a formula.
	ss[2].Name, ss[2].CustomerID, ss[2].Registrar, ss[2].AccessProvider = "-2+3", "@SUM(A1)", "+cmd", "\tx"
	tests := []struct {
		golden string
		opts   WriteOptions
	}{
		{"export.csv.golden", WriteOptions{}},
		{"export-personal.csv.golden", WriteOptions{IncludePersonal: true}},
		{"export-results.csv.golden", WriteOptions{WithResults: true}},
		{"export.json.golden", WriteOptions{Format: FormatJSON}},
		{"export-results.json.golden", WriteOptions{Format: FormatJSON, WithResults: true, IncludePersonal: true}},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			tt.opts.Now = testNow
			var buf bytes.Buffer
			if err := Write(&buf, seq(ss, testStates()), tt.opts); err != nil {
				t.Fatal(err)
			}
			golden(t, tt.golden, buf.Bytes())
		})
	}
}

func TestWriteEmpty(t *testing.T) {
	for _, tt := range []struct {
		opts WriteOptions
		want string
	}{
		{WriteOptions{}, "\ufeff" + strings.Join(Columns(false), ",") + "\r\n"},
		{WriteOptions{Format: "JSON"}, "[]\n"},
	} {
		var buf bytes.Buffer
		if err := Write(&buf, seq(nil, nil), tt.opts); err != nil {
			t.Fatal(err)
		}
		if buf.String() != tt.want {
			t.Errorf("Write(none, %+v) = %q, want %q", tt.opts, buf.String(), tt.want)
		}
	}
	if _, err := NewWriter(&bytes.Buffer{}, WriteOptions{Format: "xml"}); err == nil || err.Error() != `unknown format "xml": want csv, json or xlsx` {
		t.Errorf("NewWriter(xml) error = %v", err)
	}
}

// TestRoundTrip exports sites and imports the export: the same sites come
// back, in both formats, with the result columns too.
func TestRoundTrip(t *testing.T) {
	ss := goodSites(t)
	ss[2].Name, ss[2].Contact.Phone = "=cmd|' /C calc'!A0", "+86 13812345678"
	for _, opts := range []WriteOptions{
		{Format: FormatCSV, IncludePersonal: true},
		{Format: FormatCSV, IncludePersonal: true, WithResults: true},
		{Format: FormatJSON, IncludePersonal: true},
		{Format: FormatJSON, IncludePersonal: true, WithResults: true},
		{Format: FormatXLSX, IncludePersonal: true},
		{Format: FormatXLSX, IncludePersonal: true, WithResults: true},
	} {
		var buf bytes.Buffer
		if err := Write(&buf, seq(ss, testStates()), opts); err != nil {
			t.Fatal(err)
		}
		rows, bad, err := readAll(t, buf.Bytes(), "export."+opts.Format, ReadOptions{})
		if err != nil || len(bad) > 0 {
			t.Fatalf("%+v: re-import = %v, %v\n%s", opts, bad, err, buf.String())
		}
		if diff := siteDiff(ss, sites(rows)); diff != "" {
			t.Errorf("%+v: re-imported sites differ (-exported +imported):\n%s", opts, diff)
		}
	}
}

// TestMaskedExportReimport: a masked export re-imports only where no
// personal data was masked; the masked cells are errors, never stars
// written over the real values.
func TestMaskedExportReimport(t *testing.T) {
	ss := goodSites(t)
	var buf bytes.Buffer
	if err := Write(&buf, seq(ss, nil), WriteOptions{}); err != nil {
		t.Fatal(err)
	}
	rows, bad, err := readAll(t, buf.Bytes(), "export.csv", ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range bad {
		got = append(got, e.Error())
	}
	want := []string{
		"export.csv:2: contact_name: " + msgMasked,
		"export.csv:2: contact_phone: " + msgMasked,
		"export.csv:2: contact_email: " + msgMasked,
		"export.csv:3: operator_name: " + msgMasked,
		"export.csv:3: contact_name: " + msgMasked,
		"export.csv:3: contact_phone: " + msgMasked,
		"export.csv:6: contact_phone: " + msgMasked,
		"export.csv:7: operator_name: " + msgMasked,
		"export.csv:7: contact_name: " + msgMasked,
		"export.csv:7: contact_phone: " + msgMasked,
		"export.csv:7: contact_email: " + msgMasked,
	}
	if diff := siteDiff(want, got); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	if len(rows) != 1 || rows[0].Site.Domains[0].ASCII != "minimal.cn" {
		t.Errorf("rows = %+v, want only minimal.cn", rows)
	}
}

func TestMask(t *testing.T) {
	tests := []struct {
		mask func(string) string
		in   string
		want string
	}{
		{MaskName, "张三", "张*"},
		{MaskName, "欧阳娜娜", "欧*"},
		{MaskName, "John Smith", "J***"},
		{MaskName, "", ""},
		{MaskPhone, "13812345678", "138****5678"},
		{MaskPhone, "+86 13812345678", "138****5678"},
		{MaskPhone, "010-12345678", "010-****5678"},
		{MaskPhone, "0755 1234567-801", "075* ******7-801"},
		{MaskPhone, "12345", "*****"},
		{MaskEmail, "zhangsan@example.com", "z***@example.com"},
		{MaskEmail, "张@例子.中国", "张***@例子.中国"},
		{MaskEmail, "broken", "b***"},
	}
	for _, tt := range tests {
		if got := tt.mask(tt.in); got != tt.want {
			t.Errorf("mask(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestWriteGuardsFormulas checks every cell of a CSV export that starts
// like a formula has the apostrophe that stops a spreadsheet running it.
func TestWriteGuardsFormulas(t *testing.T) {
	data := readFile(t, filepath.Join("testdata", "export.csv.golden"))
	for _, cell := range []string{"'-2+3", "'@SUM(A1)", "'+cmd", "'\tx"} {
		if !bytes.Contains(data, []byte(","+cell+",")) {
			t.Errorf("export.csv.golden lacks the guarded cell %q", cell)
		}
	}
}
