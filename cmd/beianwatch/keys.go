package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/beianwatch/beianwatch/keyring"
	"github.com/beianwatch/beianwatch/registry"
)

// loadKeys returns the keys that encrypt the registry's personal data
// (docs/encryption.md): the --key-file (BEIANWATCH_KEY_FILE) when given.
// Without one, the embedded default works with no set-up: a SQLite
// file's key sits beside it (FILE.key), made on first use, and an
// in-memory registry, which dies with the process, gets a key that dies
// with it. A PostgreSQL registry is shared by replicas and outlives any
// one host, so there a missing key is an error rather than a guess.
func (a *app) loadKeys() (*keyring.Keyring, error) {
	if a.keyFile != "" {
		return keyring.Load(a.keyFile)
	}
	dsn := a.dsn
	if dsn == "" {
		dsn = registry.DefaultDSN
	}
	if dsn == "sqlite::memory:" {
		k, err := keyring.Generate(keyring.NewID(time.Now()))
		if err != nil {
			return nil, err
		}
		return keyring.New(k), nil
	}
	path, ok := strings.CutPrefix(dsn, "sqlite://")
	if !ok || path == "" {
		return nil, errors.New("no key file: personal data is stored encrypted; give --key-file (or BEIANWATCH_KEY_FILE), made with 'beianwatch keys new --key-file FILE'")
	}
	path += ".key"
	k, err := keyring.Load(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return k, err
	}
	if k, err = keyring.Create(path, time.Now()); err != nil {
		return nil, err
	}
	fmt.Fprintf(a.stderr, "beianwatch: created key file %s for the registry's personal data: back it up with the database; without it the contacts cannot be read\n", path)
	return k, nil
}

// prepareKeys checks that the keys open the registry and encrypts the
// rows stored in clear before migration 00009, once its columns exist.
func (a *app) prepareKeys(ctx context.Context, st *registry.Store) error {
	ms, err := st.MigrationStatus(ctx)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if m.Version == encryptionMigration && !m.Applied {
			return nil // nothing encrypted yet, and nowhere to put it
		}
	}
	if err := st.CheckKeys(ctx); err != nil {
		return err
	}
	n, err := st.EncryptLegacy(ctx)
	if err != nil {
		return err
	}
	if n.Contacts+n.Operators > 0 {
		fmt.Fprintf(a.stderr, "beianwatch: encrypted %d contacts and %d operators stored in clear before this version\n", n.Contacts, n.Operators)
	}
	return nil
}

// encryptionMigration is the schema version that added the key columns.
const encryptionMigration = 9

func (a *app) keysCmd() *cobra.Command {
	c := &cobra.Command{
		Use:   "keys",
		Short: "Manage the keys that encrypt personal data (docs/encryption.md)",
	}
	c.AddCommand(&cobra.Command{
		Use:   "new",
		Short: "Add a new key to the key file (creating the file), which then encrypts",
		Long: `Add a new key to the key file given by --key-file (or the SQLite registry's
FILE.key), creating the file (mode 0600) if it does not exist. The new key
encrypts from then on; the older ones still decrypt. Run 'beianwatch keys
rotate' next to re-encrypt what is stored under the older keys.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runKeysNew() },
	})
	c.AddCommand(&cobra.Command{
		Use:   "init",
		Short: "Create the key file if it does not exist; otherwise check that it loads",
		Long: `Init makes the key file given by --key-file (or the SQLite registry's FILE.key)
with one key, mode 0600, unless it exists, in which case it only checks that
the file loads. Unlike 'keys new' it may run at every start (a one-shot
container before the daemons), and never adds a key.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runKeysInit() },
	})
	c.AddCommand(&cobra.Command{
		Use:   "rotate",
		Short: "Re-encrypt every stored contact and operator under the newest key",
		Long: `Re-encrypt, row by row in small transactions, every contact and operator not
stored under the key file's newest key (rows stored in clear before version
9 included), and recompute their lookup hashes. It may run while the daemon
runs. Interrupted, it loses nothing: run it again to finish. When it
reports nothing left to do, and every daemon has been restarted, older keys
may be removed from the key file.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return a.runKeysRotate(cmd.Context()) },
	})
	return c
}

// keyFilePath is the key file the keys commands manage: --key-file, or
// FILE.key beside a SQLite registry.
func (a *app) keyFilePath() (string, error) {
	if a.keyFile != "" {
		return a.keyFile, nil
	}
	p, ok := strings.CutPrefix(a.dsn, "sqlite://")
	if !ok || p == "" {
		return "", errors.New("give --key-file (or BEIANWATCH_KEY_FILE)")
	}
	return p + ".key", nil
}

// createKeyFile makes the key file at path with one key, saying so.
func (a *app) createKeyFile(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return a.trouble(err)
	}
	k, err := keyring.Create(path, time.Now())
	if err != nil {
		return a.trouble(err)
	}
	_, err = fmt.Fprintf(a.stdout, "created %s with key %s\n", path, k.Newest())
	return err
}

func (a *app) runKeysInit() error {
	path, err := a.keyFilePath()
	if err != nil {
		return fmt.Errorf("keys init: %w", err)
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return a.createKeyFile(path)
	}
	k, err := keyring.Load(path)
	if err != nil {
		return a.trouble(err)
	}
	_, err = fmt.Fprintf(a.stdout, "%s holds %d keys; %s encrypts\n", path, len(k.IDs()), k.Newest())
	return err
}

func (a *app) runKeysNew() error {
	path, err := a.keyFilePath()
	if err != nil {
		return fmt.Errorf("keys new: %w", err)
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return a.createKeyFile(path)
	}
	k, err := keyring.Append(path, time.Now())
	if err != nil {
		return a.trouble(err)
	}
	_, err = fmt.Fprintf(a.stdout, "added key %s to %s: it encrypts from now on; run 'beianwatch keys rotate'\n", k.ID, path)
	return err
}

func (a *app) runKeysRotate(ctx context.Context) error {
	st, err := a.openCurrentStore(ctx)
	if err != nil {
		return a.trouble(err)
	}
	defer st.Close()
	n, err := st.RotateKeys(ctx)
	fmt.Fprintf(a.stdout, "re-encrypted %d contacts and %d operators under key %s\n", n.Contacts, n.Operators, a.keys.Newest())
	if err != nil {
		return a.trouble(fmt.Errorf("%w (run 'beianwatch keys rotate' again to resume)", err))
	}
	return nil
}
