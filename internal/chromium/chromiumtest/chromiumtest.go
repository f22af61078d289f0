// Package chromiumtest holds the one rule of the browser tests about a
// missing browser, for every package whose tests drive Chromium.
package chromiumtest

import (
	"os"
	"testing"

	"github.com/beianwatch/beianwatch/internal/chromium"
)

// Need returns the browser's path (chromium.Find). Without a browser the
// test skips, except under CI=true, where it fails: CI must never pass
// with the browser tests silently skipped.
func Need(t testing.TB) string {
	t.Helper()
	path, err := chromium.Find()
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true and %v: the browser tests must run", err)
		}
		t.Skipf("%v: the browser tests skip", err)
	}
	return path
}
