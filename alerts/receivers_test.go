package alerts

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// checkCommonHeaders checks what every receiver sends.
func checkCommonHeaders(t *testing.T, r request) {
	t.Helper()
	if r.Method != http.MethodPost {
		t.Errorf("method = %s, want POST", r.Method)
	}
	if got := r.Header.Get("Content-Type"); got != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q", got)
	}
	if got := r.Header.Get("User-Agent"); !strings.Contains(got, "beianwatch") {
		t.Errorf("User-Agent = %q, want one naming beianwatch", got)
	}
}

func TestAlertmanagerRequest(t *testing.T) {
	srv := newRecorder(t, 200, "", 0)
	am := &Alertmanager{URLs: []string{srv.URL + "/am/"}, Resend: time.Minute, Language: LanguageBoth,
		Username: "ops", Password: "hunter2", Now: fixedNow}
	if retry, err := am.Notify(context.Background(), sampleAlerts()...); err != nil {
		t.Fatalf("Notify = (%v, %v)", retry, err)
	}
	r := srv.only(t)
	checkCommonHeaders(t, r)
	if r.Path != "/am/api/v2/alerts" {
		t.Errorf("path = %q, want /am/api/v2/alerts", r.Path)
	}
	if u, p, ok := (&http.Request{Header: r.Header}).BasicAuth(); !ok || u != "ops" || p != "hunter2" {
		t.Errorf("basic auth = %q %q %v", u, p, ok)
	}
	goldenJSON(t, "receivers/alertmanager.json", r.Body)
	var got []postableAlert
	if err := json.Unmarshal(r.Body, &got); err != nil {
		t.Fatal(err)
	}
	// Firing: active for four re-send intervals; resolved: its own end.
	if want := t0.Add(4 * time.Minute); !got[0].EndsAt.Equal(want) {
		t.Errorf("firing endsAt = %v, want %v", got[0].EndsAt, want)
	}
	if want := sampleAlerts()[1].EndsAt; !got[1].EndsAt.Equal(want) {
		t.Errorf("resolved endsAt = %v, want %v", got[1].EndsAt, want)
	}
}

func TestAlertmanagerLabels(t *testing.T) {
	a := Alert{Rule: RuleDeadlineMissed, Severity: SeverityCritical, Domain: "example.cn",
		Labels: map[string]string{"alertname": "Spoofed", "within-days": "7", "9lives": "x", "empty": ""}}
	got := amLabels(a)
	want := map[string]string{"alertname": "BeianwatchDeadlineMissed", "rule": "deadline_missed", "severity": "critical",
		"domain": "example.cn", "within_days": "7", "_9lives": "x"}
	if len(got) != len(want) {
		t.Errorf("amLabels = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("amLabels[%q] = %q, want %q", k, got[k], v)
		}
	}
}

func TestAlertmanagerAnswers(t *testing.T) {
	runAnswerCases(t, []answerCase{
		{name: "200", status: 200},
		{name: "400 rejected", status: 400, body: `{"code":400,"message":"start time missing"}`, wantErr: true},
		{name: "401", status: 401, wantErr: true},
		{name: "429", status: 429, wantErr: true, retry: true},
		{name: "500", status: 500, body: "boom", wantErr: true, retry: true},
		{name: "503", status: 503, wantErr: true, retry: true},
		{name: "redirect not followed", status: 307, wantErr: true},
		{name: "timeout", status: 200, delay: 2 * time.Second, wantErr: true, retry: true},
	}, []string{"hunter2"}, func(u string, c *http.Client) Notifier {
		return &Alertmanager{URLs: []string{u}, Password: "hunter2", Username: "u", Client: c}
	})
}

