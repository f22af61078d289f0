package deploy

import (
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// startFarm serves the sites of testdata/sites.csv on loopback and returns
// the fetch flags that send beianwatch to them: pass.example.test (a
// compliant page), fail.example.test (no filing numbers) and
// down.example.test (a closed port: a fetch error). Nothing leaves the
// machine: every name is resolved by --resolve.
func startFarm(t *testing.T) []string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, _ := strings.Cut(r.Host, ":")
		label, _, _ := strings.Cut(host, ".")
		page, err := os.ReadFile(filepath.Join("testdata", "site", label+".html"))
		if err != nil || r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	}))
	t.Cleanup(srv.Close)
	farm := srv.Listener.Addr().String()
	closed := "127.0.0.1:" + strconv.Itoa(freePort(t))
	if _, _, err := net.SplitHostPort(farm); err != nil {
		t.Fatal(err)
	}
	return []string{
		"--allow-private",
		"--timeout", "5s",
		"--resolve", "pass.example.test:" + farm,
		"--resolve", "fail.example.test:" + farm,
		"--resolve", "down.example.test:" + closed,
	}
}
