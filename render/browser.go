package render

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"

	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/crawler"
	"github.com/beianwatch/beianwatch/internal/chromium"
)

// browser is one running Chromium.
type browser struct {
	ctx         context.Context // the browser's; done when it dies
	cancel      context.CancelFunc
	cancelAlloc context.CancelFunc
	profile     string
	pid         int
}

func startBrowser(cfg Config, proxyURL string) (*browser, error) {
	profile, err := chromium.NewProfile()
	if err != nil {
		return nil, err
	}
	opts := chromium.AllocatorOptions(chromium.Config{
		Path: cfg.Chromium, Profile: profile, Proxy: proxyURL,
		HeapMB: cfg.HeapMB, Renderers: 2 * cfg.Workers,
	})
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	b := &browser{ctx: ctx, cancel: cancel, cancelAlloc: cancelAlloc, profile: profile}
	if err := chromedp.Do(ctx); err != nil {
		b.close()
		return nil, err
	}
	if c := chromedp.FromContext(ctx); c != nil && c.Browser != nil && c.Browser.Process() != nil {
		b.pid = c.Browser.Process().Pid
	}
	return b, nil
}

// died reports whether the browser is gone. The connection's loss is
// seen a moment after a command fails on it, so it waits that moment.
func (b *browser) died() bool {
	select {
	case <-b.ctx.Done():
		return true
	case <-time.After(time.Second):
		return false
	}
}

// close stops the browser and kills whatever of it is left: its process
// group, then anything still using its profile.
func (b *browser) close() {
	b.cancel()
	b.cancelAlloc()
	chromium.KillGroup(b.pid)
	_ = chromium.RemoveProfile(b.profile)
}

// settleScript notes the time of the DOM's last change, from the first
// moment of every document.
const settleScript = `(() => {
  window.__beianwatchChanged = performance.now();
  new MutationObserver(() => { window.__beianwatchChanged = performance.now(); })
    .observe(document, {subtree: true, childList: true, characterData: true, attributes: true});
})();`

// renderPage renders u in a fresh browser context (its own cookies,
// storage and cache, all in memory and gone with it), whose connections
// go through proxyURL when it is set (a pinned render's own proxy).
func (b *browser) renderPage(ctx context.Context, cfg Config, u *url.URL, proxyURL string, judge func(*checker.Page) bool) (crawler.Rendering, error) {
	ctx, cancel := context.WithTimeout(ctx, cfg.Timeout)
	defer cancel()
	tab, closeTab := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext(func(p *target.CreateBrowserContextParams) {
		if proxyURL != "" { // else the browser's --proxy-server
			p.ProxyServer, p.ProxyBypassList = proxyURL, chromium.ProxyBypass
		}
	}))
	defer closeTab()
	// The tab is the browser's child; ctx's end must end it too.
	stop := context.AfterFunc(ctx, closeTab)
	defer stop()
	idle, err := prepareTab(tab)
	if err != nil {
		return crawler.Rendering{}, cause(ctx, err)
	}
	// Loading and settling get Settle; what is left of Timeout reads the
	// DOM of a page still busy then, and takes the screenshot.
	soft, cancelSoft := context.WithTimeout(tab, cfg.Settle)
	defer cancelSoft()
	if err := chromedp.Do(soft, chromedp.Navigate(u.String())); err != nil && soft.Err() == nil {
		return crawler.Rendering{}, cause(ctx, err)
	}
	settle(tab, soft, idle, cfg.Quiet)
	p, err := snapshot(tab, u)
	if err != nil {
		return crawler.Rendering{}, cause(ctx, err)
	}
	var res crawler.Rendering
	if judge(p) {
		res.Screenshot = screenshot(tab, cfg.MaxScreenshot)
	}
	return res, nil
}

