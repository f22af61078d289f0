package sitefile

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/beianwatch/beianwatch/registry"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// testNow is the import time of every test: noon in Beijing.
var testNow = time.Date(2026, 11, 27, 12, 0, 0, 0, time.FixedZone("CST", 8*3600))

// siteDiff compares sites, whose IPs cmp cannot see into by itself.
func siteDiff(want, got any) string {
	return cmp.Diff(want, got, cmpopts.EquateComparable(netip.Addr{}))
}

func readFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want := readFile(t, path)
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s mismatch (-want +got; go test -update rewrites it):\n%s", path, diff)
	}
}

// readAll reads a file held in memory, as Read does.
func readAll(t *testing.T, data []byte, name string, opts ReadOptions) ([]Row, []*RowError, error) {
	t.Helper()
	if opts.Now.IsZero() {
		opts.Now = testNow
	}
	return Read(bytes.NewReader(data), name, opts)
}

// rowsText is the golden form of rows: their lines, warnings and sites.
func rowsText(t *testing.T, rows []Row) []byte {
	t.Helper()
	type view struct {
		Line, Index int
		Warnings    []string
		Site        registry.Site
	}
	var vs []view
	for _, r := range rows {
		v := view{Line: r.Line, Index: r.Index, Site: r.Site}
		for _, w := range r.Warnings {
			v.Warnings = append(v.Warnings, w.Error())
		}
		vs = append(vs, v)
	}
	b, err := json.MarshalIndent(vs, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(b, '\n')
}

func sites(rows []Row) []registry.Site {
	var out []registry.Site
	for _, r := range rows {
		out = append(out, r.Site)
	}
	return out
}

func TestReadGood(t *testing.T) {
	var all [][]registry.Site
	for _, name := range []string{"good.csv", "good.json"} {
		t.Run(name, func(t *testing.T) {
			rows, bad, err := readAll(t, readFile(t, filepath.Join("testdata", name)), name, ReadOptions{})
			if err != nil || len(bad) > 0 {
				t.Fatalf("Read(%s) = %v, %v; want no errors", name, bad, err)
			}
			golden(t, name+".golden", rowsText(t, rows))
			all = append(all, sites(rows))
		})
	}
	// The two files hold the same sites, each format's way.
	if len(all) == 2 {
		if diff := siteDiff(all[0], all[1]); diff != "" {
			t.Errorf("good.csv and good.json differ (-csv +json):\n%s", diff)
		}
	}
}

// TestReadBadRows reads a file with a bad row of every kind. Each row's
// errors are exact: they are what a user sees.
func TestReadBadRows(t *testing.T) {
	data := readFile(t, "testdata/bad-rows.csv")
	rows, bad, err := readAll(t, data, "bad-rows.csv", ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Line != 2 {
		t.Errorf("good rows = %d, want only line 2", len(rows))
	}
	got := make(map[int][]string)
	for _, e := range bad {
		got[e.Line] = append(got[e.Line], e.Error())
	}
	tests := []struct {
		line int
		kind string
		want []string
	}{
		{3, "ICP number digit count", []string{`icp_number: ICP number "京ICP备1234号" is malformed: 4 digits; ICP filing numbers have 8 or 10 (6–7 on old ones)`}},
		{4, "not an ICP number", []string{`icp_number: "ICP-12345" is not an ICP number (want e.g. 京ICP备12345678号-1)`}},
		{5, "ICP vanity province", []string{`icp_number: "萌" is not a mainland province abbreviation in "萌ICP备20257012号"`}},
		{6, "ICP placeholder", []string{`icp_number: ICP number 京ICP备12345678号 is a template placeholder, not a real filing`}},
		{7, "PSB province mismatch", []string{`psb_number: PSB number 33010902002564 starts with 33 (Zhejiang) but its abbreviation is 京 (Beijing)`}},
		{8, "PSB digit count", []string{`psb_number: PSB number "公网安备11010502号" is malformed: 8 digits; PSB numbers have 14`}},
		{9, "not a PSB number", []string{`psb_number: "公安备案" is not a PSB number (want its 14 digits or 京公网安备…号)`}},
		{10, "date format", []string{`icp_approved_on: "2024/03/01" is not a date; want YYYY-MM-DD`}},
		{11, "impossible date", []string{`launched_on: "2024-02-30" is not a date; want YYYY-MM-DD`}},
		{12, "future date", []string{`psb_filed_on: 2027-01-01 is in the future`}},
		{13, "launch before ICP approval", []string{`launched_on: 2024-04-30 is before icp_approved_on 2024-05-01; a site cannot launch before its ICP approval`}},
		{14, "PSB approval before filing", []string{`psb_approved_on: 2024-04-01 is before psb_filed_on 2024-05-01`}},
		{15, "domain is a URL", []string{`domains: "http://a15.cn/" is a URL; give the host name only`}},
		{16, "empty label", []string{`domains: "a..cn" has an empty label`}},
		{17, "IP as domain", []string{`domains: "1.2.3.4" is an IP address; list addresses under ips`}},
		{18, "port", []string{`domains: "a18.cn:8080" has a port; give the host name only`}},
		{19, "single label", []string{`domains: "localhost" is not a full domain name`}},
		{20, "bad hyphen", []string{`domains: "-a20.cn" is not a valid host name`}},
		{21, "duplicate across rows", []string{`domains: dup.cn is also on line 2`}},
		{22, "duplicate in a row", []string{`domains: a22.cn is listed twice`}},
		{23, "no domains", []string{`domains: required`}},
		{24, "bad IP", []string{`ips: "1.2.3.256" is not an IP address`}},
		{25, "network for IP", []string{`ips: "10.0.0.0/8" is not an IP address`}},
		{26, "check_url scheme", []string{`check_url: not an absolute http or https URL`}},
		{27, "check_url password", []string{`check_url: must not carry a user name or password`}},
		{28, "operator type", []string{`operator_type: "company" is not personal or organization (个人, 单位 or 企业)`}},
		{29, "interactive", []string{`interactive: "maybe" is not yes or no (是 or 否)`}},
		{30, "phone", []string{`contact_phone: not a phone number`}},
		{31, "email", []string{`contact_email: not an email address`}},
		{32, "masked phone", []string{`contact_phone: ` + msgMasked}},
		{33, "masked personal operator", []string{`operator_name: ` + msgMasked}},
		{34, "field count", []string{`2 fields, but the header has 15`}},
		{35, "several at once", []string{
			`icp_approved_on: "yesterday" is not a date; want YYYY-MM-DD`,
			`ips: "::1%eth0" has a zone; give the address only`,
			`contact_phone: not a phone number`,
		}},
		{36, "wildcard", []string{`domains: "*.a36.cn" is a wildcard; list each host name`}},
		{37, "numeric top-level", []string{`domains: "1.2.3" is not a host name: it ends in a number`}},
		{38, "label length", []string{`domains: "` + strings.Repeat("a", 64) + `.cn" has a label longer than 63 characters`}},
		{39, "path", []string{`domains: "a39.cn/index.html" has a path; give the host name only`}},
		{40, "email with a name", []string{`contact_email: not an email address`}},
		{41, "ICP site number twice", []string{`icp_number: 京ICP备2021034567号-1 is also on line 2`}},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			var want []string
			for _, w := range tt.want {
				want = append(want, fmt.Sprintf("bad-rows.csv:%d: %s", tt.line, w))
			}
			if diff := cmp.Diff(want, got[tt.line]); diff != "" {
				t.Errorf("errors on line %d (-want +got):\n%s", tt.line, diff)
			}
			delete(got, tt.line)
		})
	}
	for line, errs := range got {
		t.Errorf("unexpected errors on line %d: %q", line, errs)
	}
	// Personal data stays out of messages (domain.md §6).
	for _, e := range bad {
		for _, secret := range []string{`"12345"`, "zhang.at", "张三", "张*", "138****", "999", "secret"} {
			if strings.Contains(e.Error(), secret) {
				t.Errorf("error %q shows personal data %q", e, secret)
			}
		}
	}
}

