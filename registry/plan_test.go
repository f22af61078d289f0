package registry

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/beianwatch/beianwatch/internal/pgtest"
	"github.com/lib/pq"
)

// TestPostgresPlansReadByKey checks that the statements serve runs for
// every batch read the rows of the batch through their keys, not the
// whole table: on a registry of a few thousand sites PostgreSQL once
// answered both the lease and the loading of the leased sites with hash
// joins over sequential scans of site_state and operators, milliseconds a
// batch that grow with the registry.
func TestPostgresPlansReadByKey(t *testing.T) {
	ctx := context.Background()
	s := mustOpenStore(t, pgtest.SchemaDSN(t))
	const sites, batch = 5000, 128
	loadSites(t, s, sites)
	ids := make([]int64, batch)
	for i := range ids {
		ids[i] = int64(1 + i*37)
	}
	now, until := ts(testNow), ts(testNow.Add(time.Hour))
	statements := []struct {
		name  string
		query string
		args  []any
	}{
		{"lease", fmt.Sprintf(leaseSQL, s.d.skipLocked, s.d.leaseChosen), []any{now, now, batch, "plan", until}},
		{"sites by id", siteColumns + s.d.sitesByID + "ORDER BY s.id", []any{pq.Array(ids)}},
		{"state update", stateUpdate(), stateUpdateArgs(ids)},
	}
	for _, st := range statements {
		t.Run(st.name, func(t *testing.T) {
			tx, err := s.db.BeginTxx(ctx, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer tx.Rollback() // EXPLAIN ANALYZE runs the statement
			// The batch is leased, as serve's are, after the statistics
			// were taken: they know of no owner.
			if _, err := tx.ExecContext(ctx, `UPDATE site_state SET lease_owner = 'plan' WHERE site_id = ANY($1)`, pq.Array(ids)); err != nil {
				t.Fatal(err)
			}
			var plan []string
			if err := tx.SelectContext(ctx, &plan, tx.Rebind("EXPLAIN (ANALYZE, COSTS OFF) "+st.query), st.args...); err != nil {
				t.Fatalf("explain: %v", err)
			}
			text := strings.Join(plan, "\n")
			for _, table := range []string{"site_state", "sites", "operators", "contacts"} {
				if strings.Contains(text, "Seq Scan on "+table+" ") {
					t.Errorf("plan scans all of %s:\n%s", table, text)
				}
			}
			for _, line := range plan {
				if strings.Contains(line, "Function Scan") && !strings.Contains(line, "loops=1)") {
					t.Errorf("plan goes over the batch once for each row:\n%s", text)
				}
			}
		})
	}
}

func stateUpdate() string {
	q, _ := stateUpdateSQL(true, true)
	return q
}

// stateUpdateArgs are updateStatesPostgres' arguments for a passing check
// of each site by the replica "plan".
func stateUpdateArgs(ids []int64) []any {
	cols := make([][]any, len(checkStateCols))
	for _, id := range ids {
		row := stateArgs(nil, Completion{Result: Result{SiteID: id, CheckedAt: testNow, Verdict: "pass", HTTPStatus: 200},
			Next: testNow.Add(24 * time.Hour)})
		for i, v := range row {
			cols[i] = append(cols[i], v)
		}
	}
	owners := make([]any, len(ids))
	for i := range owners {
		owners[i] = "plan"
	}
	cols = append(cols, owners)
	args := make([]any, 0, len(cols)+1)
	for _, c := range cols {
		args = append(args, pq.GenericArray{A: c})
	}
	return append(args, args[0])
}
