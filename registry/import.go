package registry

import (
	"context"
	"errors"
	"slices"
)

// ImportSites writes sites as `import`, the API's import and the
// console's do, through UpsertSites. Each site the registry cannot match
// unambiguously is passed to reject, its Index the site's position in
// sites. With partial set that site is left out and the rest written
// again: each retry is a whole new transaction, cheap for the rare
// conflicts a validated file can still have (a site whose domains belong
// to two registered sites). Without, the first conflict writes nothing
// and is returned.
func (s *Store) ImportSites(ctx context.Context, sites []Site, partial bool, reject func(*ConflictError)) (ImportStats, error) {
	index := make([]int, len(sites)) // index[i]: where sites[i] was given
	for i := range index {
		index[i] = i
	}
	sites = slices.Clone(sites)
	for len(sites) > 0 {
		stats, err := s.UpsertSites(ctx, sites)
		ce, ok := errors.AsType[*ConflictError](err)
		if !ok || ce.Index < 0 || ce.Index >= len(sites) {
			return stats, err
		}
		given := *ce
		given.Index = index[ce.Index]
		reject(&given)
		if !partial {
			return ImportStats{}, err
		}
		sites = slices.Delete(sites, ce.Index, ce.Index+1)
		index = slices.Delete(index, ce.Index, ce.Index+1)
	}
	return ImportStats{}, nil
}
