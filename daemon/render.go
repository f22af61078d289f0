package daemon

import (
	"fmt"

	"github.com/beianwatch/beianwatch/crawler"
	"github.com/beianwatch/beianwatch/internal/chromium"
	"github.com/beianwatch/beianwatch/render"
)

// buildRender starts the render stage of the crawl: its renderer (the
// browser itself starts at the first page that needs it) and budget. It
// returns the zero RenderConfig when rendering is off, or auto and no
// browser is installed.
func (d *Daemon) buildRender() (crawler.RenderConfig, error) {
	o := &d.opts
	if !o.rendering() {
		return crawler.RenderConfig{}, nil
	}
	path, err := chromium.Find()
	if err != nil {
		if o.Render == crawler.RenderAuto {
			o.Logger.Warn("pages drawn by script are not rendered (install chromium, or --render never)", "err", err)
			return crawler.RenderConfig{}, nil
		}
		return crawler.RenderConfig{}, fmt.Errorf("--render %s: %w", o.Render, err)
	}
	// A Fetcher of its own, for its dialer: the browser's connections
	// obey the crawl's address policy and resolve rules.
	if d.renderFetcher, err = crawler.NewFetcher(o.Fetch); err != nil {
		return crawler.RenderConfig{}, err
	}
	d.renderer, err = render.New(render.Config{Chromium: path, Dial: d.renderFetcher.Transport().DialContext, Workers: o.RenderWorkers},
		o.Logger, o.Metrics)
	if err != nil {
		return crawler.RenderConfig{}, err
	}
	return crawler.RenderConfig{
		Renderer:    d.renderer,
		Mode:        o.Render,
		Budget:      &crawler.RenderBudget{Total: o.RenderBudget, PerHost: o.RenderHostBudget, Window: o.Interval, Now: o.Now},
		Screenshots: o.Screenshots != ScreenshotsNever,
	}, nil
}

// onDemandRender is the render stage of a check someone asked for (the
// API's, the console's "check now", /probe): the crawl's renderer and
// mode, outside the crawl's budget, which paces a cycle of thousands of
// sites; those requests have their own rate limits.
func (d *Daemon) onDemandRender() crawler.RenderConfig {
	rc := d.render
	rc.Budget = nil
	return rc
}

// closeRender stops the browser and kills every process it started.
func (d *Daemon) closeRender() {
	if d.renderer != nil {
		_ = d.renderer.Close()
	}
	if d.renderFetcher != nil {
		d.renderFetcher.Close()
	}
}
