package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/registry"
	"github.com/beianwatch/beianwatch/sitefile"
)

// The JSON of `sites list --json` and `sites show --json`. Site keys are
// the import file's column names; personal data is masked.

type siteListJSON struct {
	ID          int64             `json:"id"`
	Domains     []string          `json:"domains"`
	SiteName    string            `json:"site_name"`
	ICPNumber   string            `json:"icp_number"`
	PSBNumber   string            `json:"psb_number"`
	Tags        []string          `json:"tags"`
	Active      bool              `json:"active"`
	Verdict     checker.Verdict   `json:"verdict"`
	LastCheckAt *time.Time        `json:"last_check_at"`
	NextCheckAt *time.Time        `json:"next_check_at"`
	Deadlines   checker.Deadlines `json:"deadlines"`
}

func listView(s *registry.Site, st *registry.State) siteListJSON {
	return siteListJSON{
		ID: s.ID, Domains: unicodeDomains(s.Domains), SiteName: s.Name,
		ICPNumber: s.ICPNumber, PSBNumber: s.PSBNumber, Tags: nonNil(s.Tags), Active: s.Active,
		Verdict: st.Verdict, LastCheckAt: timeOrNull(st.LastCheckAt), NextCheckAt: timeOrNull(st.NextCheckAt),
		Deadlines: st.Deadlines,
	}
}

// siteListCSVHeader and siteListCSVRow are sites list -o csv: the keys
// of the JSON, lists ;-separated, times in UTC.
var siteListCSVHeader = []string{"id", "domains", "site_name", "icp_number", "psb_number", "tags", "active", "verdict",
	"last_check_at", "next_check_at", "psb_filing_deadline", "badge_deadline"}

func siteListCSVRow(v siteListJSON) []string {
	t := func(p *time.Time) string {
		if p == nil {
			return ""
		}
		return csvTime(*p)
	}
	return []string{strconv.FormatInt(v.ID, 10), strings.Join(v.Domains, ";"), v.SiteName, v.ICPNumber, v.PSBNumber,
		strings.Join(v.Tags, ";"), strconv.FormatBool(v.Active), string(v.Verdict), t(v.LastCheckAt), t(v.NextCheckAt),
		deadline(v.Deadlines.PSBFiling), deadline(v.Deadlines.Badge)}
}

type siteJSON struct {
	ID              int64        `json:"id"`
	Domains         []string     `json:"domains"`
	DomainsASCII    []string     `json:"domains_ascii"`
	SiteName        string       `json:"site_name"`
	ICPNumber       string       `json:"icp_number"`
	ICPApprovedOn   checker.Date `json:"icp_approved_on"`
	LaunchedOn      checker.Date `json:"launched_on"`
	PSBNumber       string       `json:"psb_number"`
	PSBFiledOn      checker.Date `json:"psb_filed_on"`
	PSBApprovedOn   checker.Date `json:"psb_approved_on"`
	IPs             []string     `json:"ips"`
	CheckURL        string       `json:"check_url"`
	CustomerID      string       `json:"customer_id"`
	OperatorType    string       `json:"operator_type"`
	OperatorName    string       `json:"operator_name"`
	OperatorOrgCode string       `json:"operator_org_code"`
	ContactName     string       `json:"contact_name"`
	ContactPhone    string       `json:"contact_phone"`
	ContactEmail    string       `json:"contact_email"`
	AccessProvider  string       `json:"access_provider"`
	Registrar       string       `json:"registrar"`
	Interactive     bool         `json:"interactive"`
	Languages       []string     `json:"languages"`
	Tags            []string     `json:"tags"`
	Active          bool         `json:"active"`
	CreatedAt       time.Time    `json:"created_at"`
	UpdatedAt       time.Time    `json:"updated_at"`
}

type stateJSON struct {
	Verdict             checker.Verdict   `json:"verdict"`
	Findings            []checker.Finding `json:"findings"`
	FirstLiveAt         *time.Time        `json:"first_live_at"`
	BadgeFirstSeenAt    *time.Time        `json:"badge_first_seen_at"`
	BadgeLastMissingAt  *time.Time        `json:"badge_last_missing_at"`
	BadgeShown          bool              `json:"badge_shown"`
	LastCheckAt         *time.Time        `json:"last_check_at"`
	NextCheckAt         *time.Time        `json:"next_check_at"`
	ConsecutiveFailures int               `json:"consecutive_failures"`
	LeaseOwner          string            `json:"lease_owner"`
	LeaseExpiresAt      *time.Time        `json:"lease_expires_at"`
	Deadlines           checker.Deadlines `json:"deadlines"`
}

