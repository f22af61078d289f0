package registrytest_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/beianwatch/beianwatch/registry"
	"github.com/beianwatch/beianwatch/registry/registrytest"
)

// TestOpen: the store Open gives is migrated, ready to fill.
func TestOpen(t *testing.T) {
	st := registrytest.Open(t, "sqlite://"+filepath.Join(t.TempDir(), "r.db"), nil)
	if _, err := st.ListCases(context.Background(), registry.CaseFilter{}); err != nil {
		t.Errorf("ListCases on a store from Open: %v, want a migrated registry", err)
	}
}
