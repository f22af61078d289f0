package alerts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode"
)

// UserAgent is sent with every delivery.
const UserAgent = "beianwatch-alerts (+https://github.com/beianwatch/beianwatch)"

// maxAnswer caps how much of an answer is read: the robots answer a few
// dozen bytes of JSON, and a receiver must not make us buffer a large one.
const maxAnswer = 64 << 10

// newClient returns the client receivers use when given none: bounded by
// timeout, and not following redirects, since a redirect would carry the
// body (and, for the robots, the token in the URL) to another place and
// no receiver's API redirects.
func newClient(timeout time.Duration) *http.Client {
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	return &http.Client{
		Timeout:       timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// answer is an HTTP response, its body read up to maxAnswer.
type answer struct {
	status int
	body   []byte
}

// post sends a JSON body and reads the answer. A transport failure (no
// answer at all) is an error, retryable: the network or the receiver may
// be back later. Errors show the URL redacted and never the request body.
func post(ctx context.Context, c *http.Client, rawURL string, body []byte, header http.Header) (*answer, error) {
	if c == nil {
		c = newClient(0)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(body))
	if err != nil {
		// NewRequest's error quotes the URL: replace it.
		return nil, fmt.Errorf("post %s: invalid request", redactURL(rawURL))
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	req.Header.Set("User-Agent", UserAgent)
	resp, err := c.Do(req)
	if err != nil {
		return nil, fmt.Errorf("post %s: %w", redactURL(rawURL), unwrapURLError(err))
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return nil, fmt.Errorf("post %s: read answer: %w", redactURL(rawURL), unwrapURLError(err))
	}
	// Drain a little more so the connection can be reused, not forever.
	io.CopyN(io.Discard, resp.Body, maxAnswer)
	return &answer{status: resp.StatusCode, body: b}, nil
}

// unwrapURLError drops *url.Error's wrapping, whose message quotes the
// whole URL with its token; the inner error names only addresses.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		if ue.Timeout() {
			return fmt.Errorf("timeout: %w", ue.Err)
		}
		return ue.Err
	}
	return err
}

// retryStatus says whether an HTTP status is worth retrying: the
// receiver is overloaded or failing (5xx), rate-limits us (429) or timed
// out reading the request (408). Other statuses will not change.
func retryStatus(code int) bool {
	return code >= 500 || code == http.StatusTooManyRequests || code == http.StatusRequestTimeout
}

// httpError describes a non-2xx answer with a short, printable excerpt
// of its body.
func httpError(rawURL string, a *answer) error {
	return fmt.Errorf("post %s: HTTP %d: %s", redactURL(rawURL), a.status, excerpt(a.body))
}

// excerpt shortens an answer for an error message: at most 200 bytes,
// control characters as spaces, cut on a UTF-8 boundary.
func excerpt(b []byte) string {
	s := strings.TrimSpace(strings.ToValidUTF8(string(b), "�"))
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	if len(s) > 200 {
		s = truncateUTF8(s, 200) + "…"
	}
	if s == "" {
		return "(empty answer)"
	}
	return s
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }

// authHeader returns the Authorization header for basic auth or a bearer
// token, or nil.
func authHeader(user, password, bearer string) http.Header {
	h := http.Header{}
	switch {
	case bearer != "":
		h.Set("Authorization", "Bearer "+bearer)
	case user != "":
		r := &http.Request{Header: h}
		r.SetBasicAuth(user, password)
	}
	return h
}

// marshal encodes v as JSON without escaping <, > and & (the robots
// show text as given, and the bodies stay readable in golden files).
func marshal(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// truncateMarked cuts s to at most max bytes on a UTF-8 boundary, ending
// it with marker when it had to cut.
func truncateMarked(s string, max int, marker string) string {
	if len(s) <= max {
		return s
	}
	return truncateUTF8(s, max-len(marker)) + marker
}

// truncatedMarker says a message was cut, in its language(s).
func truncatedMarker(lang Language) string {
	switch lang {
	case LanguageZH:
		return "\n\n…(内容过长,已截断)"
	case LanguageEN:
		return "\n\n… (too long, truncated)"
	default:
		return "\n\n…(内容过长,已截断 / too long, truncated)"
	}
}

// robotAnswer is the JSON answer of the DingTalk and WeCom robots.
type robotAnswer struct {
	ErrCode *int   `json:"errcode"`
	ErrMsg  string `json:"errmsg"`
}

// robotResult judges a robot's answer: success only for a 2xx answer
// whose JSON says errcode 0. retryCodes are the errcodes worth retrying
// (rate limits, "system busy"). A 2xx answer that is not the robot's JSON
// comes from something else at that URL (a proxy, a wrong URL): retrying
// will not help.
func robotResult(name, rawURL string, a *answer, retryCodes ...int) (bool, error) {
	if a.status/100 != 2 {
		return retryStatus(a.status), fmt.Errorf("%s: %w", name, httpError(rawURL, a))
	}
	var ra robotAnswer
	if err := json.Unmarshal(a.body, &ra); err != nil || ra.ErrCode == nil {
		return false, fmt.Errorf("%s: post %s: HTTP %d but not the robot's answer: %s", name, redactURL(rawURL), a.status, excerpt(a.body))
	}
	if *ra.ErrCode != 0 {
		return slices.Contains(retryCodes, *ra.ErrCode), fmt.Errorf("%s: post %s: errcode %d: %s", name, redactURL(rawURL), *ra.ErrCode, excerpt([]byte(ra.ErrMsg)))
	}
	return false, nil
}
