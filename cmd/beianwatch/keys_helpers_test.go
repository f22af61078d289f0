package main

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/beianwatch/beianwatch/keyring"
)

// A PostgreSQL registry needs a --key-file. Tests name their registries
// by DSN, so each PostgreSQL DSN gets a key file of its own, in one
// directory for the test binary, and runInProcess passes it along.
var (
	testKeyDirOnce sync.Once
	testKeyDir     string
	testKeyMu      sync.Mutex
)

// testKeyFile returns the key file the program uses for dsn, creating it
// if needed: FILE.key for sqlite://FILE (as the program would), a file
// of the test binary's own for PostgreSQL.
func testKeyFile(t testing.TB, dsn string) string {
	t.Helper()
	testKeyMu.Lock()
	defer testKeyMu.Unlock()
	path, ok := strings.CutPrefix(dsn, "sqlite://")
	if ok {
		path += ".key"
	} else {
		testKeyDirOnce.Do(func() {
			dir, err := os.MkdirTemp("", "beianwatch-keys-")
			if err != nil {
				panic(err)
			}
			testKeyDir = dir
		})
		path = filepath.Join(testKeyDir, fmt.Sprintf("%x.key", sha256.Sum256([]byte(dsn))))
	}
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		if _, err := keyring.Create(path, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	return path
}

// testKeys loads testKeyFile(dsn).
func testKeys(t testing.TB, dsn string) *keyring.Keyring {
	t.Helper()
	k, err := keyring.Load(testKeyFile(t, dsn))
	if err != nil {
		t.Fatal(err)
	}
	return k
}

// withTestKeyFile adds --key-file to args naming a PostgreSQL --db
// without one.
func withTestKeyFile(t testing.TB, args []string) []string {
	dsn := os.Getenv("BEIANWATCH_DB")
	for i, a := range args {
		switch {
		case a == "--key-file" || strings.HasPrefix(a, "--key-file="):
			return args
		case a == "--db" && i+1 < len(args):
			dsn = args[i+1]
		case strings.HasPrefix(a, "--db="):
			dsn = strings.TrimPrefix(a, "--db=")
		}
	}
	if !strings.HasPrefix(dsn, "postgres") || os.Getenv("BEIANWATCH_KEY_FILE") != "" {
		return args
	}
	return append(append([]string(nil), args...), "--key-file", testKeyFile(t, dsn))
}
