package cases

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/beianwatch/beianwatch/checker"
)

// Kind is what a case is about.
type Kind string

// Kinds.
const (
	// Takedown is illegal content at one or more URLs of a hosted site.
	Takedown Kind = "takedown"
	// Rectification (整改) is a site that breaks the filing rules.
	Rectification Kind = "rectification"
)

// kinds lists the kinds; AllKinds hands out copies.
var kinds = []Kind{Takedown, Rectification}

// AllKinds lists the kinds, for flags and metrics.
func AllKinds() []Kind { return slices.Clone(kinds) }

// State is where a case stands. See Next for the legal moves.
type State string

// States.
const (
	// Suspected: found by the lexicon scan, awaiting a person's
	// confirmation (takedowns only). It has no deadline yet.
	Suspected State = "suspected"
	// Open: the case stands and its clock runs; the customer has not been
	// told yet.
	Open State = "open"
	// Notified: the customer has been sent a notice.
	Notified State = "notified"
	// Extended: a rectification whose deadline was extended (at most
	// once); it goes on as Notified does.
	Extended State = "extended"
	// Overdue: the deadline passed and the fix was not verified.
	Overdue State = "overdue"
	// Fixed: the fix was verified by a fetch or a check.
	Fixed State = "fixed"
	// Blocked: the provider cut access (at BlockLevel).
	Blocked State = "blocked"
	// Closed: done. Terminal.
	Closed State = "closed"
	// Dismissed: a false report. Terminal.
	Dismissed State = "dismissed"
)

// states lists every state in lifecycle order; AllStates hands out copies.
var states = []State{Suspected, Open, Notified, Extended, Overdue, Fixed, Blocked, Closed, Dismissed}

// AllStates lists every state in lifecycle order.
func AllStates() []State { return slices.Clone(states) }

// Active reports whether a case in this state still needs something to
// happen (it is not fixed, blocked or finished).
func (s State) Active() bool {
	switch s {
	case Suspected, Open, Notified, Extended, Overdue:
		return true
	}
	return false
}

// Verifiable reports whether a case in this state is re-fetched or
// re-checked to find out whether it was fixed.
func (s State) Verifiable() bool {
	switch s {
	case Open, Notified, Extended, Overdue:
		return true
	}
	return false
}

// Running reports whether the case's deadline runs in this state: it can
// turn overdue.
func (s State) Running() bool {
	switch s {
	case Open, Notified, Extended:
		return true
	}
	return false
}

// Terminal reports whether nothing can follow this state.
func (s State) Terminal() bool { return s == Closed || s == Dismissed }

// Category is what a case is for: one of the takedown categories, or, for
// a rectification, a checker finding code (PSB_MISSING, ICP_NOT_LINKED …).
type Category string

// Takedown categories.
const (
	Gambling     Category = "gambling"
	Pornography  Category = "pornography"
	Fraud        Category = "fraud"
	IllegalTrade Category = "illegal_trade"
	Copyright    Category = "copyright"
	Other        Category = "other"
)

// takedownCategories lists the takedown categories.
var takedownCategories = []Category{Gambling, Pornography, Fraud, IllegalTrade, Copyright, Other}

// TakedownCategories lists the takedown categories.
func TakedownCategories() []Category { return slices.Clone(takedownCategories) }

// BlockLevel is how much of a customer's service the provider cut.
type BlockLevel string

// Block levels.
const (
	BlockURL     BlockLevel = "url"
	BlockDomain  BlockLevel = "domain"
	BlockService BlockLevel = "service"
)

// blockLevels lists the levels, narrowest first.
var blockLevels = []BlockLevel{BlockURL, BlockDomain, BlockService}

// Escalation is where a case's escalation webhook call stands. The
// webhook is the provider's own control plane; it is called at most once
// per case, by whichever replica claims it.
type Escalation string

// Escalation states.
const (
	EscalationNone    Escalation = "none"    // nothing asked
	EscalationPending Escalation = "pending" // to be called (once confirmed, where that is required)
	EscalationSending Escalation = "sending" // claimed by one replica, call in flight
	EscalationSent    Escalation = "sent"    // called; the answer is recorded
	EscalationFailed  Escalation = "failed"  // the call failed; not retried by itself
)