// TestAlertmanagerHA: every URL gets the alerts; one success is enough,
// and a failure is retryable when one of the failures is.
func TestAlertmanagerHA(t *testing.T) {
	closed := newRecorder(t, 200, "", 0)
	closed.Close()
	tests := []struct {
		name     string
		statuses []int // 0: a closed port
		wantErr  bool
		retry    bool
	}{
		{"one up", []int{500, 200}, false, false},
		{"one down", []int{0, 200}, false, false},
		{"all fail, one retryable", []int{400, 503}, true, true},
		{"all rejected", []int{400, 400}, true, false},
		{"refused and rejected", []int{0, 400}, true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var urls []string
			var servers []*recorder
			for _, st := range tt.statuses {
				if st == 0 {
					urls = append(urls, closed.URL)
					continue
				}
				s := newRecorder(t, st, "", 0)
				servers = append(servers, s)
				urls = append(urls, s.URL)
			}
			am := &Alertmanager{URLs: urls, Client: newClient(time.Second)}
			retry, err := am.Notify(context.Background(), sampleAlerts()...)
			if (err != nil) != tt.wantErr || retry != tt.retry {
				t.Errorf("Notify = (retry %v, %v), want retry %v, error %v", retry, err, tt.retry, tt.wantErr)
			}
			for _, s := range servers {
				s.only(t) // each live Alertmanager got the batch once
			}
		})
	}
}

func TestWebhookRequest(t *testing.T) {
	srv := newRecorder(t, 204, "", 0)
	w := &Webhook{URL: srv.URL + "/hook?x=1", Secret: "s3cret", Language: LanguageBoth, BearerToken: "tok", Now: fixedNow}
	if retry, err := w.Notify(context.Background(), sampleAlerts()...); err != nil {
		t.Fatalf("Notify = (%v, %v)", retry, err)
	}
	r := srv.only(t)
	checkCommonHeaders(t, r)
	if r.Path != "/hook" || r.RawQuery != "x=1" {
		t.Errorf("URL = %s?%s", r.Path, r.RawQuery)
	}
	if got := r.Header.Get("Authorization"); got != "Bearer tok" {
		t.Errorf("Authorization = %q", got)
	}
	ts := r.Header.Get(HeaderTimestamp)
	if ts != strconv.FormatInt(t0.Unix(), 10) {
		t.Errorf("%s = %q, want %d", HeaderTimestamp, ts, t0.Unix())
	}
	// The documented recipe, computed here from scratch.
	m := hmac.New(sha256.New, []byte("s3cret"))
	m.Write([]byte(ts + "." + string(r.Body)))
	if got, want := r.Header.Get(HeaderSignature), "sha256="+hex.EncodeToString(m.Sum(nil)); got != want {
		t.Errorf("%s = %q, want %q", HeaderSignature, got, want)
	}
	goldenJSON(t, "receivers/webhook.json", r.Body)
}

func TestWebhookUnsigned(t *testing.T) {
	srv := newRecorder(t, 200, "", 0)
	if _, err := (&Webhook{URL: srv.URL}).Notify(context.Background(), sampleAlerts()[0]); err != nil {
		t.Fatal(err)
	}
	r := srv.only(t)
	if r.Header.Get(HeaderSignature) != "" || r.Header.Get(HeaderTimestamp) != "" {
		t.Errorf("unsigned webhook sent signature headers: %v", r.Header)
	}
}

func TestWebhookAnswers(t *testing.T) {
	runAnswerCases(t, []answerCase{
		{name: "200", status: 200, body: "whatever"},
		{name: "202", status: 202},
		{name: "400", status: 400, wantErr: true},
		{name: "404", status: 404, wantErr: true},
		{name: "408", status: 408, wantErr: true, retry: true},
		{name: "429", status: 429, wantErr: true, retry: true},
		{name: "502", status: 502, wantErr: true, retry: true},
		{name: "timeout", status: 200, delay: 2 * time.Second, wantErr: true, retry: true},
	}, []string{"s3cret", "tok-123"}, func(u string, c *http.Client) Notifier {
		return &Webhook{URL: u + "?token=tok-123", Secret: "s3cret", Client: c}
	})
}