// TestReadFatal covers files that cannot be read at all: each error is
// exact and names the file and, where there is one, the line.
func TestReadFatal(t *testing.T) {
	gbk, _ := simplifiedchinese.GBK.NewEncoder().String("domains,site_name\na.cn,示例\n")
	tests := []struct {
		name string
		file string
		data string
		opts ReadOptions
		want string
	}{
		{"empty CSV", "empty.csv", "", ReadOptions{}, "empty.csv: empty file: want a header line naming the columns"},
		{"BOM only", "bom.csv", "\ufeff", ReadOptions{}, "bom.csv: empty file: want a header line naming the columns"},
		{"blank lines only", "blank.csv", "\r\n\r\n", ReadOptions{}, "blank.csv: empty file: want a header line naming the columns"},
		{"empty JSON", "empty.json", " \n", ReadOptions{}, "empty.json: empty file: want a JSON array of objects"},
		{"unknown column", "x.csv", "domains,site,tag\n", ReadOptions{}, "x.csv:1: unknown column \"site\"\nx.csv:1: unknown column \"tag\""},
		{"missing domains column", "x.csv", "site_name,icp_number\n", ReadOptions{}, `x.csv:1: no "domains" column; it is required`},
		{"duplicated column", "x.csv", "domains,Domains \n", ReadOptions{}, `x.csv:1: column "domains" appears twice`},
		{"header after blank lines", "x.csv", "\n\ndomain\n", ReadOptions{}, "x.csv:3: unknown column \"domain\"\nx.csv:3: no \"domains\" column; it is required"},
		{"bare quote", "x.csv", "domains\na.cn\nb\"c.cn\n", ReadOptions{}, `x.csv:3:2: bare " in non-quoted-field`},
		{"unterminated quote", "x.csv", "domains,site_name\na.cn,\"open\n\nb.cn,x\n", ReadOptions{}, `x.csv:4:8: extraneous or missing " in quoted-field`},
		{"GBK read as UTF-8", "x.csv", gbk, ReadOptions{}, "x.csv:2: not valid UTF-8 text; a file saved by Excel in China is usually GBK or GB18030: give its encoding"},
		{"UTF-8 BOM read as GBK", "x.csv", "\ufeffdomains\na.cn\n", ReadOptions{Encoding: "gbk"}, "x.csv: the file starts with a UTF-8 byte-order mark, so it is UTF-8, not gbk: leave the encoding out"},
		{"UTF-8 read as GB18030", "x.csv", "domains,site_name\na.cn,示例\n", ReadOptions{Encoding: "GB18030"}, "x.csv: the file looks like UTF-8, not gb18030: leave the encoding out"},
		{"unknown encoding", "x.csv", "domains\n", ReadOptions{Encoding: "latin1"}, `x.csv: unknown encoding "latin1": want utf-8, gbk or gb18030`},
		{"unknown extension", "sites.txt", "domains\n", ReadOptions{}, "sites.txt: cannot tell the format from the name: want a .csv, .json or .xlsx file"},
		{"unknown format", "sites.txt", "domains\n", ReadOptions{Format: "xls"}, `unknown format "xls": want csv, json or xlsx`},
		{"JSON not an array", "x.json", "\n{\"domains\": \"a.cn\"}", ReadOptions{}, "x.json:2: want a JSON array of objects"},
		{"JSON syntax", "x.json", "[\n{\"domains\": \"a.cn\"},\n{\"domains\" \"b.cn\"}\n]", ReadOptions{}, "x.json:3: invalid JSON: expected colon after object key"},
		{"JSON truncated", "x.json", "[\n{\"domains\": \"a.cn\"", ReadOptions{}, "x.json:2: invalid JSON: unexpected end of file"},
		{"JSON data after array", "x.json", "[]\n[]", ReadOptions{}, "x.json:2: data after the JSON array"},
		{"JSON as CSV", "x.json", "domains\na.cn\n", ReadOptions{}, "x.json:1: invalid JSON: invalid character 'd' looking for beginning of value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, bad, err := readAll(t, []byte(tt.data), tt.file, tt.opts)
			if err == nil {
				t.Fatalf("Read(%q) = %d rows, %v, nil; want error %q", tt.data, len(rows), bad, tt.want)
			}
			if err.Error() != tt.want {
				t.Errorf("Read(%q) error = %q, want %q", tt.data, err, tt.want)
			}
		})
	}
	if _, _, err := readAll(t, nil, "empty.csv", ReadOptions{}); !errors.Is(err, ErrEmpty) {
		t.Errorf("Read(empty) error = %v, want ErrEmpty", err)
	}
}