type resultJSON struct {
	CheckedAt  time.Time         `json:"checked_at"`
	Target     string            `json:"target"`
	FinalURL   string            `json:"final_url"`
	HTTPStatus int               `json:"http_status"`
	Verdict    checker.Verdict   `json:"verdict"`
	Findings   []checker.Finding `json:"findings"`
	BodySHA256 string            `json:"body_sha256"`
	DurationMS int64             `json:"duration_ms"`
	Error      string            `json:"error"`
	// Policy is the policy the check was judged under ("legacy" before
	// policies).
	Policy string `json:"policy"`
	// An entry stands for Count checks in a row that saw the same, the
	// first at CheckedAt, the last at LastSeenAt.
	LastSeenAt time.Time `json:"last_seen_at"`
	Count      int       `json:"count"`
}

// sinceJSON answers from the history: since when the current verdict
// holds, over how many checks, and when the site last passed (null when
// unknown: never, or before the entries read).
type sinceJSON struct {
	Verdict    checker.Verdict `json:"verdict"`
	Since      *time.Time      `json:"since"`
	Checks     int             `json:"checks"`
	LastPassAt *time.Time      `json:"last_pass_at"`
}

// historySince reads sinceJSON from history entries, newest first.
func historySince(rs []registry.Result) sinceJSON {
	var v sinceJSON
	if len(rs) == 0 {
		return v
	}
	v.Verdict = rs[0].Verdict
	current := true // still in the run of entries with the latest verdict
	for _, r := range rs {
		if r.Verdict == checker.VerdictPass && v.LastPassAt == nil {
			v.LastPassAt = timeOrNull(r.LastSeenAt)
		}
		if current = current && r.Verdict == v.Verdict; current {
			v.Since, v.Checks = timeOrNull(r.CheckedAt), v.Checks+max(r.Count, 1)
		}
	}
	return v
}

// timeOrDash is cstTime of t, "-" for nil.
func timeOrDash(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return cstTime(*t)
}

type showJSON struct {
	Site    siteJSON     `json:"site"`
	State   stateJSON    `json:"state"`
	Since   sinceJSON    `json:"history"`
	Results []resultJSON `json:"results"` // newest first
}

func showView(s *registry.Site, st *registry.State, rs []registry.Result, since sinceJSON) showJSON {
	v := showJSON{
		Site: siteJSON{
			ID: s.ID, Domains: unicodeDomains(s.Domains), DomainsASCII: asciiDomains(s.Domains), SiteName: s.Name,
			ICPNumber: s.ICPNumber, ICPApprovedOn: s.ICPApprovedOn, LaunchedOn: s.LaunchedOn,
			PSBNumber: s.PSBNumber, PSBFiledOn: s.PSBFiledOn, PSBApprovedOn: s.PSBApprovedOn,
			IPs: ipStrings(s), CheckURL: s.CheckURL, CustomerID: s.CustomerID,
			OperatorType: string(s.Operator.Type), OperatorName: s.Operator.Name, OperatorOrgCode: s.Operator.OrgCode,
			ContactName: s.Contact.Name, ContactPhone: s.Contact.Phone, ContactEmail: s.Contact.Email,
			AccessProvider: s.AccessProvider, Registrar: s.Registrar, Interactive: s.Interactive,
			Languages: nonNil(s.Languages), Tags: nonNil(s.Tags), Active: s.Active,
			CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt,
		},
		State: stateJSON{
			Verdict: st.Verdict, Findings: nonNil(st.Findings),
			FirstLiveAt: timeOrNull(st.FirstLiveAt), BadgeFirstSeenAt: timeOrNull(st.BadgeFirstSeenAt),
			BadgeLastMissingAt: timeOrNull(st.BadgeLastMissingAt), BadgeShown: st.BadgeShown,
			LastCheckAt: timeOrNull(st.LastCheckAt), NextCheckAt: timeOrNull(st.NextCheckAt),
			ConsecutiveFailures: st.ConsecutiveFailures, LeaseOwner: st.LeaseOwner,
			LeaseExpiresAt: timeOrNull(st.LeaseExpiresAt), Deadlines: st.Deadlines,
		},
		Since:   since,
		Results: make([]resultJSON, len(rs)),
	}
	for i, r := range rs {
		v.Results[i] = resultJSON{
			CheckedAt: r.CheckedAt, Target: r.Target, FinalURL: r.FinalURL, HTTPStatus: r.HTTPStatus,
			Verdict: r.Verdict, Findings: nonNil(r.Findings), BodySHA256: r.BodySHA256,
			DurationMS: r.Duration.Milliseconds(), Error: r.Error, Policy: r.Policy,
			LastSeenAt: r.LastSeenAt, Count: r.Count,
		}
	}
	return v
}

