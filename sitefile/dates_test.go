package sitefile

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/beianwatch/beianwatch/checker"
)

// TestCheckDates: the dates of `check` are refused exactly as import
// refuses a row's.
func TestCheckDates(t *testing.T) {
	now := time.Date(2026, 11, 27, 4, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		dates Dates
		want  []string
	}{
		{"none", Dates{}, nil},
		{"in order", Dates{ICPApprovedOn: "2026-01-01", LaunchedOn: "2026-01-02", PSBFiledOn: "2026-01-20", PSBApprovedOn: "2026-02-01"}, nil},
		{"not a date", Dates{LaunchedOn: "2026-02-30"}, []string{`launched_on: "2026-02-30" is not a date; want YYYY-MM-DD`}},
		{"future", Dates{PSBApprovedOn: "2026-11-28"}, []string{`psb_approved_on: 2026-11-28 is in the future`}},
		{"launch before ICP approval", Dates{ICPApprovedOn: "2026-03-01", LaunchedOn: "2026-02-01"},
			[]string{`launched_on: 2026-02-01 is before icp_approved_on 2026-03-01; a site cannot launch before its ICP approval`}},
		{"PSB approval before filing", Dates{PSBFiledOn: "2026-03-01", PSBApprovedOn: "2026-02-01"},
			[]string{`psb_approved_on: 2026-02-01 is before psb_filed_on 2026-03-01`}},
		{"PSB approval before launch", Dates{LaunchedOn: "2026-03-01", PSBApprovedOn: "2026-02-01"},
			[]string{`psb_approved_on: 2026-02-01 is before launched_on 2026-03-01; a PSB filing follows the launch`}},
		{"PSB filing before ICP approval", Dates{ICPApprovedOn: "2026-03-01", PSBFiledOn: "2026-02-01"},
			[]string{`psb_filed_on: 2026-02-01 is before icp_approved_on 2026-03-01; a PSB filing follows the launch`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, errs := CheckDates(tt.dates, now)
			var got []string
			for _, e := range errs {
				got = append(got, e.Column+": "+e.Message)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("CheckDates(%+v) (-want +got):\n%s", tt.dates, diff)
			}
		})
	}
	w, _ := CheckDates(Dates{ICPApprovedOn: "2026-01-01", PSBApprovedOn: "2026-02-01"}, now)
	if w.ICPApproved != (checker.Date{Year: 2026, Month: 1, Day: 1}) || w.PSBApproved.String() != "2026-02-01" {
		t.Errorf("CheckDates parsed %+v", w)
	}
}