// ParseKind parses a kind by name.
func ParseKind(s string) (Kind, error) {
	if k := Kind(s); slices.Contains(kinds, k) {
		return k, nil
	}
	return "", fmt.Errorf("unknown case kind %q: want takedown or rectification", s)
}

// ParseState parses a state by name.
func ParseState(s string) (State, error) {
	if st := State(s); slices.Contains(states, st) {
		return st, nil
	}
	return "", fmt.Errorf("unknown case state %q: want one of %s", s, join(states))
}

// ParseBlockLevel parses a block level by name.
func ParseBlockLevel(s string) (BlockLevel, error) {
	if l := BlockLevel(s); slices.Contains(blockLevels, l) {
		return l, nil
	}
	return "", fmt.Errorf("unknown block level %q: want url, domain or service", s)
}

// ValidCategory checks that c is a category of kind k: a takedown category,
// or a finding code of the checker's catalog for a rectification.
func ValidCategory(k Kind, c Category) error {
	switch k {
	case Takedown:
		if slices.Contains(takedownCategories, c) {
			return nil
		}
		return fmt.Errorf("unknown takedown category %q: want one of %s", c, join(takedownCategories))
	case Rectification:
		for _, info := range checker.Codes() {
			if info.Code == string(c) {
				return nil
			}
		}
		return fmt.Errorf("unknown rectification code %q: want a finding code, such as %s or %s (see docs/checker.md)",
			c, checker.CodePSBMissing, checker.CodeICPNotLinked)
	}
	return fmt.Errorf("unknown case kind %q", k)
}

// Case is one takedown or rectification.
type Case struct {
	ID   int64
	Kind Kind
	// SiteID is the registry's site; Domain is the domain the case was
	// opened for, in Unicode form.
	SiteID int64
	Domain string
	// URLs are the offending pages (takedowns; at least one). Each is on
	// one of the site's domains or their subdomains.
	URLs []string
	// Category is a takedown category, or a rectification's main finding
	// code; Codes are all the codes a rectification is about (Category
	// first).
	Category Category
	Codes    []string
	// EvidencePhrases identify the content (text a visitor sees);
	// EvidenceSHA256 are hex SHA-256 digests of offending bodies. A
	// takedown has at least one of either, so that removal can be proved.
	EvidencePhrases []string
	EvidenceSHA256  []string
	// Reporter is who reported it: a regulator, a complainant, "lexicon".
	Reporter string
	// RegulatorOrdered marks a case a regulator ordered. Such a case
	// cannot be dismissed, and a block it led to is never lifted by
	// beianwatch.
	RegulatorOrdered bool
	Notes            string

	State State
	// Deadline is when the customer's time runs out; zero while
	// suspected. DeadlineFrom, DeadlineDays and Provisional say how it was
	// counted (see the fields of the type Deadline): a deadline whose
	// count reached a year with no holiday calendar is provisional until
	// Recount counts it again.
	Deadline       time.Time
	DeadlineFrom   time.Time
	DeadlineDays   int
	Provisional    []int
	ExtensionsUsed int
	// BlockLevel is set when the case is blocked.
	BlockLevel BlockLevel

	Escalation         Escalation
	EscalationResponse string
	EscalationAt       time.Time // when the call's answer was recorded
	// EscalationConfirmedBy and EscalationConfirmedAt record the person who
	// confirmed the escalation, where the configuration requires one.
	EscalationConfirmedBy string
	EscalationConfirmedAt time.Time

	CreatedAt  time.Time
	UpdatedAt  time.Time
	NotifiedAt time.Time // the first notice
	FixedAt    time.Time
	BlockedAt  time.Time
	ClosedAt   time.Time // closed or dismissed
	// NextVerifyAt is when the case is next re-fetched or re-checked; zero
	// when its state is not Verifiable.
	NextVerifyAt time.Time
	// Version counts the case's changes; stores use it to detect a
	// concurrent change.
	Version int64
}

