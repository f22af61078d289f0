package registry

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/jmoiron/sqlx"
	"github.com/lib/pq" // the "postgres" driver
	"github.com/prometheus/client_golang/prometheus"
	_ "modernc.org/sqlite" // the "sqlite" driver, without cgo

	"github.com/beianwatch/beianwatch/internal/redact"
	"github.com/beianwatch/beianwatch/keyring"
)

// DefaultDSN is the registry used when none is named: a SQLite file in the
// working directory, so that the tool works with no set-up.
const DefaultDSN = "sqlite://beianwatch.db"

// ErrNotFound is returned when no site matches.
var ErrNotFound = errors.New("registry: not found")

// ErrUnreachable is matched (errors.Is) by an Open error that a later
// attempt may not meet: the PostgreSQL server did not answer, or answered
// that it is starting, shutting down or out of connections. A bad DSN, a
// refused password or a missing database do not match it.
var ErrUnreachable = errors.New("registry: server unreachable")

// Store is the registry, on SQLite or PostgreSQL. Its methods are safe for
// concurrent use.
type Store struct {
	// db runs every write (and every read on PostgreSQL). On SQLite it holds
	// a single connection: SQLite allows one writer at a time, and queueing
	// writers here, under ctx, beats failing them after busy_timeout.
	db *sqlx.DB
	// read runs reads. On a SQLite file it is a second pool of read-only
	// connections that WAL lets run beside the writer; otherwise it is db.
	read   *sqlx.DB
	d      dialect
	logger *slog.Logger
	m      *metrics
	// keys encrypts personal data (SetKeys; nil: none can be stored).
	keys *keyring.Keyring
	// rotated, when set, is called after each row RotateKeys commits, so
	// that tests can interrupt it half-way.
	rotated func()
	// now is the clock, replaced in tests.
	now func() time.Time
	// pageSize is how many sites ListSites reads at a time (listPage;
	// smaller in tests, to cross pages cheaply).
	pageSize int
	// used is when this process last wrote each API token's last use
	// (VerifyToken).
	usedMu sync.Mutex
	used   map[int64]time.Time
}

// Open opens the registry the DSN names: "sqlite://FILE" (a relative or,
// with a third slash, absolute path), "sqlite::memory:", or a
// "postgres://" or "postgresql://" URL for lib/pq. The empty DSN is
// DefaultDSN. Open does not migrate: see Migrate. It registers the
// store's metrics on reg, so one registry serves one Store.
func Open(ctx context.Context, dsn string, logger *slog.Logger, reg prometheus.Registerer) (*Store, error) {
	if reg == nil {
		return nil, errors.New("open registry: nil prometheus.Registerer")
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	if dsn == "" {
		dsn = DefaultDSN
	}
	s := &Store{logger: logger.With("component", "registry"), now: time.Now, pageSize: listPage}
	var err error
	switch {
	case strings.HasPrefix(dsn, "sqlite:"):
		err = s.openSQLite(ctx, strings.TrimPrefix(dsn, "sqlite:"))
	case strings.HasPrefix(dsn, "postgres://"), strings.HasPrefix(dsn, "postgresql://"):
		err = s.openPostgres(ctx, dsn)
	default:
		return nil, fmt.Errorf("open registry %s: unknown database: want sqlite://FILE, sqlite::memory: or postgres://…", RedactDSN(dsn))
	}
	if err != nil {
		return nil, fmt.Errorf("open registry %s: %w", RedactDSN(dsn), err)
	}
	s.m = newMetrics(reg)
	s.logger.Debug("registry opened", "db", RedactDSN(dsn), "engine", s.d.name)
	return s, nil
}

// Close closes the store's connections.
func (s *Store) Close() error {
	err := s.db.Close()
	if s.read != s.db {
		err = errors.Join(err, s.read.Close())
	}
	return err
}

// openSQLite opens the file (or ":memory:") after "sqlite:".
func (s *Store) openSQLite(ctx context.Context, rest string) error {
	path, ok := strings.CutPrefix(rest, "//")
	if rest == ":memory:" {
		path, ok = rest, true
	}
	switch {
	case !ok || path == "":
		return errors.New("want sqlite://FILE or sqlite::memory:")
	case strings.ContainsAny(path, "?#"):
		return errors.New("sqlite file names take no ? or # (and no parameters)")
	}
	s.d = sqliteDialect
	memory := path == ":memory:"
	var err error
	if s.db, err = openPool(ctx, "sqlite", sqliteDSN(path, memory, false), 1); err != nil {
		return err
	}
	s.read = s.db
	if memory {
		// Every connection to ":memory:" is a database of its own, so the
		// single writer connection must do the reading too.
		return nil
	}
	if s.read, err = openPool(ctx, "sqlite", sqliteDSN(path, false, true), 4); err != nil {
		s.db.Close()
		return err
	}
	return nil
}

// sqliteDSN is the modernc.org/sqlite DSN for a file with our settings:
//   - foreign_keys: SQLite ignores REFERENCES unless told, per connection;
//     without it a site's domains could outlive the site.
//   - busy_timeout: another process (a CLI import beside the daemon) may
//     hold the write lock; wait for it rather than fail at once.
//   - journal_mode WAL: readers see a snapshot and do not block the writer,
//     nor it them. Set once by the writer; it is persistent.
//   - synchronous NORMAL: with WAL, a commit no longer waits for fsync; a
//     crash of the process loses nothing, a power cut may lose the last
//     few results (the sites are simply checked again). The daemon writes
//     one small transaction per check, and FULL made that fsync a fifth of
//     the single writer's time.
//   - _txlock immediate: a write transaction takes the write lock at BEGIN,
//     so two processes cannot both read then deadlock upgrading.
//   - query_only on the read pool, so a read path can never write.
//   - cache_size 512 KiB on the read pool (2 MiB by default): its four
//     connections read by key (the API) or scan whole tables (the
//     registry-wide gauges), and a scan fills every cache it passes
//     through whatever its size. At 2 MiB the caches filled only once the
//     registry outgrew them, and serve's peak RSS over 100,000 sites was
//     16–25% above that over 10,000; the key lookups need the index
//     pages near the root, a few dozen.
func sqliteDSN(path string, memory, readOnly bool) string {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "foreign_keys(1)")
	switch {
	case readOnly:
		q.Add("_pragma", "query_only(1)")
		q.Add("_pragma", "cache_size(-512)")
	case !memory:
		q.Add("_pragma", "journal_mode(WAL)")
		q.Add("_pragma", "synchronous(NORMAL)")
		q.Set("_txlock", "immediate")
	}
	return path + "?" + q.Encode()
}

