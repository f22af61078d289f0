package registry

import (
	"context"
	"fmt"
)

// Ping checks that the database answers (for readiness probes).
func (s *Store) Ping(ctx context.Context) error {
	if err := s.db.PingContext(ctx); err != nil {
		return fmt.Errorf("registry: ping: %w", err)
	}
	return nil
}

// CountSites returns how many active sites the registry holds.
func (s *Store) CountSites(ctx context.Context) (int, error) {
	var n int
	if err := s.read.GetContext(ctx, &n, "SELECT count(*) FROM sites WHERE active"); err != nil {
		return 0, fmt.Errorf("registry: count sites: %w", err)
	}
	return n, nil
}
