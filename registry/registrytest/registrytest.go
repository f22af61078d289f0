// Package registrytest opens registries for the tests of the packages
// built on the registry (daemon, cmd/beianwatch), so that each does not
// keep its own copy.
package registrytest

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/beianwatch/beianwatch/keyring"
	"github.com/beianwatch/beianwatch/registry"
)

// Open opens the registry at dsn for a test to fill, migrated, with keys
// for its personal data (nil for none); the test's cleanup closes it.
func Open(t testing.TB, dsn string, keys *keyring.Keyring) *registry.Store {
	t.Helper()
	st, err := registry.Open(context.Background(), dsn, nil, prometheus.NewRegistry())
	if err != nil {
		t.Fatalf("open the registry: %v", err)
	}
	t.Cleanup(func() { st.Close() })
	if keys != nil {
		st.SetKeys(keys)
	}
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatalf("migrate the registry: %v", err)
	}
	return st
}
