package deploy

import (
	"net"
	"net/url"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// composeFile is the part of docker-compose.yml these tests read.
type composeFile struct {
	Services map[string]struct {
		Image       string            `yaml:"image"`
		Command     []string          `yaml:"command"`
		Environment map[string]string `yaml:"environment"`
		Ports       []string          `yaml:"ports"`
		Volumes     []string          `yaml:"volumes"`
		DependsOn   map[string]struct {
			Condition string `yaml:"condition"`
		} `yaml:"depends_on"`
		Healthcheck *struct {
			Test []string `yaml:"test"`
		} `yaml:"healthcheck"`
		Build *struct {
			Context    string            `yaml:"context"`
			Dockerfile string            `yaml:"dockerfile"`
			Args       map[string]string `yaml:"args"`
		} `yaml:"build"`
	} `yaml:"services"`
}

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	raw, err := os.ReadFile("docker-compose.yml")
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	if err := yaml.Unmarshal(raw, &c); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	return c
}

// promConfig is the part of prometheus.yml these tests read.
type promConfig struct {
	RuleFiles []string `yaml:"rule_files"`
	Alerting  struct {
		Alertmanagers []struct {
			StaticConfigs []struct {
				Targets []string `yaml:"targets"`
			} `yaml:"static_configs"`
		} `yaml:"alertmanagers"`
	} `yaml:"alerting"`
	ScrapeConfigs []struct {
		JobName       string `yaml:"job_name"`
		StaticConfigs []struct {
			Targets []string `yaml:"targets"`
		} `yaml:"static_configs"`
	} `yaml:"scrape_configs"`
}

func readYAML(t *testing.T, file string, v any) {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	dec := yaml.NewDecoder(strings.NewReader(string(raw)))
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}

// TestComposeStack checks the compose bundle's wiring: start order, that
// every file it mounts exists, that the image builds from this repository's
// Dockerfile, and that Prometheus, Alertmanager and Grafana point at the
// services that exist.
func TestComposeStack(t *testing.T) {
	c := loadCompose(t)
	for _, name := range []string{"postgres", "migrate", "grafana-role", "beianwatch-1", "beianwatch-2", "prometheus", "alertmanager", "grafana"} {
		if _, ok := c.Services[name]; !ok {
			t.Fatalf("docker-compose.yml: no service %s", name)
		}
	}
	if c.Services["postgres"].Healthcheck == nil {
		t.Error("postgres has no healthcheck: migrate would race its start")
	}
	wantDeps := map[string]map[string]string{
		"migrate":      {"postgres": "service_healthy"},
		"grafana-role": {"migrate": "service_completed_successfully"},
		"beianwatch-1": {"migrate": "service_completed_successfully"},
		"beianwatch-2": {"migrate": "service_completed_successfully"},
		"grafana":      {"grafana-role": "service_completed_successfully"},
	}
	for svc, deps := range wantDeps {
		for dep, cond := range deps {
			if got := c.Services[svc].DependsOn[dep].Condition; got != cond {
				t.Errorf("%s depends on %s with condition %q, want %q", svc, dep, got, cond)
			}
		}
	}
	for name, s := range c.Services {
		for _, v := range s.Volumes {
			src, _, _ := strings.Cut(v, ":")
			if !strings.HasPrefix(src, ".") {
				continue // a named volume
			}
			if _, err := os.Stat(src); err != nil {
				t.Errorf("service %s mounts %s: %v", name, src, err)
			}
		}
		if b := s.Build; b != nil {
			if _, err := os.Stat(filepath.Join(b.Context, b.Dockerfile)); err != nil {
				t.Errorf("service %s builds from %s: %v", name, filepath.Join(b.Context, b.Dockerfile), err)
			}
		}
	}
	if c.Services["migrate"].Command[0] != "migrate" {
		t.Errorf("migrate runs %v", c.Services["migrate"].Command)
	}

	var pc promConfig
	readYAML(t, "prometheus/prometheus.yml", &pc)
	for _, rf := range pc.RuleFiles {
		if _, err := os.Stat(filepath.Join("prometheus", rf)); err != nil {
			t.Errorf("prometheus.yml rule file %s: %v", rf, err)
		}
	}
	am := pc.Alerting.Alertmanagers[0].StaticConfigs[0].Targets[0]
	if host, port, _ := net.SplitHostPort(am); !publishes(c.Services["alertmanager"].Ports, port) || host != "alertmanager" {
		t.Errorf("prometheus.yml sends alerts to %s, not to the alertmanager service", am)
	}

	var ds struct {
		Datasources []struct {
			Type     string         `yaml:"type"`
			URL      string         `yaml:"url"`
			User     string         `yaml:"user"`
			JSONData map[string]any `yaml:"jsonData"`
		} `yaml:"datasources"`
	}
	readYAML(t, "grafana/provisioning/datasources/datasources.yml", &ds)
	types := map[string]bool{}
	for _, d := range ds.Datasources {
		types[d.Type] = true
		switch d.Type {
		case "prometheus":
			if u, err := url.Parse(d.URL); err != nil || u.Hostname() != "prometheus" || !publishes(c.Services["prometheus"].Ports, u.Port()) {
				t.Errorf("Prometheus data source %s is not the prometheus service", d.URL)
			}
		case "grafana-postgresql-datasource":
			host, _, _ := net.SplitHostPort(d.URL)
			if host != "postgres" || d.JSONData["database"] != c.Services["postgres"].Environment["POSTGRES_DB"] {
				t.Errorf("PostgreSQL data source %s database %v is not the postgres service's", d.URL, d.JSONData["database"])
			}
			if d.User != "grafana" {
				t.Errorf("PostgreSQL data source user %q: want grafana, the read-only role of postgres/grafana.sql", d.User)
			}
		}
	}
	// The dashboard's data source variables must find a data source.
	for _, v := range loadDashboard(t).Templating.List {
		if q, _ := v.Query.(string); v.Type == "datasource" && !types[q] {
			t.Errorf("dashboard variable %s wants a %s data source; none is provisioned", v.Name, q)
		}
	}

	var prov struct {
		Providers []struct {
			Options struct {
				Path string `yaml:"path"`
			} `yaml:"options"`
		} `yaml:"providers"`
	}
	readYAML(t, "grafana/provisioning/dashboards/dashboards.yml", &prov)
	for _, file := range []string{dashboardFile, dashboardZHFile} {
		mounted := false
		for _, v := range c.Services["grafana"].Volumes {
			parts := strings.Split(v, ":")
			if len(parts) >= 2 && parts[0] == "./"+file && path.Dir(parts[1]) == prov.Providers[0].Options.Path {
				mounted = true
			}
		}
		if !mounted {
			t.Errorf("grafana does not mount %s into the provider's path %s", file, prov.Providers[0].Options.Path)
		}
	}
}

