package alerts

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// golden compares got with testdata/name, or rewrites the file with
// -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got, go test -update rewrites it):\n%s", path, diff)
	}
}

// t0 is the fixtures' clock: 2026-11-27 12:00 in Beijing.
var t0 = time.Date(2026, 11, 27, 4, 0, 0, 0, time.UTC)

func fixedNow() time.Time { return t0 }

// sampleAlerts are a firing and a resolved alert with every field set.
func sampleAlerts() []Alert {
	return []Alert{
		{
			Key: "site_failing/example.cn", Rule: RuleSiteFailing, Status: StatusFiring, Severity: SeverityCritical,
			Domain: "example.cn", Codes: []string{"ICP_MISSING", "PSB_NOT_LINKED"}, Tags: []string{"vip", "gov"},
			Values:       map[string]string{ValueConsecutiveFailures: "3", "verdict": "fail"},
			StartsAt:     t0.Add(-2 * time.Hour),
			GeneratorURL: "http://127.0.0.1:9325/sites/example.cn",
		},
		{
			Key: "deadline_due_soon/badge/中文.中国", Rule: RuleDeadlineDueSoon, Status: StatusResolved, Severity: SeverityInfo,
			Domain: "中文.中国", Codes: []string{"BADGE_DUE_SOON"},
			Labels:   map[string]string{LabelDeadline: DeadlineBadge, "within": "7d"},
			Values:   map[string]string{ValueDue: "2026-12-01", ValueDaysLeft: "4"},
			StartsAt: t0.Add(-48 * time.Hour), EndsAt: t0.Add(-time.Hour),
		},
	}
}

// request is what a recording server received.
type request struct {
	Method, Path, RawQuery string
	Header                 http.Header
	Body                   []byte
}

// recorder is a loopback HTTP server that records requests and answers
// with a fixed status and body, after an optional delay.
type recorder struct {
	*httptest.Server
	mu       sync.Mutex
	requests []request
}

func newRecorder(t *testing.T, status int, answer string, delay time.Duration) *recorder {
	t.Helper()
	r := &recorder{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.requests = append(r.requests, request{req.Method, req.URL.Path, req.URL.RawQuery, req.Header.Clone(), b})
		r.mu.Unlock()
		if delay > 0 {
			select {
			case <-time.After(delay):
			case <-req.Context().Done():
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		io.WriteString(w, answer)
	}))
	t.Cleanup(r.Close)
	return r
}

// only returns the one request the server got.
func (r *recorder) only(t *testing.T) request {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.requests) != 1 {
		t.Fatalf("server got %d requests, want 1", len(r.requests))
	}
	return r.requests[0]
}

// goldenJSON compares a request body with testdata/name, stored indented
// for reading; the comparison is on the exact bytes (json.Compact undoes
// json.Indent byte for byte).
func goldenJSON(t *testing.T, name string, body []byte) {
	t.Helper()
	var ind bytes.Buffer
	if err := json.Indent(&ind, body, "", "  "); err != nil {
		t.Fatalf("body is not JSON: %v\n%s", err, body)
	}
	ind.WriteString("\n")
	if *update {
		golden(t, name, ind.Bytes())
		return
	}
	want, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, want); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if !bytes.Equal(compact.Bytes(), body) {
		t.Errorf("body differs from %s (-want +got):\n%s", name, cmp.Diff(string(want), ind.String()))
	}
}

// answerCase is a receiver's answer and what Notify must make of it.
type answerCase struct {
	name    string
	status  int
	body    string
	delay   time.Duration // longer than the client's timeout: a timeout
	wantErr bool
	retry   bool
}

// runAnswerCases sends the sample alerts through a notifier built for
// each case's server and checks the error and the retry flag; errors
// must never show the secrets.
func runAnswerCases(t *testing.T, cases []answerCase, secrets []string, build func(url string, c *http.Client) Notifier) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newRecorder(t, tc.status, tc.body, tc.delay)
			n := build(srv.URL, newClient(200*time.Millisecond))
			retry, err := n.Notify(context.Background(), sampleAlerts()...)
			if (err != nil) != tc.wantErr || retry != tc.retry {
				t.Errorf("Notify = (retry %v, %v), want retry %v, error %v", retry, err, tc.retry, tc.wantErr)
			}
			for _, s := range secrets {
				if err != nil && strings.Contains(err.Error(), s) {
					t.Errorf("error %q shows the secret %q", err, s)
				}
			}
		})
	}
	t.Run("connection refused", func(t *testing.T) {
		srv := newRecorder(t, 200, "", 0)
		srv.Close()
		retry, err := build(srv.URL, newClient(time.Second)).Notify(context.Background(), sampleAlerts()...)
		if err == nil || !retry {
			t.Errorf("Notify to a closed port = (retry %v, %v), want a retryable error", retry, err)
		}
	})
}
