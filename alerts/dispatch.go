package alerts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"time"
)

// Delivery is one alert change waiting for one receiver in the outbox.
type Delivery struct {
	ID       int64
	Receiver string
	Alert    Alert
	// Attempts counts earlier tries.
	Attempts int
}

// DeliveryResult is how one delivery attempt ended: Delivered, or to be
// tried again at RetryAt, or (RetryAt zero) given up.
type DeliveryResult struct {
	ID        int64
	Delivered bool
	RetryAt   time.Time
	Error     string
}

// Outbox is the persistent queue of deliveries the Dispatcher drains;
// *registry.Store behind a small adapter is one. Lease hands a delivery
// to one owner for ttl, so that replicas never send the same one twice;
// a receiver gets one alert's changes in order.
type Outbox interface {
	LeaseDeliveries(ctx context.Context, owner string, n int, ttl time.Duration) ([]Delivery, error)
	FinishDeliveries(ctx context.Context, owner string, results []DeliveryResult) error
}

// Firing pages through the alerts firing now, in key order, for
// receivers that want active alerts re-sent (Alertmanager); and claims a
// periodic job, so that one replica re-sends per period.
type Firing interface {
	FiringAlerts(ctx context.Context, afterKey string, limit int) ([]Alert, error)
	ClaimPeriodic(ctx context.Context, name, owner string, period time.Duration) (bool, error)
}

// DispatcherConfig tunes a Dispatcher. Zero fields take the defaults.
type DispatcherConfig struct {
	// Owner names this replica in leases.
	Owner string
	// Batch is how many deliveries are leased at once (default 100).
	Batch int
	// Poll is the pause when the outbox is empty (default 2s).
	Poll time.Duration
	// LeaseTTL is how long a leased delivery is this replica's (default
	// 2m; more than a receiver's timeout).
	LeaseTTL time.Duration
	// MinBackoff and MaxBackoff bound the exponential back-off between
	// attempts at one delivery (defaults 5s and 10m). A receiver that is
	// down gets its alerts once it is back, however long that takes.
	MinBackoff, MaxBackoff time.Duration
	// Resend maps receivers that want firing alerts re-sent to the
	// period (Alertmanager forgets an alert that is not re-sent).
	Resend map[string]time.Duration
	// Route says which receivers an alert goes to; re-sends to a
	// receiver carry only the alerts routed to it. Nil routes all.
	Route func(Alert) []string
}

func (c *DispatcherConfig) defaults() {
	if c.Batch <= 0 {
		c.Batch = 100
	}
	if c.Poll <= 0 {
		c.Poll = 2 * time.Second
	}
	if c.LeaseTTL <= 0 {
		c.LeaseTTL = 2 * time.Minute
	}
	if c.MinBackoff <= 0 {
		c.MinBackoff = 5 * time.Second
	}
	if c.MaxBackoff <= 0 {
		c.MaxBackoff = 10 * time.Minute
	}
}

// Dispatcher delivers the outbox to the receivers, with retries.
type Dispatcher struct {
	cfg       DispatcherConfig
	outbox    Outbox
	firing    Firing
	notifiers map[string]Notifier
	logger    *slog.Logger
	now       func() time.Time
}

// NewDispatcher returns a Dispatcher of outbox to the named notifiers;
// firing may be nil when no receiver wants re-sends.
func NewDispatcher(cfg DispatcherConfig, outbox Outbox, firing Firing, notifiers map[string]Notifier, logger *slog.Logger) (*Dispatcher, error) {
	cfg.defaults()
	if cfg.Owner == "" {
		return nil, errors.New("alerts: dispatcher needs an owner")
	}
	if len(cfg.Resend) > 0 && firing == nil {
		return nil, errors.New("alerts: re-sending needs the firing alerts")
	}
	return &Dispatcher{cfg: cfg, outbox: outbox, firing: firing, notifiers: notifiers, logger: logger, now: time.Now}, nil
}

// Run delivers until ctx ends. Outbox errors (a database restarting) are
// logged and retried; Run returns only when ctx ends.
func (d *Dispatcher) Run(ctx context.Context) {
	for ctx.Err() == nil {
		n, err := d.DeliverOnce(ctx)
		if err != nil && ctx.Err() == nil {
			d.logger.Warn("alert outbox unavailable; retrying", "err", err)
		}
		d.resend(ctx)
		if n == 0 || err != nil {
			select {
			case <-ctx.Done():
			case <-time.After(d.cfg.Poll):
			}
		}
	}
}

