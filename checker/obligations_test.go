package checker

import (
	"net/url"
	"strings"
	"testing"
	"time"
)

// lenient is the policy of the behaviour before policies.
var lenient = &Policy{Name: "lenient.yaml@00000000", UnknownDates: UnknownDatesLenient}

// Badge defects, each with the finding that reports it.
const (
	mpsLink      = `<a href="https://beian.mps.gov.cn/#/query/webSearch?code=11010502045678">`
	badgeNoIcon  = mpsLink + `京公网安备11010502045678号</a>`
	badgeNoLink  = `<div><img src="/备案图标.png"><span>京公网安备11010502045678号</span></div>`
	badgeElse    = `<a href="/about"><img src="/备案图标.png">京公网安备11010502045678号</a>`
	badgeCode    = `<a href="https://beian.mps.gov.cn/#/query/webSearch?code=11010502045679"><img src="/备案图标.png">京公网安备11010502045678号</a>`
	badgeImage   = mpsLink + `<img src="/img/badge.png" alt="公安备案"></a>`
	badgeHidden  = `<p style="display:none">` + psbOK + `</p>`
	badgeComment = `<!-- ` + psbOK + ` -->`
	badgeNoscr   = `<noscript>` + psbOK + `</noscript>`
	badgePending = `<span>公网安备(备案中)</span>`
	badgeLegacy  = `<a href="http://www.beian.gov.cn/portal/registerSystemInfo?recordcode=11010502045678"><img src="/备案图标.png">京公网安备11010502045678号</a>`
)

// TestDueRule is docs/checker.md's "When a PSB part is due": each kind of
// defect with no dates, inside its window and past it, gives the severity
// and verdict the rule says. The check runs on 2026-11-27 (CST).
func TestDueRule(t *testing.T) {
	var (
		noDates   = Expect{}
		young     = Expect{Launched: d("2026-11-17")}    // launched 10 days ago
		youngICP  = Expect{ICPApproved: d("2026-11-17")} // the conservative anchor
		old       = Expect{Launched: d("2025-01-01")}    // no PSB approval date
		approved  = Expect{Launched: d("2025-01-01"), PSBApproved: d("2026-11-17")}
		overdue   = Expect{Launched: d("2025-01-01"), PSBApproved: d("2026-01-01")}
		expectPSB = Expect{PSB: "11010502045678"}
		lax       = Expect{Policy: lenient}
	)
	tests := []struct {
		name    string
		footer  string
		want    Expect
		code    string
		sev     Severity
		verdict Verdict
		note    string // in the English message
	}{
		{"no psb, no dates", "", noDates, CodePSBMissing, SeverityError, VerdictFail, "--launched, --psb-approved"},
		{"no psb, launched 10 days ago", "", young, CodePSBMissing, SeverityInfo, VerdictPass, "20 days left"},
		{"no psb, icp approved 10 days ago", "", youngICP, CodePSBMissing, SeverityInfo, VerdictPass, "20 days left"},
		{"no psb, launched long ago", "", old, CodePSBMissing, SeverityError, VerdictFail, ""},
		{"no psb, expected number, no dates", "", expectPSB, CodePSBMissing, SeverityError, VerdictFail, "--psb-approved"},
		{"no psb, approved 10 days ago", "", approved, CodePSBMissing, SeverityInfo, VerdictPass, "20 days left"},
		{"no psb, approved long ago", "", overdue, CodePSBMissing, SeverityError, VerdictFail, ""},
		{"no psb, lenient", "", lax, CodePSBMissing, SeverityWarning, VerdictPass, ""},

		{"no icon, no dates", badgeNoIcon, noDates, CodePSBNoIcon, SeverityError, VerdictFail, "--launched, --psb-approved"},
		{"no icon, launched 10 days ago", badgeNoIcon, young, CodePSBNoIcon, SeverityInfo, VerdictPass, "20 days left"},
		{"no icon, launched long ago", badgeNoIcon, old, CodePSBNoIcon, SeverityError, VerdictFail, "--psb-approved, or the registry's psb_approved_on"},
		{"no icon, approved 10 days ago", badgeNoIcon, approved, CodePSBNoIcon, SeverityInfo, VerdictPass, "20 days left"},
		{"no icon, approved long ago", badgeNoIcon, overdue, CodePSBNoIcon, SeverityError, VerdictFail, ""},
		{"no icon, expected number", badgeNoIcon, expectPSB, CodePSBNoIcon, SeverityError, VerdictFail, ""},
		{"no icon, lenient", badgeNoIcon, lax, CodePSBNoIcon, SeverityWarning, VerdictPass, ""},

		{"in progress, no dates", badgePending, noDates, CodePSBInProgress, SeverityError, VerdictFail, "--launched, --psb-approved"},
		{"in progress, launched 10 days ago", badgePending, young, CodePSBInProgress, SeverityInfo, VerdictPass, "20 days left"},
		{"in progress, approved long ago", badgePending, overdue, CodePSBInProgress, SeverityError, VerdictFail, ""},

		{"not linked, no dates", badgeNoLink, noDates, CodePSBNotLinked, SeverityError, VerdictFail, ""},
		{"not linked, approved 10 days ago", badgeNoLink, approved, CodePSBNotLinked, SeverityInfo, VerdictPass, "20 days left"},
		{"not linked, lenient", badgeNoLink, lax, CodePSBNotLinked, SeverityError, VerdictFail, ""},
		{"linked elsewhere, no dates", badgeElse, noDates, CodePSBLinkWrong, SeverityError, VerdictFail, ""},
		{"linked elsewhere, approved 10 days ago", badgeElse, approved, CodePSBLinkWrong, SeverityInfo, VerdictPass, ""},
		{"link code differs, no dates", badgeCode, noDates, CodePSBLinkCodeMismatch, SeverityError, VerdictFail, ""},
		{"link code differs, approved 10 days ago", badgeCode, approved, CodePSBLinkCodeMismatch, SeverityInfo, VerdictPass, ""},

		{"image only, no dates", badgeImage, noDates, CodePSBImageOnly, SeverityError, VerdictFail, ""},
		{"image only, approved 10 days ago", badgeImage, approved, CodePSBImageOnly, SeverityInfo, VerdictPass, ""},
		{"image only, approved long ago", badgeImage, overdue, CodePSBImageOnly, SeverityError, VerdictFail, ""},
		{"image only, lenient", badgeImage, lax, CodePSBImageOnly, SeverityWarning, VerdictPass, ""},

		{"hidden, no dates", badgeHidden, noDates, CodePSBHidden, SeverityError, VerdictFail, ""},
		{"hidden, approved 10 days ago", badgeHidden, approved, CodePSBHidden, SeverityInfo, VerdictPass, ""},
		{"hidden, lenient", badgeHidden, lax, CodePSBHidden, SeverityInfo, VerdictPass, ""},
		{"hidden copy beside a visible one", badgeHidden + psbOK, noDates, CodePSBHidden, SeverityInfo, VerdictPass, ""},
		{"commented out, no dates", badgeComment, noDates, CodePSBMissing, SeverityError, VerdictFail, ""},
		{"commented out, launched 10 days ago", badgeComment, young, CodePSBMissing, SeverityInfo, VerdictPass, ""},
		{"in noscript, no dates", badgeNoscr, noDates, CodePSBMissing, SeverityError, VerdictFail, ""},
		{"in noscript, approved long ago", badgeNoscr, overdue, CodePSBMissing, SeverityError, VerdictFail, ""},

		{"legacy link stays acceptable", badgeLegacy, noDates, CodePSBLinkLegacy, SeverityInfo, VerdictPass, ""},
	}
	u, _ := url.Parse("https://www.example.cn/")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := Page{Target: "example.cn", URL: u, Body: page(icpOK + tt.footer), FetchedAt: time.Date(2026, 11, 27, 4, 0, 0, 0, time.UTC)}
			r := Check(p, tt.want)
			if r.Verdict != tt.verdict {
				t.Errorf("verdict = %s, want %s (%v)", r.Verdict, tt.verdict, codeSet(r))
			}
			f, ok := findingOf(r, tt.code)
			if !ok {
				t.Fatalf("no %s finding in %v", tt.code, codeSet(r))
			}
			if f.Severity != tt.sev {
				t.Errorf("%s severity = %s, want %s", tt.code, f.Severity, tt.sev)
			}
			if !strings.Contains(f.Message, tt.note) {
				t.Errorf("%s message = %q, want it to say %q", tt.code, f.Message, tt.note)
			}
		})
	}
}

