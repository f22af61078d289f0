package main

import (
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/crawler"
)

// errorClassText says in a few words what each error class of a check
// means (crawler.ErrorClass), for `serve --once`.
var errorClassText = map[string]string{
	"FETCH_" + strings.ToUpper(crawler.ReasonDNS):              "DNS lookup failed",
	"FETCH_" + strings.ToUpper(crawler.ReasonTimeout):          "timed out",
	"FETCH_" + strings.ToUpper(crawler.ReasonTLS):              "TLS handshake or certificate failed",
	"FETCH_" + strings.ToUpper(crawler.ReasonRefused):          "connection refused",
	"FETCH_" + strings.ToUpper(crawler.ReasonBlockedAddress):   "refused by the connection rule (loopback, private … addresses)",
	"FETCH_" + strings.ToUpper(crawler.ReasonConnection):       "connection failed",
	"FETCH_" + strings.ToUpper(crawler.ReasonTooLarge):         "page larger than --max-body",
	"FETCH_" + strings.ToUpper(crawler.ReasonTooManyEncodings): "too many content encodings",
	"FETCH_" + strings.ToUpper(crawler.ReasonRedirectLoop):     "redirect loop",
	"FETCH_" + strings.ToUpper(crawler.ReasonTooManyRedirects): "too many redirects",
	"FETCH_" + strings.ToUpper(crawler.ReasonInvalidTarget):    "invalid target",
	"FETCH_" + strings.ToUpper(crawler.ReasonRobots):           "disallowed by robots.txt",
	"FETCH_" + strings.ToUpper(crawler.ReasonOther):            "fetch failed",
	checker.CodeHTTPErrorStatus:                                "HTTP error status",
	checker.CodeScriptRendered:                                 "page rendered by JavaScript",
	"CHECK_ERROR":                                              "could not be judged",
}

// onceSummary is what `serve --once` prints: the counts, then why checks
// ended in error and how to see more, or, when nothing was due, when the
// next sites fall due. next and nextN are the registry's NextDue.
func onceSummary(sum crawler.Summary, next time.Time, nextN int, now time.Time) string {
	var b strings.Builder
	b.WriteString(sum.String() + "\n")
	if sum.Error > 0 {
		b.WriteString(errorLine(sum) + "\n")
		b.WriteString("  details: beianwatch sites list --verdict error; beianwatch sites show DOMAIN\n")
		b.WriteString("  they are retried after a delay that doubles; beianwatch sites recheck --verdict error makes them due now\n")
	}
	if sum.Checked > 0 {
		return b.String()
	}
	if next.IsZero() {
		b.WriteString("nothing was due: the registry has no active site (beianwatch import FILE adds some)\n")
		return b.String()
	}
	what := fmt.Sprintf("the next %d sites fall", nextN)
	if nextN == 1 {
		what = "the next site falls"
	}
	fmt.Fprintf(&b, "nothing was due: %s due at %s (in %s)\n", what,
		cstTime(next), max(next.Sub(now), 0).Round(time.Second))
	b.WriteString("  beianwatch sites recheck --all (or --verdict V, or DOMAIN…) makes sites due now\n")
	return b.String()
}

// errorLine is "5 error: 3 DNS lookup failed (FETCH_DNS), 2 …", the most
// frequent class first.
func errorLine(sum crawler.Summary) string {
	classes := slices.SortedFunc(maps.Keys(sum.Errors), func(x, y string) int {
		return cmp.Or(cmp.Compare(sum.Errors[y], sum.Errors[x]), cmp.Compare(x, y))
	})
	parts := make([]string, len(classes))
	for i, c := range classes {
		text := errorClassText[c]
		if text == "" {
			text = "error"
		}
		parts[i] = fmt.Sprintf("%d %s (%s)", sum.Errors[c], text, c)
	}
	return fmt.Sprintf("%d error: %s", sum.Error, strings.Join(parts, ", "))
}
