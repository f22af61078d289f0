package checker

import (
	"os"
	"regexp"
	"strings"
	"testing"
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

// TestREADMECodes keeps README's table of finding codes in step with the
// catalog.
func TestREADMECodes(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	for _, c := range Codes() {
		row := "| `" + c.Code + "` | " + string(c.Severity) + " | " + c.Summary + " |"
		if !strings.Contains(readme, row) {
			t.Errorf("README.md lacks the row:\n%s", row)
		}
	}
}