func TestDingTalkRequest(t *testing.T) {
	srv := newRecorder(t, 200, `{"errcode":0,"errmsg":"ok"}`, 0)
	d := &DingTalk{URL: srv.URL + "/robot/send?access_token=TOKEN", Secret: "SECabc", AtMobiles: []string{"13800138000"},
		Language: LanguageBoth, Now: fixedNow}
	if retry, err := d.Notify(context.Background(), sampleAlerts()...); err != nil {
		t.Fatalf("Notify = (%v, %v)", retry, err)
	}
	r := srv.only(t)
	checkCommonHeaders(t, r)
	q, err := url.ParseQuery(r.RawQuery)
	if err != nil {
		t.Fatal(err)
	}
	ts := strconv.FormatInt(t0.UnixMilli(), 10)
	if q.Get("access_token") != "TOKEN" || q.Get("timestamp") != ts {
		t.Errorf("query = %q, want the token and timestamp %s", r.RawQuery, ts)
	}
	m := hmac.New(sha256.New, []byte("SECabc"))
	m.Write([]byte(ts + "\n" + "SECabc"))
	want := base64.StdEncoding.EncodeToString(m.Sum(nil))
	if q.Get("sign") != want {
		t.Errorf("sign = %q, want %q", q.Get("sign"), want)
	}
	// The sign is URL-encoded in the query: base64's + / = escaped.
	if !strings.HasSuffix(r.RawQuery, "&sign="+url.QueryEscape(want)) {
		t.Errorf("query %q does not end with the escaped sign", r.RawQuery)
	}
	goldenJSON(t, "receivers/dingtalk.json", r.Body)
}

func TestDingTalkAnswers(t *testing.T) {
	runAnswerCases(t, []answerCase{
		{name: "ok", status: 200, body: `{"errcode":0,"errmsg":"ok"}`},
		{name: "rate limited", status: 200, body: `{"errcode":130101,"errmsg":"send too fast, exceed 20 times per minute"}`, wantErr: true, retry: true},
		{name: "busy", status: 200, body: `{"errcode":-1,"errmsg":"系统繁忙"}`, wantErr: true, retry: true},
		{name: "sign mismatch", status: 200, body: `{"errcode":310000,"errmsg":"sign not match"}`, wantErr: true},
		{name: "token gone", status: 200, body: `{"errcode":300001,"errmsg":"token is not exist"}`, wantErr: true},
		{name: "garbage", status: 200, body: `<html>portal</html>`, wantErr: true},
		{name: "no errcode", status: 200, body: `{"errmsg":"ok"}`, wantErr: true},
		{name: "400", status: 400, wantErr: true},
		{name: "429", status: 429, wantErr: true, retry: true},
		{name: "500", status: 500, wantErr: true, retry: true},
		{name: "timeout", status: 200, delay: 2 * time.Second, wantErr: true, retry: true},
	}, []string{"TOKEN-dt", "SEC-dt"}, func(u string, c *http.Client) Notifier {
		return &DingTalk{URL: u + "/robot/send?access_token=TOKEN-dt", Secret: "SEC-dt", Client: c}
	})
}

func TestWeComRequest(t *testing.T) {
	srv := newRecorder(t, 200, `{"errcode":0,"errmsg":"ok"}`, 0)
	w := &WeCom{URL: srv.URL + "/cgi-bin/webhook/send?key=KEY", Language: LanguageZH}
	if retry, err := w.Notify(context.Background(), sampleAlerts()...); err != nil {
		t.Fatalf("Notify = (%v, %v)", retry, err)
	}
	r := srv.only(t)
	checkCommonHeaders(t, r)
	if r.RawQuery != "key=KEY" {
		t.Errorf("query = %q", r.RawQuery)
	}
	goldenJSON(t, "receivers/wecom.json", r.Body)
}

// TestWeComTruncates sends more than 4096 bytes of markdown: the content
// must be cut on a character boundary and say so.
func TestWeComTruncates(t *testing.T) {
	srv := newRecorder(t, 200, `{"errcode":0,"errmsg":"ok"}`, 0)
	var many []Alert
	for range 40 {
		many = append(many, sampleAlerts()...)
	}
	if _, err := (&WeCom{URL: srv.URL}).Notify(context.Background(), many...); err != nil {
		t.Fatal(err)
	}
	var m weComMessage
	if err := json.Unmarshal(srv.only(t).Body, &m); err != nil {
		t.Fatal(err)
	}
	c := m.Markdown.Content
	if len(c) > WeComMaxContent || len(c) < WeComMaxContent-8 || !utf8.ValidString(c) {
		t.Errorf("content is %d bytes (valid UTF-8 %v), want at most and close to %d", len(c), utf8.ValidString(c), WeComMaxContent)
	}
	if !strings.HasSuffix(c, truncatedMarker(LanguageBoth)) {
		t.Errorf("content does not end with the marker: …%q", c[len(c)-60:])
	}
}