// openPostgres opens a lib/pq pool.
func (s *Store) openPostgres(ctx context.Context, dsn string) error {
	s.d = postgresDialect
	var err error
	s.db, err = openPool(ctx, "postgres", dsn, 16)
	s.read = s.db
	if err != nil && transient(err) {
		return fmt.Errorf("%w: %w", ErrUnreachable, err)
	}
	return err
}

// transient reports whether a failure to connect may pass by itself: a
// network error (no route, refused, a name not resolving yet, a
// connection cut), or a PostgreSQL error of class 08 (connection
// exception), 53 (insufficient resources) or 57 (operator intervention:
// "the database system is starting up").
func transient(err error) bool {
	var (
		pqErr  *pq.Error
		netErr net.Error
	)
	switch {
	case errors.As(err, &pqErr):
		switch pqErr.Code.Class() {
		case "08", "53", "57":
			return true
		}
		return false
	case errors.As(err, &netErr), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return true
	}
	return false
}

// openPool opens a pool of at most n connections and checks that it works.
func openPool(ctx context.Context, driver, dsn string, n int) (*sqlx.DB, error) {
	db, err := sqlx.Open(driver, dsn)
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	if driver == "sqlite" {
		// sqlx does not know modernc's driver name; "?" is its bind style,
		// which Rebind would leave alone anyway. Say so explicitly.
		db = sqlx.NewDb(db.DB, "sqlite3")
	} else {
		// Let a replica's idle connections go, so a restarted server is
		// met with fresh ones.
		db.SetConnMaxIdleTime(5 * time.Minute)
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// RedactDSN returns the DSN with its credentials masked (the password,
// sslpassword and the like, in URL or keyword=value form), fit for logs
// and errors. It is redact.DSN, kept here for the registry's callers.
func RedactDSN(dsn string) string { return redact.DSN(dsn) }

// inTx runs fn in one write transaction, committed if fn returns nil and
// rolled back otherwise.
func (s *Store) inTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback() // the connection may be gone; fn's error says more
		return err
	}
	return tx.Commit()
}

// inReadTx runs fn in a read-only transaction, so that the several queries
// that assemble a site see one snapshot.
func (s *Store) inReadTx(ctx context.Context, fn func(tx *sqlx.Tx) error) error {
	tx, err := s.read.BeginTxx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return err
	}
	defer tx.Rollback() // read-only: nothing to commit
	return fn(tx)
}
