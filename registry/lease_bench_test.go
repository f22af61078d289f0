package registry

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/internal/pgtest"
)

// BenchmarkLease1M leases batches of 500 sites from a PostgreSQL registry
// of 1,000,000 sites, all due (the goal: under 50 ms a batch).
// Each leased batch is then completed, untimed, by moving it out of the
// due set as Complete would, so every lease reads a fresh head of the
// queue. "busy" has four other replicas hold 500 leases each at the head,
// which every lease must step over. It needs a server (loading takes
// about 40 s), so, given one:
//
//	BEIANWATCH_TEST_POSTGRES=postgres://… go test -run '^$' -bench Lease1M -benchtime 200x ./registry
//
// Measured on 2 cores shared with the server (default settings, fsync
// off): 21 ms a lease (p99 34 ms), of which the statement itself is 5 ms
// and the rest reading the 500 sites.
func BenchmarkLease1M(b *testing.B) {
	if os.Getenv(postgresEnv) == "" {
		b.Skipf("%s is empty: the 1,000,000-site lease benchmark runs on PostgreSQL only", postgresEnv)
	}
	const sites, batch = 1_000_000, 500
	ctx := context.Background()
	s := mustOpenStore(b, pgtest.SchemaDSN(b))
	start := time.Now()
	loadSites(b, s, sites)
	b.Logf("loaded %d sites in %v", sites, time.Since(start).Round(time.Millisecond))
	explainLease(b, s, batch)
	start = time.Now()
	due, _, err := s.DueSites(ctx, testNow)
	b.Logf("DueSites: %d due, counted in %v", due, time.Since(start).Round(time.Millisecond))
	if err != nil || due != sites {
		b.Fatalf("DueSites = %d, %v; want %d", due, err, sites)
	}

	b.Run("idle", func(b *testing.B) { benchLease(b, s, batch) })
	for i := range 4 {
		if _, err := s.Lease(ctx, fmt.Sprintf("other-%d", i), batch, time.Hour); err != nil {
			b.Fatal(err)
		}
	}
	b.Run("busy", func(b *testing.B) { benchLease(b, s, batch) })
}

func benchLease(b *testing.B, s *Store, batch int) {
	ctx := context.Background()
	var took []time.Duration
	for b.Loop() {
		start := time.Now()
		ls, err := s.Lease(ctx, "bench", batch, time.Hour)
		took = append(took, time.Since(start))
		if err != nil || len(ls) != batch {
			b.Fatalf("Lease = %d sites, %v; want %d", len(ls), err, batch)
		}
		b.StopTimer()
		completeAll(b, s, ls)
		b.StartTimer()
	}
	slices.Sort(took)
	var sum time.Duration
	for _, d := range took {
		sum += d
	}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(sum)/float64(len(took)), "ms/lease")
	b.ReportMetric(ms(took[len(took)*99/100]), "p99-ms/lease")
	b.ReportMetric(ms(took[len(took)-1]), "max-ms/lease")
}

// completeAll takes the leased sites out of the due set, as Complete does,
// in one statement.
func completeAll(b *testing.B, s *Store, ls []Lease) {
	ids := make([]string, len(ls))
	for i, l := range ls {
		ids[i] = fmt.Sprint(l.Site.ID)
	}
	_, err := s.db.Exec(`UPDATE site_state SET next_check_at = next_check_at + interval '1 day',
		lease_owner = '', lease_expires_at = NULL WHERE site_id IN (` + strings.Join(ids, ",") + `)`)
	if err != nil {
		b.Fatal(err)
	}
}

