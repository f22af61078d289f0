package checker

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

var verb = regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z]`)

// TestCatalog keeps the catalog sound: unique UPPER_SNAKE codes, a known
// severity, and English and Chinese templates taking the same arguments.
func TestCatalog(t *testing.T) {
	upper := regexp.MustCompile(`^[A-Z][A-Z0-9]*(_[A-Z0-9]+)+$`)
	seen := map[string]bool{}
	for _, c := range Codes() {
		if !upper.MatchString(c.Code) || seen[c.Code] {
			t.Errorf("code %q: not UPPER_SNAKE or not unique", c.Code)
		}
		seen[c.Code] = true
		switch c.Severity {
		case SeverityError, SeverityWarning, SeverityInfo:
		default:
			t.Errorf("code %s: severity %q", c.Code, c.Severity)
		}
		en, zh := verb.FindAllString(c.En, -1), verb.FindAllString(c.Zh, -1)
		if strings.Join(en, " ") != strings.Join(zh, " ") {
			t.Errorf("code %s: English verbs %v, Chinese verbs %v", c.Code, en, zh)
		}
		if c.Summary == "" {
			t.Errorf("code %s: no summary", c.Code)
		}
	}
}

// TestREADMECodes keeps README's table of finding codes (between the
// codes:begin and codes:end markers) in step with the catalog; -update
// rewrites it.
func TestREADMECodes(t *testing.T) {
	const path = "../README.md"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	begin, end := "<!-- codes:begin -->\n", "<!-- codes:end -->"
	i, j := strings.Index(readme, begin), strings.Index(readme, end)
	if i < 0 || j < i {
		t.Fatalf("README.md lacks the %q and %q markers", begin, end)
	}
	var table strings.Builder
	table.WriteString("| code | severity | meaning |\n|---|---|---|\n")
	for _, c := range Codes() {
		table.WriteString("| `" + c.Code + "` | " + string(c.Severity) + " | " + c.Summary + " |\n")
	}
	got := readme[i+len(begin) : j]
	if got == table.String() {
		return
	}
	if *update {
		readme = readme[:i+len(begin)] + table.String() + readme[j:]
		if err := os.WriteFile(path, []byte(readme), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("README.md's table of finding codes is out of date; run go test ./checker -run TestREADMECodes -update")
}

// TestCodeTitles: every code has a short title in English and in Chinese.
func TestCodeTitles(t *testing.T) {
	seen := map[string]string{}
	for _, c := range Codes() {
		hasHan := strings.ContainsFunc(c.TitleZH, func(r rune) bool { return unicode.Is(unicode.Han, r) })
		if c.Title == "" || !hasHan || len([]rune(c.TitleZH)) > 20 || len(c.Title) > 40 {
			t.Errorf("%s: title %q / %q: want a short English and Chinese title", c.Code, c.Title, c.TitleZH)
		}
		if other, ok := seen[c.TitleZH]; ok {
			t.Errorf("%s and %s share the Chinese title %q", c.Code, other, c.TitleZH)
		}
		seen[c.TitleZH] = c.Code
	}
}
