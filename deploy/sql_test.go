package deploy

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/lib/pq"
)

// TestFailingSitesTable runs the dashboard's failing-sites query, as
// Grafana's read-only role from postgres/grafana.sql, on a real PostgreSQL
// registry that a real `beianwatch serve --once` has just filled from the
// loopback farm (one site passes, one fails, one is down), and checks the
// row it shows. It needs BEIANWATCH_TEST_POSTGRES (scripts/test.sh starts a
// throwaway server) and psql.
func TestFailingSitesTable(t *testing.T) {
	admin := os.Getenv("BEIANWATCH_TEST_POSTGRES")
	if admin == "" {
		if onCI() {
			t.Fatal("BEIANWATCH_TEST_POSTGRES is not set (scripts/test.sh sets it)")
		}
		t.Skip("BEIANWATCH_TEST_POSTGRES is not set: run ./scripts/test.sh, or name a server")
	}
	psql := lookTool(t, "psql", "postgresql-client")
	query := failingSitesSQL(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	dsn := createDatabase(ctx, t, admin)

	bin := buildBeianwatch(t)
	// A PostgreSQL registry needs a key file for its personal data.
	keys := map[string]string{"BEIANWATCH_KEY_FILE": filepath.Join(t.TempDir(), "keys")}
	runBeianwatch(t, bin, keys, "keys", "new")
	runBeianwatch(t, bin, keys, "import", "--db", dsn, filepath.Join("testdata", "sites.csv"))
	runBeianwatch(t, bin, keys, append([]string{"serve", "--once", "--db", dsn}, startFarm(t)...)...)

	const password = "grafana-test"
	cmd := exec.CommandContext(ctx, psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-v", "grafana_password="+password,
		"-f", filepath.Join("postgres", "grafana.sql"), dsn)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("psql -f postgres/grafana.sql: %v\n%s", err, out)
	}
	// Twice: the script must be safe to run again (compose runs it on every up).
	if out, err := exec.CommandContext(ctx, psql, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-v", "grafana_password="+password,
		"-f", filepath.Join("postgres", "grafana.sql"), dsn).CombinedOutput(); err != nil {
		t.Fatalf("psql -f postgres/grafana.sql, again: %v\n%s", err, out)
	}

	u, _ := url.Parse(dsn)
	u.User = url.UserPassword("grafana", password)
	db, err := sql.Open("postgres", u.String())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	rows, err := db.QueryContext(ctx, query)
	if err != nil {
		t.Fatalf("the failing-sites query: %v\n%s", err, query)
	}
	defer rows.Close()
	type row struct {
		domain, customer, findings string
		since, lastChecked         sql.NullTime
	}
	var got []row
	for rows.Next() {
		var r row
		var findings sql.NullString
		if err := rows.Scan(&r.domain, &r.customer, &findings, &r.since, &r.lastChecked); err != nil {
			t.Fatal(err)
		}
		r.findings = findings.String
		got = append(got, r)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 {
		t.Fatalf("failing sites: %+v, want fail.example.test alone", got)
	}
	r := got[0]
	if r.domain != "fail.example.test" || r.customer != "C-FAIL" || !strings.Contains(r.findings, "ICP_MISSING") {
		t.Errorf("failing site %+v: want fail.example.test of C-FAIL with ICP_MISSING", r)
	}
	if !r.since.Valid || !r.lastChecked.Valid || time.Since(r.since.Time) > time.Hour || r.since.Time.After(r.lastChecked.Time) {
		t.Errorf("since %v, last checked %v: want when the check that failed ran", r.since, r.lastChecked)
	}

	// The role reads what the table needs and nothing personal, and cannot write.
	for _, q := range []string{"SELECT count(*) FROM contacts", "SELECT count(*) FROM check_results", "UPDATE sites SET name = name"} {
		if _, err := db.ExecContext(ctx, q); err == nil || !strings.Contains(err.Error(), "denied") && !strings.Contains(err.Error(), "read-only") {
			t.Errorf("%s as grafana: %v, want permission denied", q, err)
		}
	}
}

// failingSitesSQL is the dashboard's PostgreSQL query.
func failingSitesSQL(t *testing.T) string {
	t.Helper()
	var queries []string
	for _, p := range loadDashboard(t).allPanels() {
		for _, tg := range p.Targets {
			if tg.RawSQL != "" {
				queries = append(queries, tg.RawSQL)
			}
		}
	}
	if len(queries) != 1 {
		t.Fatalf("%d SQL queries in the dashboard, want the failing-sites table's", len(queries))
	}
	q, err := expandVars(queries[0])
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// createDatabase makes a database of its own on the server admin names and
// returns its DSN; cleanup drops it.
func createDatabase(ctx context.Context, t *testing.T, admin string) string {
	t.Helper()
	db, err := sql.Open("postgres", admin)
	if err != nil {
		t.Fatal(err)
	}
	name := fmt.Sprintf("deploy_test_%d", time.Now().UnixNano())
	if _, err := db.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		db.Close()
		t.Fatalf("create database: %v", err)
	}
	t.Cleanup(func() {
		defer db.Close()
		if _, err := db.Exec("DROP DATABASE " + name + " WITH (FORCE)"); err != nil {
			t.Logf("drop database %s: %v", name, err)
		}
	})
	u, err := url.Parse(admin)
	if err != nil {
		t.Fatal(err)
	}
	u.Path = "/" + name
	return u.String()
}
