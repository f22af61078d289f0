package checker

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// FuzzParsePolicy feeds any bytes to the policy reader: it must not
// panic, every error must name the file, and a policy it accepts must
// hold only known codes and severities.
func FuzzParsePolicy(f *testing.F) {
	names, err := filepath.Glob(filepath.Join("testdata", "policy", "*.yaml"))
	if err != nil || len(names) == 0 {
		f.Fatalf("no seed policies (%v)", err)
	}
	for _, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("&a [*a]"))
	f.Add([]byte("severity: {PSB_MISSING: *x}"))
	f.Add([]byte("unknown_dates: !!binary AAAA"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePolicy("fuzz.yaml", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.yaml") {
				t.Errorf("error %q does not name the file", err)
			}
			return
		}
		if p.UnknownDates != UnknownDatesDue && p.UnknownDates != UnknownDatesLenient {
			t.Errorf("accepted unknown_dates %q", p.UnknownDates)
		}
		for code, sev := range p.Severity {
			if _, ok := codeIndex[code]; !ok {
				t.Errorf("accepted unknown code %q", code)
			}
			if sev != SeverityError && sev != SeverityWarning && sev != SeverityInfo {
				t.Errorf("accepted severity %q for %s", sev, code)
			}
		}
	})
}
