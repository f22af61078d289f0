package daemon

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/crawler"
	"github.com/beianwatch/beianwatch/probe"
	"github.com/beianwatch/beianwatch/registry"
)

// prober runs /probe's checks through the pipeline of `beianwatch check`
// and of the scheduler. It has a Fetcher of its own, under the crawl's
// fetch settings and address rule, so that a probe neither waits for the
// crawl's per-host slots nor holds them.
type prober struct {
	fetcher *crawler.Fetcher
	d       *Daemon
}

var _ probe.Checker = (*prober)(nil)

// Check checks target. A target whose host is a registered site's domain
// is judged against the site's numbers and dates, and its policy, once
// the registry is open; any other target as `beianwatch check` judges it
// without expectations.
func (p *prober) Check(ctx context.Context, target string) (probe.Result, error) {
	want, err := p.expect(ctx, target)
	if err != nil {
		return probe.Result{Report: checker.Failed(target, target, 0, p.d.opts.now(), err)}, err
	}
	var rc crawler.RenderConfig
	if p.d.built.Load() {
		rc = p.d.onDemandRender()
		rc.Screenshots = false // a probe stores nothing
	}
	if p.d.opts.PinFiledIP {
		ctx = crawler.PinTarget(ctx, target, want.FiledIPs)
	}
	o, err := crawler.Pipeline{Fetch: p.fetcher.Fetch, Render: rc, Now: p.d.opts.Now}.Run(ctx, crawler.Job{Target: target, Want: want})
	return probe.Result{Report: o.Report, CertNotAfter: o.CertNotAfter}, err
}

// expect is what the target's page must show.
func (p *prober) expect(ctx context.Context, target string) (checker.Expect, error) {
	want := checker.Expect{Policy: p.d.opts.Policy}
	// built orders the registry's and the queue's fields before this read.
	if !p.d.built.Load() {
		return want, nil
	}
	host := crawler.TargetHost(target)
	if _, err := registry.NormalizeDomain(host); err != nil {
		// No domain (an IP address, a malformed name): in no site, and
		// the fetch says what is wrong with it.
		return want, nil
	}
	site, state, err := p.d.st.SiteByDomain(ctx, host)
	switch {
	case errors.Is(err, registry.ErrNotFound):
		return want, nil
	case err != nil:
		return want, fmt.Errorf("read the registry's site for %s: %w", host, err)
	}
	want = site.Expect(state)
	want.Policy = p.d.q.policyFor(site.Tags)
	return want, nil
}

// probeHandler builds GET /probe; the API serves it behind its tokens.
func (d *Daemon) probeHandler() (http.Handler, error) {
	o := &d.opts
	f, err := crawler.NewFetcher(o.Fetch)
	if err != nil {
		return nil, err
	}
	d.probeFetcher = f
	timeout := o.Fetch.Timeout
	if timeout == 0 {
		timeout = crawler.DefaultTimeout
	}
	// A bare domain is tried over https:// and then http://, each attempt
	// within the fetch timeout.
	h, err := probe.New(&prober{fetcher: f, d: d}, probe.Config{Concurrency: o.ProbeConcurrency, Timeout: 2 * timeout,
		Logger: o.Logger, Metrics: o.Metrics})
	if err != nil {
		return nil, err
	}
	return h, nil
}
