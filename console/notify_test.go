package console_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/beianwatch/beianwatch/cases"
	"github.com/beianwatch/beianwatch/daemon"
)

// TestCaseNotify: the console's "Send notice" delivers the customer
// notice through serve's notice webhook and records the case as
// notified, as `case notify` and the API do; a failed delivery moves
// nothing; with no webhook the case is recorded and the page says that
// no notice went out.
func TestCaseNotify(t *testing.T) {
	var calls atomic.Int32
	var fail atomic.Bool
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		io.Copy(io.Discard, r.Body)
		if fail.Load() {
			http.Error(w, "mailer down", http.StatusInternalServerError)
			return
		}
		fmt.Fprint(w, `{"ticket":"T-9"}`)
	}))
	t.Cleanup(hook.Close)

	tests := []struct {
		name      string
		webhook   bool
		fail      bool
		wantCode  int
		wantState cases.State
		wantCalls int32
		wantText  string
	}{
		{"delivered", true, false, http.StatusSeeOther, cases.Notified, 1, "Notice delivered"},
		{"delivery fails", true, true, http.StatusBadGateway, cases.Open, 1, "could not be delivered"},
		{"no webhook", false, false, http.StatusSeeOther, cases.Notified, 0, "beianwatch delivered no notice"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls.Store(0)
			fail.Store(tt.fail)
			e := startEnvWith(t, func(o *daemon.Options) {
				if tt.webhook {
					o.Notice = daemon.NoticeOptions{URL: hook.URL, Secret: "s3cret"}
				}
			})
			e.register(t, site(t, "shop.example.cn", "店", "闽ICP备17023814号-1", ""))
			cs := e.openCase(t, "shop.example.cn")
			c := newClient(t, e.base)
			if resp := c.login(e.token(t, "ops", "read", "cases")); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("login = %d, want 303", resp.StatusCode)
			}
			page := fmt.Sprintf("/ui/cases/%d", cs.ID)
			if _, body := c.do("GET", page, nil); !strings.Contains(body, `id="action-notify"`) {
				t.Fatalf("an open case's page has no notify button:\n%s", body)
			}
			resp, body := c.do("POST", page+"/notify", url.Values{"csrf": {c.csrf(page)}, "reason": {"first notice"}})
			if resp.StatusCode != tt.wantCode {
				t.Fatalf("notify = %d, want %d:\n%s", resp.StatusCode, tt.wantCode, body)
			}
			if resp.StatusCode == http.StatusSeeOther {
				_, body = c.do("GET", resp.Header.Get("Location"), nil)
			}
			if !strings.Contains(body, tt.wantText) {
				t.Errorf("the page after notify lacks %q:\n%s", tt.wantText, body)
			}
			got, err := e.st.Case(context.Background(), cs.ID)
			if err != nil || got.State != tt.wantState || calls.Load() != tt.wantCalls {
				t.Errorf("case %s after notify (%v), %d webhook calls; want %s, %d", got.State, err, calls.Load(), tt.wantState, tt.wantCalls)
			}
		})
	}
}
