package alerts

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Alertmanager posts alerts to Prometheus Alertmanagers through API v2:
// POST {URL}/api/v2/alerts with a JSON array of postableAlert objects
// (api/v2/openapi.yaml in prometheus/alertmanager), the way Prometheus
// itself sends them.
//
// Labels, which Alertmanager uses to identify, group, route and silence
// alerts, are only what stays fixed for an alert Key:
//
//	alertname  "Beianwatch" + the rule in CamelCase (BeianwatchSiteFailing),
//	           as deploy/prometheus alert names are
//	rule       the rule ID (site_failing)
//	severity   critical, warning or info
//	domain     the site's domain
//	…          Alert.Labels (names not valid in Prometheus become '_'),
//	           never overriding the four above
//
// Codes and tags change while an alert fires (a failing site may fail one
// more check), and a changed label set would be a new alert to
// Alertmanager while the old one lingered; so they are annotations, with
// the messages:
//
//	summary, description        English (Chinese when Language is zh)
//	summary_zh, description_zh  Chinese, when Language is both
//	key, codes, tags            Alert.Key; codes and tags comma-separated
//
// A firing alert is sent with endsAt = now + 4×Resend, so it stays active
// in Alertmanager only while the caller re-sends it every Resend; a
// resolved alert is sent with endsAt = its resolution time, which
// resolves it at once.
//
// Every URL gets every alert (Alertmanager's HA setup de-duplicates
// notifications); the delivery succeeds when one Alertmanager took the
// alerts.
type Alertmanager struct {
	// URLs are the Alertmanagers' base URLs (http://am:9093, or with a
	// path prefix under a reverse proxy).
	URLs []string
	// Resend is how often the caller re-sends firing alerts; zero means
	// DefaultResend.
	Resend   time.Duration
	Language Language
	// Username and Password, or BearerToken, authenticate the requests.
	Username, Password, BearerToken string
	// Client sends the requests; nil means a client with DefaultTimeout
	// that does not follow redirects.
	Client *http.Client
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

var _ Notifier = (*Alertmanager)(nil)

// postableAlert is API v2's postableAlert.
type postableAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations,omitempty"`
	StartsAt     time.Time         `json:"startsAt,omitzero"`
	EndsAt       time.Time         `json:"endsAt,omitzero"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// Notify posts the alerts to every Alertmanager at once. It fails when
// all of them fail, and is then retryable when one of them might take the
// alerts later.
func (am *Alertmanager) Notify(ctx context.Context, alerts ...Alert) (bool, error) {
	if len(alerts) == 0 {
		return false, nil
	}
	if len(am.URLs) == 0 {
		return false, errors.New("alertmanager: no URLs")
	}
	body, err := json.Marshal(am.payload(alerts))
	if err != nil {
		return false, fmt.Errorf("alertmanager: encode: %w", err)
	}
	header := authHeader(am.Username, am.Password, am.BearerToken)
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		ok    bool
		retry bool
		errs  = make([]error, len(am.URLs)) // in URL order, for a stable message
	)
	for i, u := range am.URLs {
		wg.Go(func() {
			r, err := am.send(ctx, u, body, header)
			mu.Lock()
			defer mu.Unlock()
			errs[i] = err
			if err == nil {
				ok = true
			}
			retry = retry || r
		})
	}
	wg.Wait()
	if ok {
		return false, nil
	}
	return retry, fmt.Errorf("alertmanager: %w", errors.Join(errs...))
}

func (am *Alertmanager) send(ctx context.Context, base string, body []byte, header http.Header) (retry bool, err error) {
	u := strings.TrimRight(base, "/") + "/api/v2/alerts"
	a, err := post(ctx, am.Client, u, body, header)
	if err != nil {
		return true, err
	}
	if a.status/100 != 2 {
		// 400 is a rejected alert (Alertmanager stores the valid ones of a
		// batch and reports the others), not worth sending again.
		return retryStatus(a.status), httpError(u, a)
	}
	return false, nil
}

func (am *Alertmanager) payload(alerts []Alert) []postableAlert {
	now := time.Now
	if am.Now != nil {
		now = am.Now
	}
	resend := am.Resend
	if resend <= 0 {
		resend = DefaultResend
	}
	out := make([]postableAlert, 0, len(alerts))
	for _, a := range alerts {
		p := postableAlert{
			Labels:       amLabels(a),
			Annotations:  amAnnotations(a, am.Language),
			StartsAt:     a.StartsAt.UTC(),
			GeneratorURL: a.GeneratorURL,
		}
		if a.Status == StatusResolved {
			p.EndsAt = a.EndsAt
			if p.EndsAt.IsZero() {
				p.EndsAt = now()
			}
		} else {
			p.EndsAt = now().Add(4 * resend)
		}
		p.EndsAt = p.EndsAt.UTC()
		out = append(out, p)
	}
	return out
}

var invalidLabelChar = regexp.MustCompile(`[^A-Za-z0-9_]`)

// amLabels are the alert's identifying labels. Empty values are left
// out: to Alertmanager an empty label is no label.
func amLabels(a Alert) map[string]string {
	l := make(map[string]string, len(a.Labels)+4)
	for k, v := range a.Labels {
		k = invalidLabelChar.ReplaceAllString(k, "_")
		if k == "" || k[0] >= '0' && k[0] <= '9' {
			k = "_" + k
		}
		if v != "" {
			l[k] = v
		}
	}
	for k, v := range map[string]string{
		"alertname": "Beianwatch" + camel(a.Rule),
		"rule":      a.Rule,
		"severity":  string(a.Severity),
		"domain":    a.Domain,
	} {
		delete(l, k)
		if v != "" {
			l[k] = v
		}
	}
	return l
}

func amAnnotations(a Alert, lang Language) map[string]string {
	ann := map[string]string{"key": a.Key}
	if len(a.Codes) > 0 {
		ann["codes"] = strings.Join(a.Codes, ",")
	}
	if len(a.Tags) > 0 {
		ann["tags"] = strings.Join(a.Tags, ",")
	}
	for _, t := range Render(a, lang) {
		// With both languages, deploy/prometheus's convention: summary in
		// English, summary_zh in Chinese.
		suffix := ""
		if len(lang.languages()) > 1 && t.Language == LanguageZH {
			suffix = "_zh"
		}
		ann["summary"+suffix] = t.Summary
		ann["description"+suffix] = strings.Join(t.Details, "\n")
	}
	return ann
}

// camel turns a rule ID into CamelCase: site_failing → SiteFailing.
func camel(s string) string {
	var b strings.Builder
	for _, part := range strings.Split(s, "_") {
		if part != "" {
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
	}
	return b.String()
}
