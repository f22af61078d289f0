package sitefile

import (
	"time"

	"github.com/beianwatch/beianwatch/checker"
)

// ExpectOverride is what a check is told on top of the expectations it
// starts from (a registered site's, or none): each field set replaces
// the base's, nil leaves it. `beianwatch check`'s flags and the API's
// POST /api/v1/checks both make one, so that both judge alike.
type ExpectOverride struct {
	ICP, PSB                            *string
	LaunchedOn, PSBFiledOn, PSBApproved *string
}

// Apply returns base with the override's fields set. The dates, the
// base's own among them, are then validated as import validates a row's
// (CheckDates at now); the errors' Column names the import column.
func (o ExpectOverride) Apply(base checker.Expect, now time.Time) (checker.Expect, []*RowError) {
	if o.ICP != nil {
		base.ICP = *o.ICP
	}
	if o.PSB != nil {
		base.PSB = *o.PSB
	}
	d := Dates{ICPApprovedOn: base.ICPApproved.String(), LaunchedOn: base.Launched.String(),
		PSBFiledOn: base.PSBFiled.String(), PSBApprovedOn: base.PSBApproved.String()}
	for _, f := range []struct {
		in  *string
		out *string
	}{{o.LaunchedOn, &d.LaunchedOn}, {o.PSBFiledOn, &d.PSBFiledOn}, {o.PSBApproved, &d.PSBApprovedOn}} {
		if f.in != nil {
			*f.out = *f.in
		}
	}
	dates, errs := CheckDates(d, now)
	if len(errs) > 0 {
		return checker.Expect{}, errs
	}
	base.ICPApproved, base.Launched, base.PSBFiled, base.PSBApproved = dates.ICPApproved, dates.Launched, dates.PSBFiled, dates.PSBApproved
	return base, nil
}
