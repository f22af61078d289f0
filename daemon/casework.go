package daemon

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/beianwatch/beianwatch/alerts"
	"github.com/beianwatch/beianwatch/cases"
	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/crawler"
	"github.com/beianwatch/beianwatch/lexicon"
	"github.com/beianwatch/beianwatch/registry"
)

// caseStore is what the case work reads and changes in the registry;
// *registry.Store is one. Every move of a case goes through the store,
// which checks it against the case as stored (cases.Apply) in one
// transaction: the case work decides when to ask, never what is legal.
type caseStore interface {
	// Sites and their history.
	SiteByID(ctx context.Context, id int64) (*registry.Site, *registry.State, error)
	Results(ctx context.Context, siteID int64, limit int) ([]registry.Result, error)
	// Cases.
	OpenCase(ctx context.Context, c cases.Case, actor string) (cases.Case, error)
	ListCases(ctx context.Context, f registry.CaseFilter) ([]cases.Case, error)
	SitesWithActiveCases(ctx context.Context, k cases.Kind, siteIDs []int64) (map[int64]bool, error)
	TransitionCase(ctx context.Context, id int64, u cases.Update) (cases.Case, error)
	RecountDeadline(ctx context.Context, id int64, cal cases.Calendar, actor string) (cases.Case, bool, error)
	// Periodic work, each item claimed by one replica.
	LeaseCaseVerifications(ctx context.Context, owner string, n int, ttl time.Duration, now time.Time) ([]cases.Case, error)
	SaveVerification(ctx context.Context, owner string, id int64, next time.Time, vs ...cases.Verification) error
	DueOverdue(ctx context.Context, now time.Time, limit int) ([]cases.Case, error)
	ClaimEscalation(ctx context.Context, owner string, n int, requireConfirmation bool, now time.Time) ([]cases.Case, error)
	RecordEscalation(ctx context.Context, id int64, owner string, result cases.Escalation, response string, at time.Time) error
	// Alerts about cases, queued in the outbox.
	RecordAlerts(ctx context.Context, changes []registry.AlertChange) error
}

var _ caseStore = (*registry.Store)(nil)

// caseWork is the daemon's part in cases: it opens rectifications when a
// site keeps failing and fixes them when it passes, opens suspected
// takedowns from the lexicon, re-fetches takedown URLs, turns cases
// overdue at their deadline and calls the escalation webhook once.
type caseWork struct {
	st     caseStore
	policy cases.Policy
	cal    cases.Calendar
	// autoRectify opens and fixes rectifications by itself.
	autoRectify bool
	lex         *lexicon.Lexicon
	// fetch re-fetches a takedown URL, through the crawler's safe client.
	fetch func(ctx context.Context, target string) (*checker.Page, error)
	esc   *escalation
	owner string
	// route says which alert receivers hear of a case; nil: no alerts.
	route  func(alerts.Alert) []string
	logger *slog.Logger
	now    func() time.Time

	fixDuration prometheus.Histogram
	caseErrors  prometheus.Counter
}

func newCaseWork(w caseWork, reg prometheus.Registerer) (*caseWork, error) {
	w.fixDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "beianwatch_case_fix_duration_seconds",
		Help:    "Time from a case's first notice (else its opening) to its verified fix.",
		Buckets: []float64{3600, 4 * 3600, 12 * 3600, 86400, 2 * 86400, 3 * 86400, 7 * 86400, 14 * 86400, 30 * 86400},
	})
	w.caseErrors = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "beianwatch_case_errors_total",
		Help: "Case work (verification, overdue, escalation, automatic opening) that failed and will be tried again.",
	})
	for _, c := range []prometheus.Collector{w.fixDuration, w.caseErrors} {
		if err := reg.Register(c); err != nil {
			return nil, err
		}
	}
	if w.now == nil {
		w.now = time.Now
	}
	return &w, nil
}

func (w *caseWork) actor() string { return "serve:" + w.owner }

