package daemon

import (
	"context"
)

// CheckSite checks the registered site id now and stores the result: the
// console's "check now". It is the API's on-demand check of a registered
// site (onDemand: the scheduler's expectations, the collector with its
// connection-safety rule, the site keeping its place in the schedule).
// The result is stored as a scheduled check's is, alerts decided with it,
// and a fix it sees closes the site's rectifications (it opens none). It
// returns an error wrapping registry.ErrNotFound for no such site.
func (d *Daemon) CheckSite(ctx context.Context, id int64) error {
	s, st, err := d.st.SiteByID(ctx, id)
	if err != nil {
		return err
	}
	c := onDemand{st: d.st, q: d.q, fetch: d.col.Fetch, render: d.onDemandRender(), pin: d.opts.PinFiledIP, now: d.opts.now}
	_, err = c.Check(ctx, target(s), d.q.expect(s, st), s.ID)
	return err
}
