package cases

import (
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// Outcome is what one verification found.
type Outcome string

// Outcomes.
const (
	// Removed: the URL is gone (404, 410) or its page no longer shows the
	// content.
	Removed Outcome = "removed"
	// Present: the page still shows the content.
	Present Outcome = "present"
	// Unreachable: we could not see the page (a fetch error, a 5xx, an
	// answer that hides the content from us). Never counted as removed.
	Unreachable Outcome = "unreachable"
)

// Fetch is what re-fetching one URL of a case gave.
type Fetch struct {
	URL string
	At  time.Time
	// Status is the HTTP status of the final answer; 0 if there was none.
	Status int
	// Text is the page's visible text.
	Text string
	// BodySHA256 is the hex SHA-256 of the body as received.
	BodySHA256 string
	// Err says why the fetch failed; "" when it got an answer.
	Err string
}

// Verification is one judged fetch, kept with its evidence.
type Verification struct {
	URL        string
	CheckedAt  time.Time
	Status     int
	BodySHA256 string
	// Matched are the evidence phrases found in the visible text.
	Matched []string
	// HashMatched says the body's hash is one of the evidence hashes.
	HashMatched bool
	Outcome     Outcome
	Error       string
}

// Judge decides whether a fetch shows the case's content.
//
//   - A fetch error, or a status that is neither a page (2xx, 3xx) nor
//     404/410, is Unreachable: a site that is down, refuses us (401, 403,
//     429) or fails (5xx) has not proved anything.
//   - 404 and 410 are Removed.
//   - Otherwise the content is Present when any evidence phrase appears in
//     the visible text or the body's hash is an evidence hash, and Removed
//     when neither holds.
//
// Phrases are matched after folding both sides the same way (Unicode
// compatibility forms, so full-width letters match; case; all white space
// dropped, so "赌 场" does not hide 赌场).
func Judge(f Fetch, phrases, hashes []string) Verification {
	v := Verification{URL: f.URL, CheckedAt: f.At, Status: f.Status, BodySHA256: f.BodySHA256, Error: f.Err}
	switch {
	case f.Err != "" || f.Status == 0:
		v.Outcome = Unreachable
		if v.Error == "" {
			v.Error = "no answer"
		}
		return v
	case f.Status == 404 || f.Status == 410:
		v.Outcome = Removed
		return v
	case f.Status < 200 || f.Status >= 400:
		v.Outcome = Unreachable
		return v
	}
	text := fold(f.Text)
	for _, p := range phrases {
		if strings.Contains(text, fold(p)) {
			v.Matched = append(v.Matched, p)
		}
	}
	for _, h := range hashes {
		if f.BodySHA256 != "" && strings.EqualFold(h, f.BodySHA256) {
			v.HashMatched = true
		}
	}
	v.Outcome = Removed
	if len(v.Matched) > 0 || v.HashMatched {
		v.Outcome = Present
	}
	return v
}

// Combine judges a case from its URLs' latest verifications: Present when
// any URL still shows the content, Removed only when every URL of the case
// was verified removed, and Unreachable otherwise (some URL could not be
// seen, or was not verified at all). For each URL the verification latest
// in vs counts.
func Combine(c Case, vs []Verification) Outcome {
	latest := make(map[string]Verification, len(vs))
	for _, v := range vs {
		if old, ok := latest[v.URL]; !ok || !v.CheckedAt.Before(old.CheckedAt) {
			latest[v.URL] = v
		}
	}
	out := Removed
	for _, u := range c.URLs {
		v, ok := latest[u]
		switch {
		case ok && v.Outcome == Present:
			return Present
		case !ok || v.Outcome != Removed:
			out = Unreachable
		}
	}
	if len(c.URLs) == 0 {
		return Unreachable
	}
	return out
}

// fold prepares text for phrase matching: NFKC, lower case, no white
// space.
func fold(s string) string {
	s = strings.ToLower(norm.NFKC.String(s))
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) {
			return -1
		}
		return r
	}, s)
}
