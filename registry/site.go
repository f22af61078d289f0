package registry

import (
	"net/netip"
	"time"

	"github.com/beianwatch/beianwatch/checker"
)

// OperatorType says whether a filing's operator (开办主体) is a person or an
// organisation. A personal operator's name is personal data.
type OperatorType string

// Operator types, as in the import files.
const (
	OperatorPersonal     OperatorType = "personal"
	OperatorOrganization OperatorType = "organization"
)

// Operator is a filing entity.
type Operator struct {
	Type OperatorType
	// Name is the organisation's or the person's name.
	Name string
	// OrgCode is the organisation's code (统一社会信用代码), where given.
	OrgCode string
}

// Contact is a site's responsible person. Every field is personal data: it
// is stored, but never written to logs, metrics or error strings, and is
// masked in exports unless asked for.
type Contact struct {
	Name  string
	Phone string
	Email string
}

// Domain is one of a site's domains, in both forms. Filings are matched on
// the ASCII (punycode) form.
type Domain struct {
	Unicode string // 中文.中国
	ASCII   string // xn--fiq228c.xn--fiqs8s
}

// Site is one filed website: what the hosting provider knows about it.
type Site struct {
	ID   int64
	Name string
	// ICPNumber is the canonical ICP number (checker.ICPNumber.Canonical),
	// "" if none.
	ICPNumber     string
	ICPApprovedOn checker.Date
	// LaunchedOn is the launch date; the PSB filing clock starts here.
	LaunchedOn checker.Date
	// PSBNumber is the PSB number's digits, "" if none.
	PSBNumber     string
	PSBFiledOn    checker.Date
	PSBApprovedOn checker.Date

	// CustomerID is the provider's own account id for the customer.
	CustomerID     string
	AccessProvider string
	Registrar      string
	Interactive    bool
	Languages      []string
	Tags           []string
	// CheckURL is the page to check when it is not https://<first domain>/.
	CheckURL string
	Active   bool

	Operator Operator
	Contact  Contact
	Domains  []Domain // the first is the primary
	IPs      []netip.Addr

	CreatedAt time.Time
	UpdatedAt time.Time
}

// Expect returns what a check of the site should find, from the registry's
// numbers and dates and the site's check history.
func (s *Site) Expect(st *State) checker.Expect {
	w := checker.Expect{
		ICP:         s.ICPNumber,
		PSB:         s.PSBNumber,
		Registered:  true,
		Launched:    s.LaunchedOn,
		ICPApproved: s.ICPApprovedOn,
		PSBFiled:    s.PSBFiledOn,
		PSBApproved: s.PSBApprovedOn,
		FiledIPs:    s.IPs,
	}
	if st != nil {
		w.BadgeFirstSeen = st.BadgeFirstSeenAt
		w.BadgeLastMissing = st.BadgeLastMissingAt
	}
	return w
}

// State is a site's current check state, kept beside its history.
type State struct {
	SiteID int64
	// Verdict is the latest check's verdict, or VerdictUnchecked.
	Verdict  checker.Verdict
	Findings []checker.Finding
	// FirstLiveAt is the first check that got an HTTP answer below 400.
	FirstLiveAt time.Time
	// BadgeFirstSeenAt and BadgeLastMissingAt are the proof behind the
	// badge deadline (see checker.BadgeDeadline).
	BadgeFirstSeenAt   time.Time
	BadgeLastMissingAt time.Time
	// BadgeShown says the latest check that could see the page saw the
	// whole badge (checker.PSB's BadgeComplete; a check ending in
	// VerdictError leaves it as it was).
	BadgeShown  bool
	LastCheckAt time.Time
	NextCheckAt time.Time
	// ConsecutiveFailures counts checks in a row with the verdict error.
	ConsecutiveFailures int
	// FailingSince is when the current run of fail verdicts began (zero
	// unless the site is failing); FailStreak counts its checks. A check
	// that ends in error neither starts nor ends a run.
	FailingSince time.Time
	FailStreak   int
	// LastPassAt is the latest check that passed (zero if none).
	LastPassAt time.Time
	// LeaseOwner and LeaseExpiresAt hand the site to one crawler replica.
	LeaseOwner     string
	LeaseExpiresAt time.Time
	// Deadlines as judged by the latest check (or from the registry's dates
	// before any check).
	Deadlines checker.Deadlines
}

// VerdictUnchecked is the state of a site never checked.
const VerdictUnchecked checker.Verdict = "unchecked"

// Result is one check kept in a site's history.
type Result struct {
	ID         int64
	SiteID     int64
	CheckedAt  time.Time
	Target     string
	FinalURL   string
	HTTPStatus int
	Verdict    checker.Verdict
	Findings   []checker.Finding
	// Evidence is the first finding's evidence snippet (the badge block).
	Evidence string
	// BodySHA256 is the hex SHA-256 of the body the check judged.
	BodySHA256 string
	Duration   time.Duration
	Error      string
	// Policy names the policy the check was judged under
	// (checker.Report.Policy); "legacy" for checks stored before policies.
	Policy string
	// Numbers are the ICP and PSB numbers the page shows, sorted, space
	// separated ("" before migration 00008).
	Numbers string
	// Rendered says the check judged the page as a browser drew it.
	Rendered bool
	// Screenshot is a PNG of a failing rendered page's footer, stored with
	// the entry (see Store.Screenshot); a check being stored sets it, a
	// history read leaves it nil.
	Screenshot []byte

	// A history entry stands for Count checks in a row that saw the same
	// thing (see sameEntry): CheckedAt is the first, LastSeenAt the last.
	// A check being stored needs neither.
	LastSeenAt time.Time
	Count      int
}

// Deadlines judges the site's two filing clocks at now from the registry's
// dates and, when st is given, our own proof about the badge: when checks
// first saw it, last missed it, and whether the latest check saw it.
func (s *Site) Deadlines(st *State, now time.Time) checker.Deadlines {
	w := s.Expect(st)
	shown := st != nil && st.BadgeShown
	// The latest check's filing clock met proves the filing too: it saw
	// the number, whole badge or not.
	filed := shown || w.FilingKnown() || st != nil &&
		(st.Deadlines.PSBFiling.Status == checker.DeadlineMet || st.Deadlines.PSBFiling.Status == checker.DeadlineMetLate)
	d := checker.Deadlines{
		PSBFiling: checker.PSBFilingDeadline(w.LaunchAnchor(), w.PSBFiled, filed, now),
		Badge:     checker.BadgeDeadline(w.PSBApproved, shown, w.BadgeFirstSeen, w.BadgeLastMissing, now),
	}
	if !shown && (st == nil || st.BadgeLastMissingAt.IsZero()) {
		// No check of ours has read the page without a badge yet: "not
		// seen" is not "missing", so the badge clock cannot be overdue.
		d.Badge = checker.Deadline{Status: checker.DeadlineUnknown}
		if !w.PSBApproved.IsZero() {
			d.Badge.Due = w.PSBApproved.AddDays(checker.BadgeDays)
		}
	}
	return d
}
