package deploy

import (
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
	"unicode"
)

// The Chinese dashboard is generated from the English one (the source) and
// the translation table: one source of truth for panels and queries.
const (
	dashboardZHFile  = "grafana/beianwatch-zh.json"
	translationsFile = "grafana/zh-CN.yaml"
	dashboardZHUID   = "beianwatch-zh"
)

// translatedKeys are the keys whose string values are text for people.
var translatedKeys = map[string]bool{"title": true, "description": true, "label": true, "legendFormat": true,
	"tooltip": true, "text": true, "displayName": true}

// legendVar is a label in a legend ({{code}}): never translated.
var legendVar = regexp.MustCompile(`\{\{\w+\}\}`)

// TestDashboardChinese regenerates grafana/beianwatch-zh.json from
// grafana/beianwatch.json and grafana/zh-CN.yaml and fails when the file
// differs (go test -run TestDashboardChinese -update rewrites it), when a
// text has no translation, or when a translation is not used any more.
func TestDashboardChinese(t *testing.T) {
	raw, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var tr map[string]string
	readYAML(t, translationsFile, &tr)
	got, missing, unused := translateDashboard(t, raw, tr)
	if len(missing) > 0 {
		t.Errorf("%d texts of %s have no translation in %s:\n  %q", len(missing), dashboardFile, translationsFile, missing)
	}
	if len(unused) > 0 {
		t.Errorf("%d translations in %s are used nowhere in %s (stale):\n  %q", len(unused), translationsFile, dashboardFile, unused)
	}
	if *update {
		if err := os.WriteFile(dashboardZHFile, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(dashboardZHFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is not what %s and %s generate: run `go test -run TestDashboardChinese -update .` in deploy/", dashboardZHFile, dashboardFile, translationsFile)
	}
}

// translateDashboard returns the Chinese dashboard, the texts without a
// translation and the translations not used.
func translateDashboard(t *testing.T, raw []byte, tr map[string]string) (out []byte, missing, unused []string) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber() // numbers exactly as written
	var d map[string]any
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	used := map[string]bool{}
	seen := map[string]bool{}
	translate := func(s string) string {
		if s == "__auto" || !strings.ContainsFunc(legendVar.ReplaceAllString(s, ""), unicode.IsLetter) {
			return s
		}
		zh, ok := tr[s]
		if !ok {
			if !seen[s] {
				missing = append(missing, s)
				seen[s] = true
			}
			return s
		}
		used[s] = true
		return zh
	}
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if s, ok := x.(string); ok && translatedKeys[k] {
					v[k] = translate(s)
				}
			}
			// A field override's display name: {"id": "displayName", "value": …}.
			if v["id"] == "displayName" {
				if s, ok := v["value"].(string); ok {
					v["value"] = translate(s)
				}
			}
			for _, x := range v {
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(d)
	d["uid"] = dashboardZHUID
	// The link to the other language points back.
	links, _ := d["links"].([]any)
	for _, l := range links {
		if m, ok := l.(map[string]any); ok && m["url"] == "/d/"+dashboardZHUID {
			m["url"] = "/d/" + loadDashboard(t).UID
		}
	}
	for s := range tr {
		if !used[s] {
			unused = append(unused, s)
		}
	}
	sort.Strings(unused)
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(d); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), missing, unused
}
