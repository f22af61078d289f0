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

// TestDocCodes keeps the documented table of finding codes
// (docs/checker.md, between the codes:begin and codes:end markers) in
// step with the catalog; -update rewrites it.
func TestDocCodes(t *testing.T) {
	const path = "../docs/checker.md"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	begin, end := "<!-- codes:begin -->\n", "<!-- codes:end -->"
	i, j := strings.Index(readme, begin), strings.Index(readme, end)
	if i < 0 || j < i {
		t.Fatalf("%s lacks the %q and %q markers", path, begin, end)
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
	t.Errorf("%s's table of finding codes is out of date; run go test ./checker -run TestDocCodes -update", path)
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

// englishRun finds two Latin words in a row: English prose, which a
// Chinese message must not carry (codes, URLs, numbers and single
// technical words such as HTTP or display:none are fine).
var englishRun = regexp.MustCompile(`[A-Za-z]+[ \t\n]+[A-Za-z]+`)

// technical are words a Chinese message may hold side by side.
var technical = map[string]bool{"ICP": true, "PSB": true, "HTTP": true, "HTTPS": true, "UTF": true, "TLS": true, "URL": true}

func zhEnglish(msg string) string {
	for _, m := range englishRun.FindAllString(msg, -1) {
		f := strings.Fields(m)
		if !technical[f[0]] || !technical[f[len(f)-1]] {
			return m
		}
	}
	return ""
}

// zhSamples are arguments the rules really pass for codes whose details
// are more than numbers and URLs.
var zhSamples = map[string][]any{
	CodeICPMissing:      {hiddenNote(true, " (only in hidden elements)")},
	CodePSBMissing:      {hiddenNote(true, " (only in hidden elements)")},
	CodeICPHidden:       {"京ICP备12345678号", byZeroHeight},
	CodePSBHidden:       {"11010502045678", byOffscreen},
	CodeHTTPSFailed:     {httpsErrorText("tls: failed to verify certificate: x509: certificate signed by unknown authority")},
	CodeScriptRendered:  {biText{" (京ICP备12345678号 only in scripts)", "(京ICP备12345678号 仅出现在脚本中)"}},
	CodeICPMalformed:    {"京ICP备123456789号", ICPNumber{Class: "ICP备", Digits: "123456789"}.malformed(2026)},
	CodePSBMalformed:    {"京公网安备1101号", PSBNumber{Prefix: '京', Digits: "1101"}.Problems("京公网安备1101号")[0].args[1]},
	CodeICPLevelRule:    {"粤ICP备12345678号-1", "广东省的网站应显示主体备案号,不带 -N 后缀"},
	CodeEncodingGarbles: {"娴欏叕缃戝畨澶�", "浙公网安备", "gbk"},
}

// TestMessagesZHChinese renders every code's Chinese message, with the
// rules' own arguments where they are details and numbers or URLs
// otherwise, and the messages of every corpus page: none may hold a run
// of English words.
func TestMessagesZHChinese(t *testing.T) {
	for _, c := range Codes() {
		args, ok := zhSamples[c.Code]
		if !ok {
			for _, v := range verb.FindAllString(c.En, -1) {
				if strings.HasSuffix(v, "d") {
					args = append(args, 14)
				} else {
					args = append(args, "京公网安备11010502045678号")
				}
			}
		}
		if m := zhEnglish(newFinding(c.Code, args...).MessageZH); m != "" {
			t.Errorf("%s: message_zh %q holds English %q", c.Code, newFinding(c.Code, args...).MessageZH, m)
		}
	}
	for _, c := range loadCorpus(t) {
		for _, f := range Check(c.page, c.want).Findings {
			if m := zhEnglish(f.MessageZH); m != "" {
				t.Errorf("%s: %s: message_zh %q holds English %q", c.name, f.Code, f.MessageZH, m)
			}
		}
	}
}
