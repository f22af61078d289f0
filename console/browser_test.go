package console_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/beianwatch/beianwatch/cases"
	"github.com/beianwatch/beianwatch/internal/chromium/chromiumtest"
)

var screenshots = flag.Bool("screenshots", false, "write the console's screenshots to docs/screenshots")

// screenshotDir is where -screenshots writes, from this package.
const screenshotDir = "../docs/screenshots"

// browser is one Chromium for the whole test, with what its pages did
// that they must not: open a dialog, throw, log to the console, or log an
// error (a Content-Security-Policy violation is one).
type browser struct {
	t   *testing.T
	ctx context.Context
	mu  sync.Mutex
	bad []string
}

// startBrowser launches Debian's chromium (internal/chromium finds it;
// chromiumtest.Need says what happens without one).
func startBrowser(t *testing.T) *browser {
	t.Helper()
	path := chromiumtest.Need(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("no-sandbox", os.Geteuid() == 0), chromedp.Flag("disable-gpu", true), chromedp.WindowSize(1280, 900))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(cancel)
	b := &browser{t: t, ctx: ctx}
	dialogs := make(chan struct{}, 16)
	err := chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *page.EventJavascriptDialogOpening:
			b.note("dialog: " + ev.Message)
			select {
			case dialogs <- struct{}{}:
			default:
			}
		case *runtime.EventExceptionThrown:
			b.note("exception: " + ev.ExceptionDetails.Text)
		case *runtime.EventConsoleAPICalled:
			b.note("console." + string(ev.Type))
		case *log.EventEntryAdded:
			// Network errors are the refusals the test asks for (403s).
			if ev.Entry.Level == log.EntryLevelError && ev.Entry.Source != log.EntrySourceNetwork {
				b.note(string(ev.Entry.Source) + ": " + ev.Entry.Text)
			}
		}
	})
	if err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	// A dialog would hold the page: close each, after noting it. The
	// channel is never closed: events may come until the browser is gone.
	go func() {
		for {
			select {
			case <-dialogs:
				chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
			case <-ctx.Done():
				return
			}
		}
	}()
	return b
}

func (b *browser) note(s string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.bad = append(b.bad, s)
}

// misdeeds returns what pages did that they must not.
func (b *browser) misdeeds() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.bad...)
}

// do runs the steps, failing the test on an error.
func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// submit clicks sel and waits for the page it loads: a page that holds
// the same elements as the one before cannot be waited for by them.
func (b *browser) submit(what, sel string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	if _, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel))); err != nil {
		b.t.Fatalf("%s: %v", what, err)
	}
}

// text is the visible text of the first element sel selects.
func (b *browser) text(sel string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, 60*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
	if err != nil {
		b.t.Fatalf("text of %s: %v", sel, err)
	}
	return strings.TrimSpace(s)
}

// count is how many elements sel selects now.
func (b *browser) count(sel string) int {
	b.t.Helper()
	n, err := chromedp.Run(b.ctx, chromedp.Evaluate[int](fmt.Sprintf(`document.querySelectorAll(%q).length`, sel)))
	if err != nil {
		b.t.Fatalf("count %s: %v", sel, err)
	}
	return n
}

// shot writes the page's screenshots at 1280 and 390 px wide, with
// -screenshots.
func (b *browser) shot(name string) {
	b.t.Helper()
	if !*screenshots {
		return
	}
	for _, w := range []int64{1280, 390} {
		b.do("set the viewport", chromedp.EmulateViewport(w, 800))
		png, err := chromedp.Run(b.ctx, chromedp.FullScreenshot(100))
		if err != nil {
			b.t.Fatalf("screenshot %s: %v", name, err)
		}
		if err := os.WriteFile(filepath.Join(screenshotDir, fmt.Sprintf("%s-%d.png", name, w)), png, 0o644); err != nil {
			b.t.Fatal(err)
		}
	}
	b.do("reset the viewport", chromedp.EmulateViewport(1280, 900))
}

