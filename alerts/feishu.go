package alerts

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// Feishu posts alerts to a Feishu (飞书) or Lark group's custom bot as one
// text message, per Feishu's "自定义机器人使用指南" (open.feishu.cn, bot
// v2 hook):
//
//	{"timestamp": "1764216000", "sign": "…",   (with a Secret only)
//	 "msg_type": "text", "content": {"text": "<plain text>"}}
//
// Plain text rather than a post or card: it shows the same in every
// client and language, and alerts need no formatting beyond lines.
//
// With a Secret (签名校验), sign is base64 of HMAC-SHA256 keyed with
// timestamp + "\n" + secret over an empty message, timestamp in Unix
// seconds. Feishu takes request bodies up to 20 KB; text longer than
// FeishuMaxText bytes is cut with a marker.
//
// The bot answers {"code": 0, "msg": "success", …}; older deployments
// answer {"StatusCode": 0, "StatusMessage": "success"} instead. Any other
// code is a failure, retryable for 11232 (frequency limited, the code
// Feishu's open platform uses for message rate limits) and for HTTP 429.
type Feishu struct {
	// URL is the bot's webhook,
	// https://open.feishu.cn/open-apis/bot/v2/hook/<token>.
	URL      string
	Secret   string
	Language Language
	// Client sends the requests; nil means a client with DefaultTimeout
	// that does not follow redirects.
	Client *http.Client
	// Now is the clock for the signature; nil means time.Now.
	Now func() time.Time
}

var _ Notifier = (*Feishu)(nil)

// FeishuMaxText bounds the text of a Feishu message, in bytes: room for
// JSON escaping under Feishu's 20 KB body limit.
const FeishuMaxText = 15000

// feishuRateLimit is the code worth retrying: frequency limited.
const feishuRateLimit = 11232

type feishuMessage struct {
	Timestamp string `json:"timestamp,omitempty"`
	Sign      string `json:"sign,omitempty"`
	MsgType   string `json:"msg_type"`
	Content   struct {
		Text string `json:"text"`
	} `json:"content"`
}

type feishuAnswer struct {
	Code          *int   `json:"code"`
	Msg           string `json:"msg"`
	StatusCode    *int   `json:"StatusCode"`
	StatusMessage string `json:"StatusMessage"`
}

// Notify sends the alerts as one message.
func (f *Feishu) Notify(ctx context.Context, alerts ...Alert) (bool, error) {
	if len(alerts) == 0 {
		return false, nil
	}
	m := feishuMessage{MsgType: "text"}
	m.Content.Text = truncateMarked(plain(alerts, f.Language), FeishuMaxText, truncatedMarker(f.Language))
	if f.Secret != "" {
		now := time.Now
		if f.Now != nil {
			now = f.Now
		}
		m.Timestamp = strconv.FormatInt(now().Unix(), 10)
		m.Sign = feishuSign(f.Secret, m.Timestamp)
	}
	body, err := marshal(m)
	if err != nil {
		return false, fmt.Errorf("feishu: encode: %w", err)
	}
	a, err := post(ctx, f.Client, f.URL, body, nil)
	if err != nil {
		return true, fmt.Errorf("feishu: %w", err)
	}
	if a.status/100 != 2 {
		return retryStatus(a.status), fmt.Errorf("feishu: %w", httpError(f.URL, a))
	}
	var fa feishuAnswer
	if err := json.Unmarshal(a.body, &fa); err != nil || fa.Code == nil && fa.StatusCode == nil {
		return false, fmt.Errorf("feishu: post %s: HTTP %d but not the bot's answer: %s", redactURL(f.URL), a.status, excerpt(a.body))
	}
	code, msg := fa.Code, fa.Msg
	if code == nil {
		code, msg = fa.StatusCode, fa.StatusMessage
	}
	if *code != 0 {
		return *code == feishuRateLimit, fmt.Errorf("feishu: post %s: code %d: %s", redactURL(f.URL), *code, excerpt([]byte(msg)))
	}
	return false, nil
}

// feishuSign is base64(HMAC-SHA256(key = timestamp + "\n" + secret, message = "")).
func feishuSign(secret, timestamp string) string {
	m := hmac.New(sha256.New, []byte(timestamp+"\n"+secret))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}