// prepareTab opens the tab, denies downloads, blocks file:// and installs
// what settle watches: idle gets a token at each networkIdle.
func prepareTab(tab context.Context) (idle chan struct{}, err error) {
	if err := chromedp.Do(tab); err != nil { // opens the tab
		return nil, fmt.Errorf("open tab: %w", err)
	}
	idle = make(chan struct{}, 1)
	if err := chromedp.Listen(tab, func(ev any) {
		if e, ok := ev.(*page.EventLifecycleEvent); ok && e.Name == "networkIdle" {
			select {
			case idle <- struct{}{}:
			default:
			}
		}
	}); err != nil {
		return nil, err
	}
	if _, err := chromedp.CallBrowser(tab, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorDeny, BrowserContextID: chromedp.FromContext(tab).BrowserContextID,
	}); err != nil {
		return nil, fmt.Errorf("deny downloads: %w", err)
	}
	if _, err := chromedp.Call(tab, network.Enable, network.EnableParams{}); err != nil {
		return nil, err
	}
	// Pages cannot reach file:// from http(s) anyway; this also covers a
	// redirect or a frame that tries.
	if _, err := chromedp.Call(tab, network.SetBlockedURLs, network.SetBlockedURLsParams{
		URLPatterns: []*network.BlockPattern{{URLPattern: "file://*", Block: true}},
	}); err != nil {
		return nil, fmt.Errorf("block file URLs: %w", err)
	}
	if _, err := chromedp.Call(tab, page.SetLifecycleEventsEnabled, page.SetLifecycleEventsEnabledParams{Enabled: true}); err != nil {
		return nil, err
	}
	_, err = chromedp.Call(tab, page.AddScriptToEvaluateOnNewDocument, page.AddScriptToEvaluateOnNewDocumentParams{Source: settleScript})
	return idle, err
}

// snapshot returns the page as the browser drew it, for the checker.
func snapshot(tab context.Context, u *url.URL) (*checker.Page, error) {
	dom, err := chromedp.Run(tab, chromedp.Evaluate[domSnapshot](`({html: document.documentElement.outerHTML, url: location.href})`))
	if err != nil {
		return nil, fmt.Errorf("read DOM: %w", err)
	}
	final, err := url.Parse(dom.URL)
	if err != nil || (final.Scheme != "http" && final.Scheme != "https") {
		final = u // an error page (chrome-error://) is judged under the URL asked for
	}
	return &checker.Page{
		URL: final, Status: http.StatusOK,
		// The DOM is serialised as UTF-8, whatever the page's charset was.
		Header:    http.Header{"Content-Type": {"text/html; charset=utf-8"}},
		Body:      []byte("<!DOCTYPE html>" + dom.HTML),
		FetchedAt: time.Now(),
	}, nil
}

// settle waits until the network has been idle and the DOM unchanged for
// quiet, or ctx ends (the cap: the page is then taken as it stands).
func settle(tab, ctx context.Context, idle <-chan struct{}, quiet time.Duration) {
	if ctx.Err() != nil {
		return
	}
	tick := time.NewTicker(quiet / 4)
	defer tick.Stop()
	networkIdle := false
	for {
		select {
		case <-ctx.Done():
			return
		case <-idle:
			networkIdle = true
		case <-tick.C:
		}
		if !networkIdle {
			continue
		}
		since, err := chromedp.Run(tab, chromedp.Evaluate[float64](`performance.now() - (window.__beianwatchChanged || 0)`))
		if err != nil || time.Duration(since*float64(time.Millisecond)) >= quiet {
			return
		}
	}
}

// cause prefers the context's error: a cap reached shows as a closed tab.
func cause(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w (%w)", ctx.Err(), err)
	}
	return err
}

// footerHeight is the height of the bottom strip a screenshot keeps, in
// CSS pixels: where filing numbers and badges sit.
const footerHeight = 600

// screenshot returns a PNG of the bottom of the page, or nil if none fits
// in max bytes.
func screenshot(tab context.Context, max int) []byte {
	size, err := chromedp.Run(tab, chromedp.Evaluate[[2]float64](
		`[document.documentElement.scrollWidth, Math.max(document.documentElement.scrollHeight, document.body ? document.body.scrollHeight : 0)]`))
	if err != nil {
		return nil
	}
	w, h := math.Min(math.Max(size[0], 1), 1280), math.Max(size[1], 1)
	top := math.Max(0, h-footerHeight)
	for _, scale := range []float64{1, 0.5} {
		beyond := true
		shot, err := chromedp.Call(tab, page.CaptureScreenshot, page.CaptureScreenshotParams{
			Format: page.CaptureScreenshotFormatPng, CaptureBeyondViewport: &beyond,
			Clip: &page.Viewport{X: 0, Y: top, Width: w, Height: h - top, Scale: scale},
		})
		if err != nil {
			return nil
		}
		if len(shot.Data) <= max {
			return shot.Data
		}
	}
	return nil
}

// domSnapshot is the rendered page.
type domSnapshot struct {
	HTML string `json:"html"`
	URL  string `json:"url"`
}
