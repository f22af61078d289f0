package chromium

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// profilePrefix starts the name of every profile directory this package
// makes: "beianwatch-chromium-<owner pid>-<owner start time>-<random>".
// Chromium passes --user-data-dir to every process it forks, so the name
// finds all of a browser's processes, and the owner in it tells a live
// run's browsers from the leftovers of a dead one.
const profilePrefix = "beianwatch-chromium-"

// owner is this process's tag: its pid and its start time (field 22 of
// /proc/self/stat), so that a reused pid is not taken for a live owner.
func owner() (string, error) {
	pid := os.Getpid()
	start, err := procField(pid, 22)
	if err != nil {
		return "", fmt.Errorf("chromium: own start time: %w", err)
	}
	return strconv.Itoa(pid) + "-" + start, nil
}

// NewProfile makes a fresh, empty profile directory for one browser.
func NewProfile() (string, error) {
	tag, err := owner()
	if err != nil {
		return "", err
	}
	dir, err := os.MkdirTemp("", profilePrefix+tag+"-")
	if err != nil {
		return "", fmt.Errorf("chromium: profile: %w", err)
	}
	return dir, nil
}

// RemoveProfile kills every process still using the profile dir and
// removes it.
func RemoveProfile(dir string) error {
	killUntilQuiet(func(profile string) bool { return profile == dir })
	return os.RemoveAll(dir)
}

// Sweep kills the browsers (and their child processes) that runs no
// longer alive left behind, and removes their profiles. It returns how
// many processes it killed. Browsers of live runs, such as another
// beianwatch on the same machine, are left alone.
func Sweep() (int, error) {
	n := killUntilQuiet(func(profile string) bool { return orphaned(filepath.Base(profile)) })
	dirs, err := filepath.Glob(filepath.Join(os.TempDir(), profilePrefix+"*"))
	if err != nil {
		return n, fmt.Errorf("chromium: sweep: %w", err)
	}
	for _, d := range dirs {
		if orphaned(filepath.Base(d)) {
			if err := os.RemoveAll(d); err != nil {
				return n, fmt.Errorf("chromium: sweep: %w", err)
			}
		}
	}
	return n, nil
}

// Processes returns the pids of the browser processes whose profile
// belongs to the process ownerPID, alive or not.
func Processes(ownerPID int) []int {
	want := profilePrefix + strconv.Itoa(ownerPID) + "-"
	var pids []int
	eachBrowser(func(pid int, profile string) {
		if strings.HasPrefix(filepath.Base(profile), want) {
			pids = append(pids, pid)
		}
	})
	return pids
}

// orphaned reports whether the owner named in a profile's name is gone.
func orphaned(base string) bool {
	parts := strings.SplitN(strings.TrimPrefix(base, profilePrefix), "-", 3)
	if len(parts) < 2 {
		return false // not ours after all
	}
	pid, err := strconv.Atoi(parts[0])
	if err != nil {
		return false
	}
	start, err := procField(pid, 22)
	return err != nil || start != parts[1]
}

// killUntilQuiet kills the browser processes whose profile match selects,
// again until a few passes find none: a child can fork just as its parent
// dies and show up after the first look.
func killUntilQuiet(match func(profile string) bool) int {
	const quietPasses = 3
	total := 0
	deadline := time.Now().Add(3 * time.Second)
	for quiet := 0; quiet < quietPasses && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		n := 0
		eachBrowser(func(pid int, profile string) {
			if match(profile) {
				_ = syscall.Kill(pid, syscall.SIGKILL)
				n++
			}
		})
		total += n
		if n == 0 {
			quiet++
		} else {
			quiet = 0
		}
	}
	return total
}

// eachBrowser calls f for every live process started with a profile of
// ours.
func eachBrowser(f func(pid int, profile string)) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	self := os.Getpid()
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		cmdline, err := os.ReadFile("/proc/" + e.Name() + "/cmdline")
		if err != nil {
			continue
		}
		for arg := range bytes.SplitSeq(cmdline, []byte{0}) {
			dir, ok := bytes.CutPrefix(arg, []byte("--user-data-dir="))
			if ok && strings.HasPrefix(filepath.Base(string(dir)), profilePrefix) {
				if state, _ := procField(pid, 3); state != "Z" { // a zombie is dead already
					f(pid, string(dir))
				}
				break
			}
		}
	}
}
