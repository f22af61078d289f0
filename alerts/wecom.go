package alerts

import (
	"context"
	"fmt"
	"net/http"
)

// WeCom posts alerts to a WeCom (企业微信) group robot as one markdown
// message, per WeCom's "群机器人配置说明" (developer.work.weixin.qq.com,
// document 91770):
//
//	{"msgtype": "markdown", "markdown": {"content": "<markdown>"}}
//
// The content may be at most 4096 bytes of UTF-8; a longer one is cut on
// a character boundary and ends with a marker saying so. The robot
// answers {"errcode": 0, "errmsg": "ok"} on success; any other errcode is
// a failure, retryable for 45009 (rate limit: 20 messages a minute) and
// -1 (system busy).
type WeCom struct {
	// URL is the robot's webhook,
	// https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=….
	URL      string
	Language Language
	// Client sends the requests; nil means a client with DefaultTimeout
	// that does not follow redirects.
	Client *http.Client
}

var _ Notifier = (*WeCom)(nil)

// WeComMaxContent is the robot's limit on markdown content, in bytes.
const WeComMaxContent = 4096

// WeCom errcodes worth retrying.
const (
	weComBusy      = -1
	weComRateLimit = 45009
)

type weComMessage struct {
	MsgType  string `json:"msgtype"`
	Markdown struct {
		Content string `json:"content"`
	} `json:"markdown"`
}

// Notify sends the alerts as one message.
func (w *WeCom) Notify(ctx context.Context, alerts ...Alert) (bool, error) {
	if len(alerts) == 0 {
		return false, nil
	}
	m := weComMessage{MsgType: "markdown"}
	m.Markdown.Content = truncateMarked(markdown(alerts, w.Language), WeComMaxContent, truncatedMarker(w.Language))
	body, err := marshal(m)
	if err != nil {
		return false, fmt.Errorf("wecom: encode: %w", err)
	}
	a, err := post(ctx, w.Client, w.URL, body, nil)
	if err != nil {
		return true, fmt.Errorf("wecom: %w", err)
	}
	return robotResult("wecom", w.URL, a, weComBusy, weComRateLimit)
}