// TestReadJSONRows covers the problems only a JSON row can have.
func TestReadJSONRows(t *testing.T) {
	data := `[
  {"domains": "a.cn", "domain": "b.cn"},
  {"domains": "c.cn", "DOMAINS": "d.cn"},
  "e.cn",
  {"domains": {"name": "f.cn"}},
  {"site_name": ["g"], "domains": "g.cn"},
  {"domains": ["h.cn", 1]},
  [{"domains": "i.cn"}],
  {},
  {"domains": "j.cn", "interactive": true, "customer_id": 10086}
]`
	rows, bad, err := readAll(t, []byte(data), "x.json", ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range bad {
		got = append(got, e.Error())
	}
	want := []string{
		"x.json:2: domain: unknown column",
		"x.json:3: domains: appears twice in the object",
		"x.json:4: not a JSON object",
		"x.json:5: domains: want a string, not an object",
		"x.json:5: domains: required",
		"x.json:6: site_name: want a string, not an array",
		"x.json:7: domains: want an array of strings",
		"x.json:7: domains: required",
		"x.json:8: not a JSON object",
		"x.json:9: domains: required",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
	if len(rows) != 1 || rows[0].Line != 10 || !rows[0].Site.Interactive || rows[0].Site.CustomerID != "10086" {
		t.Errorf("good rows = %+v, want j.cn on line 10, interactive, customer 10086", rows)
	}
}

func TestReadHeaderOnly(t *testing.T) {
	for _, tt := range []struct{ file, data string }{
		{"h.csv", "\ufeffdomains,site_name\r\n"},
		{"h.csv", "domains"},
		{"h.json", "[]"},
		{"h.json", "\ufeff[\n]\n"},
	} {
		rows, bad, err := readAll(t, []byte(tt.data), tt.file, ReadOptions{})
		if err != nil || len(rows) != 0 || len(bad) != 0 {
			t.Errorf("Read(%q) = %d rows, %v, %v; want nothing and no error", tt.data, len(rows), bad, err)
		}
	}
}

// TestReadEncodings reads good.csv saved as Excel in China saves it, and
// expects the same sites as from UTF-8.
func TestReadEncodings(t *testing.T) {
	utf := readFile(t, "testdata/good.csv")
	want, _, err := readAll(t, utf, "good.csv", ReadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	text := bytes.TrimPrefix(utf, utf8BOM)
	gbk, err := simplifiedchinese.GBK.NewEncoder().Bytes(text)
	if err != nil {
		t.Fatal(err)
	}
	gb18030, err := simplifiedchinese.GB18030.NewEncoder().Bytes(append([]byte("\ufeff"), text...))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(gb18030, []byte{0x84, 0x31, 0x95, 0x33}) {
		t.Fatalf("GB18030 fixture lacks its BOM: % x", gb18030[:4])
	}
	tests := []struct {
		name     string
		data     []byte
		encoding string
	}{
		{"UTF-8 without BOM", text, ""},
		{"gbk", gbk, "gbk"},
		{"gb18030 with BOM", gb18030, "gb18030"},
		{"gb18030 read from GBK bytes", gbk, "gb18030"}, // GB18030 is a superset
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, bad, err := readAll(t, tt.data, "good.csv", ReadOptions{Encoding: tt.encoding})
			if err != nil || len(bad) > 0 {
				t.Fatalf("Read = %v, %v", bad, err)
			}
			if diff := siteDiff(want, got); diff != "" {
				t.Errorf("rows differ from UTF-8 (-want +got):\n%s", diff)
			}
		})
	}
	t.Run("invalid gbk bytes", func(t *testing.T) {
		data := append(append([]byte("domains,site_name\na.cn,"), gbk[len(gbk)-6:len(gbk)-1]...), 0x81, 0x20, '\n')
		_, _, err := readAll(t, data, "x.csv", ReadOptions{Encoding: "gbk"})
		want := "x.csv:2: bytes that are not valid gbk text; is that the file's encoding?"
		if err == nil || err.Error() != want {
			t.Errorf("Read error = %v, want %q", err, want)
		}
	})
}

// TestReaderStreams reads row by row and goes on after a bad row.
func TestReaderStreams(t *testing.T) {
	rd, err := NewReader(strings.NewReader("domains\na.cn\nbad..cn\nb.cn\n"), "x.csv", ReadOptions{Now: testNow})
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for {
		row, err := rd.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		lines = append(lines, fmt.Sprintf("%d:%d:%d", row.Line, row.Index, len(row.Errors)))
	}
	if diff := cmp.Diff([]string{"2:0:0", "3:1:1", "4:2:0"}, lines); diff != "" {
		t.Errorf("rows (line:index:errors) (-want +got):\n%s", diff)
	}
}

// TestTextChecker reads text in pieces that cut runes apart: good text
// passes whole, and a bad byte fails on its line.
func TestTextChecker(t *testing.T) {
	const text = "domains,site_name\n中文.中国,示例\n"
	readers := map[string]func(io.Reader) io.Reader{
		"one byte":      iotest.OneByteReader,
		"halves":        iotest.HalfReader,
		"EOF with data": iotest.DataErrReader,
	}
	for name, wrap := range readers {
		got, err := io.ReadAll(&textChecker{r: wrap(strings.NewReader(text)), line: 1, badMsg: "bad"})
		if err != nil || string(got) != text {
			t.Errorf("%s: ReadAll = %q, %v; want the text back", name, got, err)
		}
	}
	tests := []struct {
		in   string
		line int
	}{
		{"a\nb\n\xe4\xb8", 3},   // a rune cut by the end of the file
		{"a\n\xff\nc\n", 2},     // not UTF-8 at all
		{"中\n文\n\xe4\x41\n", 3}, // a rune cut by an ASCII byte
		{"\xef\xbf\xbd", 1},     // U+FFFD from a decoder
	}
	for _, tt := range tests {
		for name, wrap := range readers {
			_, err := io.ReadAll(&textChecker{r: wrap(strings.NewReader(tt.in)), line: 1, noReplacement: true, badMsg: "bad"})
			var ee *encodingError
			if !errors.As(err, &ee) || ee.line != tt.line {
				t.Errorf("%s: ReadAll(%q) error = %v, want an encoding error on line %d", name, tt.in, err, tt.line)
			}
		}
	}
}
