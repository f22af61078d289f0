package checker

import (
	"net/http"
	"net/netip"
	"net/url"
	"time"
)

// Page is one fetched page, as the crawler or `beianwatch check` saw it.
type Page struct {
	// Target is what was asked for (a domain or URL), reported back verbatim.
	Target string
	// URL is the final URL, after redirects.
	URL *url.URL
	// Redirects holds the URLs that answered with a redirect, in order,
	// starting with the first one requested. Empty when none.
	Redirects []*url.URL
	// Status is the final HTTP status code; 0 means unknown and is treated
	// as 200.
	Status int
	// Header holds the final response's headers (Content-Type is read for
	// the charset).
	Header http.Header
	// Body is the response body, already decompressed.
	Body []byte
	// FetchedAt is when the page was fetched; deadlines are judged at this
	// instant.
	FetchedAt time.Time
	// CertNotAfter is when the TLS certificate the final URL's server
	// presented for itself (the leaf) expires; zero over http://. The
	// checker does not judge it: /probe exports it.
	CertNotAfter time.Time
	// HTTPSError, when set, says why https:// failed before the page was
	// fetched over plain http://.
	HTTPSError string
	// Addrs are the addresses the target's host name resolved to (empty
	// when not known). They are judged against Expect.FiledIPs and
	// Expect.ProviderRanges.
	Addrs []netip.Addr
}

// Expect is what the registry (or the user's flags) says the page should
// show. Every field is optional.
type Expect struct {
	// ICP is the expected ICP filing or licence number, in any spelling
	// that ParseICP accepts.
	ICP string
	// PSB is the expected PSB number: the digits, or the whole 公网安备 text.
	PSB string
	// Registered says that the registry holds this site, so an empty ICP or
	// PSB means the registry has none (and a number on the page is news).
	Registered bool

	// Launched is the site's launch date. When it is zero, ICPApproved
	// stands in for it (LaunchAnchor).
	Launched Date
	// ICPApproved is the ICP filing's first approval date: the PSB form's
	// launch date, and the earliest a site can be live (providers block
	// unfiled domains), so the conservative anchor of the PSB filing clock
	// when the launch date is unknown (domain.md §1).
	ICPApproved Date
	// PSBFiled and PSBApproved are the PSB filing's submission and approval
	// dates.
	PSBFiled    Date
	PSBApproved Date
	// BadgeFirstSeen is when our own checks first saw the PSB badge on the
	// site; zero if never.
	BadgeFirstSeen time.Time
	// BadgeLastMissing is the latest of our own checks that saw the PSB
	// badge missing; zero if never. It is the proof behind a late badge.
	BadgeLastMissing time.Time

	// FiledIPs are the addresses the filing names for the site; a host
	// that resolves to none of them is a warning.
	FiledIPs []netip.Addr
	// ProviderRanges are the hosting provider's own mainland networks; a
	// host that resolves outside them is served elsewhere than the filing
	// says, an error.
	ProviderRanges []netip.Prefix

	// Policy says how strictly to judge: what unknown dates mean and
	// severity overrides. nil is the built-in policy (BuiltinPolicy).
	Policy *Policy
}

// LaunchAnchor is the date the PSB filing clock starts at: the launch
// date, else the ICP approval date; zero when neither is known.
func (w Expect) LaunchAnchor() Date {
	if w.Launched.IsZero() {
		return w.ICPApproved
	}
	return w.Launched
}

// FilingKnown says the expectations prove a PSB filing without the page:
// a PSB number, or a PSB approval date (an approved filing was made, even
// when its submission date is not recorded).
func (w Expect) FilingKnown() bool { return w.PSB != "" || !w.PSBApproved.IsZero() }
