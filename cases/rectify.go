package cases

import (
	"slices"

	"github.com/beianwatch/beianwatch/checker"
)

// Check is what a rectification needs from one check of a site.
type Check struct {
	Verdict  checker.Verdict
	Findings []checker.Finding
}

// Matching returns the codes of the findings in fs that open
// rectifications under p, in the findings' order, each once.
func (p Policy) Matching(fs []checker.Finding) []string {
	var codes []string
	for _, f := range fs {
		if !slices.Contains(p.OpenSeverities, f.Severity) {
			continue
		}
		if len(p.OpenCodes) > 0 && !slices.Contains(p.OpenCodes, f.Code) {
			continue
		}
		if !slices.Contains(codes, f.Code) {
			codes = append(codes, f.Code)
		}
	}
	return codes
}

// ShouldOpen decides whether a site's recent checks, newest first, open a
// rectification: the latest p.OpenAfter checks that could see the page
// all have findings that p.Matching keeps. Checks that could not see the
// page (VerdictError) are passed over: a site that is down is not
// breaking the filing rules, nor has it fixed them. It returns the codes
// of the newest check, which the case is about.
func (p Policy) ShouldOpen(history []Check) (codes []string, open bool) {
	n := 0
	for _, c := range history {
		if c.Verdict == checker.VerdictError {
			continue
		}
		m := p.Matching(c.Findings)
		if len(m) == 0 {
			break
		}
		if n == 0 {
			codes = m
		}
		if n++; n >= p.OpenAfter {
			return codes, true
		}
	}
	return nil, false
}

// ShouldFix decides whether a fresh check fixes an active rectification:
// the check saw the page and none of the case's codes is among its
// findings, whatever their severity. Another fault the site may now have
// is another case's business.
func ShouldFix(c Case, fresh Check) bool {
	if c.Kind != Rectification || !c.State.Verifiable() || fresh.Verdict == checker.VerdictError {
		return false
	}
	for _, f := range fresh.Findings {
		if slices.Contains(c.Codes, f.Code) || f.Code == string(c.Category) {
			return false
		}
	}
	return true
}