func TestWeComAnswers(t *testing.T) {
	runAnswerCases(t, []answerCase{
		{name: "ok", status: 200, body: `{"errcode":0,"errmsg":"ok"}`},
		{name: "rate limited", status: 200, body: `{"errcode":45009,"errmsg":"api freq out of limit"}`, wantErr: true, retry: true},
		{name: "bad key", status: 200, body: `{"errcode":93000,"errmsg":"invalid webhook url"}`, wantErr: true},
		{name: "too long", status: 200, body: `{"errcode":40058,"errmsg":"markdown.content exceed max length 4096"}`, wantErr: true},
		{name: "garbage", status: 200, body: `not json`, wantErr: true},
		{name: "500", status: 500, wantErr: true, retry: true},
		{name: "403", status: 403, wantErr: true},
		{name: "timeout", status: 200, delay: 2 * time.Second, wantErr: true, retry: true},
	}, []string{"KEY-wc"}, func(u string, c *http.Client) Notifier {
		return &WeCom{URL: u + "/cgi-bin/webhook/send?key=KEY-wc", Client: c}
	})
}

func TestFeishuRequest(t *testing.T) {
	srv := newRecorder(t, 200, `{"code":0,"msg":"success","data":{}}`, 0)
	f := &Feishu{URL: srv.URL + "/open-apis/bot/v2/hook/HOOK", Secret: "fs-secret", Language: LanguageEN, Now: fixedNow}
	if retry, err := f.Notify(context.Background(), sampleAlerts()...); err != nil {
		t.Fatalf("Notify = (%v, %v)", retry, err)
	}
	r := srv.only(t)
	checkCommonHeaders(t, r)
	var m feishuMessage
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatal(err)
	}
	if want := strconv.FormatInt(t0.Unix(), 10); m.Timestamp != want {
		t.Errorf("timestamp = %q, want %q", m.Timestamp, want)
	}
	mac := hmac.New(sha256.New, []byte(m.Timestamp+"\n"+"fs-secret"))
	if want := base64.StdEncoding.EncodeToString(mac.Sum(nil)); m.Sign != want {
		t.Errorf("sign = %q, want %q", m.Sign, want)
	}
	goldenJSON(t, "receivers/feishu.json", r.Body)
}

func TestFeishuAnswers(t *testing.T) {
	runAnswerCases(t, []answerCase{
		{name: "ok", status: 200, body: `{"code":0,"msg":"success","data":{},"StatusCode":0,"StatusMessage":"success"}`},
		{name: "old ok", status: 200, body: `{"Extra":null,"StatusCode":0,"StatusMessage":"success"}`},
		{name: "old failure", status: 200, body: `{"StatusCode":9499,"StatusMessage":"Bad Request"}`, wantErr: true},
		{name: "sign", status: 200, body: `{"code":19021,"msg":"sign match fail or timestamp is not within one hour from current time"}`, wantErr: true},
		{name: "rate limited", status: 200, body: `{"code":11232,"msg":"frequency limited"}`, wantErr: true, retry: true},
		{name: "garbage", status: 200, body: `{}`, wantErr: true},
		{name: "400", status: 400, body: `{"code":9499,"msg":"Bad Request"}`, wantErr: true},
		{name: "429", status: 429, wantErr: true, retry: true},
		{name: "500", status: 500, wantErr: true, retry: true},
		{name: "timeout", status: 200, delay: 2 * time.Second, wantErr: true, retry: true},
	}, []string{"HOOK-fs", "fs-secret"}, func(u string, c *http.Client) Notifier {
		return &Feishu{URL: u + "/open-apis/bot/v2/hook/HOOK-fs", Secret: "fs-secret", Client: c}
	})
}

// TestNoAlerts: an empty batch sends nothing and succeeds.
func TestNoAlerts(t *testing.T) {
	srv := newRecorder(t, 500, "", 0)
	for _, n := range []Notifier{&Alertmanager{URLs: []string{srv.URL}}, &Webhook{URL: srv.URL}, &DingTalk{URL: srv.URL},
		&WeCom{URL: srv.URL}, &Feishu{URL: srv.URL}} {
		if retry, err := n.Notify(context.Background()); err != nil || retry {
			t.Errorf("%T.Notify() = (%v, %v), want (false, nil)", n, retry, err)
		}
	}
	if len(srv.requests) != 0 {
		t.Errorf("%d requests for no alerts", len(srv.requests))
	}
}