// recountProvisional counts every active case's provisional deadline
// again on the current calendar; each change goes into the case's history
// (cases.Recount says how, and never gives a customer an earlier deadline
// than the one they were told). A failure is logged: the next start tries
// again, and a provisional deadline still stands meanwhile.
func (w *caseWork) recountProvisional(ctx context.Context) {
	cs, err := w.st.ListCases(ctx, registry.CaseFilter{Active: true, Provisional: true})
	if err != nil {
		w.caseErrors.Inc()
		w.logger.Warn("reading provisional deadlines failed; the next start tries again", "err", err)
		return
	}
	n := 0
	for _, c := range cs {
		got, changed, err := w.st.RecountDeadline(ctx, c.ID, w.cal, w.actor())
		if err != nil {
			w.caseErrors.Inc()
			w.logger.Warn("counting a provisional deadline again failed; the next start tries again", "case", c.ID, "err", err)
			continue
		}
		if changed {
			n++
			w.logger.Info("provisional deadline counted again", "case", c.ID, "provisional", len(got.Provisional) > 0)
		}
	}
	if len(cs) > 0 {
		w.logger.Info("provisional deadlines checked", "cases", len(cs), "changed", n)
	}
}

// afterCheck acts on a stored check of a site: the lexicon's matches open
// a suspected takedown; a site failing OpenAfter checks in a row opens a
// rectification; a passing one fixes its open rectifications. It runs
// after the check is stored; what it misses (a crash in between) the next
// check of the site does, since each decision rests on stored state. A
// passing check costs one indexed query; the site itself is read only
// when a case opens.
func (w *caseWork) afterCheck(ctx context.Context, o crawler.Outcome) {
	w.act(ctx, o, nil)
}

// afterBatch is afterCheck for a batch of stored checks: one query says
// which of the sites have an active rectification, so that a passing
// site without one costs nothing more; the rest goes case by case, at
// most workers at a time.
func (w *caseWork) afterBatch(ctx context.Context, os []crawler.Outcome, workers int) {
	var active map[int64]bool
	if w.autoRectify {
		ids := make([]int64, 0, len(os))
		for _, o := range os {
			ids = append(ids, o.Job.SiteID)
		}
		var err error
		if active, err = w.st.SitesWithActiveCases(ctx, cases.Rectification, ids); err != nil {
			w.fail("rectification", 0, err)
			return
		}
	}
	var todo []crawler.Outcome
	for _, o := range os {
		if w.needsWork(o, active) {
			todo = append(todo, o)
		}
	}
	var wg sync.WaitGroup
	slots := make(chan struct{}, max(workers, 1))
	for _, o := range todo {
		slots <- struct{}{}
		wg.Go(func() {
			defer func() { <-slots }()
			w.act(ctx, o, active)
		})
	}
	wg.Wait()
}

// needsWork says whether a stored check may move a case: a lexicon match,
// a site with an active rectification, or a failure that may open one.
func (w *caseWork) needsWork(o crawler.Outcome, active map[int64]bool) bool {
	if ms := o.Matches; len(ms) > 0 {
		return true
	}
	if !w.autoRectify || o.Report.Verdict == checker.VerdictError {
		return false
	}
	if active[o.Job.SiteID] {
		return true
	}
	// A site's first check is all its history: it opens a case only if
	// one failing check is enough. (Saves a history read for every
	// failing site in the first cycle over a freshly imported registry.)
	if o.Job.FirstCheck && w.policy.OpenAfter > 1 {
		return false
	}
	return o.Report.Verdict == checker.VerdictFail && len(w.policy.Matching(o.Report.Findings)) > 0
}

// act acts on one stored check; active, when not nil, says which sites
// have an active rectification (nil: look the site up).
func (w *caseWork) act(ctx context.Context, o crawler.Outcome, active map[int64]bool) {
	id := o.Job.SiteID
	if ms := o.Matches; len(ms) > 0 {
		if err := w.suspect(ctx, o, ms); err != nil {
			w.fail("open a suspected takedown", id, err)
		}
	}
	if !w.autoRectify || o.Report.Verdict == checker.VerdictError {
		return
	}
	if err := w.rectify(ctx, id, o.Report, active == nil || active[id], true); err != nil {
		w.fail("rectification", id, err)
	}
}

