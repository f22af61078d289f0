package deploy

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/prometheus/promql/parser"
)

// TestScrapedMetricsCoverRulesAndDashboard runs a real `beianwatch serve`
// over three loopback sites (one passing, one failing, one down) and a real
// Prometheus scraping it every second with rules.yml loaded, and checks that
// every metric rules.yml and the dashboard use is one Prometheus actually
// scraped, and that the labels they select and group by are on it. A renamed
// metric or label otherwise shows up as an empty panel or an alert that can
// never fire.
func TestScrapedMetricsCoverRulesAndDashboard(t *testing.T) {
	prometheus := lookTool(t, "prometheus", "prometheus")
	uses := metricUses(t)
	bin := buildBeianwatch(t)

	dir := t.TempDir()
	dsn := "sqlite://" + filepath.Join(dir, "beianwatch.db")
	runBeianwatch(t, bin, nil, "import", "--db", dsn, filepath.Join("testdata", "sites.csv"))
	listen := "127.0.0.1:" + strconv.Itoa(freePort(t))
	// A webhook receiver on loopback, so that the alerting half of serve
	// runs and its metrics exist (the failing site is an alert to deliver).
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
	}))
	t.Cleanup(hook.Close)
	cfg := filepath.Join(dir, "serve.yaml")
	alerting := fmt.Sprintf("alerts:\n  receivers:\n    - name: hook\n      type: webhook\n      url: %s/hook\n  default_receivers: [hook]\n", hook.URL)
	if err := os.WriteFile(cfg, []byte(alerting), 0o644); err != nil {
		t.Fatal(err)
	}
	// --per-site-metrics: the dashboard's per-site table reads them, from
	// the registry every --stats-interval.
	args := append([]string{"serve", "--config", cfg, "--db", dsn, "--listen", listen, "--log-level", "debug",
		"--per-site-metrics", "--stats-interval", "1s"}, startFarm(t)...)
	serve := exec.Command(bin, args...)
	serve.Env = cleanEnv(nil)
	startProcess(t, "beianwatch", serve)
	if err := waitFor(30*time.Second, httpOK("http://"+listen+"/readyz")); err != nil {
		t.Fatalf("beianwatch serve never became ready: %v", err)
	}

	promURL := startPrometheus(t, prometheus, listen)
	// Every site checked and scraped, and the rules evaluated over it.
	err := waitFor(60*time.Second, func() error {
		v, err := queryScalar(promURL, `sum(beianwatch_checks_total{job="beianwatch"})`)
		if err != nil || v < 3 {
			return fmt.Errorf("checks scraped: %v (%v)", v, err)
		}
		if _, err := queryScalar(promURL, `count(beianwatch:checks:rate5m)`); err != nil {
			return fmt.Errorf("recording rules not evaluated yet: %v", err)
		}
		if _, err := queryScalar(promURL, `count(beianwatch_site_verdict)`); err != nil {
			return fmt.Errorf("per-site gauges not read after the checks yet: %v", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	scraped := map[string]bool{}
	for _, name := range getStrings(t, promURL+"/api/v1/label/__name__/values") {
		scraped[name] = true
	}
	recorded := recordedNames(t)
	var missing, missingLabels []string
	for _, name := range sortedKeys(uses) {
		u := uses[name]
		switch {
		case recorded[name]:
			// Produced by rules.yml itself; its inputs are checked.
		case !scraped[name]:
			missing = append(missing, fmt.Sprintf("%s (used in %s)", name, strings.Join(u.where, ", ")))
		default:
			have := map[string]bool{}
			for _, l := range getStrings(t, promURL+"/api/v1/labels?match[]="+url.QueryEscape(name)) {
				have[l] = true
			}
			for _, l := range sortedKeys(u.labels) {
				if !have[l] {
					missingLabels = append(missingLabels, fmt.Sprintf("%s{%s} (used in %s)", name, l, strings.Join(u.labels[l], ", ")))
				}
			}
		}
	}
	if len(missing) > 0 {
		t.Errorf("%d metric names used by deploy/ were not scraped from beianwatch serve:\n  %s", len(missing), strings.Join(missing, "\n  "))
	}
	if len(missingLabels) > 0 {
		t.Errorf("%d labels used by deploy/ are not on the scraped series:\n  %s", len(missingLabels), strings.Join(missingLabels, "\n  "))
	}
	t.Logf("%d metric names used, %d scraped", len(uses), len(scraped))
}

// startPrometheus runs Prometheus on loopback, scraping target every second
// as job beianwatch with rules.yml loaded, and returns its URL.
func startPrometheus(t *testing.T, bin, target string) string {
	t.Helper()
	rules, err := filepath.Abs(rulesFile)
	if err != nil {
		t.Fatal(err)
	}
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
rule_files: [%q]
scrape_configs:
  - job_name: beianwatch
    static_configs:
      - targets: [%q]
`, rules, target)
	return startPrometheusWith(t, bin, []byte(cfg))
}

// apiResponse is the envelope of Prometheus' HTTP API.
type apiResponse struct {
	Status string          `json:"status"`
	Data   json.RawMessage `json:"data"`
	Error  string          `json:"error"`
}

func apiGet(u string) (json.RawMessage, error) {
	resp, err := http.Get(u)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var r apiResponse
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("GET %s: %s: %w", u, resp.Status, err)
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("GET %s: %s", u, r.Error)
	}
	return r.Data, nil
}

func getStrings(t *testing.T, u string) []string {
	t.Helper()
	data, err := apiGet(u)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
	return out
}

// queryScalar runs an instant query that must return one sample.
func queryScalar(promURL, q string) (float64, error) {
	data, err := apiGet(promURL + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		return 0, err
	}
	var res struct {
		Result []struct {
			Value [2]any `json:"value"`
		} `json:"result"`
	}
	if err := json.Unmarshal(data, &res); err != nil {
		return 0, err
	}
	if len(res.Result) != 1 {
		return 0, fmt.Errorf("%s: %d samples, want 1", q, len(res.Result))
	}
	s, _ := res.Result[0].Value[1].(string)
	return strconv.ParseFloat(s, 64)
}

// metricUse is where a metric name is used and which of its labels those
// uses need.
type metricUse struct {
	where  []string
	labels map[string][]string // label → where
}

// metricUses parses every PromQL expression of rules.yml and the dashboard
// and returns the metric names they select.
func metricUses(t *testing.T) map[string]*metricUse {
	t.Helper()
	uses := map[string]*metricUse{}
	for _, e := range promQLExprs(t) {
		expr, err := parser.NewParser(parser.Options{}).ParseExpr(e.expr)
		if err != nil {
			t.Fatalf("%s: %v\n%s", e.where, err, e.expr)
		}
		collectUses(expr, e.where, uses)
	}
	return uses
}

// collectUses records every vector selector's metric name, the labels its
// matchers name, and the labels aggregations above it group by: those must
// exist on the series for the expression to mean anything. Labels that the
// scrape itself adds (job, instance) or a platform may add (pod) are left
// out.
func collectUses(expr parser.Expr, where string, uses map[string]*metricUse) {
	parser.Inspect(expr, func(node parser.Node, path []parser.Node) error {
		vs, ok := node.(*parser.VectorSelector)
		if !ok {
			return nil
		}
		name := vs.Name
		for _, m := range vs.LabelMatchers {
			if m.Name == "__name__" && name == "" {
				name = m.Value
			}
		}
		u := uses[name]
		if u == nil {
			u = &metricUse{labels: map[string][]string{}}
			uses[name] = u
		}
		if !slices.Contains(u.where, where) {
			u.where = append(u.where, where)
		}
		need := func(l string) {
			switch l {
			case "__name__", "job", "instance", "pod":
				return
			}
			if !slices.Contains(u.labels[l], where) {
				u.labels[l] = append(u.labels[l], where)
			}
		}
		for _, m := range vs.LabelMatchers {
			need(m.Name)
		}
		for _, p := range path {
			if agg, ok := p.(*parser.AggregateExpr); ok && !agg.Without {
				for _, l := range agg.Grouping {
					need(l)
				}
			}
		}
		return nil
	})
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
