// Package sitefile reads and writes the registry's import and export files:
// CSV (as Excel in China writes and reads it), Excel workbooks (.xlsx) and
// JSON, one site per row.
//
// Reading validates every row into a registry.Site and names the file, line
// and column of each problem; writing is the inverse, so that an export
// re-imports cleanly. The package does no database work: cmd wires it to the
// registry store.
//
// Personal data (contact name, phone and email, a personal operator's name)
// never appears in an error message, and is masked in exports unless asked
// for.
package sitefile

import "strings"

// column indexes a file column. The order is the order of the columns in an
// export, and of the columns the issue lists.
type column int

// The import and export columns.
const (
	colDomains column = iota
	colSiteName
	colICPNumber
	colICPApprovedOn
	colLaunchedOn
	colPSBNumber
	colPSBFiledOn
	colPSBApprovedOn
	colIPs
	colCheckURL
	colCustomerID
	colOperatorType
	colOperatorName
	colContactName
	colContactPhone
	colContactEmail
	colAccessProvider
	colRegistrar
	colInteractive
	colLanguages
	colTags

	// Result columns, written by an export WithResults. An import accepts
	// and ignores them: they are computed by checks, and an exported file
	// edited in a spreadsheet must re-import without deleting them first.
	colVerdict
	colFindings
	colPSBFilingDeadline
	colBadgeDeadline
	colLastCheckAt
	colLastPassAt
	colFailingSince
	colFailingChecks
	numColumns
)

// numSiteColumns counts the columns that import: the ones before the
// result columns.
const numSiteColumns = colVerdict

// columnNames are the header names, indexed by column.
var columnNames = [numColumns]string{
	colDomains:           "domains",
	colSiteName:          "site_name",
	colICPNumber:         "icp_number",
	colICPApprovedOn:     "icp_approved_on",
	colLaunchedOn:        "launched_on",
	colPSBNumber:         "psb_number",
	colPSBFiledOn:        "psb_filed_on",
	colPSBApprovedOn:     "psb_approved_on",
	colIPs:               "ips",
	colCheckURL:          "check_url",
	colCustomerID:        "customer_id",
	colOperatorType:      "operator_type",
	colOperatorName:      "operator_name",
	colContactName:       "contact_name",
	colContactPhone:      "contact_phone",
	colContactEmail:      "contact_email",
	colAccessProvider:    "access_provider",
	colRegistrar:         "registrar",
	colInteractive:       "interactive",
	colLanguages:         "languages",
	colTags:              "tags",
	colVerdict:           "verdict",
	colFindings:          "findings",
	colPSBFilingDeadline: "psb_filing_deadline",
	colBadgeDeadline:     "badge_deadline",
	colLastCheckAt:       "last_check_at",
	colLastPassAt:        "last_pass_at",
	colFailingSince:      "failing_since",
	colFailingChecks:     "failing_checks",
}

func (c column) String() string { return columnNames[c] }

// list reports whether the column holds a ;-separated list (an array in
// JSON).
func (c column) list() bool {
	switch c {
	case colDomains, colIPs, colLanguages, colTags, colFindings:
		return true
	}
	return false
}

// Columns returns the names of the columns an import reads, in export
// order. With results, the result columns follow.
func Columns(withResults bool) []string {
	n := numSiteColumns
	if withResults {
		n = numColumns
	}
	return append([]string(nil), columnNames[:n]...)
}

// columnByName finds a column by its header name, ignoring case and
// surrounding space (hand-made headers).
func columnByName(name string) (column, bool) {
	name = strings.ToLower(strings.TrimSpace(name))
	for c, n := range columnNames {
		if n == name {
			return column(c), true
		}
	}
	return 0, false
}
