package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/internal/pgtest"
)

func TestOpenErrors(t *testing.T) {
	tests := []struct {
		dsn     string
		wantErr string
	}{
		{"mysql://root@localhost/db", "unknown database"},
		{"beianwatch.db", "unknown database"},
		{"sqlite:", "want sqlite://FILE"},
		{"sqlite://", "want sqlite://FILE"},
		{"sqlite:beianwatch.db", "want sqlite://FILE"},
		{"sqlite://x.db?_pragma=foo", "no ? or #"},
		{"sqlite://" + t.TempDir() + "/missing/dir/x.db", "open registry sqlite://"},
		{"postgres://beianwatch:s3cret@127.0.0.1:1/db?sslmode=disable", "open registry postgres://beianwatch:xxxxx@127.0.0.1:1/db"},
		{"postgres://127.0.0.1:1/db?password=s3cret&sslmode=disable", "password=xxxxx"},
		{"postgres://127.0.0.1:1/db?sslpassword=s3cret&sslmode=disable", "sslpassword=xxxxx"},
	}
	for _, tt := range tests {
		s, err := Open(context.Background(), tt.dsn, nil, prometheus.NewRegistry())
		if err == nil {
			s.Close()
			t.Errorf("Open(%q): no error, want %q", tt.dsn, tt.wantErr)
			continue
		}
		if !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "s3cret") {
			t.Errorf("Open(%q) = %v, want an error containing %q and no password", tt.dsn, err, tt.wantErr)
		}
	}
	if _, err := Open(context.Background(), "sqlite::memory:", nil, nil); err == nil {
		t.Errorf("Open with a nil Registerer: no error, want one")
	}
}

func TestOpenMemory(t *testing.T) {
	s := mustOpenStore(t, "sqlite::memory:")
	if st := mustUpsert(t, s, exampleSite(1)); st.Inserted != 1 {
		t.Errorf("UpsertSites = %+v, want 1 inserted", st)
	}
	mustSite(t, s, "site1.example.cn")
}

func TestRedactDSN(t *testing.T) {
	tests := []struct{ dsn, want string }{
		{"sqlite://beianwatch.db", "sqlite://beianwatch.db"},
		{"sqlite::memory:", "sqlite::memory:"},
		{"postgres://bw:s3cret@db.internal:5432/bw?sslmode=require", "postgres://bw:xxxxx@db.internal:5432/bw?sslmode=require"},
		{"postgresql://bw@db/bw", "postgresql://bw@db/bw"},
		{"postgres://db/bw?password=s3cret", "postgres://db/bw?password=xxxxx"},
		{"host=db password=s3cret", "host=db password=xxxxx"},
		{"postgres://db/bw?sslmode=verify-full&sslpassword=s3cret", "postgres://db/bw?sslmode=verify-full&sslpassword=xxxxx"},
	}
	for _, tt := range tests {
		if got := RedactDSN(tt.dsn); got != tt.want {
			t.Errorf("RedactDSN(%q) = %q, want %q", tt.dsn, got, tt.want)
		}
	}
}

// A closed store answers with errors, not panics.
func TestClosedStore(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := mustOpenStore(t, dsn)
		mustUpsert(t, s, exampleSite(1))
		s.Close()
		ops := map[string]func() error{
			"Migrate":         func() error { return s.Migrate(ctx) },
			"MigrationStatus": func() error { _, err := s.MigrationStatus(ctx); return err },
			"UpsertSites":     func() error { _, err := s.UpsertSites(ctx, []Site{exampleSite(2)}); return err },
			"SiteByDomain":    func() error { _, _, err := s.SiteByDomain(ctx, "site1.example.cn"); return err },
			"ListSites":       func() error { return s.ListSites(ctx, SiteFilter{}, func(*Site, *State) error { return nil }) },
			"RetireSite":      func() error { return s.RetireSite(ctx, "site1.example.cn") },
			"SaveResult": func() error {
				return s.SaveResult(ctx, Result{SiteID: 1, CheckedAt: testNow}, testNow, checker.Deadlines{}, false)
			},
			"Results": func() error { _, err := s.Results(ctx, 1, 0); return err },
		}
		for name, op := range ops {
			if err := op(); err == nil {
				t.Errorf("%s on a closed store: no error, want one", name)
			}
		}
	})
}