// afterOnDemand acts on a stored check made on demand (the console's
// "check now", the API's checks): it fixes the site's rectifications the
// check no longer finds, so that a customer's fix counts as soon as
// someone checks it. It opens nothing: the policy's "failing checks in a
// row" is counted on the schedule's clock, not on how often someone
// asks.
func (w *caseWork) afterOnDemand(ctx context.Context, o crawler.Outcome) {
	id := o.Job.SiteID
	if !w.autoRectify || o.Report.Verdict == checker.VerdictError {
		return
	}
	if err := w.rectify(ctx, id, o.Report, true, false); err != nil {
		w.fail("rectification", id, err)
	}
}

func (w *caseWork) fail(what string, site int64, err error) {
	w.caseErrors.Inc()
	w.logger.Warn("case work failed; the next check tries again", "what", what, "site", site, "err", err)
}

// rectify fixes the site's active rectifications that the check r no
// longer finds, and, if mayOpen, opens one when the site keeps failing.
// mayHave false says the site has no active rectification (asked for a
// whole batch).
func (w *caseWork) rectify(ctx context.Context, siteID int64, r checker.Report, mayHave, mayOpen bool) error {
	var open []cases.Case
	if mayHave {
		var err error
		if open, err = w.st.ListCases(ctx, registry.CaseFilter{Kind: cases.Rectification, SiteID: siteID, Active: true}); err != nil {
			return err
		}
	}
	fresh := cases.Check{Verdict: r.Verdict, Findings: r.Findings}
	for _, c := range open {
		if !cases.ShouldFix(c, fresh) {
			continue
		}
		fixed, err := w.st.TransitionCase(ctx, c.ID, cases.Update{To: cases.Fixed, At: r.CheckedAt, Actor: w.actor(),
			Reason: "a fresh check of the site no longer finds " + strings.Join(c.Codes, ", ")})
		if movedMeanwhile(err) {
			continue
		}
		if err != nil {
			return err
		}
		w.fixed(ctx, fixed)
	}
	if !mayOpen || len(open) > 0 || r.Verdict != checker.VerdictFail || len(w.policy.Matching(r.Findings)) == 0 {
		return nil
	}
	results, err := w.st.Results(ctx, siteID, 4*w.policy.OpenAfter)
	if err != nil {
		return err
	}
	history := checksOf(results, 4*w.policy.OpenAfter)
	codes, ok := w.policy.ShouldOpen(history)
	if !ok {
		return nil
	}
	site, _, err := w.st.SiteByID(ctx, siteID)
	if err != nil {
		return err
	}
	deadline, err := w.policy.Deadline(cases.Rectification, r.CheckedAt, w.cal)
	if err != nil {
		return fmt.Errorf("deadline: %w", err)
	}
	nc := cases.Case{Kind: cases.Rectification, Domain: primary(site), Category: cases.Category(codes[0]),
		Codes: codes, Reporter: "beianwatch", State: cases.Open, CreatedAt: r.CheckedAt,
		Notes: fmt.Sprintf("opened after %d failing checks in a row", w.policy.OpenAfter)}
	nc.SetDeadline(deadline)
	c, err := w.st.OpenCase(ctx, nc, w.actor())
	if err != nil {
		return err
	}
	w.logger.Info("rectification opened", "case", c.ID, "site", siteID, "codes", codes, "provisional", len(c.Provisional) > 0)
	w.alert(ctx, c, alerts.RuleCaseOpened, true)
	return nil
}

