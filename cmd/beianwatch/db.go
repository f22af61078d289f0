package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"github.com/beianwatch/beianwatch/registry"
)

// openStore opens the registry named by --db (or BEIANWATCH_DB) with the
// keys of loadKeys and, when migrate is set, brings its schema up to date
// first; then it checks the keys against the registry and encrypts rows
// left in clear (prepareKeys). The caller closes it. Errors name the DSN
// without its password.
func (a *app) openStore(ctx context.Context, migrate bool) (*registry.Store, error) {
	st, err := registry.Open(ctx, a.dsn, a.logger, a.metrics)
	if err != nil {
		return nil, err
	}
	// After Open, so that a mistyped --db is reported as such, and no key
	// file is made beside a database that cannot be opened.
	if a.keys, err = a.loadKeys(); err != nil {
		st.Close()
		return nil, err
	}
	st.SetKeys(a.keys)
	if migrate {
		if err := st.Migrate(ctx); err != nil {
			st.Close()
			return nil, fmt.Errorf("%s: %w", registry.RedactDSN(a.dsn), err)
		}
	}
	if err := a.prepareKeys(ctx, st); err != nil {
		st.Close()
		return nil, fmt.Errorf("%s: %w", registry.RedactDSN(a.dsn), err)
	}
	return st, nil
}

// openCurrentStore opens the registry for commands that only read or
// change sites: they do not migrate, create nothing (a typo in --db should
// grow neither a new database nor a key file), and say so plainly when
// the registry is missing or its schema is behind.
func (a *app) openCurrentStore(ctx context.Context) (*registry.Store, error) {
	if err := registryMissing(a.dsn); err != nil {
		return nil, err
	}
	st, err := a.openStore(ctx, false)
	if err != nil {
		return nil, err
	}
	ms, err := st.MigrationStatus(ctx)
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("%s: %w", registry.RedactDSN(a.dsn), err)
	}
	for _, m := range ms {
		if !m.Applied {
			st.Close()
			return nil, fmt.Errorf("registry %s is not up to date (migration %d %s pending): run 'beianwatch migrate'",
				registry.RedactDSN(a.dsn), m.Version, m.Name)
		}
	}
	return st, nil
}

// trouble prints a runtime error (not a usage error: no usage hint) and
// ends the command with exitTrouble.
func (a *app) trouble(err error) error {
	fmt.Fprintf(a.stderr, "beianwatch: %v\n", err)
	return &exitError{exitTrouble}
}

// registryMissing returns an error naming the commands that create the
// registry when dsn is a SQLite file that does not exist (opening it
// would create it); nil for anything else. It only looks.
func registryMissing(dsn string) error {
	dsn = cmp.Or(dsn, registry.DefaultDSN)
	path, ok := sqliteFile(dsn)
	if !ok {
		return nil
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("registry %s does not exist: 'beianwatch import FILE' creates it with the sites of FILE ('beianwatch migrate' creates it empty)",
			registry.RedactDSN(dsn))
	}
	return nil
}

// sqliteFile is the file a sqlite://FILE DSN names; false for any other.
func sqliteFile(dsn string) (string, bool) {
	path, ok := strings.CutPrefix(dsn, "sqlite://")
	return path, ok && path != ""
}
