package main

import (
	"errors"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/beianwatch/beianwatch/crawler"
	"github.com/beianwatch/beianwatch/internal/chromium"
	"github.com/beianwatch/beianwatch/render"
)

// renderFlag is --render, shared by check and serve.
type renderFlag struct{ mode crawler.RenderMode }

func (f *renderFlag) String() string { return string(f.mode) }
func (f *renderFlag) Type() string   { return "auto|always|never" }
func (f *renderFlag) Set(s string) error {
	m, err := crawler.ParseRenderMode(s)
	if err != nil {
		return errors.New("want auto, always or never")
	}
	f.mode = m
	return nil
}

func addRenderFlag(f *pflag.FlagSet, r *renderFlag) {
	r.mode = crawler.RenderAuto
	f.Var(r, "render", "render pages in headless Chromium: auto (only those drawn by script), always or never")
}

// newRenderer builds the renderer for mode, dialling under cfg's address
// policy. It returns nil for --render never, and for auto when no browser
// is installed (with a warning: pages drawn by script stay "error").
func (a *app) newRenderer(mode crawler.RenderMode, cfg crawler.FetchConfig, workers int) (*render.Renderer, func(), error) {
	if mode == crawler.RenderNever {
		return nil, func() {}, nil
	}
	path, err := chromium.Find()
	if err != nil {
		if mode == crawler.RenderAuto {
			fmt.Fprintf(a.stderr, "beianwatch: warning: %v; pages drawn by script are not rendered (--render never silences this)\n", err)
			return nil, func() {}, nil
		}
		return nil, nil, fmt.Errorf("--render %s: %w", mode, err)
	}
	// A Fetcher of its own, for its dialer: the browser's connections
	// obey the same address policy and resolve rules as the crawl's.
	f, err := crawler.NewFetcher(cfg)
	if err != nil {
		return nil, nil, err
	}
	r, err := render.New(render.Config{Chromium: path, Dial: f.Transport().DialContext, Workers: workers}, a.logger, a.metrics)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return r, func() { r.Close(); f.Close() }, nil
}