// TestBrowser drives the console in Chromium, in one browser and one tab,
// as the compliance team would: log in, filter the sites, read a failing
// site's evidence, check a site again after its page was fixed, dismiss
// a case, import a file with a bad row; then, logged in with a read-only
// token, find no buttons and have POSTs refused. Throughout, no page may
// run a script: customer text that looks like markup stays text.
func TestBrowser(t *testing.T) {
	start := time.Now()
	b := startBrowser(t)
	e := startEnv(t)
	e.pages.set("/flip", footerPage("闽ICP备17023814号-9", ""))
	e.pages.set("/evil", footerPage("闽ICP备17023814号-8", `<img src=x onerror="alert(2)">`))
	e.pages.set("/good", footerPage("闽ICP备17023814号-5", ""))
	ids := e.register(t,
		site(t, "flip.example.cn", "翻转网站", "闽ICP备17023814号-1", e.pages.url("/flip")),
		site(t, "evil.example.cn", `<script>alert("name")</script>`, "闽ICP备17023814号-3", e.pages.url("/evil")),
		site(t, "good.example.cn", "正常网站", "闽ICP备17023814号-5", e.pages.url("/good")),
		site(t, "new.example.cn", "新网站", "闽ICP备17023814号-6", e.pages.url("/missing")))
	for _, id := range ids[:3] {
		if err := e.d.CheckSite(context.Background(), id); err != nil {
			t.Fatal(err)
		}
	}
	dismiss, keep := e.openCase(t, "evil.example.cn"), e.openCase(t, "flip.example.cn")
	admin, viewer := e.token(t, "ops", "admin"), e.token(t, "viewer", "read")
	csv := filepath.Join(t.TempDir(), "sites.csv")
	if err := os.WriteFile(csv, []byte("domains,site_name,icp_number\nimport.example.cn,导入网站,闽ICP备17023814号-7\nbad.example.cn,坏行,not-a-number\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	site := func(i int) string { return e.base + "/ui/sites/" + strconv.FormatInt(ids[i], 10) }

	// Log in.
	b.do("open the login page", chromedp.Navigate(e.base+"/ui/login?lang=en"), chromedp.WaitVisible(chromedp.ID("token")))
	b.shot("login")
	b.do("log in", chromedp.SendKeys(chromedp.ID("token"), admin), chromedp.Click(chromedp.ID("login")), chromedp.WaitVisible(chromedp.ID("verdicts")))
	if got := b.text("#token-name"); got != "ops" {
		t.Errorf("logged in as %q, want ops", got)
	}
	b.shot("overview")

	// Filter the sites: the failing ones, then a search by domain.
	b.do("fill the filter", chromedp.Navigate(e.base+"/ui/sites"), chromedp.WaitVisible(chromedp.ID("site-filters")),
		chromedp.SetValue(chromedp.ID("f-verdict"), "fail"))
	b.submit("filter failing sites", "#filter")
	list := b.text("#site-list")
	if !strings.Contains(list, "flip.example.cn") || !strings.Contains(list, "evil.example.cn") || strings.Contains(list, "good.example.cn") {
		t.Errorf("failing sites list:\n%s\nwant flip and evil, not good", list)
	}
	b.do("type a search", chromedp.SetValue(chromedp.ID("f-verdict"), ""), chromedp.SendKeys(chromedp.ID("q"), "good"))
	b.submit("search", "#filter")
	if list := b.text("#site-list"); !strings.Contains(list, "good.example.cn") || strings.Contains(list, "flip.example.cn") {
		t.Errorf("search 'good':\n%s\nwant good.example.cn alone", list)
	}
	b.do("list all", chromedp.Navigate(e.base+"/ui/sites"), chromedp.WaitVisible(chromedp.ID("site-list")))
	b.shot("sites")

	// A failing site's evidence, shown as source; its hostile name as text.
	b.do("open the failing site", chromedp.Navigate(e.base+"/ui/sites?verdict=fail&q=evil"),
		chromedp.Click(chromedp.CSS("a.site-link")), chromedp.WaitVisible(chromedp.ID("site-findings")))
	if got := b.text("#site-name"); got != `<script>alert("name")</script>` {
		t.Errorf("site name shown as %q, want the markup as text", got)
	}
	if ev := b.text("pre.evidence"); !strings.Contains(ev, `<img src="x" onerror="alert(2)"/>`) || !strings.Contains(ev, "闽ICP备17023814号-8") {
		t.Errorf("evidence shown as %q, want the badge block's source", ev)
	}
	if n := b.count("main img"); n != 0 {
		t.Errorf("the site page holds %d img elements: evidence was rendered", n)
	}
	b.shot("site")

	// Check now: the page is fixed, and the verdict follows.
	b.do("open the flipping site", chromedp.Navigate(site(0)), chromedp.WaitVisible(chromedp.ID("verdict")))
	if got := b.text("#verdict"); got != "fail" {
		t.Fatalf("flip.example.cn before the fix: %q, want fail", got)
	}
	e.pages.set("/flip", footerPage("闽ICP备17023814号-1", ""))
	b.do("check now", chromedp.Click(chromedp.ID("check-now")), chromedp.WaitVisible(chromedp.ID("checked")))
	if got := b.text("#verdict"); got != "pass" {
		t.Errorf("flip.example.cn after the fix and check now: %q, want pass", got)
	}

	// A case: open it from the list and dismiss it, with a reason.
	b.do("list cases", chromedp.Navigate(e.base+"/ui/cases"), chromedp.WaitVisible(chromedp.ID("case-list")))
	b.shot("cases")
	b.do("open the case", chromedp.Click(chromedp.CSS(fmt.Sprintf(`a.case-link[href="/ui/cases/%d"]`, dismiss.ID))),
		chromedp.WaitVisible(chromedp.ID("actions")))
	b.shot("case")
	b.do("dismiss the case", chromedp.SendKeys(chromedp.ID("reason"), "the page is a news report, not gambling"),
		chromedp.Click(chromedp.ID("action-dismiss")), chromedp.WaitVisible(chromedp.ID("done")))
	if got := b.text("#case-state"); got != "dismissed" {
		t.Errorf("case state after dismiss: %q, want dismissed", got)
	}
	if tl := b.text("#timeline"); !strings.Contains(tl, "console:ops") || !strings.Contains(tl, "news report") {
		t.Errorf("timeline %q: want the dismissal by console:ops with its reason", tl)
	}

	// Import: the dry run reports the bad row; the import takes the good one.
	b.do("dry-run an import", chromedp.Navigate(e.base+"/ui/import"), chromedp.WaitVisible(chromedp.ID("import-form")),
		chromedp.SetUploadFiles(chromedp.ID("file"), []string{csv}), chromedp.Click(chromedp.ID("dry-run")),
		chromedp.WaitVisible(chromedp.ID("import-rows")))
	if got := b.text(".row-error"); !strings.Contains(got, "icp_number") {
		t.Errorf("the bad row's error: %q, want one about icp_number", got)
	}
	b.shot("import")
	b.do("import the valid rows", chromedp.Click(chromedp.ID("do-import")), chromedp.WaitVisible(chromedp.ID("inserted")))
	if got := b.text("#inserted"); got != "1" {
		t.Errorf("inserted %q, want 1", got)
	}
	if _, _, err := e.st.SiteByDomain(context.Background(), "import.example.cn"); err != nil {
		t.Errorf("imported site: %v", err)
	}

	// A form posted without its CSRF token is refused.
	b.do("post without the CSRF token", chromedp.Navigate(site(2)), chromedp.WaitVisible(chromedp.ID("check-now")),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('form[action$="/check"] input[name=csrf]').remove()`),
		chromedp.Click(chromedp.ID("check-now")), chromedp.WaitVisible(chromedp.ID("error")))
	if got := b.text("#error"); !strings.Contains(got, "did not come from the console") {
		t.Errorf("POST without CSRF token: %q, want the CSRF refusal", got)
	}

	// Chinese, by switching.
	b.do("switch to Chinese", chromedp.Navigate(e.base+"/ui/?lang=zh"), chromedp.WaitVisible(chromedp.ID("verdicts")))
	if got := b.text("h1"); got != "概览" {
		t.Errorf("overview in Chinese: %q, want 概览", got)
	}
	b.shot("overview-zh")
	b.do("back to English", chromedp.Navigate(e.base+"/ui/?lang=en"), chromedp.WaitVisible(chromedp.ID("verdicts")))

	// A read-only token: no buttons, and POSTs refused.
	b.do("log out", chromedp.Click(chromedp.ID("logout")), chromedp.WaitVisible(chromedp.ID("token")))
	b.do("log in read-only", chromedp.SendKeys(chromedp.ID("token"), viewer), chromedp.Click(chromedp.ID("login")),
		chromedp.WaitVisible(chromedp.ID("verdicts")))
	b.do("open a site read-only", chromedp.Navigate(site(1)), chromedp.WaitVisible(chromedp.ID("site-findings")))
	if n := b.count("#check-now, form[action$='/check']"); n != 0 {
		t.Errorf("read-only site page has %d check-now buttons", n)
	}
	b.do("open a case read-only", chromedp.Navigate(fmt.Sprintf("%s/ui/cases/%d", e.base, keep.ID)), chromedp.WaitVisible(chromedp.ID("timeline")))
	if n := b.count("#actions, button.act"); n != 0 {
		t.Errorf("read-only case page has %d action elements", n)
	}
	if n := b.count("a[href='/ui/import']"); n != 0 {
		t.Errorf("read-only pages link to the import")
	}
	// The session's own CSRF token, on a form the page did not offer.
	b.do("post read-only", chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => {
		const f = document.createElement('form'); f.method = 'post'; f.action = '/ui/cases/%d/dismiss';
		for (const [k, v] of [['csrf', document.querySelector('input[name=csrf]').value], ['reason', 'not mine to dismiss']]) {
			const i = document.createElement('input'); i.type = 'hidden'; i.name = k; i.value = v; f.appendChild(i);
		}
		document.body.appendChild(f); f.submit();
	})()`, keep.ID)), chromedp.WaitVisible(chromedp.ID("error")))
	if got := b.text("#error"); !strings.Contains(got, "lacks the scope") {
		t.Errorf("read-only POST: %q, want the scope refusal", got)
	}
	if c, err := e.st.Case(context.Background(), keep.ID); err != nil || c.State != cases.Open {
		t.Errorf("case %d after a read-only dismissal: %v, %v; want it still open", keep.ID, c.State, err)
	}

	// Each write is in the audit log, by the token that made it.
	entries, err := e.st.ListAudit(context.Background(), 0, 100)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range entries {
		actions = append(actions, a.Token+" "+a.Action+" "+a.Object)
	}
	for _, want := range []string{"ops check.store site/" + strconv.FormatInt(ids[0], 10), fmt.Sprintf("ops case.dismiss case/%d", dismiss.ID), "ops site.import sites/1"} {
		if !slices.Contains(actions, want) {
			t.Errorf("audit log %q lacks %q", actions, want)
		}
	}

	if bad := b.misdeeds(); len(bad) > 0 {
		t.Errorf("pages ran script or logged errors:\n%s", strings.Join(bad, "\n"))
	}
	t.Logf("browser test: %v", time.Since(start).Round(time.Millisecond))
}