func (w *caseWork) suspect(ctx context.Context, o crawler.Outcome, ms []lexicon.Match) error {
	target := o.Report.URL
	if target == "" {
		target = o.Job.Target
	}
	// One suspected or open takedown per page: a page that keeps matching
	// does not pile up cases while a person decides.
	open, err := w.st.ListCases(ctx, registry.CaseFilter{Kind: cases.Takedown, SiteID: o.Job.SiteID, Active: true})
	if err != nil {
		return err
	}
	for _, c := range open {
		if slices.Contains(c.URLs, target) {
			return nil
		}
	}
	site, _, err := w.st.SiteByID(ctx, o.Job.SiteID)
	if err != nil {
		return err
	}
	var phrases []string
	for _, m := range ms {
		phrases = append(phrases, m.Phrase)
	}
	c, err := w.st.OpenCase(ctx, cases.Case{Kind: cases.Takedown, Domain: primary(site), URLs: []string{target},
		Category: cases.Category(ms[0].Category), EvidencePhrases: phrases, EvidenceSHA256: []string{o.BodySHA256},
		Reporter: "lexicon", State: cases.Suspected, CreatedAt: o.Report.CheckedAt,
		Notes: "lexicon " + w.lex.Name() + " matched; confirm (case confirm) or dismiss (case dismiss)"}, "lexicon")
	if err != nil {
		return err
	}
	w.logger.Info("suspected takedown opened", "case", c.ID, "site", site.ID, "phrases", len(phrases))
	w.alert(ctx, c, alerts.RuleCaseOpened, true)
	return nil
}

// movedMeanwhile says a case move failed because another replica or a
// person moved the case first: nothing to do.
func movedMeanwhile(err error) bool {
	var te *cases.TransitionError
	return errors.As(err, &te) || errors.Is(err, registry.ErrCaseConflict)
}

func primary(s *registry.Site) string {
	if len(s.Domains) == 0 {
		return ""
	}
	return s.Domains[0].Unicode
}

// Run verifies takedowns, turns cases overdue and escalates, every poll,
// until ctx ends.
func (w *caseWork) Run(ctx context.Context, poll time.Duration) {
	for {
		w.Once(ctx)
		select {
		case <-ctx.Done():
			return
		case <-time.After(poll):
		}
	}
}

// Once runs each of the periodic jobs once.
func (w *caseWork) Once(ctx context.Context) {
	for _, job := range []struct {
		name string
		fn   func(context.Context) error
	}{{"verify", w.verify}, {"overdue", w.overdue}, {"escalate", w.escalate}} {
		if err := job.fn(ctx); err != nil && ctx.Err() == nil {
			w.caseErrors.Inc()
			w.logger.Warn("case work failed; retrying", "job", job.name, "err", err)
		}
	}
}

// verify re-fetches the URLs of the takedowns due for verification. A
// rectification due for verification is proved by its site's next check
// (afterCheck), so here it only gets its next time.
func (w *caseWork) verify(ctx context.Context) error {
	leased, err := w.st.LeaseCaseVerifications(ctx, w.owner, 16, 5*time.Minute, w.now())
	if err != nil {
		return err
	}
	for _, c := range leased {
		var vs []cases.Verification
		if c.Kind == cases.Takedown {
			for _, u := range c.URLs {
				vs = append(vs, w.verifyURL(ctx, c, u))
			}
		}
		if err := w.st.SaveVerification(ctx, w.owner, c.ID, w.now().Add(w.policy.VerifyInterval), vs...); err != nil {
			return fmt.Errorf("case %d: %w", c.ID, err)
		}
		if c.Kind != cases.Takedown {
			continue
		}
		switch cases.Combine(c, vs) {
		case cases.Removed:
			fixed, err := w.st.TransitionCase(ctx, c.ID, cases.Update{To: cases.Fixed, At: w.now(), Actor: w.actor(),
				Reason: "every URL verified: " + summarize(vs)})
			if movedMeanwhile(err) {
				continue
			}
			if err != nil {
				return fmt.Errorf("case %d: %w", c.ID, err)
			}
			w.fixed(ctx, fixed)
		case cases.Unreachable:
			w.logger.Info("takedown not verified: the site could not be seen", "case", c.ID, "detail", summarize(vs))
		}
	}
	return nil
}

