package registry

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"path"
	"path/filepath"
	"strings"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

// migrations holds each engine's schema history, one directory per engine
// with matching file names.
//
//go:embed migrations
var migrations embed.FS

// migrationsTable records the applied migrations.
const migrationsTable = "schema_migrations"

// Migration is one schema version and whether the database has it.
type Migration struct {
	Version   int64
	Name      string // the file name without version and extension: "init"
	Applied   bool
	AppliedAt time.Time // zero unless Applied
}

// Migrate brings the schema up to the latest version. Each migration runs
// in its own transaction. On PostgreSQL, replicas starting together wait
// for one another on an advisory lock.
func (s *Store) Migrate(ctx context.Context) (err error) {
	defer s.observe("migrate", time.Now(), &err)
	p, err := s.migrator(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	res, err := p.Up(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	// One line for the lot (a new registry takes every migration at
	// once), each step at debug level.
	var took time.Duration
	for _, r := range res {
		s.logger.Debug("migration applied", "version", r.Source.Version, "file", filepath.Base(r.Source.Path), "duration", r.Duration)
		took += r.Duration
	}
	if len(res) > 0 {
		s.logger.Info("migrated", "from", res[0].Source.Version-1, "to", res[len(res)-1].Source.Version, "steps", len(res), "duration", took)
	}
	return nil
}

// MigrateDown undoes the latest applied migration.
func (s *Store) MigrateDown(ctx context.Context) (err error) {
	defer s.observe("migrate_down", time.Now(), &err)
	p, err := s.migrator(ctx)
	if err != nil {
		return fmt.Errorf("migrate down: %w", err)
	}
	r, err := p.Down(ctx)
	if err != nil {
		return fmt.Errorf("migrate down: %w", err)
	}
	s.logger.Info("migrated down", "version", r.Source.Version, "duration", r.Duration)
	return nil
}

// MigrationStatus lists every known migration, oldest first.
func (s *Store) MigrationStatus(ctx context.Context) (_ []Migration, err error) {
	defer s.observe("migration_status", time.Now(), &err)
	p, err := s.migrator(ctx)
	if err != nil {
		return nil, fmt.Errorf("migration status: %w", err)
	}
	st, err := p.Status(ctx)
	if err != nil {
		return nil, fmt.Errorf("migration status: %w", err)
	}
	ms := make([]Migration, len(st))
	for i, m := range st {
		ms[i] = Migration{
			Version:   m.Source.Version,
			Name:      migrationName(m.Source.Path),
			Applied:   m.State == goose.StateApplied,
			AppliedAt: m.AppliedAt.UTC(),
		}
	}
	return ms, nil
}

// migrationName turns "00001_init.sql" into "init".
func migrationName(file string) string {
	base := strings.TrimSuffix(path.Base(file), path.Ext(file))
	_, name, _ := strings.Cut(base, "_")
	return name
}

// migrator returns a goose provider for the store's engine.
func (s *Store) migrator(ctx context.Context) (*goose.Provider, error) {
	fsys, err := fs.Sub(migrations, "migrations/"+s.d.name)
	if err != nil {
		return nil, err
	}
	opts := []goose.ProviderOption{
		goose.WithTableName(migrationsTable),
		goose.WithDisableGlobalRegistry(true),
	}
	if s.d.name == postgresDialect.name {
		locker, err := s.migrationLocker(ctx)
		if err != nil {
			return nil, err
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	return goose.NewProvider(s.d.goose, s.db.DB, fsys, opts...)
}

// migrationLocker is a PostgreSQL advisory lock for migrating this
// database's current schema. The lock id is derived from the database and
// schema names: replicas sharing a schema take turns, while registries in
// other schemas of the same server (tests run in parallel) do not wait.
func (s *Store) migrationLocker(ctx context.Context) (lock.SessionLocker, error) {
	var db string
	var schema sql.NullString // NULL when no schema on search_path exists
	row := s.db.QueryRowContext(ctx, "SELECT current_database(), current_schema()")
	if err := row.Scan(&db, &schema); err != nil {
		return nil, err
	}
	if !schema.Valid {
		return nil, errors.New("no current schema: check search_path")
	}
	h := fnv.New64a()
	fmt.Fprintf(h, "beianwatch migrations %s.%s", db, schema.String)
	// Wait up to 5 minutes, polling every second, for another replica's
	// migration to finish.
	return lock.NewPostgresSessionLocker(lock.WithLockID(int64(h.Sum64()>>1)), lock.WithLockTimeout(1, 300))
}
