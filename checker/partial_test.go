package checker

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestDeepNestingIsJudged(t *testing.T) {
	// A compliant footer: with no dates both filings are due (pass means
	// compliant), so it shows the ICP number and the whole PSB badge.
	footer := `<footer><a href="https://beian.miit.gov.cn/">京ICP备2021034567号-1</a> ` +
		`<a href="https://beian.mps.gov.cn/#/query/webSearch?code=11010502045678" rel="noreferrer" target="_blank">` +
		`<img src="/备案图标.png" alt="">京公网安备11010502045678号</a></footer>`
	for _, tt := range []struct {
		name, body string
		verdict    Verdict
		codes      []string
	}{
		{"no number", "<body>" + strings.Repeat("<div>", 600) + "<p>欢迎</p>" + strings.Repeat("</div>", 600) + "</body>", VerdictFail, []string{CodeParsedPartially, CodeICPMissing}},
		{"number past the limit", "<body>" + strings.Repeat("<div>", 600) + footer + strings.Repeat("</div>", 600) + "</body>", VerdictPass, []string{CodeParsedPartially}},
		// Past maxTokenDepth the link no longer holds its text: the
		// number is found, unlinked (not an error either).
		{"deeper than parseTokens nests", "<body>" + strings.Repeat("<div>", 5000) + footer + "</body>", VerdictFail, []string{CodeParsedPartially, CodeICPNotLinked}},
		{"number after", "<body>" + strings.Repeat("<div>", 600) + strings.Repeat("</div>", 600) + footer + "</body>", VerdictPass, []string{CodeParsedPartially}},
	} {
		p := Page{Target: "example.cn", Status: 200, Header: http.Header{"Content-Type": {"text/html; charset=utf-8"}}, Body: []byte(tt.body), FetchedAt: time.Date(2026, 11, 27, 4, 0, 0, 0, time.UTC)}
		r := Check(p, Expect{})
		if r.Verdict != tt.verdict || r.Error != "" {
			t.Errorf("%s: verdict %s (%s), want %s", tt.name, r.Verdict, r.Error, tt.verdict)
		}
		for _, c := range tt.codes {
			if !r.Has(c) {
				t.Errorf("%s: no %s in %v", tt.name, c, codeSet(r))
			}
		}
		if tt.name != "no number" && r.Has(CodeICPMissing) || len(r.ICP) > 1 {
			t.Errorf("%s: ICP_MISSING, want the number found", tt.name)
		}
	}
}
