package sitefile

import (
	"bytes"
	"encoding/csv"
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/xuri/excelize/v2"
)

// workbook writes rows on the first sheet of a new workbook, every cell as
// text, starting at row first (rows above it stay empty).
func workbook(t testing.TB, first int, rows [][]string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, row := range rows {
		for j, v := range row {
			cell, err := excelize.CoordinatesToCellName(j+1, first+i)
			if err != nil {
				t.Fatal(err)
			}
			if err := f.SetCellStr("Sheet1", cell, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestReadXLSXBadRows reads the bad rows of the CSV test as a workbook:
// the same rows are refused with the same messages, each naming its row
// number (the sheet's rows are the CSV's lines).
func TestReadXLSXBadRows(t *testing.T) {
	data := readFile(t, "testdata/bad-rows.csv")
	cr := csv.NewReader(bytes.NewReader(bytes.TrimPrefix(data, utf8BOM)))
	cr.FieldsPerRecord = -1
	records, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	_, wantBad, err := readAll(t, data, "bad-rows.csv", ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	_, gotBad, err := readAll(t, workbook(t, 1, records), "bad-rows.xlsx", ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	// A row of the wrong field count is the CSV's own problem: a sheet
	// leaves out a row's empty cells at its end, so it has no such thing.
	skip := map[int]bool{}
	for _, e := range wantBad {
		if strings.Contains(e.Message, "fields, but the header has") {
			skip[e.Line] = true
		}
	}
	text := func(es []*RowError, file string) []string {
		var out []string
		for _, e := range es {
			if !skip[e.Line] {
				out = append(out, strings.TrimPrefix(e.Error(), file))
			}
		}
		return out
	}
	want := text(wantBad, "bad-rows.csv")
	if len(skip) == 0 || len(want) < 20 {
		t.Fatalf("the CSV test file changed: %d errors, %d field-count rows", len(want), len(skip))
	}
	if diff := cmp.Diff(want, text(gotBad, "bad-rows.xlsx")); diff != "" {
		t.Errorf("workbook errors differ from the CSV's (-csv +xlsx):\n%s", diff)
	}
}

// TestReadXLSXRowNumbers: blank rows above the header and between rows
// count, as Excel numbers them; a value past the header is the row's
// error.
func TestReadXLSXRowNumbers(t *testing.T) {
	rows := [][]string{
		{"domains", "icp_number"},
		{"a.example.cn", "京ICP备2021034567号-1"},
		{},
		{"b.example.cn", "沪ICP备12号"},
		{"c.example.cn", "", "stray"},
	}
	_, bad, err := readAll(t, workbook(t, 3, rows), "sites.xlsx", ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range bad {
		got = append(got, e.Error())
	}
	want := []string{
		`sites.xlsx:6: icp_number: ICP number "沪ICP备12号" is malformed: 2 digits; ICP filing numbers have 8 or 10 (6–7 on old ones)`,
		`sites.xlsx:7: 3 fields, but the header has 2`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

func TestReadXLSXFatal(t *testing.T) {
	tests := []struct {
		name, file string
		data       []byte
		opts       ReadOptions
		want       string
	}{
		{"not a workbook", "sites.xlsx", []byte("domains\nexample.cn\n"), ReadOptions{}, "sites.xlsx: not an Excel workbook (.xlsx)"},
		{"empty sheet", "sites.xlsx", workbook(t, 1, nil), ReadOptions{}, "sites.xlsx: empty file: want a header row naming the columns"},
		{"unknown column", "sites.xlsx", workbook(t, 2, [][]string{{"domains", "colour"}}), ReadOptions{}, `sites.xlsx:2: unknown column "colour"`},
		{"encoding", "sites.xlsx", workbook(t, 1, [][]string{{"domains"}}), ReadOptions{Encoding: "gbk"}, "sites.xlsx: an Excel workbook has no text encoding to set"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := readAll(t, tt.data, tt.file, tt.opts)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Errorf("Read() error = %v, want %q…", err, tt.want)
			}
		})
	}
}

// TestExampleWorkbook keeps examples/sites.xlsx the workbook of
// examples/sites.csv: go test ./sitefile -run ExampleWorkbook -update
// writes it again after the CSV changed.
func TestExampleWorkbook(t *testing.T) {
	const csvFile, xlsxFile = "../examples/sites.csv", "../examples/sites.xlsx"
	rows, bad, err := readAll(t, readFile(t, csvFile), csvFile, ReadOptions{})
	if err != nil || len(bad) > 0 {
		t.Fatalf("%s: %v %v", csvFile, bad, err)
	}
	var buf bytes.Buffer
	if err := Write(&buf, seq(sites(rows), nil), WriteOptions{Format: FormatXLSX, IncludePersonal: true}); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(xlsxFile, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	book := readFile(t, xlsxFile)
	got, bad, err := readAll(t, book, xlsxFile, ReadOptions{})
	if err != nil || len(bad) > 0 {
		t.Fatalf("%s: %v %v", xlsxFile, bad, err)
	}
	if diff := siteDiff(sites(rows), sites(got)); diff != "" {
		t.Errorf("%s differs from %s (go test ./sitefile -run ExampleWorkbook -update):\n%s", xlsxFile, csvFile, diff)
	}
	if !bytes.Equal(book, buf.Bytes()) {
		t.Errorf("%s is not the workbook written from %s (go test ./sitefile -run ExampleWorkbook -update)", xlsxFile, csvFile)
	}
}
