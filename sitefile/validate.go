package sitefile

import (
	"fmt"
	"maps"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/registry"
)

// validator turns records into sites. It remembers every domain seen in
// the file, which is the one thing that grows with the file.
type validator struct {
	file    string
	today   checker.Date // in China Standard Time: filing dates are Beijing dates
	nowYear int
	seen    map[string]int // ASCII domain → line of the row that first had it
	seenICP map[string]int // ICP site number → line of the row that first had it
	// templates are the checker's English finding messages by code, so
	// that a warning reads the same at import as in a check report.
	templates map[string]string
}

func newValidator(file string, now time.Time) *validator {
	v := &validator{
		file:      file,
		today:     checker.DateOf(now),
		seen:      make(map[string]int),
		seenICP:   make(map[string]int),
		templates: make(map[string]string),
	}
	v.nowYear = v.today.Year
	for _, c := range checker.Codes() {
		v.templates[c.Code] = c.En
	}
	return v
}

// rowCheck collects one row's problems.
type rowCheck struct {
	v   *validator
	row *Row
}

func (c *rowCheck) errorf(col column, format string, args ...any) {
	c.row.Errors = append(c.row.Errors, &RowError{File: c.v.file, Line: c.row.Line, Column: col.String(), Message: fmt.Sprintf(format, args...)})
}

// warn adds a warning worded like the checker's finding code.
func (c *rowCheck) warn(col column, code string, args ...any) {
	c.row.Warnings = append(c.row.Warnings, &RowError{File: c.v.file, Line: c.row.Line, Column: col.String(),
		Message: fmt.Sprintf(c.v.templates[code], args...), Warning: true})
}

// row validates a record into a site, collecting every problem rather than
// stopping at the first, so that one pass over a file shows them all.
func (v *validator) row(rec *record) *Row {
	row := &Row{Line: rec.line, Index: rec.index, Errors: rec.problems}
	for _, p := range rec.problems {
		if p.Column == "" {
			return row // the cells are not where the header says: judging them would mislead
		}
	}
	c := &rowCheck{v: v, row: row}
	cells := &rec.cells
	if c.controlChars(cells) {
		// The row is refused; judging its cells would echo the control
		// characters in messages bound for a terminal.
		return row
	}
	s := &row.Site
	// An imported row is a site the provider hosts now; retiring one is
	// done in the registry (beianwatch sites retire).
	s.Active = true
	s.Domains = c.domains(cells[colDomains])
	s.Name = cells[colSiteName]

	icp, haveICP := c.icp(cells[colICPNumber])
	if haveICP {
		s.ICPNumber = icp.Canonical()
		c.icpOnce(s.ICPNumber)
	}
	psb, havePSB := c.psb(cells[colPSBNumber])
	if havePSB {
		s.PSBNumber = psb.Digits
	}
	if haveICP && havePSB {
		c.provinces(icp, psb)
	}
	c.dates(cells, s)

	s.IPs = c.ips(cells[colIPs])
	s.CheckURL = c.checkURL(cells[colCheckURL])
	s.CustomerID = cells[colCustomerID]
	s.Operator.Type = c.operatorType(cells[colOperatorType])
	s.Operator.Name = cells[colOperatorName]
	if s.Operator.Type != registry.OperatorOrganization {
		// A person's name, or possibly one: exports mask it.
		c.notMasked(colOperatorName, s.Operator.Name)
	}
	s.Contact.Name = cells[colContactName]
	c.notMasked(colContactName, s.Contact.Name)
	s.Contact.Phone = c.phone(cells[colContactPhone])
	s.Contact.Email = c.email(cells[colContactEmail])
	s.AccessProvider = cells[colAccessProvider]
	s.Registrar = cells[colRegistrar]
	s.Interactive = c.interactive(cells[colInteractive])
	s.Languages = splitList(cells[colLanguages])
	s.Tags = splitList(cells[colTags])
	return row
}

