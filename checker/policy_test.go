package checker

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestBadPolicies pairs each testdata/policy/bad-*.yaml with the exact
// error it must give: the file, the line and what is wrong there.
func TestBadPolicies(t *testing.T) {
	tests := map[string]string{
		"unknown-code":  `testdata/policy/bad-unknown-code.yaml:3: severity: unknown finding code "PSB_NO_ICN"`,
		"severity":      `testdata/policy/bad-severity.yaml:3: severity: PSB_NO_ICON: "critical" is not error, warning or info`,
		"unknown-dates": `testdata/policy/bad-unknown-dates.yaml:1: unknown_dates: "sometimes" is not due or lenient`,
		"unknown-key":   `testdata/policy/bad-unknown-key.yaml:3: unknown key "colour" (want unknown_dates or severity)`,
		"severity-list": `testdata/policy/bad-severity-list.yaml:1: severity: want a mapping of finding codes to error, warning or info`,
		"twice":         `testdata/policy/bad-twice.yaml:2: unknown_dates: given twice`,
		"code-twice":    `testdata/policy/bad-code-twice.yaml:3: severity: PSB_NO_ICON given twice`,
		"not-mapping":   `testdata/policy/bad-not-mapping.yaml:1: want a mapping with the keys unknown_dates and severity`,
		"syntax":        "testdata/policy/bad-syntax.yaml: yaml: line 1: did not find expected ',' or ']'",
	}
	files, _ := filepath.Glob("testdata/policy/bad-*.yaml")
	if len(files) != len(tests) {
		t.Errorf("%d bad-*.yaml files, %d test cases: every file needs its error", len(files), len(tests))
	}
	for name, want := range tests {
		t.Run(name, func(t *testing.T) {
			file := filepath.Join("testdata", "policy", "bad-"+name+".yaml")
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			_, err = ParsePolicy(filepath.ToSlash(file), data)
			if err == nil || err.Error() != want {
				t.Errorf("ParsePolicy(%s) error = %v, want %s", file, err, want)
			}
		})
	}
}

func TestGoodPolicies(t *testing.T) {
	tests := []struct {
		file  string
		dates UnknownDates
		sev   map[string]Severity
	}{
		{"good-lenient.yaml", UnknownDatesLenient, map[string]Severity{CodePSBNoIcon: SeverityWarning, CodeICPLevelRule: SeverityInfo}},
		{"good-empty.yaml", UnknownDatesDue, map[string]Severity{}},
	}
	for _, tt := range tests {
		data, err := os.ReadFile(filepath.Join("testdata", "policy", tt.file))
		if err != nil {
			t.Fatal(err)
		}
		p, err := ParsePolicy(tt.file, data)
		if err != nil {
			t.Fatalf("ParsePolicy(%s): %v", tt.file, err)
		}
		if p.UnknownDates != tt.dates || !cmp.Equal(p.Severity, tt.sev) {
			t.Errorf("ParsePolicy(%s) = %s %v, want %s %v", tt.file, p.UnknownDates, p.Severity, tt.dates, tt.sev)
		}
	}
}

// TestBuiltinPolicy: the shipped file is the rule (dates unknown → due,
// no overrides), and its name is "builtin".
func TestBuiltinPolicy(t *testing.T) {
	p := BuiltinPolicy()
	if p.Name != "builtin" || p.UnknownDates != UnknownDatesDue || len(p.Severity) != 0 {
		t.Errorf("BuiltinPolicy() = %+v, want builtin, due, no overrides", p)
	}
	if PolicyName(nil) != "builtin" {
		t.Errorf("PolicyName(nil) = %q, want builtin", PolicyName(nil))
	}
}
