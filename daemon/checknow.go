package daemon

import (
	"context"
	"fmt"
)

// CheckSite checks the registered site id now, as the scheduler would
// (the same job, pipeline and next due time), and stores the result and
// its case work. It is the console's "check now". The result is stored
// without a lease, so no alert change is decided for it: the next
// scheduled check compares with it. It returns an error wrapping registry.ErrNotFound for no such site.
func (d *Daemon) CheckSite(ctx context.Context, id int64) error {
	s, st, err := d.st.SiteByID(ctx, id)
	if err != nil {
		return err
	}
	o := d.sched.Check(ctx, d.q.job(s, st))
	r := o.Report
	if err := d.st.SaveResult(ctx, registryResult(o), o.Next, r.Deadlines, o.BadgeShown); err != nil {
		return fmt.Errorf("check site %d now: %w", id, err)
	}
	d.cases.afterCheck(ctx, o)
	return nil
}
