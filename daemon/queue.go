package daemon

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/crawler"
	"github.com/beianwatch/beianwatch/registry"
)

// storeQueue lets the crawler's scheduler lease sites from the registry
// and store its outcomes there; it only translates between the two.
type storeQueue struct {
	st     *registry.Store
	logger *slog.Logger
	// providerRanges are --provider-ranges, judged on every site.
	providerRanges []netip.Prefix
	// policy is the default policy (nil: the built-in one), byTag the
	// policies of sites carrying a tag (Options.TagPolicies).
	policy *checker.Policy
	byTag  map[string]*checker.Policy
	// alerting, when set, decides each check's alert changes, stored with
	// the check.
	alerting registry.ChangeFunc
	// cases, when set, acts on each stored check (rectifications, the
	// lexicon's suspected takedowns).
	cases *caseWork
	// dueBy, when set (serve --once), bounds Due to the sites due at that
	// time: a run checks what was due when it started, and ends even if
	// an interval shorter than the run makes sites due again.
	dueBy time.Time
	// health records whether leases and stores succeed, for /readyz.
	health *writeHealth
}

var _ crawler.Queue = (*storeQueue)(nil)

func (q *storeQueue) Lease(ctx context.Context, owner string, n int, ttl time.Duration) ([]crawler.Job, error) {
	leases, err := q.st.Lease(ctx, owner, n, ttl)
	q.health.record(ctx, err)
	if err != nil {
		return nil, err
	}
	jobs := make([]crawler.Job, 0, len(leases))
	for _, l := range leases {
		want := q.expect(l.Site, l.State)
		jobs = append(jobs, crawler.Job{
			SiteID:     l.Site.ID,
			Target:     target(l.Site),
			Want:       want,
			Failures:   l.State.ConsecutiveFailures,
			FirstCheck: l.State.LastCheckAt.IsZero(),
		})
	}
	return jobs, nil
}

// expect is what the site must show, judged under its policy.
func (q *storeQueue) expect(s *registry.Site, st *registry.State) checker.Expect {
	want := s.Expect(st)
	want.ProviderRanges = q.providerRanges
	want.Policy = q.policyFor(s.Tags)
	return want
}

// policyFor is the policy of a site with these tags: that of its first
// tag (in the site's own order) that has one, else the default.
func (q *storeQueue) policyFor(tags []string) *checker.Policy {
	for _, t := range tags {
		if p, ok := q.byTag[t]; ok {
			return p
		}
	}
	return q.policy
}

// target is the page to check: the site's check URL, else its first
// domain (tried over https:// and then http://).
func target(s *registry.Site) string {
	if s.CheckURL != "" {
		return s.CheckURL
	}
	if len(s.Domains) > 0 {
		return s.Domains[0].ASCII
	}
	return ""
}

func (q *storeQueue) Complete(ctx context.Context, owner string, o crawler.Outcome) error {
	r := o.Report
	res := registryResult(o)
	var err error
	if q.alerting != nil {
		err = q.st.CompleteAlerting(ctx, owner, res, o.Next, r.Deadlines, o.BadgeShown, q.alerting)
	} else {
		err = q.st.Complete(ctx, owner, res, o.Next, r.Deadlines, o.BadgeShown)
	}
	if !errors.Is(err, registry.ErrLeaseLost) {
		q.health.record(ctx, err) // a lost lease was a write the registry took
	}
	if err == nil && q.cases != nil {
		q.cases.afterCheck(ctx, o)
	}
	if errors.Is(err, registry.ErrLeaseLost) {
		// Our lease ran out and another replica took the site: its check
		// counts, ours is dropped (no retry).
		q.logger.Warn("lease lost before the result was stored; dropping it", "site", o.Job.SiteID)
		return nil
	}
	return err
}

// registryResult is the registry's record of an outcome.
func registryResult(o crawler.Outcome) registry.Result {
	r := o.Report
	return registry.Result{
		SiteID:     o.Job.SiteID,
		CheckedAt:  r.CheckedAt,
		Target:     o.Job.Target,
		FinalURL:   r.URL,
		HTTPStatus: r.HTTPStatus,
		Verdict:    r.Verdict,
		Findings:   r.Findings,
		Evidence:   evidence(r.Findings),
		BodySHA256: o.BodySHA256,
		Duration:   o.Duration,
		Error:      r.Error,
		Policy:     r.Policy,
		Numbers:    shownNumbers(&r),
	}
}

// shownNumbers are the ICP and PSB numbers the page shows, each once,
// sorted: a history entry changes when they do.
func shownNumbers(r *checker.Report) string {
	var ns []string
	for _, n := range r.ICP {
		ns = append(ns, cmp.Or(n.Number, n.Text))
	}
	for _, n := range r.PSB {
		ns = append(ns, cmp.Or(n.Number, n.Text))
	}
	slices.Sort(ns)
	return strings.Join(slices.Compact(ns), " ")
}

// batchQueue is a storeQueue that also stores outcomes in batches, one
// transaction for each (registry.CompleteBatchAlerting, which decides the
// alerts of each check in it when alerting is on).
type batchQueue struct{ *storeQueue }

var _ crawler.BatchQueue = batchQueue{}

// caseWorkers bounds the case work run at once after a batch: it reads
// the registry, and a batch's worth of reads one after the other would
// hold up the next batch.
const caseWorkers = 8

func (q batchQueue) CompleteBatch(ctx context.Context, owner string, os []crawler.Outcome) error {
	cs := make([]registry.Completion, len(os))
	for i, o := range os {
		cs[i] = registry.Completion{Result: registryResult(o), Next: o.Next, Deadlines: o.Report.Deadlines, BadgeShown: o.BadgeShown}
	}
	errs, err := q.st.CompleteBatchAlerting(ctx, owner, cs, q.alerting)
	q.health.record(ctx, err)
	if err != nil {
		return err
	}
	var stored []crawler.Outcome
	for i, err := range errs {
		switch {
		case err == nil:
			stored = append(stored, os[i])
		case errors.Is(err, registry.ErrLeaseLost):
			// As in Complete: another replica's check counts.
			q.logger.Warn("lease lost before the result was stored; dropping it", "site", os[i].Job.SiteID)
		case err != nil:
			// The site is gone from the registry: nothing to store it in.
			q.logger.Warn("site gone before the result was stored; dropping it", "site", os[i].Job.SiteID, "err", err)
		}
	}
	if q.cases != nil {
		q.cases.afterBatch(ctx, stored, caseWorkers)
	}
	return nil
}

// evidence keeps the first error finding's evidence (else the first
// finding's): the badge block that explains the verdict.
func evidence(fs []checker.Finding) string {
	for _, f := range fs {
		if f.Severity == checker.SeverityError && f.Evidence != "" {
			return f.Evidence
		}
	}
	for _, f := range fs {
		if f.Evidence != "" {
			return f.Evidence
		}
	}
	return ""
}

func (q *storeQueue) Release(ctx context.Context, owner string, jobs []crawler.Job) error {
	ids := make([]int64, len(jobs))
	for i, j := range jobs {
		ids[i] = j.SiteID
	}
	return q.st.Release(ctx, owner, ids)
}

func (q *storeQueue) Due(ctx context.Context) (int, error) {
	if !q.dueBy.IsZero() {
		return q.st.DueCount(ctx, q.dueBy)
	}
	return q.st.DueCount(ctx, time.Now())
}
