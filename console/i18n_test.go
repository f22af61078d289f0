package console

import (
	"io/fs"
	"regexp"
	"testing"

	"github.com/beianwatch/beianwatch/cases"
	"github.com/beianwatch/beianwatch/checker"
)

// TestMessagesComplete: every text a page asks for exists in both
// languages, the keys the templates build from values included.
func TestMessagesComplete(t *testing.T) {
	keys := map[string]bool{}
	literal := regexp.MustCompile(`\bt \S+ "([a-z_0-9]+)"`)
	err := fs.WalkDir(templateFS, "templates", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(templateFS, path)
		for _, m := range literal.FindAllStringSubmatch(string(b), -1) {
			keys[m[1]] = true
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pageNames {
		keys["nav_"+p] = true
	}
	for _, v := range []string{"pass", "fail", "error", "unchecked"} {
		keys["verdict_"+v] = true
	}
	for _, s := range []checker.Severity{checker.SeverityError, checker.SeverityWarning, checker.SeverityInfo} {
		keys["severity_"+string(s)] = true
	}
	for _, s := range []checker.DeadlineStatus{checker.DeadlineMet, checker.DeadlineMetLate, checker.DeadlinePending, checker.DeadlineOverdue, checker.DeadlineUnknown} {
		keys["dl_"+string(s)] = true
	}
	for _, k := range cases.AllKinds() {
		keys["kind_"+string(k)] = true
	}
	for _, s := range cases.AllStates() {
		keys["state_"+string(s)] = true
	}
	for _, a := range []string{"confirm", "extend", "dismiss", "block", "close"} {
		keys["action_"+a], keys["done_"+a] = true, true
	}
	for _, k := range []string{"psb_filing", "badge"} {
		keys["deadline_"+k] = true
	}
	for _, f := range []string{"overdue", "1d", "3d", "7d"} {
		keys["dlf_"+f] = true
	}
	for k := range keys {
		m, ok := messages[k]
		if !ok || m[0] == "" || m[1] == "" {
			t.Errorf("message %q missing in English or Chinese", k)
		}
	}
}

func TestLanguage(t *testing.T) {
	for _, tc := range []struct {
		accept, want string
	}{
		{"zh-CN,zh;q=0.9,en;q=0.8", "zh"},
		{"zh-TW", "zh"},
		{"en-US,en;q=0.9,zh-CN;q=0.8", "en"},
		{"fr-FR", "en"},
		{"", "en"},
	} {
		if got := langOf(tc.accept); got != tc.want {
			t.Errorf("langOf(%q) = %q, want %q", tc.accept, got, tc.want)
		}
	}
}
