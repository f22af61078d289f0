package farm

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"strings"

	"github.com/beianwatch/beianwatch/checker"
)

// csvColumns are the import columns the farm fills (see `beianwatch import
// --help`).
var csvColumns = []string{"domains", "site_name", "icp_number", "icp_approved_on", "launched_on",
	"psb_number", "psb_filed_on", "psb_approved_on", "check_url", "customer_id",
	"operator_type", "operator_name", "access_provider", "tags"}

// CSV writes the import file of every site: the filing's numbers and dates
// exactly as the farm judges the sites against them, and each site's check
// URL. Hostile sites are tagged "hostile" and their behavior.
func (f *Farm) CSV(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	cw := csv.NewWriter(bw)
	if err := cw.Write(csvColumns); err != nil {
		return err
	}
	for i := 1; i <= f.Len(); i++ {
		s := f.site(i)
		tags := "farm;" + s.Defect.String()
		if s.Behavior != Normal {
			tags = "farm;hostile;" + s.Behavior.String()
		}
		row := []string{strings.Join(s.Domains(), ";"), s.Name, s.ICP, date(s.ICPApproved), date(s.Launched),
			s.PSB, date(s.PSBFiled), date(s.PSBApproved), s.URL, fmt.Sprintf("C%07d", s.Index),
			"organization", s.Company, "农场云", tags}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return err
	}
	return bw.Flush()
}

func date(d checker.Date) string {
	if d.IsZero() {
		return ""
	}
	return d.String()
}
