package main

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/registry"
)

// expectations returns what each target must show. Without a registry it
// is flagWant for every target; with one (o.registry), each target's site
// gives its numbers and dates, and the flags given explicitly override
// them field by field. A target not in the registry is checked with the
// flags' expectations alone, with a note.
func (a *app) expectations(ctx context.Context, o checkOptions, flagWant checker.Expect, targets []string) ([]checker.Expect, error) {
	wants := make([]checker.Expect, len(targets))
	for i := range wants {
		wants[i] = flagWant
	}
	if !o.registry {
		return wants, nil
	}
	st, err := a.openStore(ctx, false)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	for i, t := range targets {
		host := targetHost(t)
		site, state, err := st.SiteByDomain(ctx, host)
		switch {
		case errors.Is(err, registry.ErrNotFound) || host == "":
			fmt.Fprintf(a.stderr, "beianwatch: note: %s is not in the registry; checked without its numbers and dates\n", t)
			continue
		case err != nil:
			return nil, err
		}
		wants[i] = overrideExpect(site.Expect(state), flagWant, o.changed)
	}
	return wants, nil
}

// overrideExpect sets in w the fields whose flags were given.
func overrideExpect(w, flags checker.Expect, changed func(string) bool) checker.Expect {
	if changed("expect-icp") {
		w.ICP = flags.ICP
	}
	if changed("expect-psb") {
		w.PSB = flags.PSB
	}
	if changed("launched") {
		w.Launched = flags.Launched
	}
	if changed("psb-filed") {
		w.PSBFiled = flags.PSBFiled
	}
	if changed("psb-approved") {
		w.PSBApproved = flags.PSBApproved
	}
	return w
}

// targetHost is the host name of a check target: a URL, or a domain with
// an optional port and path. "" if there is none.
func targetHost(target string) string {
	if !strings.Contains(target, "://") {
		target = "http://" + target
	}
	u, err := url.Parse(target)
	if err != nil {
		return ""
	}
	return u.Hostname()
}