// loadSites fills an empty PostgreSQL registry with n sites, each with a
// domain, an IP, one of 1,000 operators and its own contact, all due in
// the day before testNow, in a few set-based statements: far faster than
// any import path, and the rows are what an import writes.
func loadSites(b testing.TB, s *Store, n int) {
	b.Helper()
	stmts := []string{
		`INSERT INTO operators (id, type, name, org_code)
			SELECT i, 'organization', '北京示例科技有限公司' || i, '91110105MA' || lpad(i::text, 8, '0')
			FROM generate_series(1, 1000) i`,
		`INSERT INTO contacts (id, name, phone, email)
			SELECT i, '联系人' || i, '138' || lpad(i::text, 8, '0'), 'ops' || i || '@example.com'
			FROM generate_series(1, $1::int) i`,
		`INSERT INTO sites (id, name, icp_number, icp_approved_on, launched_on, psb_number,
			psb_filed_on, psb_approved_on, customer_id, access_provider, registrar, interactive,
			languages, tags, check_url, active, operator_id, contact_id, created_at, updated_at)
			SELECT i, '示例站点' || i, '京ICP备' || (2000000000 + i) || '号-1', DATE '2026-03-01', DATE '2026-03-02',
				'110105' || lpad(i::text, 8, '0'), DATE '2026-03-20', DATE '2026-04-10', 'cust-' || (i % 97),
				'示例云', '示例注册商', i % 3 = 0, '["zh-CN"]', jsonb_build_array('batch-' || (i % 10)), '', true,
				1 + i % 1000, i, $2::timestamptz, $2::timestamptz
			FROM generate_series(1, $1::int) i`,
		`INSERT INTO domains (site_id, position, unicode, ascii)
			SELECT i, 0, 'site' || i || '.example.cn', 'site' || i || '.example.cn' FROM generate_series(1, $1::int) i`,
		`INSERT INTO site_ips (site_id, position, addr)
			SELECT i, 0, '10.' || (i >> 16) || '.' || ((i >> 8) & 255) || '.' || (i & 255) FROM generate_series(1, $1::int) i`,
		`INSERT INTO site_state (site_id, active, verdict, findings, badge_shown, next_check_at,
			consecutive_failures, lease_owner, psb_filing_status, badge_status)
			SELECT i, true, 'unchecked', '[]', false, $2::timestamptz - (i % 86400) * interval '1 second', 0, '', 'met', 'unknown'
			FROM generate_series(1, $1::int) i`,
		`SELECT setval(pg_get_serial_sequence('sites', 'id'), $1::int)`,
		`SELECT setval(pg_get_serial_sequence('operators', 'id'), 1000)`,
		`SELECT setval(pg_get_serial_sequence('contacts', 'id'), $1::int)`,
		`ANALYZE`,
	}
	for _, q := range stmts {
		var args []any
		if strings.Contains(q, "$1") {
			args = append(args, n)
		}
		if strings.Contains(q, "$2") {
			args = append(args, testNow)
		}
		if _, err := s.db.Exec(q, args...); err != nil {
			b.Fatalf("%.60s…: %v", strings.TrimSpace(q), err)
		}
	}
}

// explainLease logs the lease statement's plan (go test -v).
func explainLease(b *testing.B, s *Store, n int) {
	q := s.db.Rebind("EXPLAIN (ANALYZE, BUFFERS) " + fmt.Sprintf(leaseSQL, s.d.skipLocked, s.d.leaseChosen))
	tx, err := s.db.Beginx()
	if err != nil {
		b.Fatal(err)
	}
	defer tx.Rollback() // leave the sites as they were
	var plan []string
	if err := tx.Select(&plan, q, ts(testNow), ts(testNow), n, "explain", ts(testNow.Add(time.Hour))); err != nil {
		b.Fatal(err)
	}
	b.Logf("lease plan:\n%s", strings.Join(plan, "\n"))
}

// BenchmarkComplete stores checks of leased sites, 64 at a time: one
// Complete (one transaction) per site, or one CompleteBatch for the 64
// (what serve does). It prints the time per site; on PostgreSQL, given
// BEIANWATCH_TEST_POSTGRES, that includes the server's, on this machine.
//
//	go test -run '^$' -bench Complete ./registry
func BenchmarkComplete(b *testing.B) {
	const sites, batch = 512, 64
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run(engine, func(b *testing.B) {
			dsn := pgtest.SQLiteDSN(b)
			if engine == "postgres" {
				dsn = pgtest.SchemaDSN(b)
			}
			s := mustOpenStore(b, dsn)
			ids := setUpSites(b, s, slices.Repeat([]siteSetup{{owner: "me", expires: time.Hour}}, sites)...)
			findings := []checker.Finding{{Code: "psb-missing", Severity: checker.SeverityError, Message: "no PSB number", Evidence: strings.Repeat("<footer>…</footer>", 8)}}
			completions := func(round int) []Completion {
				cs := make([]Completion, batch)
				for i := range cs {
					at := testNow.Add(time.Duration(round) * time.Second)
					cs[i] = Completion{
						Result: Result{SiteID: ids[(round*batch+i)%sites], CheckedAt: at, Target: "https://site.example.cn/",
							FinalURL: "https://site.example.cn/", HTTPStatus: 200, Verdict: checker.VerdictFail, Findings: findings,
							Evidence: findings[0].Evidence, BodySHA256: strings.Repeat("ab", 32), Duration: 120 * time.Millisecond},
						Next: at.Add(time.Hour),
					}
				}
				return cs
			}
			for _, mode := range []string{"one", "batch"} {
				b.Run(mode, func(b *testing.B) {
					ctx := context.Background()
					round := 0
					for b.Loop() {
						cs := completions(round)
						round++
						b.StopTimer()
						// Every site is leased again: what Complete clears.
						if _, err := s.db.ExecContext(ctx, s.db.Rebind("UPDATE site_state SET lease_owner = ? WHERE lease_owner = ''"), "me"); err != nil {
							b.Fatal(err)
						}
						b.StartTimer()
						if mode == "batch" {
							errs, err := s.CompleteBatch(ctx, "me", cs)
							if err == nil {
								err = errors.Join(errs...)
							}
							if err != nil {
								b.Fatal(err)
							}
							continue
						}
						for _, c := range cs {
							if err := s.Complete(ctx, "me", c.Result, c.Next, c.Deadlines, c.BadgeShown); err != nil {
								b.Fatal(err)
							}
						}
					}
					b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N*batch), "µs/site")
				})
			}
		})
	}
}