// SetDeadline sets the case's deadline and how it was counted.
func (c *Case) SetDeadline(d Deadline) {
	c.Deadline, c.DeadlineFrom, c.DeadlineDays = d.At, d.From, d.Days
	c.Provisional = slices.Clone(d.Provisional)
}

// DeadlineValue returns the case's deadline with how it was counted.
func (c *Case) DeadlineValue() Deadline {
	return Deadline{At: c.Deadline, From: c.DeadlineFrom, Days: c.DeadlineDays, Provisional: slices.Clone(c.Provisional)}
}

// MaxExtensions is how many times a rectification's deadline may be
// extended.
const MaxExtensions = 1

// sha256Hex matches a hex SHA-256 digest.
var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

// Validate checks a new case before it is opened: kind, category, the
// evidence a takedown needs to be verified, URL syntax and the starting
// state. It does not know the registry: whether the domain is a site's
// and the URLs are on it is the store's check. Hashes are lower-cased.
func (c *Case) Validate() error {
	if _, err := ParseKind(string(c.Kind)); err != nil {
		return err
	}
	if c.Domain == "" {
		return errors.New("case: no domain")
	}
	if c.State == Open && c.Deadline.IsZero() {
		return errors.New("case: an open case needs a deadline")
	}
	if err := ValidCategory(c.Kind, c.Category); err != nil {
		return err
	}
	for i, h := range c.EvidenceSHA256 {
		c.EvidenceSHA256[i] = strings.ToLower(strings.TrimSpace(h))
		if !sha256Hex.MatchString(c.EvidenceSHA256[i]) {
			return fmt.Errorf("case: evidence sha256 %q: want 64 hex digits", h)
		}
	}
	for _, p := range c.EvidencePhrases {
		if fold(p) == "" {
			return errors.New("case: an empty evidence phrase matches every page")
		}
	}
	switch c.Kind {
	case Takedown:
		return c.validateTakedown()
	default:
		return c.validateRectification()
	}
}

func (c *Case) validateTakedown() error {
	if len(c.URLs) == 0 {
		return errors.New("case: a takedown needs at least one URL")
	}
	for _, u := range c.URLs {
		if _, err := ParseURL(u); err != nil {
			return err
		}
	}
	if len(c.EvidencePhrases) == 0 && len(c.EvidenceSHA256) == 0 {
		return errors.New("case: a takedown needs evidence (a phrase or a body sha256) to prove removal")
	}
	if c.State != Suspected && c.State != Open {
		return fmt.Errorf("case: a new case starts suspected or open, not %s", c.State)
	}
	return nil
}

func (c *Case) validateRectification() error {
	if len(c.URLs) > 0 {
		return errors.New("case: a rectification is about the site, not URLs")
	}
	if len(c.Codes) == 0 {
		c.Codes = []string{string(c.Category)}
	}
	if c.Codes[0] != string(c.Category) {
		c.Codes = append([]string{string(c.Category)}, slices.DeleteFunc(c.Codes, func(s string) bool { return s == string(c.Category) })...)
	}
	for _, code := range c.Codes[1:] {
		if err := ValidCategory(Rectification, Category(code)); err != nil {
			return err
		}
	}
	if c.State != Open {
		return fmt.Errorf("case: a rectification starts open, not %s", c.State)
	}
	return nil
}

// ParseURL parses a takedown URL: absolute, http or https, with a host.
func ParseURL(s string) (*url.URL, error) {
	u, err := url.Parse(s)
	switch {
	case err != nil:
		return nil, fmt.Errorf("case: URL %q: %w", s, err)
	case u.Scheme != "http" && u.Scheme != "https":
		return nil, fmt.Errorf("case: URL %q: want an http:// or https:// URL", s)
	case u.Hostname() == "":
		return nil, fmt.Errorf("case: URL %q: no host", s)
	}
	return u, nil
}

// join lists names for error messages.
func join[T ~string](xs []T) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = string(x)
	}
	return strings.Join(s, ", ")
}
