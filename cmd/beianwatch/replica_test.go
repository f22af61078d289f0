package main

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/beianwatch/beianwatch/internal/farm"
	"github.com/beianwatch/beianwatch/internal/pgtest"
)

// The replica test's settings. The farm's latency stretches the cycle to
// several seconds, so that a replica can be killed and the database
// restarted mid-cycle, and the survivors are still at work when the dead
// replica's leases expire (serve --once stops when nothing is left to
// lease, even if other replicas' leases are still running).
const (
	replicaSites   = 600
	replicaLatency = 150 * time.Millisecond
	// The fetch timeout is 7/15 of the lease: 2.8 s, which a 150 ms page
	// outlasts even with the daemons built with -race on a loaded machine
	// (at 1.4 s, fetches timed out at load 15 on 2 cores).
	replicaTTL = 6 * time.Second
	// replicaConcurrency per daemon keeps the cycle (600 pages of 150 ms
	// over 3×4 workers, about 8 s) longer than a lease, so the survivors
	// are still at work when the dead replica's leases expire.
	replicaConcurrency = 4
	// replicaLimit bounds the cycle, from the daemons' start to the
	// survivors' exit.
	replicaLimit = 120 * time.Second
)

// TestReplicas runs three `serve --once` daemons on one PostgreSQL
// registry. One is killed (SIGKILL) mid-cycle; then the database is
// restarted (pg_ctl restart -m fast). The two survivors must retry, exit
// 0, and between the three of them every site must be checked exactly
// once, the dead replica's leased sites by the others once its leases
// expired, every verdict right.
func TestReplicas(t *testing.T) {
	if testing.Short() {
		t.Skip("three daemons, a 600-site farm and a PostgreSQL server of their own: skipped with -short")
	}
	pg := replicaPostgres(t)
	ctx := context.Background()
	f := farm.New(farm.Config{Sites: replicaSites, Seed: 4, Latency: replicaLatency, Gzip: true})
	if err := f.Start(); err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	bin := buildFarmBinary(t)
	importFarmInto(t, bin, pg.DSN, f)
	db, err := sql.Open("postgres", pg.DSN)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	start := time.Now()
	since := func() time.Duration { return time.Since(start).Round(time.Millisecond) }
	var replicas []*replica
	for i := range 3 {
		replicas = append(replicas, startReplica(t, bin, pg.DSN, f, fmt.Sprintf("replica-%d", i)))
	}
	dead, survivors := replicas[0], replicas[1:]

	waitResults(t, db, replicaSites/6, replicas)
	if err := dead.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	<-dead.done
	orphans := leasesOf(t, db, dead.owner)
	t.Logf("%v: killed %s holding %d leases, %d results stored", since(), dead.owner, len(orphans), countResults(t, db))
	if len(orphans) == 0 {
		t.Fatalf("%s held no leases when killed: nothing to take over", dead.owner)
	}

	// Restart while the dead replica's leases are still running, and the
	// survivors are storing results.
	time.Sleep(replicaTTL / 3)
	restart := time.Now()
	if err := pg.Restart(ctx); err != nil {
		t.Fatalf("restart PostgreSQL: %v", err)
	}
	t.Logf("%v: PostgreSQL restarted in %v", since(), time.Since(restart).Round(time.Millisecond))

	for _, r := range survivors {
		r.wait(t, replicaLimit-time.Since(start))
		t.Logf("%v: %s exited 0 after %d retries: %s", since(), r.owner,
			strings.Count(r.stderr.String(), "retrying"), strings.TrimSpace(r.stdout.String()))
	}
	checkReplicaResults(t, db, pg.DSN, f, orphans)
}

// replicaPostgres starts a PostgreSQL server of the test's own, which it
// may restart. Like the registry's tests it runs only when the suite has
// PostgreSQL (BEIANWATCH_TEST_POSTGRES, set by scripts/test.sh), and under
// CI=true a missing server is a failure.
func replicaPostgres(t *testing.T) *pgtest.Server {
	t.Helper()
	ci := os.Getenv("CI") == "true"
	switch {
	case os.Getenv("BEIANWATCH_TEST_POSTGRES") != "":
	case ci:
		t.Fatal("BEIANWATCH_TEST_POSTGRES is empty, but CI=true requires the PostgreSQL tests (scripts/test.sh starts a server)")
	default:
		t.Skip("BEIANWATCH_TEST_POSTGRES is empty: the replica test, which starts a PostgreSQL server of its own to restart, runs with the PostgreSQL tests (scripts/test.sh)")
	}
	pg, err := pgtest.Start(context.Background())
	if err != nil {
		if errors.Is(err, pgtest.ErrNoPostgres) && !ci {
			t.Skip(err)
		}
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("PostgreSQL log:\n%s", tail(pg.Log(), 30))
		}
		if err := pg.Stop(); err != nil {
			t.Errorf("stop PostgreSQL: %v", err)
		}
	})
	return pg
}

// importFarmInto imports the farm's sites into the registry at dsn.
func importFarmInto(t *testing.T, bin, dsn string, f *farm.Farm) {
	t.Helper()
	var buf bytes.Buffer
	if err := f.CSV(&buf); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "farm.csv")
	if err := os.WriteFile(file, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _ := runBinary(t, 60*time.Second, bin, "import", "--db", dsn, file)
	if want := fmt.Sprintf("inserted %d,", f.Len()); !strings.HasPrefix(out, want) {
		t.Fatalf("import: %q, want %q…", out, want)
	}
}

