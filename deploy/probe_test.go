package deploy

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"
)

// probeConfig is the part of prometheus/probe.yml this test rewrites.
type probeConfig struct {
	ScrapeConfigs []map[string]any `yaml:"scrape_configs"`
}

// TestProbeScrapedByPrometheus runs a real `beianwatch serve` and a real
// Prometheus loaded with the job of prometheus/probe.yml, its relabelling
// as shipped: only the targets (loopback sites), beianwatch's address and
// the intervals are the test's. Each target becomes a series of its own,
// instance = target, with the verdict /probe found; an address the crawl
// may not reach is a failed probe, not a failed scrape.
func TestProbeScrapedByPrometheus(t *testing.T) {
	prometheus := lookTool(t, "prometheus", "prometheus")
	bin := buildBeianwatch(t)
	dir := t.TempDir()
	dsn := "sqlite://" + filepath.Join(dir, "beianwatch.db")
	listen := "127.0.0.1:" + strconv.Itoa(freePort(t))
	farm := startFarm(t)
	// Loopback only, not every private network: the metadata address
	// below stays refused.
	farm[slices.Index(farm, "--allow-private")] = "--allow-cidr=127.0.0.0/8"
	// The job's token: one with the probe scope, in the file the job reads.
	migrate := exec.Command(bin, "migrate", "--db", dsn)
	migrate.Env = cleanEnv(nil)
	if out, err := migrate.CombinedOutput(); err != nil {
		t.Fatalf("migrate: %v\n%s", err, out)
	}
	create := exec.Command(bin, "token", "create", "--db", dsn, "--scope", "probe", "--name", "prometheus")
	create.Env = cleanEnv(nil)
	secret, err := create.Output()
	if err != nil {
		t.Fatalf("token create: %v", err)
	}
	tokenFile := filepath.Join(dir, "probe.token")
	if err := os.WriteFile(tokenFile, bytes.TrimSpace(secret), 0o600); err != nil {
		t.Fatal(err)
	}
	serve := exec.Command(bin, append([]string{"serve", "--db", dsn, "--listen", listen}, farm...)...)
	serve.Env = cleanEnv(nil)
	startProcess(t, "beianwatch", serve)
	if err := waitFor(30*time.Second, httpOK("http://"+listen+"/healthz")); err != nil {
		t.Fatalf("beianwatch serve never answered: %v", err)
	}

	targets := []string{"pass.example.test", "http://fail.example.test/", "169.254.169.254"}
	promURL := startPrometheusWith(t, prometheus, probeJob(t, listen, tokenFile, targets))
	err = waitFor(60*time.Second, func() error {
		v, err := queryScalar(promURL, `count(beianwatch_probe_success{job="beianwatch-probe"})`)
		if err != nil || v != float64(len(targets)) {
			return fmt.Errorf("probes scraped: %v (%v)", v, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		query string
		want  float64
	}{
		{`count(up{job="beianwatch-probe"} == 1)`, 3},
		{`beianwatch_probe_success{instance="pass.example.test"}`, 1},
		{`beianwatch_probe_verdict{instance="pass.example.test",verdict="pass"}`, 1},
		{`beianwatch_probe_http_status_code{instance="pass.example.test"}`, 200},
		{`beianwatch_probe_success{instance="http://fail.example.test/"}`, 0},
		{`beianwatch_probe_verdict{instance="http://fail.example.test/",verdict="fail"}`, 1},
		{`beianwatch_probe_findings{instance="http://fail.example.test/",code="ICP_MISSING",severity="error"}`, 1},
		{`beianwatch_probe_success{instance="169.254.169.254"}`, 0},
		{`beianwatch_probe_verdict{instance="169.254.169.254",verdict="error"}`, 1},
	} {
		if got, err := queryScalar(promURL, c.query); err != nil || got != c.want {
			t.Errorf("%s = %v (%v), want %v", c.query, got, err, c.want)
		}
	}
}

// probeJob returns probe.yml with targets in its job, the scrape sent to
// beianwatch at addr instead of beianwatch:9325, the token read from
// tokenFile, and short intervals.
func probeJob(t *testing.T, addr, tokenFile string, targets []string) []byte {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("prometheus", "probe.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg probeConfig
	if err := yaml.Unmarshal(raw, &cfg); err != nil {
		t.Fatal(err)
	}
	if len(cfg.ScrapeConfigs) != 1 || cfg.ScrapeConfigs[0]["job_name"] != "beianwatch-probe" || cfg.ScrapeConfigs[0]["metrics_path"] != "/probe" {
		t.Fatalf("probe.yml: want one job beianwatch-probe on /probe, got %v", cfg.ScrapeConfigs)
	}
	job := cfg.ScrapeConfigs[0]
	job["scrape_interval"], job["scrape_timeout"] = "2s", "2s"
	job["static_configs"] = []map[string]any{{"targets": targets}}
	authz, ok := job["authorization"].(map[string]any)
	if !ok || authz["credentials_file"] == nil {
		t.Fatal("probe.yml sends no token (authorization.credentials_file): /probe answers 401 without one")
	}
	authz["credentials_file"] = tokenFile
	pointed := false
	for _, r := range job["relabel_configs"].([]any) {
		rc := r.(map[string]any)
		if rc["target_label"] == "__address__" {
			if rc["replacement"] != "beianwatch:9325" {
				t.Fatalf("probe.yml sends the scrape to %v, want beianwatch:9325 (the compose service)", rc["replacement"])
			}
			rc["replacement"], pointed = addr, true
		}
	}
	if !pointed {
		t.Fatal("probe.yml does not set __address__ to beianwatch")
	}
	out, err := yaml.Marshal(map[string]any{"global": map[string]any{"scrape_interval": "2s"}, "scrape_configs": []any{job}})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// startPrometheusWith runs Prometheus on loopback with the configuration
// cfg and returns its URL.
func startPrometheusWith(t *testing.T, bin string, cfg []byte) string {
	t.Helper()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(cfgPath, cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	addr := "127.0.0.1:" + strconv.Itoa(freePort(t))
	cmd := exec.Command(bin, "--config.file="+cfgPath, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--log.level=warn")
	startProcess(t, "prometheus", cmd)
	promURL := "http://" + addr
	if err := waitFor(30*time.Second, httpOK(promURL+"/-/ready")); err != nil {
		t.Fatalf("prometheus never became ready: %v", err)
	}
	return promURL
}