// publishes reports whether a service publishes container port p.
func publishes(ports []string, p string) bool {
	return slices.ContainsFunc(ports, func(s string) bool { return strings.HasSuffix(s, ":"+p) })
}

// TestComposeReplicas runs each replica's command and environment through
// `serve --print-config` and checks that they share one registry, listen
// where they publish, and are both scraped.
func TestComposeReplicas(t *testing.T) {
	c := loadCompose(t)
	bin := buildBeianwatch(t)
	var pc promConfig
	readYAML(t, "prometheus/prometheus.yml", &pc)
	var targets []string
	for _, sc := range pc.ScrapeConfigs {
		if sc.JobName == "beianwatch" {
			for _, s := range sc.StaticConfigs {
				targets = append(targets, s.Targets...)
			}
		}
	}
	dbs, owners := map[string]bool{}, map[string]bool{}
	for _, name := range []string{"beianwatch-1", "beianwatch-2"} {
		s := c.Services[name]
		settings := effectiveConfig(t, bin, s.Environment, s.Command...)
		dbs[settings["db"].(string)] = true
		owners[settings["owner"].(string)] = true
		_, port, err := net.SplitHostPort(settings["listen"].(string))
		if err != nil {
			t.Fatalf("%s listens on %v: %v", name, settings["listen"], err)
		}
		if !publishes(s.Ports, port) {
			t.Errorf("%s listens on port %s but publishes %v", name, port, s.Ports)
		}
		if !slices.Contains(targets, name+":"+port) {
			t.Errorf("prometheus.yml scrapes %v, not %s:%s", targets, name, port)
		}
		if settings["no-migrate"] != true {
			t.Errorf("%s migrates on start; the migrate service does that", name)
		}
	}
	if len(dbs) != 1 || len(owners) != 2 {
		t.Errorf("replicas use registries %v with owners %v: want one registry, two owners", dbs, owners)
	}
	if pgDSN := c.Services["migrate"].Environment["BEIANWATCH_DB"]; !dbs[redactPassword(pgDSN)] {
		t.Errorf("migrate works on %s, the replicas on %v", pgDSN, dbs)
	}
}

// redactPassword masks a DSN's password the way --print-config does.
func redactPassword(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		return dsn
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

// TestAlertmanagerRoutes validates alertmanager.yml with amtool and checks
// that every alert of rules.yml is routed by its severity.
func TestAlertmanagerRoutes(t *testing.T) {
	amtool := lookTool(t, "amtool", "prometheus-alertmanager")
	cfg := filepath.Join("alertmanager", "alertmanager.yml")
	if out, err := exec.Command(amtool, "check-config", cfg).CombinedOutput(); err != nil {
		t.Fatalf("amtool check-config: %v\n%s", err, out)
	}
	want := map[string]string{"critical": "ops-page", "warning": "ops", "info": "ops-digest"}
	for _, g := range loadRules(t).Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue
			}
			sev := r.Labels["severity"]
			out, err := exec.Command(amtool, "config", "routes", "test", "--config.file="+cfg,
				"alertname="+r.Alert, "severity="+sev).Output()
			if err != nil {
				t.Fatalf("amtool config routes test: %v", err)
			}
			if got := strings.TrimSpace(string(out)); got != want[sev] {
				t.Errorf("alert %s (severity %s) goes to %q, want %q", r.Alert, sev, got, want[sev])
			}
		}
	}
}

// TestComposeMirrorArgs: compose passes every mirror argument of the
// Dockerfile from the environment, with the Dockerfile's default when it is
// unset, and takes the other images from the same REGISTRY.
func TestComposeMirrorArgs(t *testing.T) {
	c := loadCompose(t)
	for name, s := range c.Services {
		if s.Build == nil {
			if !strings.HasPrefix(s.Image, "${REGISTRY:-docker.io}/") {
				t.Errorf("service %s: image %s is not from ${REGISTRY:-docker.io}", name, s.Image)
			}
			continue
		}
		for arg, def := range mirrorArgs {
			if got, want := s.Build.Args[arg], "${"+arg+":-"+def+"}"; got != want {
				t.Errorf("service %s: build arg %s = %q, want %q", name, arg, got, want)
			}
		}
		for arg := range s.Build.Args {
			if _, ok := mirrorArgs[arg]; !ok {
				t.Errorf("service %s: build arg %s is not one of the Dockerfile's mirror arguments", name, arg)
			}
		}
	}
}
