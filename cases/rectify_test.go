package cases

import (
	"slices"
	"testing"

	"github.com/beianwatch/beianwatch/checker"
)

func finding(code string, sev checker.Severity) checker.Finding {
	return checker.Finding{Code: code, Severity: sev}
}

func TestShouldOpen(t *testing.T) {
	var (
		badge    = Check{Verdict: checker.VerdictFail, Findings: []checker.Finding{finding("PSB_MISSING", checker.SeverityError), finding("BADGE_DUE_SOON", checker.SeverityInfo)}}
		icp      = Check{Verdict: checker.VerdictFail, Findings: []checker.Finding{finding("ICP_NOT_LINKED", checker.SeverityError)}}
		warnOnly = Check{Verdict: checker.VerdictPass, Findings: []checker.Finding{finding("PSB_LINK_LEGACY", checker.SeverityWarning)}}
		pass     = Check{Verdict: checker.VerdictPass}
		down     = Check{Verdict: checker.VerdictError, Findings: []checker.Finding{finding("HTTP_ERROR_STATUS", checker.SeverityError)}}
	)
	def := DefaultPolicy()
	three := DefaultPolicy()
	three.OpenAfter = 3
	onlyICP := DefaultPolicy()
	onlyICP.OpenCodes = []string{"ICP_NOT_LINKED"}
	warnings := DefaultPolicy()
	warnings.OpenSeverities = []checker.Severity{checker.SeverityError, checker.SeverityWarning}
	tests := []struct {
		name      string
		p         Policy
		history   []Check // newest first
		wantCodes []string
		wantOpen  bool
	}{
		{"two failing checks", def, []Check{badge, badge, pass}, []string{"PSB_MISSING"}, true},
		{"one failing check", def, []Check{badge, pass, badge}, nil, false},
		{"only one check yet", def, []Check{badge}, nil, false},
		{"no checks", def, nil, nil, false},
		{"fixed since", def, []Check{pass, badge, badge}, nil, false},
		{"down in between does not count either way", def, []Check{badge, down, down, badge}, []string{"PSB_MISSING"}, true},
		{"down all along", def, []Check{down, down, down}, nil, false},
		{"different faults in a row", def, []Check{icp, badge}, []string{"ICP_NOT_LINKED"}, true},
		{"three wanted", three, []Check{badge, badge, pass}, nil, false},
		{"three had", three, []Check{badge, badge, badge}, []string{"PSB_MISSING"}, true},
		{"codes configured: other faults ignored", onlyICP, []Check{badge, badge}, nil, false},
		{"codes configured: a listed fault", onlyICP, []Check{icp, icp}, []string{"ICP_NOT_LINKED"}, true},
		{"warnings ignored by default", def, []Check{warnOnly, warnOnly}, nil, false},
		{"warnings configured", warnings, []Check{warnOnly, warnOnly}, []string{"PSB_LINK_LEGACY"}, true},
	}
	for _, tt := range tests {
		codes, open := tt.p.ShouldOpen(tt.history)
		if open != tt.wantOpen || !slices.Equal(codes, tt.wantCodes) {
			t.Errorf("%s: ShouldOpen = %q, %v; want %q, %v", tt.name, codes, open, tt.wantCodes, tt.wantOpen)
		}
	}
}

func TestShouldFix(t *testing.T) {
	c := Case{Kind: Rectification, State: Notified, Category: "PSB_MISSING", Codes: []string{"PSB_MISSING", "PSB_NO_ICON"}}
	with := func(f func(c *Case)) Case { d := c; f(&d); return d }
	tests := []struct {
		name  string
		c     Case
		fresh Check
		want  bool
	}{
		{"passes", c, Check{Verdict: checker.VerdictPass}, true},
		{"badge back, another fault", c, Check{Verdict: checker.VerdictFail, Findings: []checker.Finding{finding("ICP_NOT_LINKED", checker.SeverityError)}}, true},
		{"still missing", c, Check{Verdict: checker.VerdictFail, Findings: []checker.Finding{finding("PSB_MISSING", checker.SeverityError)}}, false},
		{"half fixed", c, Check{Verdict: checker.VerdictPass, Findings: []checker.Finding{finding("PSB_NO_ICON", checker.SeverityWarning)}}, false},
		{"site down", c, Check{Verdict: checker.VerdictError}, false},
		{"extended", with(func(c *Case) { c.State = Extended }), Check{Verdict: checker.VerdictPass}, true},
		{"overdue", with(func(c *Case) { c.State = Overdue }), Check{Verdict: checker.VerdictPass}, true},
		{"blocked stays blocked", with(func(c *Case) { c.State = Blocked }), Check{Verdict: checker.VerdictPass}, false},
		{"already fixed", with(func(c *Case) { c.State = Fixed }), Check{Verdict: checker.VerdictPass}, false},
		{"takedowns are verified by fetch", with(func(c *Case) { c.Kind = Takedown }), Check{Verdict: checker.VerdictPass}, false},
	}
	for _, tt := range tests {
		if got := ShouldFix(tt.c, tt.fresh); got != tt.want {
			t.Errorf("%s: ShouldFix = %v, want %v", tt.name, got, tt.want)
		}
	}
}
