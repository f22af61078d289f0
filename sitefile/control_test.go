package sitefile

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestReadControlCharacters: a control character is refused in the cell
// that holds it, with its line and column, except tabs and line breaks in
// free-text columns; the rest of the file still imports.
func TestReadControlCharacters(t *testing.T) {
	tests := []struct {
		name, file, data string
		want             []string // errors
		good             []string // primary domains of the rows that import
	}{
		{
			name: "csv",
			file: "x.csv",
			data: "domains,site_name,icp_number,customer_id,registrar\n" +
				"a.cn,\"Tab\there\",,,\n" + // line 2: a tab in free text is fine
				"b.cn,\"two\nlines\",,,\n" + // lines 3-4: so is a line break
				"c\x00.cn,,,,\n" + // line 5: NUL, which PostgreSQL cannot store
				"d.cn,\x1b[2J\x1b[31mowned,,,\n" + // line 6: ESC sequences
				"e.cn,,,\"cu\tst\",\n" + // line 7: tab outside free text
				"f.cn,,,\u009bcsi,\x07bell\n" + // line 8: C1 CSI and BEL, two cells
				"g.cn,,,,\x7f\n", // line 9: DEL
			want: []string{
				"x.csv:5: domains: control character U+0000 at character 2",
				"x.csv:6: site_name: control character U+001B at character 1",
				"x.csv:7: customer_id: control character U+0009 at character 3; tabs and line breaks belong only in free-text columns",
				"x.csv:8: customer_id: control character U+009B at character 1",
				"x.csv:8: registrar: control character U+0007 at character 1",
				"x.csv:9: registrar: control character U+007F at character 1",
			},
			good: []string{"a.cn", "b.cn"},
		},
		{
			name: "json",
			file: "x.json",
			data: `[
  {"domains": "a.cn", "site_name": "line\nbreak"},
  {"domains": ["b.cn", "c\u0000.cn"]},
  {"domains": "d.cn", "icp_number": "京ICP备\u001b]0;x\u0007"},
  {"domains": "e.cn", "evil\u001b[0m": "x"}
]`,
			want: []string{
				"x.json:3: domains: control character U+0000 at character 7",
				"x.json:4: icp_number: control character U+001B at character 6",
				`x.json:5: "evil\x1b[0m": unknown column`,
			},
			good: []string{"a.cn"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, bad, err := readAll(t, []byte(tt.data), tt.file, ReadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var got, good []string
			for _, e := range bad {
				got = append(got, e.Error())
			}
			for _, r := range rows {
				good = append(good, r.Site.Domains[0].ASCII)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("errors (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.good, good); diff != "" {
				t.Errorf("rows imported (-want +got):\n%s", diff)
			}
		})
	}
}
