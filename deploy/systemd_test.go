package deploy

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const unitFile = "systemd/beianwatch.service"

// unit is a systemd unit file: section → key → values in order.
type unit map[string]map[string][]string

func loadUnit(t *testing.T) unit {
	t.Helper()
	f, err := os.Open(unitFile)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	u := unit{}
	section := ""
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = strings.Trim(line, "[]")
			u[section] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || section == "" {
				t.Fatalf("%s:%d: not KEY=VALUE in a section: %q", unitFile, n, line)
			}
			u[section][k] = append(u[section][k], v)
		}
	}
	return u
}

func (u unit) last(section, key string) string {
	v := u[section][key]
	if len(v) == 0 {
		return ""
	}
	return v[len(v)-1]
}

// TestSystemdUnitHardened checks the sandboxing a reviewer would look for
// first; systemd-analyze verify (where installed) checks the rest of the
// syntax.
func TestSystemdUnitHardened(t *testing.T) {
	u := loadUnit(t)
	want := map[string]string{
		"DynamicUser":     "yes",
		"StateDirectory":  "beianwatch",
		"NoNewPrivileges": "yes",
		"ProtectSystem":   "strict",
		"ProtectHome":     "yes",
		"PrivateTmp":      "yes",
		"PrivateDevices":  "yes",
		"Restart":         "on-failure",
	}
	for k, v := range want {
		if got := u.last("Service", k); got != v {
			t.Errorf("[Service] %s=%q, want %q", k, got, v)
		}
	}
	if got := u.last("Service", "CapabilityBoundingSet"); got != "" || u["Service"]["CapabilityBoundingSet"] == nil {
		t.Errorf("CapabilityBoundingSet=%q: want it set and empty", got)
	}
	if u.last("Install", "WantedBy") != "multi-user.target" {
		t.Errorf("[Install] WantedBy=%q", u.last("Install", "WantedBy"))
	}
	if path, err := exec.LookPath("systemd-analyze"); err == nil {
		// verify wants the binary to exist: point ExecStart at a real one.
		raw, _ := os.ReadFile(unitFile)
		tmp := filepath.Join(t.TempDir(), "beianwatch.service")
		body := strings.ReplaceAll(string(raw), "ExecStart=/usr/local/bin/beianwatch", "ExecStart=/bin/true")
		if err := os.WriteFile(tmp, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(path, "verify", tmp).CombinedOutput(); err != nil {
			t.Errorf("systemd-analyze verify: %v\n%s", err, out)
		}
	}
}

// TestSystemdSettingsAccepted runs the unit's command line and environment
// through `serve --print-config`: the SQLite registry must land in the
// state directory (the working directory; everything else is read-only).
func TestSystemdSettingsAccepted(t *testing.T) {
	u := loadUnit(t)
	bin := buildBeianwatch(t)
	env := map[string]string{}
	for _, e := range u["Service"]["Environment"] {
		k, v, _ := strings.Cut(e, "=")
		env[k] = v
	}
	args := strings.Fields(u.last("Service", "ExecStart"))
	if args[0] != "/usr/local/bin/beianwatch" || args[1] != "serve" {
		t.Fatalf("ExecStart=%v: want /usr/local/bin/beianwatch serve", args)
	}
	settings := effectiveConfig(t, bin, env, args[1:]...)
	if db := settings["db"]; db != "sqlite://beianwatch.db" || u.last("Service", "WorkingDirectory") != "/var/lib/"+u.last("Service", "StateDirectory") {
		t.Errorf("db %v in %s: want the SQLite file in the state directory", db, u.last("Service", "WorkingDirectory"))
	}
	if settings["listen"] != "127.0.0.1:9325" {
		t.Errorf("listen %v: want loopback by default", settings["listen"])
	}
}
