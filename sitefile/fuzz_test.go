package sitefile

import (
	"archive/zip"
	"bytes"
	"encoding/csv"
	"io"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzRead feeds any bytes to both formats and three encodings: reading
// must not panic, and every problem must name the file and a line.
func FuzzRead(f *testing.F) {
	for _, name := range []string{"good.csv", "good.json", "bad-rows.csv"} {
		data := readFile(f, filepath.Join("testdata", name))
		f.Add(data, name == "good.json", uint8(0))
	}
	f.Add([]byte("domains\n\"a.cn\n"), false, uint8(1))
	f.Add([]byte("[{\"domains\":[\"a.cn\",{}]},[[1]],\"x\"]"), true, uint8(2))
	f.Add([]byte("\xef\xbb\xbfdomains,ips\na.cn,\xff\n"), false, uint8(0))
	encodings := []string{"", EncodingGBK, EncodingGB18030}
	f.Fuzz(func(t *testing.T, data []byte, asJSON bool, enc uint8) {
		name := "f.csv"
		if asJSON {
			name = "f.json"
		}
		opts := ReadOptions{Now: testNow, Encoding: encodings[int(enc)%len(encodings)]}
		rows, bad, err := Read(bytes.NewReader(data), name, opts)
		if err != nil {
			return
		}
		checkRead(t, name, rows, bad)
	})
}

// checkRead holds what Read returned for a file to the fuzzers' rules:
// every problem names the file and a line, every row that passed has a
// domain and a line.
func checkRead(t *testing.T, name string, rows []Row, bad []*RowError) {
	for _, e := range bad {
		if e.File != name || e.Line < 1 {
			t.Errorf("error %q: file %q line %d", e, e.File, e.Line)
		}
	}
	for _, r := range rows {
		if len(r.Site.Domains) == 0 || r.Line < 1 {
			t.Errorf("row on line %d passed with %d domains", r.Line, len(r.Site.Domains))
		}
	}
}

// FuzzReadXLSX feeds hostile workbooks to the .xlsx reader: a zip cut
// short or with a broken directory, a sheet whose XML is broken, shared
// strings out of range. Reading must not panic or hang, and every problem
// must name the file and a row. The seeds are stored uncompressed and
// without checksums (storedZip), so that the fuzzer's changes to their
// bytes reach the XML inside rather than failing the zip's checks.
func FuzzReadXLSX(f *testing.F) {
	example := readFile(f, "../examples/sites.xlsx")
	r := csv.NewReader(bytes.NewReader(readFile(f, "testdata/bad-rows.csv")))
	r.FieldsPerRecord = -1
	cells, err := r.ReadAll()
	if err != nil {
		f.Fatal(err)
	}
	for _, book := range [][]byte{example, workbook(f, 3, cells)} {
		f.Add(book)
		f.Add(storedZip(f, book))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		const name = "f.xlsx"
		rows, bad, err := Read(bytes.NewReader(data), name, ReadOptions{Now: testNow})
		if err != nil {
			if !strings.HasPrefix(err.Error(), name) {
				t.Errorf("error %q does not name the file", err)
			}
			return
		}
		checkRead(t, name, rows, bad)
	})
}

// storedZip rewrites a zip file with every entry stored (not deflated)
// and no CRC-32, which archive/zip then does not check.
func storedZip(t testing.TB, data []byte) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		w, err := zw.CreateRaw(&zip.FileHeader{Name: f.Name, Method: zip.Store,
			CompressedSize64: uint64(len(b)), UncompressedSize64: uint64(len(b))})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
