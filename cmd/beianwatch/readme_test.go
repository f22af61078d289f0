package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/beianwatch/beianwatch/sitefile"
)

// readmeBlock returns the shell lines of README.md between <!-- NAME -->
// and <!-- /NAME -->, blank lines and whole-line comments left out.
func readmeBlock(t *testing.T, name string) []string {
	t.Helper()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(readme), "<!-- "+name)
	block, _, ok2 := strings.Cut(rest, "<!-- /"+name+" -->")
	if !ok || !ok2 {
		t.Fatalf("README.md has no <!-- %s --> … <!-- /%s --> block", name, name)
	}
	var lines []string
	for line := range strings.Lines(block) {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "```") || strings.HasPrefix(line, "-->") {
			continue
		}
		if strings.HasPrefix(line, "<!--") || strings.HasSuffix(line, "-->") {
			continue
		}
		lines = append(lines, line)
	}
	return lines
}

// sampleFarm serves the sample registry's sites on loopback, by Host:
// example.cn (and www.) compliant, shop.example.com.cn without its PSB
// number (its filing is overdue: fail), blog.example.net with its badge.
func sampleFarm(t *testing.T) *httptest.Server {
	compliant := readFile(t, "testdata/site/compliant.html")
	page := func(footer string) []byte {
		return []byte(`<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>示例</title></head>` +
			`<body><main><h1>示例</h1><p>欢迎访问。</p></main><footer style="text-align:center">` + footer + `</footer></body></html>`)
	}
	pages := map[string][]byte{
		"example.cn":          compliant,
		"www.example.cn":      compliant,
		"shop.example.com.cn": page(`<a href="https://beian.miit.gov.cn/">沪ICP备2022001234号-2</a>`),
		"blog.example.net": page(`<a href="https://beian.miit.gov.cn/">粤ICP备20034331号</a> ` +
			`<a href="https://beian.mps.gov.cn/#/query/webSearch?code=44030502000001"><img src="/备案图标.png" alt="">粤公网安备44030502000001号</a>`),
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, _ := strings.Cut(r.Host, ":")
		body, ok := pages[host]
		if !ok || r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(body)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// TestREADMEFirstRun runs the README's first run, command by command and
// as written, against the sample registry: the sample's sites are served
// on loopback, and a settings file named by BEIANWATCH_CONFIG (so that
// the commands stay as written) lets the crawler reach them there.
func TestREADMEFirstRun(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds the binary")
	}
	cmds := readmeBlock(t, "first-run")
	dir, binDir := t.TempDir(), t.TempDir()
	// The commands run it as beianwatch, from PATH.
	if err := os.Symlink(programBinary(t, false), filepath.Join(binDir, "beianwatch")); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(filepath.Join(dir, "examples"), os.DirFS("../../examples")); err != nil {
		t.Fatal(err)
	}
	srv := sampleFarm(t)
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(binDir, "loopback.yaml")
	var rules []string
	for _, host := range []string{"example.cn", "*.example.cn", "shop.example.com.cn", "blog.example.net"} {
		rules = append(rules, fmt.Sprintf("%q", host+":"+u.Host))
	}
	if err := os.WriteFile(cfg, []byte("allow-private: true\nresolve: ["+strings.Join(rules, ", ")+"]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=" + binDir + string(os.PathListSeparator) + os.Getenv("PATH"), "HOME=" + dir, "NO_COLOR=1",
		"BEIANWATCH_CONFIG=" + cfg, "USER=first-run"}

	// What each command must print; every command of the block has an
	// entry, and every entry a command.
	type want struct {
		code  int
		out   []string
		check func(t *testing.T, stdout string)
	}
	wants := map[string]want{
		"beianwatch import examples/sites.csv": {0, []string{"inserted 3, updated 0, unchanged 0, rejected 0"}, nil},
		"beianwatch sites list":                {0, []string{"unchecked", "example.cn, www.example.cn", "shop.example.com.cn", "blog.example.net"}, nil},
		"beianwatch serve --once":              {0, []string{"checked 3: 2 pass, 1 fail, 0 error"}, nil},
		"beianwatch sites list --verdict fail -o json": {0, nil, func(t *testing.T, stdout string) {
			var sites []siteListJSON
			if err := json.Unmarshal([]byte(stdout), &sites); err != nil || len(sites) != 1 || sites[0].Domains[0] != "shop.example.com.cn" {
				t.Errorf("want shop.example.com.cn only: %v\n%s", err, stdout)
			}
		}},
		"beianwatch sites show shop.example.com.cn": {0, []string{"PSB_FILING_OVERDUE", "fail"}, nil},
		"beianwatch check example.cn":               {0, []string{"Verdict:   PASS", "expectations from the registry"}, nil},
		"beianwatch export --file sites.xlsx": {0, nil, func(t *testing.T, _ string) {
			f, err := os.Open(filepath.Join(dir, "sites.xlsx"))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			// Personal data is masked, and a masked cell does not import:
			// three rows, every problem a masked value.
			rows, bad, err := sitefile.Read(f, "sites.xlsx", sitefile.ReadOptions{})
			lines := map[int]bool{}
			for _, e := range bad {
				lines[e.Line] = true
				if !strings.Contains(e.Message, "masked value") {
					t.Errorf("sites.xlsx: %v", e)
				}
			}
			if err != nil || len(rows)+len(lines) != 3 {
				t.Errorf("sites.xlsx: %d rows, %d masked, %v", len(rows), len(lines), err)
			}
		}},
	}
	var ran []string
	for _, line := range cmds {
		key := strings.TrimSpace(strings.SplitN(line, " #", 2)[0])
		w, ok := wants[key]
		if !ok {
			t.Fatalf("README first run: %q has no expected output here: add it to wants", key)
		}
		ran = append(ran, key)
		cmd := exec.Command("sh", "-c", line)
		cmd.Dir, cmd.Env = dir, env
		var stdout, stderr strings.Builder
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		code := cmd.ProcessState.ExitCode()
		if err != nil && code < 0 {
			t.Fatalf("%s: %v", line, err)
		}
		if code != w.code {
			t.Errorf("%s: exit %d, want %d\nstdout:\n%s\nstderr:\n%s", line, code, w.code, stdout.String(), stderr.String())
			continue
		}
		for _, s := range w.out {
			if !strings.Contains(stdout.String(), s) {
				t.Errorf("%s: stdout lacks %q:\n%s", line, s, stdout.String())
			}
		}
		if w.check != nil {
			w.check(t, stdout.String())
		}
	}
	for key := range wants {
		if !slices.Contains(ran, key) {
			t.Errorf("README first run no longer runs %q: remove it from wants", key)
		}
	}
}

// TestREADMEColumns: the README's column table lists the columns an
// import reads, and for the columns with a fixed set of values exactly
// the values the import accepts; each of those is accepted.
func TestREADMEColumns(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `([a-z_]+)` \\|(.*)\\|$")
	ticked := regexp.MustCompile("`([^`]+)`")
	var cols []string
	for _, m := range row.FindAllStringSubmatch(string(readme), -1) {
		col := m[1]
		if !slices.Contains(sitefile.Columns(true), col) {
			continue // another table's row
		}
		cols = append(cols, col)
		allowed := sitefile.AllowedValues(col)
		if allowed == nil {
			continue
		}
		// The values are what the row's "allowed" cell shows in backticks.
		var listed []string
		for _, v := range ticked.FindAllStringSubmatch(m[2], -1) {
			listed = append(listed, v[1])
		}
		slices.Sort(listed)
		if !slices.Equal(listed, allowed) {
			t.Errorf("README lists %s values %q; the import accepts %q", col, listed, allowed)
		}
		for _, v := range listed {
			data := "domains," + col + "\nexample.cn," + v + "\n"
			if _, bad, err := sitefile.Read(strings.NewReader(data), "readme.csv", sitefile.ReadOptions{}); err != nil || len(bad) > 0 {
				t.Errorf("%s = %q, as README allows: %v %v", col, v, bad, err)
			}
		}
	}
	if want := sitefile.Columns(false); !slices.Equal(cols, want) {
		t.Errorf("README's column table lists %q, want the import's columns in order %q", cols, want)
	}
}
