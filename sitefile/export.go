package sitefile

import (
	"context"
	"io"

	"github.com/beianwatch/beianwatch/registry"
)

// SiteLister lists the registry's sites; *registry.Store implements it.
type SiteLister interface {
	ListSites(ctx context.Context, f registry.SiteFilter, fn func(*registry.Site, *registry.State) error) error
}

// Export streams the registry's active sites to w as `beianwatch export`
// writes them, holding one page of them at a time, and returns how many
// it wrote. The CLI and the API's download both call it.
func Export(ctx context.Context, l SiteLister, w io.Writer, opts WriteOptions) (int, error) {
	wr, err := NewWriter(w, opts)
	if err != nil {
		return 0, err
	}
	n := 0
	err = l.ListSites(ctx, registry.SiteFilter{}, func(s *registry.Site, state *registry.State) error {
		n++
		return wr.Write(s, state)
	})
	if err != nil {
		return n, err
	}
	return n, wr.Close()
}
