package sitefile

import (
	"bytes"
	"path/filepath"
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
	})
}
