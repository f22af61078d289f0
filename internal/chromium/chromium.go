// Package chromium finds the system's Chromium and launches it hardened for
// rendering untrusted pages: a fresh temporary profile whose name marks it
// as ours, no persistent storage, its own process group, and a sweep that
// kills what a previous run, killed too hard to clean up, left behind.
package chromium

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"

	"github.com/chromedp/chromedp"
)

// EnvPath names the environment variable that overrides the browser's path.
const EnvPath = "BEIANWATCH_CHROMIUM"

// ErrNotFound is returned by Find when no browser is installed.
var ErrNotFound = errors.New("chromium: no browser found (install Debian's chromium, or set " + EnvPath + ")")

// Find returns the browser to run: $BEIANWATCH_CHROMIUM, else chromium or
// chromium-browser on $PATH. Nothing is ever downloaded.
func Find() (string, error) {
	if p := os.Getenv(EnvPath); p != "" {
		path, err := exec.LookPath(p)
		if err != nil {
			return "", fmt.Errorf("chromium: %s=%s: %w", EnvPath, p, err)
		}
		return path, nil
	}
	for _, name := range []string{"chromium", "chromium-browser"} {
		if path, err := exec.LookPath(name); err == nil {
			return path, nil
		}
	}
	return "", ErrNotFound
}

// Config is how one browser is launched.
type Config struct {
	// Path is the browser's executable (see Find).
	Path string
	// Profile is its user data directory, from NewProfile.
	Profile string
	// Proxy is the proxy every request goes through ("http://host:port").
	// Empty leaves the browser's network unguarded: tests of the launcher
	// only.
	Proxy string
	// HeapMB caps each renderer's JavaScript heap; zero means 256.
	HeapMB int
	// Renderers caps the number of renderer processes; zero means 4.
	Renderers int
}

// AllocatorOptions returns the chromedp options that launch the browser
// as Config says.
func AllocatorOptions(cfg Config) []chromedp.ExecAllocatorOption {
	heap, renderers := cfg.HeapMB, cfg.Renderers
	if heap <= 0 {
		heap = 256
	}
	if renderers <= 0 {
		renderers = 4
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(cfg.Path),
		chromedp.UserDataDir(cfg.Profile),
		// The sandbox cannot start as root; elsewhere it stays on.
		chromedp.Flag("no-sandbox", os.Geteuid() == 0),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("mute-audio", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-domain-reliability", true),
		chromedp.Flag("no-pings", true),
		chromedp.Flag("disable-notifications", true),
		chromedp.Flag("js-flags", "--max-old-space-size="+strconv.Itoa(heap)),
		chromedp.Flag("renderer-process-limit", strconv.Itoa(renderers)),
		// WebRTC would otherwise send UDP straight to any address a page
		// names, around the proxy.
		chromedp.Flag("force-webrtc-ip-handling-policy", "disable_non_proxied_udp"),
		chromedp.Flag("webrtc-ip-handling-policy", "disable_non_proxied_udp"),
		chromedp.WindowSize(1280, 1024),
		chromedp.ModifyCmdFunc(func(cmd *exec.Cmd) {
			// Its own process group, so that Kill reaches every process
			// the browser forks; Pdeathsig, so that the kernel kills the
			// browser when its parent dies (even by SIGKILL).
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		}),
	)
	if cfg.Proxy != "" {
		opts = append(opts,
			chromedp.ProxyServer(cfg.Proxy),
			chromedp.Flag("proxy-bypass-list", ProxyBypass),
		)
	}
	return opts
}

// ProxyBypass is the proxy bypass list of the browser and of a browser
// context with a proxy of its own: "<-loopback>" removes Chromium's
// implicit bypass of localhost and 127.0.0.0/8, so those requests go to
// the proxy too, which refuses them.
const ProxyBypass = "<-loopback>"

// KillGroup kills the process group led by pid, the browser started with
// AllocatorOptions, and so every process it forked that stayed in it.
func KillGroup(pid int) {
	if pid > 1 {
		_ = syscall.Kill(-pid, syscall.SIGKILL)
	}
}

// procField returns field n (1-based, as proc(5) counts) of /proc/pid/stat.
func procField(pid, n int) (string, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return "", err
	}
	// The command name (field 2) may hold spaces; it ends at the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return "", fmt.Errorf("chromium: odd /proc/%d/stat", pid)
	}
	fields := strings.Fields(s[i+1:])
	if n < 3 || n-3 >= len(fields) {
		return "", fmt.Errorf("chromium: /proc/%d/stat has no field %d", pid, n)
	}
	return fields[n-3], nil
}