// siteText is `sites show` for people.
func siteText(s *registry.Site, st *registry.State, rs []registry.Result, since sinceJSON) string {
	var b strings.Builder
	line := func(label, value string) { fmt.Fprintf(&b, "  %-14s %s\n", label, printable(value)) }
	status := "active"
	if !s.Active {
		status = "retired"
	}
	fmt.Fprintf(&b, "Site %d  %s  (%s)\n", s.ID, printable(orDash(s.Name)), status)
	line("Domains", domainList(s.Domains))
	line("IPs", orDash(strings.Join(ipStrings(s), ", ")))
	line("Check URL", orDash(s.CheckURL))
	line("ICP", withDates(s.ICPNumber, "approved", s.ICPApprovedOn.String()))
	line("Launched", orDash(s.LaunchedOn.String()))
	line("PSB", withDates(s.PSBNumber, "filed", s.PSBFiledOn.String(), "approved", s.PSBApprovedOn.String()))
	line("Operator", orDash(strings.TrimSpace(fmt.Sprintf("%s %s %s", s.Operator.Type, s.Operator.Name, s.Operator.OrgCode))))
	line("Contact", orDash(strings.TrimSpace(fmt.Sprintf("%s %s %s", s.Contact.Name, s.Contact.Phone, s.Contact.Email))))
	line("Customer", orDash(s.CustomerID))
	line("Access", orDash(s.AccessProvider)+"; registrar "+orDash(s.Registrar))
	line("Interactive", yesNo(s.Interactive))
	line("Languages", orDash(strings.Join(s.Languages, ", ")))
	line("Tags", orDash(strings.Join(s.Tags, ", ")))
	line("Created", cstTime(s.CreatedAt)+"; updated "+cstTime(s.UpdatedAt))

	b.WriteString("State\n")
	line("Verdict", string(st.Verdict))
	for _, f := range st.Findings {
		line("", fmt.Sprintf("%s %s: %s", strings.ToUpper(string(f.Severity)), f.Code, f.Message))
	}
	line("Last check", cstTime(st.LastCheckAt)+"; next "+cstTime(st.NextCheckAt))
	line("Failures", fmt.Sprintf("%d in a row", st.ConsecutiveFailures))
	line("First live", cstTime(st.FirstLiveAt))
	line("Badge", fmt.Sprintf("first seen %s; last missing %s; shown now: %s",
		cstTime(st.BadgeFirstSeenAt), cstTime(st.BadgeLastMissingAt), yesNo(st.BadgeShown)))
	line("PSB filing", orDash(deadline(st.Deadlines.PSBFiling)))
	line("Badge display", orDash(deadline(st.Deadlines.Badge)))
	if st.LeaseOwner != "" {
		line("Lease", st.LeaseOwner+" until "+cstTime(st.LeaseExpiresAt))
	}

	fmt.Fprintf(&b, "History (latest %d entries; first seen … last seen, checks)\n", len(rs))
	if since.Since != nil {
		line("Since", fmt.Sprintf("%s since %s (%d checks); last pass %s", since.Verdict, cstTime(*since.Since), since.Checks, timeOrDash(since.LastPassAt)))
	}
	for _, r := range rs {
		fmt.Fprintf(&b, "  %s … %s  ×%-4d  %-5s  %3s  %s  %s%s\n", cstTime(r.CheckedAt), cstTime(r.LastSeenAt), r.Count,
			r.Verdict, httpStatus(r.HTTPStatus), printable(orDash(r.FinalURL)), r.Duration, printable(errSuffix(r.Error)))
	}
	return b.String()
}

// withDates is "NUMBER  filed 2026-03-20  approved 2026-04-10": the
// number, then each label with its date, leaving out unknown dates.
func withDates(number string, labelDate ...string) string {
	parts := []string{orDash(number)}
	for i := 0; i+1 < len(labelDate); i += 2 {
		if labelDate[i+1] != "" {
			parts = append(parts, labelDate[i]+" "+labelDate[i+1])
		}
	}
	return strings.Join(parts, "  ")
}

func errSuffix(e string) string {
	if e == "" {
		return ""
	}
	return "  " + e
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

// maskPersonal masks the site's personal data in place, as exports do
// without --include-personal: the registry hands out plaintext (it must
// decrypt to compare imports), so masking happens here, at output, and
// once for both views. An organisation's name is public.
func maskPersonal(s *registry.Site) {
	if s.Operator.Type == registry.OperatorPersonal {
		s.Operator.Name = sitefile.MaskName(s.Operator.Name)
	}
	s.Contact = registry.Contact{
		Name:  sitefile.MaskName(s.Contact.Name),
		Phone: sitefile.MaskPhone(s.Contact.Phone),
		Email: sitefile.MaskEmail(s.Contact.Email),
	}
}

func unicodeDomains(ds []registry.Domain) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.Unicode
	}
	return out
}

func asciiDomains(ds []registry.Domain) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.ASCII
	}
	return out
}

func ipStrings(s *registry.Site) []string {
	out := make([]string, len(s.IPs))
	for i, a := range s.IPs {
		out[i] = a.String()
	}
	return out
}

// timeOrNull is nil (JSON null) for the zero time, else the time in UTC.
func timeOrNull(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}

// nonNil makes empty lists [] rather than null in JSON.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
