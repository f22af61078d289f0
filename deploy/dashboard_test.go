package deploy

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/prometheus/promql/parser"
)

const dashboardFile = "grafana/beianwatch.json"

// dashboard is the part of a Grafana dashboard these tests read.
type dashboard struct {
	UID           string  `json:"uid"`
	SchemaVersion int     `json:"schemaVersion"`
	Panels        []panel `json:"panels"`
	Templating    struct {
		List []struct {
			Name  string `json:"name"`
			Type  string `json:"type"`
			Query any    `json:"query"`
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID         int                      `json:"id"`
	Type       string                   `json:"type"`
	Title      string                   `json:"title"`
	Datasource *datasource              `json:"datasource"`
	GridPos    struct{ H, W, X, Y int } `json:"gridPos"`
	Targets    []struct {
		RefID      string      `json:"refId"`
		Datasource *datasource `json:"datasource"`
		Expr       string      `json:"expr"`
		RawSQL     string      `json:"rawSql"`
		Format     string      `json:"format"`
	} `json:"targets"`
	Panels []panel `json:"panels"` // a collapsed row's
}

type datasource struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

// loadDashboard reads the source dashboard (English).
func loadDashboard(t *testing.T) dashboard {
	t.Helper()
	return loadDashboardFile(t, dashboardFile)
}

func loadDashboardFile(t *testing.T, file string) dashboard {
	t.Helper()
	raw, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	if err := json.Unmarshal(raw, &d); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
	return d
}

// allPanels flattens rows.
func (d dashboard) allPanels() []panel {
	var out []panel
	for _, p := range d.Panels {
		out = append(out, p)
		out = append(out, p.Panels...)
	}
	return out
}

// grafanaVars are what the tests put in for the dashboard's variables and
// Grafana's built-in ones before parsing a query, as Grafana would.
var grafanaVarValues = map[string]string{
	"__rate_interval": "1m",
	"__interval":      "1m",
	"__range":         "1h",
	"job":             ".+",
	"severity":        ".+",
}

// grafanaVar matches $var, ${var}, ${var:format} and [[var]].
var grafanaVar = regexp.MustCompile(`\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]`)

// expandVars substitutes Grafana variables; an unknown one is an error, so
// a new variable must be added to grafanaVarValues (and so to the tests).
func expandVars(q string) (string, error) {
	var unknown []string
	out := grafanaVar.ReplaceAllStringFunc(q, func(m string) string {
		sub := grafanaVar.FindStringSubmatch(m)
		name := sub[1] + sub[2] + sub[3]
		v, ok := grafanaVarValues[name]
		if !ok {
			unknown = append(unknown, name)
		}
		return v
	})
	if len(unknown) > 0 {
		return "", fmt.Errorf("unknown Grafana variables %v", unknown)
	}
	return out, nil
}

// promQLExpr is one expression and where it comes from.
type promQLExpr struct{ where, expr string }

// promQLExprs returns every PromQL expression of rules.yml and the
// dashboard (panel targets and the query variables' label_values), with
// the dashboard's variables substituted.
func promQLExprs(t *testing.T) []promQLExpr {
	t.Helper()
	var out []promQLExpr
	for _, g := range loadRules(t).Groups {
		for _, r := range g.Rules {
			name := r.Record + r.Alert
			out = append(out, promQLExpr{"rules.yml " + name, r.Expr})
		}
	}
	d := loadDashboard(t)
	for _, p := range d.allPanels() {
		for _, tg := range p.Targets {
			if tg.Expr == "" {
				continue
			}
			e, err := expandVars(tg.Expr)
			if err != nil {
				t.Fatalf("dashboard panel %q target %s: %v", p.Title, tg.RefID, err)
			}
			out = append(out, promQLExpr{fmt.Sprintf("dashboard %q", p.Title), e})
		}
	}
	labelValues := regexp.MustCompile(`^label_values\((.+),\s*\w+\)$`)
	for _, v := range d.Templating.List {
		if v.Type != "query" {
			continue
		}
		q, _ := v.Query.(map[string]any)
		s, _ := q["query"].(string)
		m := labelValues.FindStringSubmatch(s)
		if m == nil {
			t.Fatalf("dashboard variable %s: query %q is not label_values(SELECTOR, LABEL)", v.Name, s)
		}
		out = append(out, promQLExpr{"dashboard variable " + v.Name, m[1]})
	}
	return out
}

// recordedNames are the series names rules.yml records.
func recordedNames(t *testing.T) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, g := range loadRules(t).Groups {
		for _, r := range g.Rules {
			if r.Record != "" {
				out[r.Record] = true
			}
		}
	}
	return out
}

// TestDashboardPromQLParses parses every expression (and so every panel's
// variables): a typo otherwise shows only as a red triangle in Grafana.
func TestDashboardPromQLParses(t *testing.T) {
	n := 0
	for _, e := range promQLExprs(t) {
		if _, err := parser.NewParser(parser.Options{}).ParseExpr(e.expr); err != nil {
			t.Errorf("%s: %v\n%s", e.where, err, e.expr)
		}
		n++
	}
	if n == 0 {
		t.Fatal("no PromQL found")
	}
}

// TestDashboardShape checks what Grafana would reject or show wrongly:
// duplicate panel ids, panels off the 24-column grid or overlapping, data
// sources that are not the dashboard's variables (a fixed uid breaks on any
// other Grafana), and targets without a query; in both languages.
func TestDashboardShape(t *testing.T) {
	uids := map[string]string{}
	for _, file := range []string{dashboardFile, dashboardZHFile} {
		t.Run(file, func(t *testing.T) {
			d := loadDashboardFile(t, file)
			if other, ok := uids[d.UID]; ok {
				t.Errorf("%s and %s share the uid %q: Grafana would load one of them", other, file, d.UID)
			}
			uids[d.UID] = file
			checkDashboardShape(t, d)
		})
	}
}

func checkDashboardShape(t *testing.T, d dashboard) {
	if d.UID == "" || d.SchemaVersion < 36 {
		t.Errorf("uid %q, schemaVersion %d: want a uid and schemaVersion ≥ 36", d.UID, d.SchemaVersion)
	}
	vars := map[string]string{}
	for _, v := range d.Templating.List {
		q, _ := v.Query.(string)
		if v.Type == "datasource" {
			vars["${"+v.Name+"}"] = q
		}
	}
	ids := map[int]string{}
	type cell struct{ x, y int }
	taken := map[cell]string{}
	for _, p := range d.allPanels() {
		if other, ok := ids[p.ID]; ok {
			t.Errorf("panels %q and %q share id %d", other, p.Title, p.ID)
		}
		ids[p.ID] = p.Title
		g := p.GridPos
		if g.W <= 0 || g.H <= 0 || g.X < 0 || g.X+g.W > 24 {
			t.Errorf("panel %q: gridPos %+v off the 24-column grid", p.Title, g)
		}
		for x := g.X; x < g.X+g.W; x++ {
			for y := g.Y; y < g.Y+g.H; y++ {
				if other, ok := taken[cell{x, y}]; ok {
					t.Errorf("panels %q and %q overlap at x=%d y=%d", other, p.Title, x, y)
				}
				taken[cell{x, y}] = p.Title
			}
		}
		if p.Type == "row" {
			continue
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no targets", p.Title)
		}
		for _, tg := range p.Targets {
			ds := tg.Datasource
			if ds == nil {
				ds = p.Datasource
			}
			if ds == nil || vars[ds.UID] != ds.Type {
				t.Errorf("panel %q target %s: datasource %+v is not one of the dashboard's datasource variables %v", p.Title, tg.RefID, ds, vars)
				continue
			}
			switch {
			case ds.Type == "prometheus" && strings.TrimSpace(tg.Expr) == "":
				t.Errorf("panel %q target %s: no expr", p.Title, tg.RefID)
			case ds.Type != "prometheus" && strings.TrimSpace(tg.RawSQL) == "":
				t.Errorf("panel %q target %s: no rawSql", p.Title, tg.RefID)
			}
		}
	}
}
