package alerts

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Delivery results, the values of the result label of
// beianwatch_alert_deliveries_total.
const (
	ResultSuccess = "success" // the receiver took the alerts
	ResultRetry   = "retry"   // failed, worth retrying (Notify said retry)
	ResultFailure = "failure" // failed for good
)

// Receiver is a named, configured Notifier. Its Notify counts each call
// in beianwatch_alert_deliveries_total{receiver, result}.
type Receiver struct {
	// Name is the receiver's name in the configuration.
	Name string
	// Type is its type (TypeAlertmanager …).
	Type string
	// Resend, when not zero, is how often firing alerts must be sent to
	// this receiver again while they fire: Alertmanager resolves an alert
	// that is not re-sent. Zero means once is enough (the robots would
	// post the same message again).
	Resend time.Duration

	notifier   Notifier
	deliveries *prometheus.CounterVec
	logger     *slog.Logger
}

var _ Notifier = (*Receiver)(nil)

// Notify delivers alerts through the receiver's notifier and counts the
// outcome; the error is returned, not logged (the caller decides).
func (r *Receiver) Notify(ctx context.Context, alerts ...Alert) (bool, error) {
	start := time.Now()
	retry, err := r.notifier.Notify(ctx, alerts...)
	result := ResultSuccess
	switch {
	case err != nil && retry:
		result = ResultRetry
	case err != nil:
		result = ResultFailure
	}
	if r.deliveries != nil {
		r.deliveries.WithLabelValues(r.Name, result).Inc()
	}
	r.logger.Debug("alert delivery", "receiver", r.Name, "alerts", len(alerts), "result", result,
		"duration", time.Since(start))
	return retry, err
}

// Router holds the configured receivers and decides which get an alert.
type Router struct {
	receivers []*Receiver
	byName    map[string]*Receiver
	routes    []Route
	defaults  []string
}

// Route returns the names of the receivers an alert goes to: those of the
// first route that matches it, and of later matching routes while the
// matching routes have Continue; the default receivers when no route
// matches. Each name appears once, in configuration order of the routes.
func (rt *Router) Route(a Alert) []string {
	var names []string
	matched := false
	for _, r := range rt.routes {
		if !r.Match.Matches(a) {
			continue
		}
		matched = true
		for _, n := range r.Receivers {
			if !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
		if !r.Continue {
			break
		}
	}
	if !matched {
		names = append(names, rt.defaults...)
	}
	return names
}

// Receiver returns the receiver with the given name.
func (rt *Router) Receiver(name string) (*Receiver, bool) {
	r, ok := rt.byName[name]
	return r, ok
}

// Receivers returns the receivers, in configuration order.
func (rt *Router) Receivers() []*Receiver {
	return slices.Clone(rt.receivers)
}

// Build validates the configuration, reads its secret files and returns
// the router with its receivers. The receivers count deliveries in
// beianwatch_alert_deliveries_total{receiver,result} on reg (nil: no
// metrics); a second Build on the same registry (a configuration reload)
// shares the counter. logger (nil: none) gets a Debug line per delivery.
func (c *Config) Build(logger *slog.Logger, reg prometheus.Registerer) (*Router, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("component", "alerts")
	deliveries, err := deliveriesCounter(reg)
	if err != nil {
		return nil, err
	}
	rt := &Router{byName: make(map[string]*Receiver), routes: c.Routes, defaults: c.DefaultReceivers}
	for _, rc := range c.Receivers {
		n, err := rc.notifier(c.Language)
		if err != nil {
			return nil, fmt.Errorf("receiver %q: %w", rc.Name, err)
		}
		r := &Receiver{Name: rc.Name, Type: rc.Type, notifier: n, deliveries: deliveries, logger: logger}
		if am, ok := n.(*Alertmanager); ok {
			r.Resend = am.Resend
		}
		if deliveries != nil {
			// Every series from the start, so rate() sees the first one.
			for _, res := range []string{ResultSuccess, ResultRetry, ResultFailure} {
				deliveries.WithLabelValues(r.Name, res)
			}
		}
		rt.receivers = append(rt.receivers, r)
		rt.byName[r.Name] = r
	}
	return rt, nil
}

func deliveriesCounter(reg prometheus.Registerer) (*prometheus.CounterVec, error) {
	if reg == nil {
		return nil, nil
	}
	c := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "beianwatch_alert_deliveries_total",
		Help: "Alert deliveries (one per Notify call, a batch of alerts to one receiver), by receiver and result: success, retry (failed, to be retried) or failure (failed for good).",
	}, []string{"receiver", "result"})
	if err := reg.Register(c); err != nil {
		var are prometheus.AlreadyRegisteredError
		if errors.As(err, &are) {
			if existing, ok := are.ExistingCollector.(*prometheus.CounterVec); ok {
				return existing, nil
			}
		}
		return nil, fmt.Errorf("register alert metrics: %w", err)
	}
	return c, nil
}

// notifier builds the receiver's notifier, reading its secret files.
func (rc *ReceiverConfig) notifier(lang Language) (Notifier, error) {
	if rc.Language != "" {
		lang = rc.Language
	}
	if lang == "" {
		lang = LanguageBoth
	}
	secret, err := secretValue(rc.Secret, rc.SecretFile, "secret_file")
	if err != nil {
		return nil, err
	}
	bearer, err := secretValue(rc.BearerToken, rc.BearerTokenFile, "bearer_token_file")
	if err != nil {
		return nil, err
	}
	var user, password string
	if rc.BasicAuth != nil {
		user = rc.BasicAuth.Username
		if password, err = secretValue(rc.BasicAuth.Password, rc.BasicAuth.PasswordFile, "basic_auth: password_file"); err != nil {
			return nil, err
		}
	}
	client := newClient(rc.Timeout)
	switch rc.Type {
	case TypeAlertmanager:
		resend := rc.Resend
		if resend == 0 {
			resend = DefaultResend
		}
		urls := make([]string, len(rc.URLs))
		for i, u := range rc.URLs {
			urls[i] = string(u)
		}
		return &Alertmanager{URLs: urls, Resend: resend, Language: lang, Username: user, Password: password,
			BearerToken: bearer, Client: client}, nil
	case TypeWebhook:
		return &Webhook{URL: string(rc.URL), Secret: secret, Language: lang, Username: user, Password: password,
			BearerToken: bearer, Client: client}, nil
	case TypeDingTalk:
		mobiles := make([]string, len(rc.AtMobiles))
		for i, m := range rc.AtMobiles {
			mobiles[i] = string(m)
		}
		return &DingTalk{URL: string(rc.URL), Secret: secret, AtMobiles: mobiles, AtAll: rc.AtAll, Language: lang,
			Client: client}, nil
	case TypeWeCom:
		return &WeCom{URL: string(rc.URL), Language: lang, Client: client}, nil
	case TypeFeishu:
		return &Feishu{URL: string(rc.URL), Secret: secret, Language: lang, Client: client}, nil
	}
	return nil, fmt.Errorf("type %q is not alertmanager, webhook, dingtalk, wecom or feishu", rc.Type)
}

// secretValue is the inline secret, or the trimmed content of the file.
func secretValue(inline Secret, file, what string) (string, error) {
	if file == "" {
		return string(inline), nil
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", fmt.Errorf("%s: %s is empty", what, file)
	}
	return s, nil
}