// replica is one running `serve --once`.
type replica struct {
	owner          string
	cmd            *exec.Cmd
	stdout, stderr bytes.Buffer // read only after done
	done           chan error   // receives Wait's result
}

func startReplica(t *testing.T, bin, dsn string, f *farm.Farm, owner string) *replica {
	t.Helper()
	args := []string{"serve", "--once", "--db", dsn, "--allow-private",
		"--lease-ttl", replicaTTL.String(), "--batch", "10", "--concurrency", strconv.Itoa(replicaConcurrency),
		// As long as serve allows (a lease must outlast two fetch
		// timeouts): three daemons built with -race, the farm and the
		// database share the machine's cores.
		"--timeout", (replicaTTL * 7 / 15).String(),
		"--listen", "127.0.0.1:0", "--owner", owner, "--log-level", "warn"}
	for _, r := range f.Resolve() {
		args = append(args, "--resolve", r)
	}
	r := &replica{owner: owner, done: make(chan error, 1)}
	r.cmd = exec.Command(bin, withTestKeyFile(t, args)...)
	r.cmd.Env = farmEnv()
	r.cmd.Stdout, r.cmd.Stderr = &r.stdout, &r.stderr
	if err := r.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", owner, err)
	}
	go func() { r.done <- r.cmd.Wait() }()
	t.Cleanup(func() {
		if r.cmd.ProcessState == nil {
			r.cmd.Process.Kill()
			<-r.done
		}
	})
	return r
}

// wait fails the test unless the replica exits 0 within limit.
func (r *replica) wait(t *testing.T, limit time.Duration) {
	t.Helper()
	select {
	case err := <-r.done:
		if err != nil {
			t.Fatalf("%s: %v\nstdout:\n%s\nstderr:\n%s", r.owner, err, r.stdout.String(), tail(r.stderr.String(), 40))
		}
	case <-time.After(limit):
		r.cmd.Process.Kill()
		<-r.done
		t.Fatalf("%s still running after %v\nstderr:\n%s", r.owner, limit, tail(r.stderr.String(), 40))
	}
}

// waitResults waits until the registry holds n results, failing the test
// if any replica exits first or it takes a minute.
func waitResults(t *testing.T, db *sql.DB, n int, rs []*replica) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for countResults(t, db) < n {
		for _, r := range rs {
			select {
			case err := <-r.done:
				t.Fatalf("%s exited (%v) before %d sites were checked\nstderr:\n%s", r.owner, err, n, tail(r.stderr.String(), 40))
			default:
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("fewer than %d results after a minute", n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func countResults(t *testing.T, db *sql.DB) int {
	t.Helper()
	var n int
	if err := db.QueryRow("SELECT count(*) FROM check_results").Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// leasesOf returns the sites leased to owner and when each lease expires.
func leasesOf(t *testing.T, db *sql.DB, owner string) map[int64]time.Time {
	t.Helper()
	rows, err := db.Query("SELECT site_id, lease_expires_at FROM site_state WHERE lease_owner = $1", owner)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	leases := map[int64]time.Time{}
	for rows.Next() {
		var id int64
		var expires time.Time
		if err := rows.Scan(&id, &expires); err != nil {
			t.Fatal(err)
		}
		leases[id] = expires
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return leases
}

// checkReplicaResults checks the registry after the cycle: every site
// checked exactly once, rightly judged, no lease left, and the sites the
// dead replica left leased (orphans, with their lease expiry) checked by
// the others once its leases ran out.
func checkReplicaResults(t *testing.T, db *sql.DB, dsn string, f *farm.Farm, orphans map[int64]time.Time) {
	t.Helper()
	var leased int
	if err := db.QueryRow("SELECT count(*) FROM site_state WHERE lease_owner <> ''").Scan(&leased); err != nil {
		t.Fatal(err)
	}
	if leased != 0 {
		t.Errorf("%d sites still leased after the cycle, want none", leased)
	}
	got := registryResults(t, dsn)
	if len(got) != f.Len() {
		t.Errorf("registry holds %d farm sites, want %d", len(got), f.Len())
	}
	// taken counts the orphans checked after their lease expired (all but
	// one whose result the dead replica was committing as it died), and
	// latest is how long after expiry the last of them was checked.
	taken, latest := 0, time.Duration(0)
	wrong := 0
	for i := 1; i <= f.Len(); i++ {
		s, c := f.Site(i), got[i]
		if len(c.results) != 1 {
			t.Errorf("site %d (%s) checked %d times, want exactly once", i, s.Host, len(c.results))
			continue
		}
		r := c.results[0]
		if r.Verdict != s.WantVerdict {
			if wrong++; wrong <= 10 {
				t.Errorf("site %d (%s): verdict %s (error %q), want %s", i, s.Host, r.Verdict, r.Error, s.WantVerdict)
			}
		}
		if expires, ok := orphans[c.site.ID]; ok && !r.CheckedAt.Before(expires) {
			taken, latest = taken+1, max(latest, r.CheckedAt.Sub(expires))
		}
	}
	if wrong > 0 {
		t.Errorf("%d of %d sites judged wrongly", wrong, f.Len())
	}
	if taken == 0 {
		t.Errorf("none of the %d sites the killed replica held was checked after its lease expired", len(orphans))
	}
	t.Logf("%d of the killed replica's %d leased sites checked by the others, the last %v after its lease expired",
		taken, len(orphans), latest.Round(time.Millisecond))
}
