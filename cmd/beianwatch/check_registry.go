package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/crawler"
	"github.com/beianwatch/beianwatch/registry"
)

// expectations returns what each target must show, and which targets'
// came from the registry. Without a registry it is flagWant for every
// target; with one (o.registry), each target's site gives its numbers and
// dates, and the flags given explicitly override them field by field. A
// target not in the registry is checked with the flags' expectations
// alone, with a note when the registry was named (--db, BEIANWATCH_DB).
// The default registry file, used only because it exists, is passed over
// with a note when it cannot be read.
func (a *app) expectations(ctx context.Context, o checkOptions, flagWant checker.Expect, targets []string) ([]checker.Expect, []bool, error) {
	wants := make([]checker.Expect, len(targets))
	for i := range wants {
		wants[i] = flagWant
	}
	fromRegistry := make([]bool, len(targets))
	if !o.registry {
		return wants, fromRegistry, nil
	}
	st, err := a.openCurrentStore(ctx)
	if err != nil {
		if o.defaultRegistry {
			fmt.Fprintf(a.stderr, "beianwatch: note: %s not used: %v\n", registry.DefaultDSN, err)
			return wants, fromRegistry, nil
		}
		return nil, nil, a.trouble(err) // the registry's trouble, not the command line's
	}
	defer st.Close()
	for i, t := range targets {
		host := crawler.TargetHost(t)
		site, state, err := st.SiteByDomain(ctx, host)
		switch {
		case errors.Is(err, registry.ErrNotFound) || host == "":
			if !o.defaultRegistry {
				fmt.Fprintf(a.stderr, "beianwatch: note: %s is not in the registry; checked without its numbers and dates\n", t)
			}
			continue
		case err != nil && o.defaultRegistry:
			// Not a registry of this version, or not one at all: the
			// user did not ask for it.
			fmt.Fprintf(a.stderr, "beianwatch: note: %s not used: %v\n", registry.DefaultDSN, err)
			return wants, make([]bool, len(targets)), nil
		case err != nil:
			return nil, nil, a.trouble(err)
		}
		// The flags given override the registry field by field; the dates
		// together must still be in order. (The registry's own were
		// checked when imported.)
		w, err := applyOverride(o.override(), site.Expect(state), time.Now())
		if err != nil {
			return nil, nil, fmt.Errorf("%s: with the registry's dates: %w", t, err)
		}
		wants[i], fromRegistry[i] = w, true
	}
	return wants, fromRegistry, nil
}
