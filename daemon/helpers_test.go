package daemon

import (
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/registry"
)

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// date parses a Beijing date for a site's filing.
func date(t *testing.T, s string) checker.Date {
	t.Helper()
	d, err := checker.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// filedSite is a site whose ICP and PSB filings (and the badge) have been
// due since 2021.
func filedSite(t *testing.T, domain, icp, psb string) registry.Site {
	return registry.Site{Name: domain, ICPNumber: icp, ICPApprovedOn: date(t, "2021-06-01"), LaunchedOn: date(t, "2021-06-02"),
		PSBNumber: psb, PSBFiledOn: date(t, "2021-06-20"), PSBApprovedOn: date(t, "2021-07-01"), Active: true,
		Domains: []registry.Domain{{Unicode: domain, ASCII: domain}}}
}

func discard() *slog.Logger { return slog.New(slog.DiscardHandler) }

// serveHTML serves the page page returns, as UTF-8 HTML, on addr
// ("127.0.0.2:0"; "" for 127.0.0.1) until the test ends. A test whose
// address cannot be had here is skipped.
func serveHTML(t *testing.T, addr string, page func() []byte) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page())
	}))
	if addr != "" {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Skip(err)
		}
		srv.Listener.Close()
		srv.Listener = ln
	}
	srv.Start()
	t.Cleanup(srv.Close)
	return srv
}

// fixed returns a page func that always returns b.
func fixed(b []byte) func() []byte { return func() []byte { return b } }
