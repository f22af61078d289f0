package chromiumtest

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/beianwatch/beianwatch/internal/chromium"
)

// TestNeed runs TestNeedChild in a child process with no browser to be
// found: it must skip, and fail under CI=true.
func TestNeed(t *testing.T) {
	if os.Getenv("CHROMIUMTEST_CHILD") == "1" {
		t.Skip("the child's copy")
	}
	for _, tt := range []struct {
		ci   string
		want string // in the child's verbose output
		fail bool
	}{
		{"", "--- SKIP: TestNeedChild", false},
		{"true", "--- FAIL: TestNeedChild", true},
	} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestNeedChild$", "-test.v")
		cmd.Env = append(os.Environ(), "CHROMIUMTEST_CHILD=1", "CI="+tt.ci, chromium.EnvPath+"=/nonexistent/chromium")
		out, err := cmd.CombinedOutput()
		if got := strings.Contains(string(out), tt.want); !got || (err != nil) != tt.fail {
			t.Errorf("Need without a browser, CI=%q: exit error %v, output:\n%s\nwant %q", tt.ci, err, out, tt.want)
		}
	}
}

func TestNeedChild(t *testing.T) {
	if os.Getenv("CHROMIUMTEST_CHILD") != "1" {
		t.Skip("run by TestNeed")
	}
	Need(t)
	t.Log("Need returned without a browser")
}
