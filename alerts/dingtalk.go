package alerts

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DingTalk posts alerts to a DingTalk (钉钉) group's custom robot as one
// markdown message, per DingTalk's "自定义机器人发送群消息" document
// (open.dingtalk.com, robot message types):
//
//	{"msgtype": "markdown",
//	 "markdown": {"title": "<first alert's summary>", "text": "<markdown>"},
//	 "at": {"atMobiles": ["138…"], "isAtAll": false}}
//
// The robot shows an @ only when the text names the number too, so the
// numbers are appended to the text as "@138…".
//
// With a Secret (the 加签 security setting, "SEC…"), the request URL gets
// &timestamp=<Unix ms>&sign=<sign>, where sign is the URL-encoded base64
// of HMAC-SHA256 keyed with the secret over timestamp + "\n" + secret
// (the "安全设置 加签" recipe).
//
// The robot answers HTTP 200 with {"errcode": 0, "errmsg": "ok"} on
// success; any other errcode is a failure, retryable for 130101 (sending
// too fast: at most 20 messages a minute) and -1 (system busy).
type DingTalk struct {
	// URL is the robot's webhook,
	// https://oapi.dingtalk.com/robot/send?access_token=….
	URL       string
	Secret    string
	AtMobiles []string
	AtAll     bool
	Language  Language
	// Client sends the requests; nil means a client with DefaultTimeout
	// that does not follow redirects.
	Client *http.Client
	// Now is the clock for the signature; nil means time.Now.
	Now func() time.Time
}

var _ Notifier = (*DingTalk)(nil)

// DingTalk errcodes worth retrying.
const (
	dingTalkBusy      = -1
	dingTalkRateLimit = 130101
)

type dingTalkMessage struct {
	MsgType  string `json:"msgtype"`
	Markdown struct {
		Title string `json:"title"`
		Text  string `json:"text"`
	} `json:"markdown"`
	At *dingTalkAt `json:"at,omitempty"`
}

type dingTalkAt struct {
	AtMobiles []string `json:"atMobiles,omitempty"`
	IsAtAll   bool     `json:"isAtAll,omitempty"`
}

// Notify sends the alerts as one message.
func (d *DingTalk) Notify(ctx context.Context, alerts ...Alert) (bool, error) {
	if len(alerts) == 0 {
		return false, nil
	}
	m := dingTalkMessage{MsgType: "markdown"}
	m.Markdown.Title = heading(alerts, d.Language)
	m.Markdown.Text = markdown(alerts, d.Language)
	if len(d.AtMobiles) > 0 || d.AtAll {
		m.At = &dingTalkAt{AtMobiles: d.AtMobiles, IsAtAll: d.AtAll}
		var ats []string
		for _, n := range d.AtMobiles {
			ats = append(ats, "@"+n)
		}
		if d.AtAll {
			ats = append(ats, "@all")
		}
		m.Markdown.Text += "\n\n" + strings.Join(ats, " ")
	}
	body, err := marshal(m)
	if err != nil {
		return false, fmt.Errorf("dingtalk: encode: %w", err)
	}
	u := d.URL
	if d.Secret != "" {
		now := time.Now
		if d.Now != nil {
			now = d.Now
		}
		ts := strconv.FormatInt(now().UnixMilli(), 10)
		u += sep(u) + "timestamp=" + ts + "&sign=" + url.QueryEscape(dingTalkSign(d.Secret, ts))
	}
	a, err := post(ctx, d.Client, u, body, nil)
	if err != nil {
		return true, fmt.Errorf("dingtalk: %w", err)
	}
	return robotResult("dingtalk", u, a, dingTalkBusy, dingTalkRateLimit)
}

// dingTalkSign is base64(HMAC-SHA256(key = secret, timestamp + "\n" + secret)).
func dingTalkSign(secret, timestamp string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(timestamp + "\n" + secret))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// sep is what joins another query parameter to u.
func sep(u string) string {
	switch {
	case !strings.Contains(u, "?"):
		return "?"
	case strings.HasSuffix(u, "?"), strings.HasSuffix(u, "&"):
		return ""
	default:
		return "&"
	}
}