// splitList splits a ;-separated cell, dropping empty items. The
// full-width ； is what a Chinese input method types.
func splitList(s string) []string {
	var out []string
	for item := range strings.FieldsFuncSeq(s, func(r rune) bool { return r == ';' || r == '；' }) {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

func (c *rowCheck) domains(s string) []registry.Domain {
	items := splitList(s)
	if len(items) == 0 {
		c.errorf(colDomains, "required")
		return nil
	}
	var out []registry.Domain
	inRow := make(map[string]bool, len(items))
	for _, item := range items {
		d, msg := parseDomain(item)
		if msg != "" {
			c.errorf(colDomains, "%s", msg)
			continue
		}
		first, inFile := c.v.seen[d.ASCII]
		switch {
		case inRow[d.ASCII]:
			c.errorf(colDomains, "%s is listed twice", d.Unicode)
		case inFile:
			c.errorf(colDomains, "%s is also on line %d", d.Unicode, first)
		default:
			// Counted even if the row fails for another reason: the file
			// has the domain twice either way.
			inRow[d.ASCII] = true
			// A copy: the name may be a slice of the whole CSV line, which
			// the set would otherwise keep alive after the row is gone.
			c.v.seen[strings.Clone(d.ASCII)] = c.row.Line
			out = append(out, d)
		}
	}
	return out
}

// checkerMessage drops the "ICP number X: " lead of a checker validation
// error, which the column name already says.
func checkerMessage(err error, lead string) string {
	msg, _ := strings.CutPrefix(err.Error(), lead+": ")
	return msg
}

func (c *rowCheck) icp(s string) (checker.ICPNumber, bool) {
	if s == "" {
		return checker.ICPNumber{}, false
	}
	n, err := checker.ParseICP(s)
	if err != nil {
		c.errorf(colICPNumber, "%q is not an ICP number (want e.g. 京ICP备12345678号-1)", s)
		return n, false
	}
	if err := n.Validate(c.v.nowYear); err != nil {
		c.errorf(colICPNumber, "%s", checkerMessage(err, "ICP number "+n.Canonical()))
		return n, false
	}
	return n, true
}

// icpOnce rejects a site number (one with a service suffix, -1) that an
// earlier row has: it names one site, and the registry matches sites by
// it. An entity number without suffix is shared by an operator's sites.
func (c *rowCheck) icpOnce(n string) {
	if !strings.Contains(n, "号-") {
		return
	}
	if first, ok := c.v.seenICP[n]; ok {
		c.errorf(colICPNumber, "%s is also on line %d", n, first)
		return
	}
	c.v.seenICP[strings.Clone(n)] = c.row.Line
}

func (c *rowCheck) psb(s string) (checker.PSBNumber, bool) {
	if s == "" {
		return checker.PSBNumber{}, false
	}
	n, err := checker.ParsePSB(s)
	if err != nil {
		c.errorf(colPSBNumber, "%q is not a PSB number (want its 14 digits or 京公网安备…号)", s)
		return n, false
	}
	if err := n.Validate(); err != nil {
		c.errorf(colPSBNumber, "%s", checkerMessage(err, "PSB number "+n.Digits))
		return n, false
	}
	if len(n.Digits) != 14 {
		c.warn(colPSBNumber, checker.CodePSBLegacyFormat, n.Digits, len(n.Digits))
	}
	return n, true
}

// provinces warns when the ICP and PSB numbers name different provinces:
// legitimate for some operators (domain.md §2), so never an error.
func (c *rowCheck) provinces(icp checker.ICPNumber, psb checker.PSBNumber) {
	ip, ok1 := icp.Province()
	pp, ok2 := psb.DigitsProvince()
	if ok1 && ok2 && ip.Code != pp.Code {
		c.warn(colPSBNumber, checker.CodeProvincesDiffer, ip.Name, pp.Name)
	}
}

// dates parses the four dates and checks their order where the filing
// process fixes it. A PSB filing after launch, however late, is not an
// error: it is what the deadline checks are for.
func (c *rowCheck) dates(cells *[numColumns]string, s *registry.Site) {
	s.ICPApprovedOn = c.date(colICPApprovedOn, cells[colICPApprovedOn])
	s.LaunchedOn = c.date(colLaunchedOn, cells[colLaunchedOn])
	s.PSBFiledOn = c.date(colPSBFiledOn, cells[colPSBFiledOn])
	s.PSBApprovedOn = c.date(colPSBApprovedOn, cells[colPSBApprovedOn])
	if known(s.ICPApprovedOn, s.LaunchedOn) && s.LaunchedOn.Before(s.ICPApprovedOn) {
		// Providers block a domain until its ICP approval (domain.md §1).
		c.errorf(colLaunchedOn, "%s is before %s %s; a site cannot launch before its ICP approval",
			s.LaunchedOn, colICPApprovedOn, s.ICPApprovedOn)
	}
	if known(s.PSBFiledOn, s.PSBApprovedOn) && s.PSBApprovedOn.Before(s.PSBFiledOn) {
		c.errorf(colPSBApprovedOn, "%s is before %s %s", s.PSBApprovedOn, colPSBFiledOn, s.PSBFiledOn)
	}
	// The PSB filing follows the launch (domain.md §1: it is due 30 days
	// after it, and its form asks for the launch date), and the launch
	// the ICP approval. The checker relies on it: without a PSB approval
	// date, a site younger than 30 days cannot owe its badge yet.
	anchor, anchorCol := s.LaunchedOn, colLaunchedOn
	if anchor.IsZero() {
		anchor, anchorCol = s.ICPApprovedOn, colICPApprovedOn
	}
	for _, d := range []struct {
		col  column
		date checker.Date
	}{{colPSBFiledOn, s.PSBFiledOn}, {colPSBApprovedOn, s.PSBApprovedOn}} {
		if known(anchor, d.date) && d.date.Before(anchor) {
			c.errorf(d.col, "%s is before %s %s; a PSB filing follows the launch", d.date, anchorCol, anchor)
			break
		}
	}
}

func known(ds ...checker.Date) bool {
	for _, d := range ds {
		if d.IsZero() {
			return false
		}
	}
	return true
}

// date parses a date that must not be in the future. It returns the zero
// Date for a bad one, so that one bad date is one error.
func (c *rowCheck) date(col column, s string) checker.Date {
	d, err := checker.ParseDate(s)
	if err != nil {
		c.errorf(col, "%q is not a date; want YYYY-MM-DD", s)
		return checker.Date{}
	}
	if d.After(c.v.today) {
		c.errorf(col, "%s is in the future", d)
		return checker.Date{}
	}
	return d
}

func (c *rowCheck) ips(s string) []netip.Addr {
	var out []netip.Addr
	for _, item := range splitList(s) {
		a, err := netip.ParseAddr(item)
		switch {
		case err != nil:
			c.errorf(colIPs, "%q is not an IP address", item)
			continue
		case a.Zone() != "":
			c.errorf(colIPs, "%q has a zone; give the address only", item)
			continue
		}
		// ::ffff:1.2.3.4 is 1.2.3.4 to the registry, which matches on it.
		if a = a.Unmap(); !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// checkURL checks the page to check instead of https://<first domain>/.
// The URL is not echoed: it might carry a password.
func (c *rowCheck) checkURL(s string) string {
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	switch {
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.Opaque != "":
		c.errorf(colCheckURL, "not an absolute http or https URL")
	case u.User != nil:
		c.errorf(colCheckURL, "must not carry a user name or password")
	}
	return s
}

// operatorTypes are the operator_type values an import accepts (any
// case; empty means unknown), and what each means.
var operatorTypes = map[string]registry.OperatorType{
	"personal": registry.OperatorPersonal, "个人": registry.OperatorPersonal,
	"organization": registry.OperatorOrganization, "organisation": registry.OperatorOrganization,
	"单位": registry.OperatorOrganization, "企业": registry.OperatorOrganization,
}

// interactiveValues are the interactive values an import accepts (any
// case; empty means no), and what each means.
var interactiveValues = map[string]bool{
	"yes": true, "是": true, "true": true, "1": true,
	"no": false, "否": false, "false": false, "0": false,
}

// AllowedValues returns the values a column with a fixed set of them
// accepts (operator_type, interactive), sorted, or nil for any other
// column. The README's column table lists them; a test keeps the two the
// same.
func AllowedValues(column string) []string {
	var vals []string
	switch column {
	case colOperatorType.String():
		vals = slices.Collect(maps.Keys(operatorTypes))
	case colInteractive.String():
		vals = slices.Collect(maps.Keys(interactiveValues))
	}
	slices.Sort(vals)
	return vals
}

func (c *rowCheck) operatorType(s string) registry.OperatorType {
	if s == "" {
		return ""
	}
	if t, ok := operatorTypes[strings.ToLower(s)]; ok {
		return t
	}
	c.errorf(colOperatorType, "%q is not personal or organization (个人, 单位 or 企业)", s)
	return ""
}

func (c *rowCheck) interactive(s string) bool {
	if s == "" {
		return false
	}
	if v, ok := interactiveValues[strings.ToLower(s)]; ok {
		return v
	}
	c.errorf(colInteractive, "%q is not yes or no (是 or 否)", s)
	return false
}
