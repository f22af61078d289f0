package daemon

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/beianwatch/beianwatch/alerts"
	"github.com/beianwatch/beianwatch/cases"
	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/internal/redact"
	"github.com/beianwatch/beianwatch/notice"
	"github.com/beianwatch/beianwatch/registry"
)

// NoticeWebhook renders a case's notice in Chinese and English and posts
// it to the notice webhook.
type NoticeWebhook struct {
	renderer *notice.Renderer
	url      string
	secret   string
	provider notice.Provider
	site     SiteLookup
	client   *http.Client
	now      func() time.Time
}

// NoticeOptions configure customer notice delivery.
type NoticeOptions struct {
	// URL is the notice webhook (the provider's mailer or ticket
	// system); Secret, when set, signs each delivery.
	URL, Secret string
	// Templates is a directory of templates that replace the built-in
	// ones ("" for the built-in ones).
	Templates string
	Provider  notice.Provider
}

// SiteLookup finds a site by any of its domains; *registry.Store's
// SiteByDomain is one.
type SiteLookup func(ctx context.Context, domain string) (*registry.Site, *registry.State, error)

// NewNoticeWebhook builds the notice delivery of o: it renders a case's
// notice in Chinese and English and posts it, signed, to o.URL.
func NewNoticeWebhook(o NoticeOptions, site SiteLookup) (*NoticeWebhook, error) {
	if err := validHTTPURL(o.URL); err != nil {
		return nil, fmt.Errorf("invalid notice webhook: %w", err)
	}
	r, err := notice.Load(o.Templates)
	if err != nil {
		return nil, fmt.Errorf("notice templates: %w", err)
	}
	return &NoticeWebhook{renderer: r, url: o.URL, secret: o.Secret, site: site, now: time.Now, provider: o.Provider,
		client: &http.Client{Timeout: 15 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}, nil
}

// NoticePayload is the body of a notice delivery.
type NoticePayload struct {
	Version    string           `json:"version"`
	CaseID     int64            `json:"case_id"`
	Kind       cases.Kind       `json:"kind"`
	Event      notice.Event     `json:"event"`
	Domain     string           `json:"domain"`
	CustomerID string           `json:"customer_id"`
	Deadline   time.Time        `json:"deadline"`
	Messages   []notice.Message `json:"messages"`
}

// DeliverNotice renders the case's "notified" notice and posts it.
func (n *NoticeWebhook) DeliverNotice(ctx context.Context, c cases.Case) (string, error) {
	d := notice.Data{CaseID: c.ID, Kind: notice.Kind(c.Kind), Event: notice.Notified, Domain: c.Domain,
		Category: string(c.Category), URLs: c.URLs, Evidence: c.EvidencePhrases, Deadline: c.Deadline, At: n.now(),
		ProvisionalYears: c.Provisional,
		Provider:         n.provider}
	s, st, err := n.site(ctx, c.Domain)
	if err == nil {
		d.SiteName, d.CustomerID = s.Name, s.CustomerID
	}
	if c.Kind == cases.Rectification {
		d.Category = ""
		for _, code := range c.Codes {
			f := notice.Finding{Code: code}
			// The latest check's own words, where it still finds the code.
			for _, sf := range stateFindings(st) {
				if sf.Code == code {
					f.Message, f.MessageZH = sf.Message, sf.MessageZH
					break
				}
			}
			d.Findings = append(d.Findings, f)
		}
	}
	msgs, err := n.renderer.Render(d)
	if err != nil {
		return "", err
	}
	body, err := json.Marshal(NoticePayload{Version: "1", CaseID: c.ID, Kind: c.Kind, Event: notice.Notified,
		Domain: c.Domain, CustomerID: d.CustomerID, Deadline: c.Deadline.UTC(), Messages: msgs})
	if err != nil {
		return "", err
	}
	status, answer, err := postSigned(ctx, n.client, n.url, n.secret, body, n.now(), 1<<10)
	where := redact.URL(n.url)
	if err != nil {
		return "", err
	}
	if status/100 != 2 {
		return "", fmt.Errorf("post to %s: HTTP %d: %s", where, status, answer)
	}
	return fmt.Sprintf("posted to %s (HTTP %d), %s and %s", where, status, msgs[0].Lang, msgs[1].Lang), nil
}

// postSigned posts a JSON body to a webhook, signed as the alerts
// webhook receiver signs (alerts.WebhookSignature over the timestamp and
// the body, when there is a secret), and returns the answer's status and
// at most limit bytes of its body. Errors and the answer have their
// credentials masked (redact): they are logged and kept in a case's
// history, which nobody can delete, and net/http's errors quote the URL
// with its query, where tokens live.
func postSigned(ctx context.Context, client *http.Client, target, secret string, body []byte, now time.Time, limit int64) (status int, answer string, err error) {
	where := redact.URL(target)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, "", fmt.Errorf("post to %s: %s", where, redact.Text(err.Error()))
	}
	ts := strconv.FormatInt(now.Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "beianwatch")
	req.Header.Set(alerts.HeaderTimestamp, ts)
	if secret != "" {
		req.Header.Set(alerts.HeaderSignature, "sha256="+alerts.WebhookSignature(secret, ts, body))
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, "", fmt.Errorf("post to %s: %s", where, redact.Text(err.Error()))
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, limit))
	return resp.StatusCode, redact.Text(strings.TrimSpace(string(b))), nil
}

func stateFindings(st *registry.State) []checker.Finding {
	if st == nil {
		return nil
	}
	return st.Findings
}

// validHTTPURL accepts an absolute http or https URL.
func validHTTPURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // it quotes the URL, token and all
		}
		return fmt.Errorf("%q: %w", redact.URL(raw), err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%q: want an http:// or https:// URL", redact.URL(raw))
	}
	return nil
}
