package alerts

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Webhook headers.
const (
	// HeaderTimestamp carries the time of sending, in Unix seconds.
	HeaderTimestamp = "X-Beianwatch-Timestamp"
	// HeaderSignature carries "sha256=" and the lower-case hex
	// HMAC-SHA256, keyed with the receiver's secret, of the timestamp
	// header's value, a ".", and the exact request body:
	//
	//	hex(HMAC-SHA256(secret, timestamp + "." + body))
	//
	// Signing the timestamp too lets a receiver refuse replays: it
	// recomputes the HMAC, compares in constant time, and rejects a
	// timestamp more than a few minutes away from its clock.
	HeaderSignature = "X-Beianwatch-Signature"
)

// WebhookVersion is the version of the webhook body's format. It changes
// only when a field changes meaning or goes away; new fields may appear
// in the same version.
const WebhookVersion = "1"

// Webhook posts alerts as JSON to a URL of the user's:
//
//	{"version": "1",
//	 "alerts": [{"key": "site_failing/example.cn", "rule": "site_failing",
//	             "status": "firing", "severity": "critical", "domain": "example.cn",
//	             "codes": ["ICP_MISSING"], "tags": ["vip"], "labels": {…}, "values": {…},
//	             "starts_at": "2026-11-27T04:00:00Z", "ends_at": "…" (resolved only),
//	             "generator_url": "…",
//	             "messages": [{"language": "zh", "summary": "…", "details": ["…"]}, …]}]}
//
// The alert fields are Alert's JSON; messages are Render's, in the
// receiver's language(s). With a Secret, requests are signed (see
// HeaderSignature). Any 2xx answer is success.
type Webhook struct {
	URL      string
	Secret   string
	Language Language
	// Username and Password, or BearerToken, authenticate the requests.
	Username, Password, BearerToken string
	// Client sends the requests; nil means a client with DefaultTimeout
	// that does not follow redirects.
	Client *http.Client
	// Now is the clock for the timestamp; nil means time.Now.
	Now func() time.Time
}

var _ Notifier = (*Webhook)(nil)

type webhookBody struct {
	Version string         `json:"version"`
	Alerts  []webhookAlert `json:"alerts"`
}

type webhookAlert struct {
	Alert
	Messages []Text `json:"messages"`
}

// Notify posts the alerts in one request.
func (w *Webhook) Notify(ctx context.Context, alerts ...Alert) (bool, error) {
	if len(alerts) == 0 {
		return false, nil
	}
	body := webhookBody{Version: WebhookVersion, Alerts: make([]webhookAlert, 0, len(alerts))}
	for _, a := range alerts {
		body.Alerts = append(body.Alerts, webhookAlert{Alert: a, Messages: Render(a, w.Language)})
	}
	b, err := json.Marshal(body)
	if err != nil {
		return false, fmt.Errorf("webhook: encode: %w", err)
	}
	now := time.Now
	if w.Now != nil {
		now = w.Now
	}
	header := authHeader(w.Username, w.Password, w.BearerToken)
	if w.Secret != "" {
		ts := strconv.FormatInt(now().Unix(), 10)
		header.Set(HeaderTimestamp, ts)
		header.Set(HeaderSignature, "sha256="+WebhookSignature(w.Secret, ts, b))
	}
	a, err := post(ctx, w.Client, w.URL, b, header)
	if err != nil {
		return true, fmt.Errorf("webhook: %w", err)
	}
	if a.status/100 != 2 {
		return retryStatus(a.status), fmt.Errorf("webhook: %w", httpError(w.URL, a))
	}
	return false, nil
}

// WebhookSignature is the hex HMAC-SHA256, keyed with secret, of
// timestamp "." body: the value (after "sha256=") of HeaderSignature.
// The escalation and notice webhooks sign the same way.
func WebhookSignature(secret, timestamp string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp))
	m.Write([]byte("."))
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil))
}