// A PostgreSQL connection killed inside an import's transaction fails the
// import, writes nothing, and the next import works on a new connection.
func TestKilledConnection(t *testing.T) {
	dsn := pgtest.SchemaDSN(t)
	ctx := context.Background()
	s := mustOpenStore(t, dsn)
	mustUpsert(t, s, exampleSite(1))
	u, _ := url.Parse(dsn)
	app := u.Query().Get("application_name")
	killed := 0
	// The import reads the clock inside its transaction: kill the store's
	// connections there.
	s.now = func() time.Time {
		row := s.read.QueryRowContext(ctx, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()", app)
		if err := row.Scan(&killed); err != nil {
			t.Errorf("kill connections: %v", err)
		}
		return testNow
	}
	if _, err := s.UpsertSites(ctx, []Site{exampleSite(2), exampleSite(3)}); err == nil {
		t.Errorf("UpsertSites with its connection killed (%d killed): no error, want one", killed)
	}
	s.now = func() time.Time { return testNow }
	if sites, _ := allSites(t, s); len(sites) != 1 {
		t.Errorf("%d sites after the failed import, want 1", len(sites))
	}
	if st, err := s.UpsertSites(ctx, []Site{exampleSite(2), exampleSite(3)}); err != nil || st.Inserted != 2 {
		t.Errorf("UpsertSites again = %+v, %v; want 2 inserted", st, err)
	}
}

func TestMetrics(t *testing.T) {
	reg := prometheus.NewRegistry()
	s, err := Open(context.Background(), pgtest.SQLiteDSN(t), nil, reg)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.SetKeys(testKeys)
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	mustUpsert(t, s, exampleSite(1), exampleSite(2))
	mustUpsert(t, s, exampleSite(1))
	s.UpsertSites(context.Background(), []Site{exampleSite(3), exampleSite(3)})
	s.SiteByDomain(context.Background(), "nowhere.cn")
	tests := []struct {
		c    prometheus.Collector
		want float64
	}{
		{s.m.sites.WithLabelValues("inserted"), 2},
		{s.m.sites.WithLabelValues("unchanged"), 1},
		{s.m.ops.WithLabelValues("upsert_sites", "ok"), 2},
		{s.m.ops.WithLabelValues("upsert_sites", "conflict"), 1},
		{s.m.ops.WithLabelValues("site_by_domain", "not_found"), 1},
		{s.m.ops.WithLabelValues("migrate", "ok"), 1},
	}
	for i, tt := range tests {
		if got := testutil.ToFloat64(tt.c); got != tt.want {
			t.Errorf("metric %d = %v, want %v", i, got, tt.want)
		}
	}
	if n := testutil.CollectAndCount(reg, "beianwatch_registry_operation_duration_seconds"); n == 0 {
		t.Errorf("no operation duration observed")
	}
}

// Personal data (contacts, personal operators' names) never reaches logs,
// metrics or errors.
func TestPersonalDataStaysOut(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		var logs bytes.Buffer
		reg := prometheus.NewRegistry()
		logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		s, err := Open(ctx, dsn, logger, reg)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		s.SetKeys(testKeys)
		if err := s.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		personal := with(exampleSite(1), func(s *Site) {
			s.Operator = Operator{Type: OperatorPersonal, Name: "王小明"}
			s.Contact = Contact{Name: "王小明", Phone: "13812345678", Email: "wangxm@example.com"}
		})
		var errs []string
		record := func(err error) {
			if err != nil {
				errs = append(errs, err.Error())
			}
		}
		_, err = s.UpsertSites(ctx, []Site{personal})
		record(err)
		_, err = s.UpsertSites(ctx, []Site{personal, personal}) // conflict
		record(err)
		_, err = s.UpsertSites(ctx, []Site{with(personal, func(s *Site) { s.Domains = domains("site1.example.cn", "site1.example.cn") })})
		record(err)
		_, err = s.UpsertSites(ctx, []Site{with(personal, func(s *Site) { s.Domains = []Domain{{Unicode: "bad name.cn"}} })})
		record(err)
		record(s.RetireSite(ctx, "nowhere.cn"))
		if len(errs) != 4 {
			t.Errorf("got %d errors, want 4: %q", len(errs), errs)
		}
		metrics, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		all := strings.Join(errs, "\n") + logs.String() + fmt.Sprint(metrics)
		for _, secret := range []string{"王小明", "13812345678", "wangxm"} {
			if strings.Contains(all, secret) {
				t.Errorf("personal data %q found in errors, logs or metrics:\n%s", secret, all)
			}
		}
	})
}

// TestOpenUnreachable: only a server that does not answer (yet) is worth
// waiting for; a DSN that cannot work is not.
func TestOpenUnreachable(t *testing.T) {
	tests := []struct {
		dsn  string
		want bool
	}{
		{"postgres://bw:s3cret@127.0.0.1:1/bw?sslmode=disable", true},
		{"postgres://bw@127.0.0.1:1/bw?sslmode=bogus", false},
		{"mysql://root@localhost/db", false},
		{"sqlite://" + t.TempDir() + "/missing/dir/x.db", false},
	}
	for _, tt := range tests {
		_, err := Open(context.Background(), tt.dsn, nil, prometheus.NewRegistry())
		if got := errors.Is(err, ErrUnreachable); got != tt.want || err == nil {
			t.Errorf("Open(%q) = %v; ErrUnreachable %v, want %v", tt.dsn, err, got, tt.want)
		}
	}
}
