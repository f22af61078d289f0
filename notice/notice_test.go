package notice

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/beianwatch/beianwatch/checker"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current output")

// caseData is a realistic case of kind k at event e. Deadlines are UTC
// instants, to show they are printed in Beijing time.
func caseData(k Kind, e Event) Data {
	d := Data{
		CaseID: 42, Kind: k, Event: e,
		Domain: "shop.example.cn", SiteName: "示例商城", CustomerID: "CUST-1001",
		Deadline: time.Date(2025, 10, 11, 15, 59, 59, 0, time.UTC),
		Provider: Provider{Name: "示例云", ContactURL: "https://cloud.example.com/support", ContactEmail: "abuse@cloud.example.com"},
	}
	switch k {
	case Takedown:
		d.Category = "gambling"
		d.URLs = []string{"https://shop.example.cn/promo/1.html", "https://shop.example.cn/promo/2.html"}
		d.Evidence = []string{"澳门赌场", "网上赌场"}
	case Rectification:
		d.Findings = []Finding{
			{Code: checker.CodeBadgeOverdue, Message: "the PSB badge was due on 2025-09-01 (40 days ago)", MessageZH: "公安备案标识应于 2025-09-01 前展示(已逾期 40 天)"},
			{Code: checker.CodeICPNotLinked},
		}
	}
	switch e {
	case Extended:
		d.PreviousDeadline = time.Date(2025, 9, 30, 15, 59, 59, 0, time.UTC)
		d.ExtensionWorkingDays = 7
	case Fixed:
		d.At = time.Date(2025, 10, 10, 2, 15, 0, 0, time.UTC)
	case Blocked:
		d.At = time.Date(2025, 10, 12, 1, 0, 0, 0, time.UTC)
		d.BlockLevel = "domain"
	}
	return d
}

func format(ms []Message) string {
	var b strings.Builder
	for _, m := range ms {
		b.WriteString("=== " + string(m.Lang) + "\nSubject: " + m.Subject + "\n\n" + m.Body + "\n")
	}
	return b.String()
}

func TestRenderGolden(t *testing.T) {
	r := New()
	for _, k := range []Kind{Takedown, Rectification} {
		for _, e := range Events(k) {
			t.Run(string(k)+"_"+string(e), func(t *testing.T) {
				ms, err := r.Render(caseData(k, e))
				if err != nil {
					t.Fatal(err)
				}
				got := format(ms)
				path := filepath.Join("testdata", "golden", string(k)+"_"+string(e)+".txt")
				if *update {
					if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				want, err := os.ReadFile(path)
				if err != nil {
					t.Fatal(err)
				}
				if got != string(want) {
					t.Errorf("Render(%s %s) =\n%s\nwant (%s)\n%s", k, e, got, path, want)
				}
			})
		}
	}
}

// TestRenderContent checks the facts every notice must carry, apart from
// the wording the golden files pin.
func TestRenderContent(t *testing.T) {
	r := New()
	for _, k := range []Kind{Takedown, Rectification} {
		for _, e := range Events(k) {
			d := caseData(k, e)
			ms, err := r.Render(d)
			if err != nil {
				t.Fatal(err)
			}
			if len(ms) != 2 || ms[0].Lang != Chinese || ms[1].Lang != English {
				t.Fatalf("Render(%s %s) languages = %v, want zh, en", k, e, ms)
			}
			for _, m := range ms {
				wants := []string{"shop.example.cn", "42", "示例云"}
				if e != Fixed { // a fixed case's deadline no longer matters
					wants = append(wants, "2025-10-11 23:59 CST (UTC+8)")
				}
				for _, want := range wants {
					if !strings.Contains(m.Subject+m.Body, want) {
						t.Errorf("%s %s %s: notice lacks %q", k, e, m.Lang, want)
					}
				}
				if strings.Contains(m.Body, "<no value>") || strings.Contains(m.Body, "%!") {
					t.Errorf("%s %s %s: unfilled field in\n%s", k, e, m.Lang, m.Body)
				}
			}
		}
	}
}

// TestRenderWorkingDayDeadline: a deadline at 24:00 Beijing time is the
// end of its last day, and a provisional one says why, in both languages.
func TestRenderWorkingDayDeadline(t *testing.T) {
	d := caseData(Rectification, Notified)
	d.Deadline = time.Date(2028, 1, 3, 16, 0, 0, 0, time.UTC) // 2028-01-04 00:00 CST
	d.ProvisionalYears = []int{2028}
	ms, err := New().Render(d)
	if err != nil {
		t.Fatal(err)
	}
	wants := map[Lang][]string{
		Chinese: {"请于 2028-01-03 24:00 CST (UTC+8) 前完成整改。", "该期限为暂定：计算时 2028 年的节假日安排尚未公布"},
		English: {"Correct them by the end of 2028-01-03 CST (UTC+8).", "This deadline is provisional: the 2028 holiday calendar was not yet published"},
	}
	for _, m := range ms {
		for _, want := range wants[m.Lang] {
			if !strings.Contains(m.Body, want) {
				t.Errorf("%s notice lacks %q:\n%s", m.Lang, want, m.Body)
			}
		}
		if strings.Contains(m.Body, "2028-01-04") {
			t.Errorf("%s notice shows the next day's midnight:\n%s", m.Lang, m.Body)
		}
	}
	d.ProvisionalYears = nil
	ms, err = New().Render(d)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if strings.Contains(m.Body, "2028 年的节假日") || strings.Contains(m.Body, "provisional") {
			t.Errorf("%s notice of a definitive deadline calls it provisional:\n%s", m.Lang, m.Body)
		}
	}
}

