package deploy

import (
	"bytes"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"

	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	"go.yaml.in/yaml/v3"
)

const rulesFile = "prometheus/rules.yml"

// loadRules parses and validates rules.yml with Prometheus' own rule-file
// parser (which parses every expression and template too).
func loadRules(t *testing.T) *rulefmt.RuleGroups {
	t.Helper()
	raw, err := os.ReadFile(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	groups, errs := rulefmt.Parse(raw, false, model.UTF8Validation, parser.NewParser(parser.Options{}), slog.New(slog.DiscardHandler))
	for _, err := range errs {
		t.Errorf("%s: %v", rulesFile, err)
	}
	if len(errs) > 0 {
		t.FailNow()
	}
	return groups
}

// TestPromtool runs the promtool checks of the rules, their unit tests and
// the compose bundle's Prometheus configuration, and the /probe sample.
func TestPromtool(t *testing.T) {
	promtool := lookTool(t, "promtool", "prometheus")
	for _, args := range [][]string{
		{"check", "rules", "rules.yml"},
		{"test", "rules", "rules_test.yml", "rules_daily_test.yml"},
		{"check", "config", "prometheus.yml"},
	} {
		cmd := exec.Command(promtool, args...)
		cmd.Dir = "prometheus"
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("promtool %v: %v\n%s", args, err, out)
		}
	}
	// promtool wants probe.yml's token file to exist: a copy reads one
	// from a temporary directory.
	raw, err := os.ReadFile(filepath.Join("prometheus", "probe.yml"))
	if err != nil {
		t.Fatal(err)
	}
	const tokenPath = "/etc/prometheus/beianwatch-probe.token"
	if !bytes.Contains(raw, []byte(tokenPath)) {
		t.Fatalf("probe.yml does not read its token from %s", tokenPath)
	}
	dir := t.TempDir()
	token := filepath.Join(dir, "probe.token")
	probe := filepath.Join(dir, "probe.yml")
	if err := os.WriteFile(token, []byte("bw_test"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(probe, bytes.ReplaceAll(raw, []byte(tokenPath), []byte(token)), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command(promtool, "check", "config", probe).CombinedOutput(); err != nil {
		t.Errorf("promtool check config probe.yml: %v\n%s", err, out)
	}
}

var severities = []string{"critical", "warning", "info"}

// TestAlertingRulesDescribed checks that every alert can be routed and read:
// a known severity (alertmanager.yml routes on it), a summary and a
// description, and a Chinese summary.
func TestAlertingRulesDescribed(t *testing.T) {
	seen := map[string]bool{}
	for _, g := range loadRules(t).Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			if seen[r.Alert] {
				t.Errorf("alert %s defined twice", r.Alert)
			}
			seen[r.Alert] = true
			if !slices.Contains(severities, r.Labels["severity"]) {
				t.Errorf("alert %s: severity %q, want one of %v", r.Alert, r.Labels["severity"], severities)
			}
			for _, a := range []string{"summary", "summary_zh", "description"} {
				if r.Annotations[a] == "" {
					t.Errorf("alert %s: no %s annotation", r.Alert, a)
				}
			}
		}
	}
	if len(seen) == 0 {
		t.Fatalf("%s has no alerting rules", rulesFile)
	}
}

// unitTests is the part of rules_test.yml this test reads.
type unitTests struct {
	Tests []struct {
		Name       string `yaml:"name"`
		AlertTests []struct {
			Alertname string `yaml:"alertname"`
			ExpAlerts []any  `yaml:"exp_alerts"`
		} `yaml:"alert_rule_test"`
	} `yaml:"tests"`
}

// TestEveryAlertUnitTested checks that the promtool unit tests make every
// alerting rule both fire and stay silent at least once, so that a new rule
// cannot land untested.
func TestEveryAlertUnitTested(t *testing.T) {
	var ut unitTests
	for _, f := range []string{"rules_test.yml", "rules_daily_test.yml"} {
		raw, err := os.ReadFile(filepath.Join("prometheus", f))
		if err != nil {
			t.Fatal(err)
		}
		var part unitTests
		if err := yaml.Unmarshal(raw, &part); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		ut.Tests = append(ut.Tests, part.Tests...)
	}
	fires, silent := map[string]bool{}, map[string]bool{}
	for _, tc := range ut.Tests {
		for _, at := range tc.AlertTests {
			if len(at.ExpAlerts) > 0 {
				fires[at.Alertname] = true
			} else {
				silent[at.Alertname] = true
			}
		}
	}
	for _, g := range loadRules(t).Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			if !fires[r.Alert] {
				t.Errorf("alert %s: no unit test in prometheus/rules*_test.yml where it fires", r.Alert)
			}
			if !silent[r.Alert] {
				t.Errorf("alert %s: no unit test in prometheus/rules*_test.yml where it stays silent", r.Alert)
			}
		}
	}
}