// TestPolicySeverity: a policy's severity overrides the rule's, and the
// report names the policy.
func TestPolicySeverity(t *testing.T) {
	p, err := ParsePolicy("dir/warn-icon.yaml", []byte("severity:\n  PSB_NO_ICON: warning\n"))
	if err != nil {
		t.Fatal(err)
	}
	u, _ := url.Parse("https://www.example.cn/")
	pg := Page{Target: "example.cn", URL: u, Body: page(icpOK + badgeNoIcon), FetchedAt: time.Date(2026, 11, 27, 4, 0, 0, 0, time.UTC)}
	r := Check(pg, Expect{Policy: p})
	if r.Verdict != VerdictPass {
		t.Errorf("verdict = %s, want pass", r.Verdict)
	}
	if f, _ := findingOf(r, CodePSBNoIcon); f.Severity != SeverityWarning {
		t.Errorf("PSB_NO_ICON severity = %s, want warning", f.Severity)
	}
	if !strings.HasPrefix(r.Policy, "warn-icon.yaml@") || len(r.Policy) != len("warn-icon.yaml@")+8 {
		t.Errorf("policy = %q, want warn-icon.yaml@ and 8 hex digits", r.Policy)
	}
	if r := Check(pg, Expect{}); r.Policy != "builtin" || r.Verdict != VerdictFail {
		t.Errorf("built-in: policy %q verdict %s, want builtin fail", r.Policy, r.Verdict)
	}
}

func findingOf(r Report, code string) (Finding, bool) {
	for _, f := range r.Findings {
		if f.Code == code {
			return f, true
		}
	}
	return Finding{}, false
}
