package crawler

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"time"

	"github.com/beianwatch/beianwatch/checker"
)

// Pipeline is the one way a check is made, the same for `beianwatch
// check` and for the scheduler: fetch the job's target, judge the page
// against the job's expectations and, with a scanner, scan the text the
// checker rendered. The zero value needs Fetch.
type Pipeline struct {
	// Fetch fetches a target: a Fetcher's or a Collector's Fetch.
	Fetch func(ctx context.Context, target string) (*checker.Page, error)
	// Scanner, if set, scans each judged page's visible text.
	Scanner Scanner
	// Recycle, if set, takes each page's body back once nothing shares
	// its memory (the collector's buffer pool).
	Recycle func(body []byte)
	// Now is the clock of a failed fetch's report (time.Now when nil).
	Now func() time.Time
	// Render, if it has a Renderer, renders the pages the static check
	// cannot judge and judges them again as the browser drew them.
	Render RenderConfig
	// Budget, if set, bounds the memory of bodies in flight: the body is
	// reserved in it as it is read, and given back once it is judged.
	Budget *Budget
}

// Run checks one job. It always returns an outcome: a fetch that fails
// is a report with the verdict "error", whose filing clock is still
// judged from the expectations (never "overdue" because a fetch failed);
// the fetch's error is returned as well, for the caller to count or
// explain. Outcome.Next is left to the caller.
func (p Pipeline) Run(ctx context.Context, j Job) (Outcome, error) {
	o := Outcome{Job: j}
	res := p.Budget.Open()
	defer res.Release()
	page, err := p.Fetch(withReservation(ctx, res), j.Target)
	if err != nil {
		var fe *FetchError
		u, status := j.Target, 0
		if errors.As(err, &fe) {
			u, status = fe.URL, fe.Status
		}
		now := time.Now
		if p.Now != nil {
			now = p.Now
		}
		o.Report = checker.Failed(j.Target, u, status, now(), err)
		o.Report.Deadlines = checker.UnseenDeadlines(j.Want, o.Report.CheckedAt)
		o.Report.Policy = checker.PolicyName(j.Want.Policy)
		return o, err
	}
	o.Addrs, o.CertNotAfter = page.Addrs, page.CertNotAfter
	sum := sha256.Sum256(page.Body)
	o.BodySHA256 = hex.EncodeToString(sum[:])
	var text string
	judged := p.Budget.judge(len(page.Body))
	defer judged()
	if p.Scanner != nil {
		// The text the checker rendered, so that the scan need not decode
		// and render the page again.
		o.Report, text = checker.CheckText(*page, j.Want)
	} else {
		o.Report = checker.Check(*page, j.Want)
	}
	if r, judged, err := p.Render.render(ctx, page, &o.Report, j.Want, p.Scanner != nil); err != nil {
		if o.Report.Verdict == checker.VerdictError && !errors.Is(err, errRenderBudget) {
			o.Report.Error += "; rendering failed: " + err.Error()
		}
	} else {
		if judged {
			o.Report, text = r.report, r.text
		}
		o.Screenshot = r.screenshot
	}
	for _, b := range o.Report.PSB {
		o.BadgeShown = o.BadgeShown || b.BadgeComplete()
	}
	if p.Scanner != nil && text != "" { // "": nothing was judged (an HTTP error answer)
		o.Matches = p.Scanner.Scan(text)
	}
	// Nothing from here on shares the body's memory: the report is
	// detached from it, and the scanner keeps nothing of the text.
	if p.Recycle != nil {
		p.Recycle(page.Body)
	}
	return o, nil
}