func (w *caseWork) verifyURL(ctx context.Context, c cases.Case, u string) cases.Verification {
	f := cases.Fetch{URL: u, At: w.now()}
	p, err := w.fetch(ctx, u)
	var fe *crawler.FetchError
	switch {
	case errors.As(err, &fe) && fe.Status != 0:
		// An HTTP error answer (404, 410, 5xx) is an answer.
		f.Status = fe.Status
	case err != nil:
		f.Err = err.Error()
	default:
		sum := sha256.Sum256(p.Body)
		f.Status, f.BodySHA256 = p.Status, hex.EncodeToString(sum[:])
		// The text a visitor sees, as the checker renders it for every
		// check: one reader of HTML for judging and for proving removal.
		_, f.Text = checker.CheckText(*p, checker.Expect{})
	}
	return cases.Judge(f, c.EvidencePhrases, c.EvidenceSHA256)
}

func summarize(vs []cases.Verification) string {
	var parts []string
	for _, v := range vs {
		s := fmt.Sprintf("%s %s", v.URL, v.Outcome)
		if v.Status != 0 {
			s += " (HTTP " + strconv.Itoa(v.Status) + ")"
		}
		if v.Error != "" {
			s += " (" + v.Error + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, "; ")
}

func (w *caseWork) fixed(ctx context.Context, c cases.Case) {
	from := c.NotifiedAt
	if from.IsZero() {
		from = c.CreatedAt
	}
	if !c.FixedAt.IsZero() && c.FixedAt.After(from) {
		w.fixDuration.Observe(c.FixedAt.Sub(from).Seconds())
	}
	w.logger.Info("case fixed", "case", c.ID, "kind", c.Kind)
	w.alert(ctx, c, alerts.RuleCaseOverdue, false)
	w.alert(ctx, c, alerts.RuleCaseFixed, true)
}

// overdue turns the cases past their deadline overdue, asking for the
// escalation webhook when one is configured.
func (w *caseWork) overdue(ctx context.Context) error {
	due, err := w.st.DueOverdue(ctx, w.now(), 100)
	if err != nil {
		return err
	}
	for _, c := range due {
		oc, err := w.st.TransitionCase(ctx, c.ID, cases.Update{To: cases.Overdue, At: w.now(), Actor: w.actor(),
			Reason: "deadline " + c.Deadline.UTC().Format(time.RFC3339) + " passed, not fixed", Escalate: w.esc != nil})
		if movedMeanwhile(err) {
			continue
		}
		if err != nil {
			return fmt.Errorf("case %d: %w", c.ID, err)
		}
		w.logger.Info("case overdue", "case", oc.ID, "kind", oc.Kind)
		w.alert(ctx, oc, alerts.RuleCaseOverdue, true)
	}
	return nil
}

// escalation is the provider's own control-plane webhook, called once for
// each overdue case (the provider does the blocking).
type escalation struct {
	url                 string
	secret              string
	requireConfirmation bool
	client              *http.Client
}

// escalate calls the webhook for the overdue cases whose call is pending;
// the registry hands each case to one replica once.
func (w *caseWork) escalate(ctx context.Context) error {
	if w.esc == nil {
		return nil
	}
	claimed, err := w.st.ClaimEscalation(ctx, w.owner, 16, w.esc.requireConfirmation, w.now())
	if err != nil {
		return err
	}
	for _, c := range claimed {
		result, answer := w.esc.call(ctx, c, w.now())
		if err := w.st.RecordEscalation(context.WithoutCancel(ctx), c.ID, w.owner, result, answer, w.now()); err != nil {
			return fmt.Errorf("case %d: %w", c.ID, err)
		}
		w.logger.Info("escalation called", "case", c.ID, "result", result)
	}
	return nil
}

// call posts the case to the webhook, signed like the alerts webhook
// (X-Beianwatch-Signature: sha256=hex(HMAC(secret, timestamp "." body))),
// and returns the result with the answer, at most 4 KiB of it.
func (e *escalation) call(ctx context.Context, c cases.Case, now time.Time) (cases.Escalation, string) {
	body, err := json.Marshal(map[string]any{
		"version": "1", "event": "case_overdue", "case_id": c.ID, "kind": c.Kind, "domain": c.Domain,
		"urls": c.URLs, "category": c.Category, "codes": c.Codes, "deadline": c.Deadline.UTC(),
		"deadline_provisional": len(c.Provisional) > 0,
		"regulator_ordered":    c.RegulatorOrdered, "suggested_block_level": suggestedBlock(c),
	})
	if err != nil {
		return cases.EscalationFailed, err.Error()
	}
	status, answer, err := postSigned(ctx, e.client, e.url, e.secret, body, now, 4<<10)
	if err != nil {
		// The call may or may not have reached the control plane: it is
		// recorded failed for a person to look at, never sent twice.
		return cases.EscalationFailed, err.Error()
	}
	text := fmt.Sprintf("HTTP %d: %s", status, answer)
	if status/100 != 2 {
		return cases.EscalationFailed, text
	}
	return cases.EscalationSent, text
}

// suggestedBlock is the narrowest block that covers the case: the URLs of
// a takedown, the domain of a rectification.
func suggestedBlock(c cases.Case) cases.BlockLevel {
	if c.Kind == cases.Takedown && len(c.URLs) > 0 {
		return cases.BlockURL
	}
	return cases.BlockDomain
}

// dueText is a case deadline in alerts, in words of no language: the
// end of a day is "2027-01-04 24:00", the day it ends, not the next
// day's 00:00.
func dueText(t time.Time) string {
	if b := t.In(checker.CST); b.Hour() == 0 && b.Minute() == 0 && b.Second() == 0 && b.Nanosecond() == 0 {
		return b.Add(-time.Nanosecond).Format("2006-01-02") + " 24:00"
	}
	return t.In(checker.CST).Format("2006-01-02 15:04")
}

// alert records a case alert firing or resolving; each case's alert of a
// rule fires once.
func (w *caseWork) alert(ctx context.Context, c cases.Case, rule string, firing bool) {
	if w.route == nil {
		return
	}
	a := alerts.Alert{Key: fmt.Sprintf("%s/%d", rule, c.ID), Rule: rule, Status: alerts.StatusFiring,
		Severity: alerts.SeverityWarning, Domain: c.Domain, Codes: c.Codes,
		Labels:   map[string]string{alerts.LabelCase: strconv.FormatInt(c.ID, 10), "kind": string(c.Kind)},
		Values:   map[string]string{"state": string(c.State), "category": string(c.Category)},
		StartsAt: w.now()}
	if rule == alerts.RuleCaseOverdue || c.RegulatorOrdered {
		a.Severity = alerts.SeverityCritical
	}
	if !c.Deadline.IsZero() {
		a.Values[alerts.ValueDue] = dueText(c.Deadline)
	}
	if len(c.Provisional) > 0 {
		years := make([]string, len(c.Provisional))
		for i, y := range c.Provisional {
			years[i] = strconv.Itoa(y)
		}
		a.Values[alerts.ValueProvisional] = strings.Join(years, ",")
	}
	if !firing {
		a.Status, a.EndsAt = alerts.StatusResolved, w.now()
	}
	changes, err := toRegistry([]alerts.Alert{a}, c.SiteID, w.route)
	if err == nil {
		err = w.st.RecordAlerts(ctx, changes)
	}
	if err != nil {
		w.caseErrors.Inc()
		w.logger.Warn("recording a case alert failed", "case", c.ID, "rule", rule, "err", err)
	}
}

// checksOf is the checks the history entries rs stand for, newest first,
// at most n of them: an entry is Count checks that saw the same.
func checksOf(rs []registry.Result, n int) []cases.Check {
	var cs []cases.Check
	for _, r := range rs {
		for range max(r.Count, 1) {
			if len(cs) == n {
				return cs
			}
			cs = append(cs, cases.Check{Verdict: r.Verdict, Findings: r.Findings})
		}
	}
	return cs
}
