package daemon

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/beianwatch/beianwatch/registry/registrytest"
)

// TestMetricsTokenRequired: with --metrics-token-required, /metrics
// answers only a token with the read or probe scope; /healthz stays open.
func TestMetricsTokenRequired(t *testing.T) {
	opts := testOptions(t)
	opts.Listen = "127.0.0.1:0"
	opts.API.MetricsTokenRequired = true
	st := registrytest.Open(t, opts.DSN, nil)
	tokens := map[string]string{}
	for _, scope := range []string{"probe", "read", "cases"} {
		secret, _, err := st.CreateToken(context.Background(), scope, []string{scope}, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		tokens[scope] = secret
	}
	d, err := New(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	base := "http://" + d.Addr().String()
	for _, tc := range []struct {
		path, token string
		want        int
	}{
		{"/metrics", "", http.StatusUnauthorized},
		{"/metrics", "bw_wrong", http.StatusUnauthorized},
		{"/metrics", tokens["cases"], http.StatusForbidden},
		{"/metrics", tokens["probe"], http.StatusOK},
		{"/metrics", tokens["read"], http.StatusOK},
		{"/healthz", "", http.StatusOK},
		{"/api/v1/sites", "", http.StatusUnauthorized},
	} {
		req, _ := http.NewRequest("GET", base+tc.path, nil)
		if tc.token != "" {
			req.Header.Set("Authorization", "Bearer "+tc.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Errorf("GET %s with %.10q: %d, want %d", tc.path, tc.token, resp.StatusCode, tc.want)
		}
	}
}