// DeliverOnce leases one batch, delivers it and records the results; it
// returns how many deliveries it handled.
func (d *Dispatcher) DeliverOnce(ctx context.Context) (int, error) {
	items, err := d.outbox.LeaseDeliveries(ctx, d.cfg.Owner, d.cfg.Batch, d.cfg.LeaseTTL)
	if err != nil || len(items) == 0 {
		return 0, err
	}
	byReceiver := map[string][]Delivery{}
	var order []string
	for _, it := range items {
		if _, ok := byReceiver[it.Receiver]; !ok {
			order = append(order, it.Receiver)
		}
		byReceiver[it.Receiver] = append(byReceiver[it.Receiver], it)
	}
	var results []DeliveryResult
	for _, name := range order {
		batch := byReceiver[name]
		n, ok := d.notifiers[name]
		if !ok {
			// The configuration lost the receiver: keep trying at the
			// slowest pace, so that restoring it delivers what waits.
			for _, it := range batch {
				results = append(results, DeliveryResult{ID: it.ID, RetryAt: d.now().Add(d.cfg.MaxBackoff),
					Error: fmt.Sprintf("receiver %q is not configured", name)})
			}
			d.logger.Warn("alerts wait for a receiver that is not configured", "receiver", name, "alerts", len(batch))
			continue
		}
		alerts := make([]Alert, len(batch))
		for i, it := range batch {
			alerts[i] = it.Alert
		}
		retry, err := n.Notify(ctx, alerts...)
		for _, it := range batch {
			results = append(results, d.result(it, retry, err))
		}
		if err != nil {
			d.logger.Warn("alert delivery failed", "receiver", name, "alerts", len(batch), "retry", retry, "err", err)
		}
	}
	// Results are recorded even if ctx ended meanwhile: a delivery made
	// must not be made again.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := d.outbox.FinishDeliveries(fctx, d.cfg.Owner, results); err != nil {
		return len(items), fmt.Errorf("record deliveries: %w", err)
	}
	return len(items), nil
}

func (d *Dispatcher) result(it Delivery, retry bool, err error) DeliveryResult {
	switch {
	case err == nil:
		return DeliveryResult{ID: it.ID, Delivered: true}
	case !retry:
		return DeliveryResult{ID: it.ID, Error: err.Error()}
	}
	backoff := d.cfg.MinBackoff << min(it.Attempts, 20)
	if backoff <= 0 || backoff > d.cfg.MaxBackoff {
		backoff = d.cfg.MaxBackoff
	}
	// ±20% so that replicas' retries of a receiver that comes back spread.
	backoff = time.Duration(float64(backoff) * (0.8 + 0.4*rand.Float64()))
	return DeliveryResult{ID: it.ID, RetryAt: d.now().Add(backoff), Error: err.Error()}
}

// resend re-sends every firing alert to each receiver that wants it, once
// per period among all replicas. It is best effort: a receiver that is
// down misses a re-send, not an alert (those go through the outbox).
func (d *Dispatcher) resend(ctx context.Context) {
	for name, period := range d.cfg.Resend {
		n, ok := d.notifiers[name]
		if !ok {
			continue
		}
		won, err := d.firing.ClaimPeriodic(ctx, "resend/"+name, d.cfg.Owner, period)
		if err != nil || !won {
			continue
		}
		after, sent := "", 0
		for ctx.Err() == nil {
			page, err := d.firing.FiringAlerts(ctx, after, d.cfg.Batch)
			if err != nil {
				d.logger.Warn("re-sending firing alerts stopped", "receiver", name, "err", err)
				break
			}
			if len(page) == 0 {
				break
			}
			after = page[len(page)-1].Key
			mine := page[:0:0]
			for _, a := range page {
				if d.cfg.Route == nil || slices.Contains(d.cfg.Route(a), name) {
					mine = append(mine, a)
				}
			}
			if len(mine) == 0 {
				if len(page) < d.cfg.Batch {
					break
				}
				continue
			}
			if _, err := n.Notify(ctx, mine...); err != nil {
				d.logger.Warn("re-sending firing alerts failed", "receiver", name, "err", err)
				break
			}
			sent += len(mine)
			if len(page) < d.cfg.Batch {
				break
			}
		}
		d.logger.Debug("re-sent firing alerts", "receiver", name, "alerts", sent)
	}
}
