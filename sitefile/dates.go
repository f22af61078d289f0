package sitefile

import (
	"time"

	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/registry"
)

// Dates are a site's filing dates as text, YYYY-MM-DD Beijing dates, ""
// when unknown: the import file's date columns.
type Dates struct {
	ICPApprovedOn string
	LaunchedOn    string
	PSBFiledOn    string
	PSBApprovedOn string
}

// CheckDates validates dates exactly as import validates a row's: each a
// date, none in the future (at now, a Beijing date), and in the order the
// filing process fixes. It returns the dates parsed into the fields of
// checker.Expect that hold them, or every problem found, each a *RowError
// whose Column names the import column (no file or line: the caller says
// where the dates came from).
func CheckDates(d Dates, now time.Time) (checker.Expect, []*RowError) {
	var cells [numColumns]string
	cells[colICPApprovedOn] = d.ICPApprovedOn
	cells[colLaunchedOn] = d.LaunchedOn
	cells[colPSBFiledOn] = d.PSBFiledOn
	cells[colPSBApprovedOn] = d.PSBApprovedOn
	c := &rowCheck{v: newValidator("", now), row: &Row{}}
	var s registry.Site
	c.dates(&cells, &s)
	if len(c.row.Errors) > 0 {
		return checker.Expect{}, c.row.Errors
	}
	return checker.Expect{ICPApproved: s.ICPApprovedOn, Launched: s.LaunchedOn, PSBFiled: s.PSBFiledOn, PSBApproved: s.PSBApprovedOn}, nil
}
