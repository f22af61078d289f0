package alerts

import (
	"fmt"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/beianwatch/beianwatch/checker"
)

// TestRenderGolden renders every rule, firing and resolved, in both
// languages, plus the plain and markdown forms of a batch.
func TestRenderGolden(t *testing.T) {
	var b strings.Builder
	for _, rule := range append(Rules(), "some_future_rule") {
		for _, status := range []Status{StatusFiring, StatusResolved} {
			a := Alert{
				Key: rule + "/example.cn", Rule: rule, Status: status, Severity: SeverityWarning, Domain: "example.cn",
				Labels:   map[string]string{LabelDeadline: DeadlinePSBFiling, LabelCase: "42"},
				Values:   map[string]string{ValueDue: "2026-12-01", ValueDaysLeft: "-3", ValueError: "dial tcp: connection refused", ValueReason: "违法信息"},
				StartsAt: t0,
			}
			if status == StatusResolved {
				a.EndsAt = t0.Add(90 * time.Minute)
			}
			for _, text := range Render(a, LanguageBoth) {
				fmt.Fprintf(&b, "== %s %s %s\n%s\n", rule, status, text.Language, text.Summary)
				for _, d := range text.Details {
					fmt.Fprintf(&b, "  %s\n", d)
				}
			}
		}
	}
	golden(t, "messages.golden", []byte(b.String()))
	golden(t, "batch.txt.golden", []byte(plain(sampleAlerts(), LanguageBoth)+"\n"))
	golden(t, "batch.md.golden", []byte(markdown(sampleAlerts(), LanguageBoth)+"\n"))
}

func TestRenderLanguages(t *testing.T) {
	a := sampleAlerts()[0]
	tests := []struct {
		lang Language
		want []Language
	}{
		{"", []Language{LanguageZH, LanguageEN}},
		{LanguageBoth, []Language{LanguageZH, LanguageEN}},
		{LanguageZH, []Language{LanguageZH}},
		{LanguageEN, []Language{LanguageEN}},
	}
	for _, tt := range tests {
		var got []Language
		for _, text := range Render(a, tt.lang) {
			got = append(got, text.Language)
		}
		if fmt.Sprint(got) != fmt.Sprint(tt.want) {
			t.Errorf("Render(%q) languages = %v, want %v", tt.lang, got, tt.want)
		}
	}
}

// TestCodeTitles checks that every checker code gets a title in both
// languages from the catalog, and that unknown codes still render.
func TestCodeTitles(t *testing.T) {
	for code, ti := range codeTitles() {
		if ti.en == "" || ti.zh == "" || strings.Contains(ti.zh, "%") || strings.Contains(ti.en, "%") {
			t.Errorf("title of %s = %+v: empty or with a fmt verb", code, ti)
		}
	}
	if got := codeTitle("ICP_MISSING", true); got != "缺少 ICP 备案号" {
		t.Errorf("codeTitle(ICP_MISSING, zh) = %q", got)
	}
	if got := codeTitle("NO_SUCH_CODE", false); got != "NO_SUCH_CODE" {
		t.Errorf("codeTitle(NO_SUCH_CODE) = %q, want the code", got)
	}
}

func TestTruncateMarked(t *testing.T) {
	marker := "…(截断)"
	tests := []struct {
		in   string
		max  int
		want string
	}{
		{"abc", 3, "abc"},
		{"备案备案", 12, "备案备案"},
		// The marker is 11 bytes: 4 bytes of room end inside 案, so the
		// cut goes back to the end of 备.
		{"备案备案备案", 15, "备" + marker},
		{"备案备案x", 12, marker},
		{"abcdefghijklmnop", 14, "abc" + marker},
	}
	for _, tt := range tests {
		got := truncateMarked(tt.in, tt.max, marker)
		if got != tt.want {
			t.Errorf("truncateMarked(%q, %d) = %q, want %q", tt.in, tt.max, got, tt.want)
		}
		if len(got) > tt.max || !utf8.ValidString(got) {
			t.Errorf("truncateMarked(%q, %d) = %q: %d bytes or invalid UTF-8", tt.in, tt.max, got, len(got))
		}
	}
}

func TestSeverityOf(t *testing.T) {
	tests := map[string]Severity{"error": SeverityCritical, "warning": SeverityWarning, "info": SeverityInfo, "": SeverityWarning}
	for in, want := range tests {
		if got := SeverityOf(checker.Severity(in)); got != want {
			t.Errorf("SeverityOf(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestRenderProvisionalDeadline: a case alert whose deadline is
// provisional says why, in each language; a bad value says nothing.
func TestRenderProvisionalDeadline(t *testing.T) {
	a := Alert{Key: "case_opened/7", Rule: RuleCaseOpened, Status: StatusFiring, Domain: "example.cn",
		Labels: map[string]string{LabelCase: "7"}, Values: map[string]string{ValueDue: "2028-01-13 24:00", ValueProvisional: "2028,2029"}}
	want := map[Language]string{
		LanguageEN: "Deadline provisional: the 2028 and 2029 holiday calendar are not loaded",
		LanguageZH: "期限暂定:未载入 2028、2029 年的节假日安排",
	}
	for _, text := range Render(a, LanguageBoth) {
		if !strings.Contains(strings.Join(text.Details, "\n"), want[text.Language]) {
			t.Errorf("%s details %q lack %q", text.Language, text.Details, want[text.Language])
		}
	}
	a.Values[ValueProvisional] = "soon"
	for _, text := range Render(a, LanguageEN) {
		if d := strings.Join(text.Details, "\n"); strings.Contains(d, "provisional") {
			t.Errorf("details %q mention a provisional deadline for a value with no year", d)
		}
	}
}
