package crawler

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/beianwatch/beianwatch/checker"
)

// Renderer loads a page in a browser; *render.Renderer is one. Render
// calls judge with the page as the browser drew it (its DOM once the
// scripts have run) while the page is still open, and, if judge says so,
// keeps a screenshot of it as evidence.
type Renderer interface {
	Render(ctx context.Context, url string, judge func(*checker.Page) (screenshot bool)) (Rendering, error)
}

// Rendering is what a render kept.
type Rendering struct {
	// Screenshot is a PNG of the page's footer region, when judge asked
	// for one and it could be taken (nil otherwise).
	Screenshot []byte
}

// RenderMode says which pages are rendered.
type RenderMode string

// Render modes, as the --render flags spell them.
const (
	// RenderAuto renders only the pages the static check cannot judge
	// (checker.NeedsRendering).
	RenderAuto RenderMode = "auto"
	// RenderAlways renders every page that was fetched.
	RenderAlways RenderMode = "always"
	// RenderNever renders nothing.
	RenderNever RenderMode = "never"
)

// ParseRenderMode reads a --render value.
func ParseRenderMode(s string) (RenderMode, error) {
	switch m := RenderMode(s); m {
	case RenderAuto, RenderAlways, RenderNever:
		return m, nil
	}
	return "", fmt.Errorf("render mode %q: want auto, always or never", s)
}

// RenderBudget bounds the renders of a cycle (Window), in total and for
// each host, so that a browser is paid for only where it is needed. The
// zero value, and a nil *RenderBudget, allow everything.
type RenderBudget struct {
	// Total is the most renders a cycle; zero means no limit.
	Total int
	// PerHost is the most renders of one host a cycle; zero means no
	// limit.
	PerHost int
	// Window is the length of a cycle; zero means 24 hours.
	Window time.Duration
	// Now is the clock (time.Now when nil).
	Now func() time.Time

	mu    sync.Mutex
	start time.Time
	used  int
	hosts map[string]int
}

// Take spends one render on host, and reports whether the budget allowed
// it.
func (b *RenderBudget) Take(host string) bool {
	if b == nil {
		return true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	now := time.Now
	if b.Now != nil {
		now = b.Now
	}
	window := b.Window
	if window <= 0 {
		window = 24 * time.Hour
	}
	if t := now(); b.hosts == nil || t.Sub(b.start) >= window {
		b.start, b.used, b.hosts = t, 0, map[string]int{}
	}
	if (b.Total > 0 && b.used >= b.Total) || (b.PerHost > 0 && b.hosts[host] >= b.PerHost) {
		return false
	}
	b.used++
	b.hosts[host]++
	return true
}

// RenderConfig is the render stage of a Pipeline. The zero value renders
// nothing.
type RenderConfig struct {
	Renderer Renderer
	// Mode picks the pages rendered; "" means RenderAuto.
	Mode RenderMode
	// Budget, if set, bounds the renders.
	Budget *RenderBudget
	// Screenshots keeps a screenshot of every rendered page that fails.
	// (Pages that fail the static check are rendered, and so shot, only
	// with RenderAlways: a browser for every failing page would cost more
	// than the evidence is worth on a farm of sites.)
	Screenshots bool
}

// rendered is what the render stage makes of a page.
type rendered struct {
	report     checker.Report
	text       string
	screenshot []byte
}

// render runs the render stage on a page the static check judged as r:
// the rendered page's report and, if it fails, a screenshot. judged is
// false when nothing was rendered.
func (rc RenderConfig) render(ctx context.Context, page *checker.Page, r *checker.Report, want checker.Expect, wantText bool) (out rendered, judged bool, err error) {
	if rc.Renderer == nil || rc.Mode == RenderNever || page.URL == nil || page.Status >= 300 {
		return out, false, nil
	}
	if rc.Mode != RenderAlways && !checker.NeedsRendering(r) {
		return out, false, nil
	}
	if !rc.Budget.Take(page.URL.Hostname()) {
		return out, false, errRenderBudget
	}
	res, err := rc.Renderer.Render(ctx, page.URL.String(), func(rp *checker.Page) bool {
		rp.Addrs, rp.Status = page.Addrs, page.Status
		if wantText {
			out.report, out.text = checker.CheckText(*rp, want)
		} else {
			out.report = checker.Check(*rp, want)
		}
		out.report.Rendered = true
		return rc.Screenshots && out.report.Verdict == checker.VerdictFail
	})
	if err != nil {
		return rendered{}, false, err
	}
	out.screenshot = res.Screenshot
	return out, true, nil
}

// errRenderBudget says the render budget was spent; the static report
// stands.
var errRenderBudget = fmt.Errorf("render budget spent")
