package api

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/beianwatch/beianwatch/auth"
	"github.com/beianwatch/beianwatch/sitefile"
)

// checkRequest is POST /api/v1/checks: a target as `beianwatch check`
// takes it, and expectations as its flags (named as the import's
// columns), each overriding the registered site's.
type checkRequest struct {
	Target        string  `json:"target"`
	ExpectICP     *string `json:"expect_icp"`
	ExpectPSB     *string `json:"expect_psb"`
	LaunchedOn    *string `json:"launched_on"`
	PSBFiledOn    *string `json:"psb_filed_on"`
	PSBApprovedOn *string `json:"psb_approved_on"`
}

// runCheck answers exactly the JSON `beianwatch check --json` prints for
// the target: the report, whatever its verdict (a fetch that failed is a
// report with the verdict error, still 200).
func (a *API) runCheck(w http.ResponseWriter, r *http.Request) {
	var req checkRequest
	if err := decodeJSON(w, r, a.cfg.MaxBody, &req); err != nil {
		a.fail(w, r, err)
		return
	}
	req.Target = strings.TrimSpace(req.Target)
	if req.Target == "" || len(req.Target) > 2048 {
		writeError(w, http.StatusBadRequest, "bad_target", "target: want a domain or an http(s) URL, at most 2048 bytes")
		return
	}
	base, siteID, err := a.cfg.Checker.Expect(r.Context(), req.Target)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	o := sitefile.ExpectOverride{ICP: req.ExpectICP, PSB: req.ExpectPSB, LaunchedOn: req.LaunchedOn,
		PSBFiledOn: req.PSBFiledOn, PSBApproved: req.PSBApprovedOn}
	want, errs := o.Apply(base, a.cfg.Now())
	if len(errs) > 0 {
		writeError(w, http.StatusBadRequest, "bad_expectation", fmt.Sprintf("%s: %s", errs[0].Column, errs[0].Message))
		return
	}
	p, _ := auth.FromContext(r.Context())
	release, wait := a.limits.acquire(p.Name)
	if release == nil {
		w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
		writeError(w, http.StatusTooManyRequests, "rate_limited", "too many on-demand checks: retry after the Retry-After seconds")
		return
	}
	defer release()
	rep, err := a.cfg.Checker.Check(r.Context(), req.Target, want, siteID)
	if err != nil {
		a.fail(w, r, err)
		return
	}
	if siteID != 0 {
		a.audit(r, "check.store", "site/"+strconv.FormatInt(siteID, 10))
	}
	writeJSON(w, http.StatusOK, rep)
}

// checkLimits bound on-demand checks: a token bucket per token (rate a
// second, bursts of burst) and a cap on those running at once.
type checkLimits struct {
	rate    float64
	burst   float64
	now     func() time.Time
	running chan struct{}

	mu      sync.Mutex
	buckets map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time
}

func newCheckLimits(rate float64, burst, concurrent int, now func() time.Time) *checkLimits {
	return &checkLimits{rate: rate, burst: float64(burst), now: now, running: make(chan struct{}, concurrent), buckets: map[string]*bucket{}}
}

// acquire takes a check for the token: a release func, or nil and how
// long to wait before trying again.
func (l *checkLimits) acquire(token string) (release func(), wait time.Duration) {
	select {
	case l.running <- struct{}{}:
	default:
		return nil, time.Second
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	b, ok := l.buckets[token]
	if !ok {
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[token] = b
	}
	b.tokens = math.Min(l.burst, b.tokens+now.Sub(b.at).Seconds()*l.rate)
	b.at = now
	if b.tokens < 1 {
		<-l.running
		return nil, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
	}
	b.tokens--
	return func() { <-l.running }, 0
}