func TestRenderErrors(t *testing.T) {
	r := New()
	bad := caseData(Rectification, Notified)
	bad.Findings = []Finding{{Code: "NO_SUCH_CODE"}}
	tests := []struct {
		name string
		d    Data
		want string
	}{
		{"unknown kind", Data{Kind: "complaint", Event: Notified}, `notice: unknown case kind "complaint"`},
		{"takedowns are not extended", caseData(Takedown, Extended), `notice: a takedown case has no "extended" notice`},
		{"unknown finding code", bad, `notice: case 42 notified zh: unknown finding code "NO_SUCH_CODE"`},
	}
	for _, tt := range tests {
		_, err := r.Render(tt.d)
		if err == nil || err.Error() != tt.want {
			t.Errorf("%s: Render error = %v, want %q", tt.name, err, tt.want)
		}
	}
}

func TestLoadOverride(t *testing.T) {
	r, err := Load(filepath.Join("testdata", "override"))
	if err != nil {
		t.Fatal(err)
	}
	ms, err := r.Render(caseData(Takedown, Notified))
	if err != nil {
		t.Fatal(err)
	}
	if want := "Remove shop.example.cn's illegal content by 2025-10-11 23:59 CST (UTC+8)."; !strings.Contains(ms[1].Body, want) {
		t.Errorf("overridden English body = %q, want it to contain %q", ms[1].Body, want)
	}
	// Files not overridden keep the embedded wording.
	if !strings.Contains(ms[0].Body, "请于 2025-10-11 23:59 CST (UTC+8) 前完成删除") {
		t.Errorf("Chinese body = %q, want the embedded wording", ms[0].Body)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct{ dir, want string }{
		{"bad_unknown", "notice: testdata/bad_unknown/takedown.fr.tmpl: unknown template file (want one of common.zh.tmpl, takedown.zh.tmpl, rectification.zh.tmpl, common.en.tmpl, takedown.en.tmpl, rectification.en.tmpl)"},
		{"bad_parse", `notice: testdata/bad_parse/takedown.en.tmpl: template: takedown.en.tmpl:2: unexpected "}" in operand`},
		{"bad_missing", `notice: testdata/bad_missing/rectification.zh.tmpl: missing {{define "rectification.extended.subject"}}`},
		{"bad_field", `notice: testdata/bad_field/takedown.en.tmpl: template: takedown.en.tmpl:1:80: executing "takedown.notified.subject" at <.Domian>: can't evaluate field Domian in type notice.view`},
		{"no_such_dir", "notice: templates: open testdata/no_such_dir: no such file or directory"},
	}
	for _, tt := range tests {
		_, err := Load(filepath.Join("testdata", tt.dir))
		if err == nil || err.Error() != tt.want {
			t.Errorf("Load(%s) error = %v\nwant %s", tt.dir, err, tt.want)
		}
	}
}
