package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/beianwatch/beianwatch/alerts"
	"github.com/beianwatch/beianwatch/registry"
)

// alertChanges turns a check's change of a site into alert changes: the
// site rules say what should fire, alerts.Reconcile what that changes,
// and route which receivers hear of it. The registry stores the answer in
// the check's transaction.
func alertChanges(rules alerts.SiteRules, route func(alerts.Alert) []string) registry.ChangeFunc {
	return func(c *registry.Change) ([]registry.AlertChange, error) {
		v := siteView(c.Site, c.Next)
		desired, unjudged := rules.Desired(v)
		firing := make([]alerts.Alert, 0, len(c.Firing))
		for _, f := range c.Firing {
			var a alerts.Alert
			if err := json.Unmarshal(f.Payload, &a); err != nil {
				return nil, fmt.Errorf("alert %s: stored payload: %w", f.Key, err)
			}
			firing = append(firing, a)
		}
		return toRegistry(alerts.Reconcile(desired, unjudged, firing, v.CheckedAt), c.Site.ID, route)
	}
}

// toRegistry encodes alert changes for the registry, with their receivers.
func toRegistry(changes []alerts.Alert, siteID int64, route func(alerts.Alert) []string) ([]registry.AlertChange, error) {
	out := make([]registry.AlertChange, 0, len(changes))
	for _, a := range changes {
		payload, err := json.Marshal(a)
		if err != nil {
			return nil, fmt.Errorf("alert %s: %w", a.Key, err)
		}
		at := a.StartsAt
		if a.Status == alerts.StatusResolved {
			at = a.EndsAt
		}
		out = append(out, registry.AlertChange{Key: a.Key, Rule: a.Rule, SiteID: siteID, Firing: a.Status == alerts.StatusFiring,
			At: at, Payload: payload, Receivers: route(a)})
	}
	return out, nil
}

// siteView is what the site rules read of a site's state.
func siteView(s *registry.Site, st *registry.State) alerts.SiteView {
	v := alerts.SiteView{Tags: s.Tags, CheckedAt: st.LastCheckAt, Verdict: st.Verdict, Findings: st.Findings,
		ConsecutiveErrors: st.ConsecutiveFailures, Deadlines: st.Deadlines}
	if len(s.Domains) > 0 {
		v.Key, v.Domain = s.Domains[0].ASCII, s.Domains[0].Unicode
	}
	return v
}

// alertOutbox lets the alert dispatcher drain the registry's outbox and
// page through firing alerts; it only translates.
type alertOutbox struct{ st *registry.Store }

var (
	_ alerts.Outbox = alertOutbox{}
	_ alerts.Firing = alertOutbox{}
)

func (o alertOutbox) LeaseDeliveries(ctx context.Context, owner string, n int, ttl time.Duration) ([]alerts.Delivery, error) {
	items, err := o.st.LeaseOutbox(ctx, owner, n, ttl)
	if err != nil {
		return nil, err
	}
	out := make([]alerts.Delivery, 0, len(items))
	var bad []registry.OutboxResult
	for _, it := range items {
		var a alerts.Alert
		if err := json.Unmarshal(it.Payload, &a); err != nil {
			// Not ours to read (written by a newer version?): give it up
			// with the reason rather than block the receiver's queue.
			bad = append(bad, registry.OutboxResult{ID: it.ID, Error: "unreadable payload: " + err.Error()})
			continue
		}
		out = append(out, alerts.Delivery{ID: it.ID, Receiver: it.Receiver, Alert: a, Attempts: it.Attempts})
	}
	if len(bad) > 0 {
		if err := o.st.FinishOutbox(ctx, owner, bad); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func (o alertOutbox) FinishDeliveries(ctx context.Context, owner string, rs []alerts.DeliveryResult) error {
	out := make([]registry.OutboxResult, len(rs))
	for i, r := range rs {
		out[i] = registry.OutboxResult{ID: r.ID, Delivered: r.Delivered, RetryAt: r.RetryAt, Error: r.Error}
	}
	return o.st.FinishOutbox(ctx, owner, out)
}

func (o alertOutbox) FiringAlerts(ctx context.Context, afterKey string, limit int) ([]alerts.Alert, error) {
	fs, err := o.st.FiringAlerts(ctx, afterKey, limit)
	if err != nil {
		return nil, err
	}
	out := make([]alerts.Alert, 0, len(fs))
	for _, f := range fs {
		var a alerts.Alert
		if err := json.Unmarshal(f.Payload, &a); err != nil {
			continue // see LeaseDeliveries
		}
		out = append(out, a)
	}
	return out, nil
}

func (o alertOutbox) ClaimPeriodic(ctx context.Context, name, owner string, period time.Duration) (bool, error) {
	return o.st.ClaimPeriodic(ctx, name, owner, period)
}
