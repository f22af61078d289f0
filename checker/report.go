package checker

import (
	"time"
)

// Severity ranks a finding. Only SeverityError makes a page fail.
type Severity string

// Severities, from worst to mildest.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
	SeverityInfo    Severity = "info"
)

// Verdict is the outcome of one check.
type Verdict string

// Verdicts. VerdictError means we could not find out (fetch failed, page not
// decodable or rendered only by script), never that the site is compliant.
const (
	VerdictPass  Verdict = "pass"
	VerdictFail  Verdict = "fail"
	VerdictError Verdict = "error"
)

// Kinds of ICP numbers.
const (
	KindFiling  = "filing"  // 京ICP备12345678号-1
	KindLicense = "license" // 京ICP证030173号, 粤B2-20090059
)

// PSB link styles.
const (
	LinkMPS    = "mps"    // https://beian.mps.gov.cn/#/query/webSearch?code=…
	LinkLegacy = "legacy" // http://www.beian.gov.cn/portal/registerSystemInfo?recordcode=…
	LinkOther  = "other"  // a link, but not to the PSB query page
	LinkNone   = "none"
)

// Report is the outcome of checking one page. Its JSON form is the contract
// of `beianwatch check --json`.
type Report struct {
	Target     string    `json:"target"`
	URL        string    `json:"url"`
	HTTPStatus int       `json:"http_status"`
	CheckedAt  time.Time `json:"checked_at"`
	Encoding   string    `json:"encoding"`
	Verdict    Verdict   `json:"verdict"`
	ICP        []ICP     `json:"icp"`
	PSB        []PSB     `json:"psb"`
	Deadlines  Deadlines `json:"deadlines"`
	Findings   []Finding `json:"findings"`
	Error      string    `json:"error"`
	// Policy names the policy the report was judged under: "builtin", or
	// a policy file's name and short hash (see Policy.Name).
	Policy string `json:"policy"`
	// Rendered says the page was judged as a browser drew it (its DOM
	// after the scripts ran), not as the server sent it.
	Rendered bool `json:"rendered,omitempty"`
}

// ICP is one ICP filing or licence number found in the page.
type ICP struct {
	// Text is what the page displays, whitespace collapsed.
	Text string `json:"text"`
	// Number is the canonical form: half-width digits, no spaces, suffix
	// after 号 (京ICP备12345678号-1). Empty when the text is too broken to
	// normalise (a placeholder such as 京ICP备xxxxxxxx号 or a template
	// variable), and then left out of JSON.
	Number string `json:"number,omitempty"`
	// Province is the English name of the province the prefix names, or
	// empty when the prefix is missing or not a province.
	Province string `json:"province"`
	Kind     string `json:"kind"`
	Linked   bool   `json:"linked"`
	LinkURL  string `json:"link_url"`
	Visible  bool   `json:"visible"`
}

// PSB is one public-security (公网安备) number found in the page.
type PSB struct {
	Text string `json:"text"`
	// Number is the digits (14, or 11–13 for legacy local numbers).
	// Empty (and left out of JSON) for a placeholder: a mask or a
	// template variable names no number.
	Number    string `json:"number,omitempty"`
	Province  string `json:"province"`
	Linked    bool   `json:"linked"`
	LinkStyle string `json:"link_style"`
	LinkURL   string `json:"link_url"`
	// LinkCode is the code carried by the PSB query link, if any.
	LinkCode string `json:"link_code"`
	Icon     bool   `json:"icon"`
	Visible  bool   `json:"visible"`
}

// BadgeComplete says p is the whole badge the filing system tells the
// operator to copy: the number as visible text, the icon, and a link to
// the PSB query page (the old platform's is accepted) carrying the same
// number. Only that meets the badge clock; a number alone proves the
// filing, not the badge.
func (p PSB) BadgeComplete() bool {
	return p.Visible && p.Icon && p.Number != "" && p.LinkCode == p.Number &&
		(p.LinkStyle == LinkMPS || p.LinkStyle == LinkLegacy)
}

// Finding is one thing wrong (or worth knowing) about the page.
type Finding struct {
	Code      string   `json:"code"`
	Severity  Severity `json:"severity"`
	Message   string   `json:"message"`
	MessageZH string   `json:"message_zh"`
	// Evidence is the outer HTML of the badge block, at most 1 KiB.
	Evidence string `json:"evidence"`
	// Path is a CSS path to the badge block.
	Path string `json:"path"`
}

// Deadlines are the two filing clocks judged at the time of the check.
type Deadlines struct {
	PSBFiling Deadline `json:"psb_filing"`
	Badge     Deadline `json:"badge"`
}

// Has reports whether the report carries a finding with the given code.
func (r *Report) Has(code string) bool {
	for _, f := range r.Findings {
		if f.Code == code {
			return true
		}
	}
	return false
}

// Failed returns the report for a target that could not be fetched.
func Failed(target, finalURL string, status int, at time.Time, err error) Report {
	r := Report{
		Target:     target,
		URL:        finalURL,
		HTTPStatus: status,
		CheckedAt:  at.UTC(),
		Verdict:    VerdictError,
		ICP:        []ICP{},
		PSB:        []PSB{},
		Findings:   []Finding{},
		Deadlines:  Deadlines{PSBFiling: unknownDeadline(), Badge: unknownDeadline()},
		Policy:     PolicyName(nil),
	}
	if err != nil {
		r.Error = err.Error()
	}
	return r
}
