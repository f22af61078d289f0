package daemon

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/beianwatch/beianwatch/cases"
	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/registry"
	"github.com/beianwatch/beianwatch/registry/registrytest"
)

// TestAPINotifyDelivers: with a notice webhook configured, the API's case
// notify delivers the customer notice there (signed, as `case notify`
// does) before it records the case as notified; a webhook that fails
// leaves the case unchanged.
func TestAPINotifyDelivers(t *testing.T) {
	ctx := context.Background()
	var calls atomic.Int32
	var fail atomic.Bool
	var body atomic.Value
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		b, _ := io.ReadAll(r.Body)
		body.Store(string(b))
		if fail.Load() {
			http.Error(w, "mailer down", http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, `{"ticket":"T-7"}`)
	}))
	t.Cleanup(hook.Close)

	opts := testOptions(t)
	opts.Listen = "127.0.0.1:0"
	opts.Notice = NoticeOptions{URL: hook.URL, Secret: "s3cret"}
	st := registrytest.Open(t, opts.DSN, nil)
	if _, err := st.UpsertSites(ctx, []registry.Site{filedSite(t, "a.test", "京ICP备2021099999号-1", "11010502045678")}); err != nil {
		t.Fatal(err)
	}
	token, _, err := st.CreateToken(ctx, "ops", []string{"cases"}, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	opened := time.Now().In(checker.CST)
	open := func() int64 {
		c, err := st.OpenCase(ctx, cases.Case{Kind: cases.Takedown, Domain: "a.test", URLs: []string{"https://a.test/x"},
			Category: cases.Gambling, EvidencePhrases: []string{"赌场"}, State: cases.Open, CreatedAt: opened, Deadline: opened.Add(24 * time.Hour)}, "cli:ops")
		if err != nil {
			t.Fatal(err)
		}
		return c.ID
	}
	d, _ := mustRunDaemon(t, opts)
	notify := func(id int64) (int, map[string]any) {
		t.Helper()
		req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("http://%s/api/v1/cases/%d/notify", d.Addr(), id),
			strings.NewReader(`{"reason":"first notice"}`))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		return resp.StatusCode, out
	}
	waitReady(t, d)

	id := open()
	code, out := notify(id)
	if code != http.StatusOK || calls.Load() != 1 || !strings.Contains(fmt.Sprint(out["note"]), "notice delivered") {
		t.Fatalf("notify = %d %v after %d webhook calls; want 200, delivered once", code, out, calls.Load())
	}
	if b, _ := body.Load().(string); !strings.Contains(b, "a.test") {
		t.Errorf("the webhook got %q, want the case's notice for a.test", b)
	}
	if c, err := st.Case(ctx, id); err != nil || c.State != cases.Notified {
		t.Errorf("case after notify = %+v, %v; want notified", c.State, err)
	}

	fail.Store(true)
	id = open()
	if code, out := notify(id); code != http.StatusBadGateway {
		t.Errorf("notify with the webhook failing = %d %v, want 502", code, out)
	}
	if c, err := st.Case(ctx, id); err != nil || c.State != cases.Open {
		t.Errorf("case after a failed notice = %+v, %v; want still open", c.State, err)
	}
}

// waitReady waits until /readyz answers 200: the API answers 503 until
// the registry is open.
func waitReady(t *testing.T, d *Daemon) {
	t.Helper()
	for range 400 {
		resp, err := http.Get("http://" + d.Addr().String() + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatal("/readyz never answered 200")
}
