package api_test

import (
	"context"
	"fmt"
	"net/http"
	"path/filepath"
	"testing"
)

// BenchmarkListSites reads pages of 50 sites through the whole stack
// (HTTP on loopback, token, registry on SQLite, JSON) without the
// OpenAPI validation.
func BenchmarkListSites(b *testing.B) {
	e := newEnv(b, "sqlite://"+filepath.Join(b.TempDir(), "registry.db"))
	for i := range 200 {
		e.must(http.StatusCreated, "POST", "/api/v1/sites", "write", siteJSON(fmt.Sprintf("s%d.example.test", i), fmt.Sprintf("京ICP备2021%06d号-1", 100000+i)))
	}
	e.client = http.DefaultClient
	b.ResetTimer()
	for b.Loop() {
		code, _, _ := e.do(context.Background(), "GET", "/api/v1/sites?limit=50", "read", nil)
		if code != 200 {
			b.Fatal(code)
		}
	}
}
