package chromium

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
)

// TestSweep leaves a live owner's browser and profile alone and kills and
// removes a dead owner's. The "browsers" are shells carrying the profile
// flag in their command line, as every Chromium process does.
func TestSweep(t *testing.T) {
	t.Setenv("TMPDIR", t.TempDir())
	mine, err := NewProfile()
	if err != nil {
		t.Fatal(err)
	}
	// No process has pid 0x7fffffff's start time: the owner is dead.
	dead := filepath.Join(os.TempDir(), profilePrefix+"2147483647-1-x")
	if err := os.Mkdir(dead, 0o700); err != nil {
		t.Fatal(err)
	}
	start := func(profile string) *exec.Cmd {
		cmd := exec.Command("sh", "-c", "sleep 60; :", "--user-data-dir="+profile)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		return cmd
	}
	live, orphan := start(mine), start(dead)
	if got := Processes(os.Getpid()); !slices.Contains(got, live.Process.Pid) {
		t.Errorf("Processes(self) = %v, want it to hold %d", got, live.Process.Pid)
	}

	n, err := Sweep()
	if err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("Sweep killed %d processes, want 1", n)
	}
	if err := orphan.Wait(); err == nil {
		t.Errorf("the dead owner's process exited by itself, not killed")
	}
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Errorf("the dead owner's profile is still there (%v)", err)
	}
	if _, err := os.Stat(mine); err != nil {
		t.Errorf("the live owner's profile is gone: %v", err)
	}
	if err := RemoveProfile(mine); err != nil {
		t.Fatal(err)
	}
	if err := live.Wait(); err == nil {
		t.Errorf("RemoveProfile left the live owner's process running")
	}
}

func TestFind(t *testing.T) {
	t.Setenv(EnvPath, "/nonexistent/chromium")
	if _, err := Find(); err == nil {
		t.Errorf("Find with %s naming no file succeeded", EnvPath)
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip(err)
	}
	t.Setenv(EnvPath, sh)
	if got, err := Find(); err != nil || got != sh {
		t.Errorf("Find() = %q, %v; want %q", got, err, sh)
	}
}
