// Package alerts is beianwatch's alert vocabulary and delivery: what an
// alert says (Alert, its rules and severities), how it reads to people in
// Chinese and English, the configuration that names receivers and routes
// alerts to them, and the receivers themselves: Alertmanager's API v2, a
// signed JSON webhook, and the DingTalk, WeCom and Feishu group robots.
//
// Receivers follow Alertmanager's notifier shape: one method, Notify, that
// says whether a failed delivery is worth retrying. Deciding when an alert
// fires or resolves, and keeping undelivered alerts until they are
// delivered, is the caller's job (the outbox in registry/).
package alerts

import (
	"context"
	"time"

	"github.com/beianwatch/beianwatch/checker"
)

// Status says whether an alert is firing or resolved.
type Status string

// Alert statuses.
const (
	StatusFiring   Status = "firing"
	StatusResolved Status = "resolved"
)

// Severity ranks an alert, in Alertmanager's usual words.
type Severity string

// Severities, from worst to mildest.
const (
	SeverityCritical Severity = "critical"
	SeverityWarning  Severity = "warning"
	SeverityInfo     Severity = "info"
)

// SeverityOf maps a checker finding severity to an alert severity: error
// (a finding that fails the page) is critical, warning is warning, info
// is info. Anything else is warning, so that an unknown severity is seen.
func SeverityOf(s checker.Severity) Severity {
	switch s {
	case checker.SeverityError:
		return SeverityCritical
	case checker.SeverityInfo:
		return SeverityInfo
	default:
		return SeverityWarning
	}
}

// Rule IDs. They are stable like finding codes: routes match them,
// Alertmanager sees them (label rule, and alertname in CamelCase) and
// deploy/ rules and dashboards use the same IDs.
const (
	RuleSiteFailing     = "site_failing"      // the site's latest check fails (an error finding stands)
	RuleSiteUnreachable = "site_unreachable"  // the site could not be checked (fetch failed, HTTP error …)
	RuleDeadlineDueSoon = "deadline_due_soon" // a filing deadline is near (Labels[LabelDeadline], Values[ValueDue], Values[ValueDaysLeft])
	RuleDeadlineMissed  = "deadline_missed"   // a filing deadline passed unmet
	RuleCaseOpened      = "case_opened"       // a rectification or takedown case was opened for the site
	RuleCaseOverdue     = "case_overdue"      // the case's response is overdue
	RuleCaseFixed       = "case_fixed"        // the case was fixed (the problem is gone)
	RuleCaseBlocked     = "case_blocked"      // access to the site was suspended for the case
)

// Rules lists the rule IDs, in documentation order.
func Rules() []string {
	return []string{RuleSiteFailing, RuleSiteUnreachable, RuleDeadlineDueSoon, RuleDeadlineMissed,
		RuleCaseOpened, RuleCaseOverdue, RuleCaseFixed, RuleCaseBlocked}
}

// Keys of Alert.Labels that messages read.
const (
	// LabelDeadline names the deadline of a deadline rule:
	// DeadlinePSBFiling or DeadlineBadge.
	LabelDeadline = "deadline"
	// LabelCase is the case ID of a case rule.
	LabelCase = "case"
)

// Deadline names, the values of Labels[LabelDeadline]; they match the
// keys of the checker's deadlines in reports.
const (
	DeadlinePSBFiling = "psb_filing"
	DeadlineBadge     = "badge"
)

// Keys of Alert.Values that messages read. Other values are listed as
// they are, sorted by key.
const (
	ValueDue                 = "due"                  // a Beijing date, YYYY-MM-DD
	ValueDaysLeft            = "days_left"            // calendar days to ValueDue, negative once overdue
	ValueConsecutiveFailures = "consecutive_failures" // checks that failed in a row
	ValueError               = "error"                // why the site could not be checked
	ValueReason              = "reason"               // free text about a case
	// ValueProvisional lists the years (comma-separated, "2028,2029")
	// whose holiday calendar was missing when a case's working-day
	// deadline was counted: the deadline is provisional.
	ValueProvisional = "provisional"
)

// Alert is one alert about one site (or case), as receivers get it. The
// zero EndsAt means "still firing".
type Alert struct {
	// Key identifies the alert across its life, e.g.
	// "site_failing/example.cn": the same key is the same alert, firing
	// or resolved. Receivers that de-duplicate (Alertmanager, webhooks)
	// rely on it.
	Key string `json:"key"`
	// Rule is one of the Rule* IDs.
	Rule string `json:"rule"`
	// Status is StatusFiring or StatusResolved.
	Status Status `json:"status"`
	// Severity is critical, warning or info (SeverityOf maps a checker
	// severity).
	Severity Severity `json:"severity"`
	// Domain is the site's domain (Unicode form for IDNs).
	Domain string `json:"domain"`
	// Codes are the checker finding codes behind the alert, if any.
	Codes []string `json:"codes,omitempty"`
	// Tags are the site's tags from the registry.
	Tags []string `json:"tags,omitempty"`
	// Labels are further identifying labels (LabelDeadline, LabelCase,
	// within=7d …). They must stay the same for a Key: Alertmanager
	// identifies alerts by their labels.
	Labels map[string]string `json:"labels,omitempty"`
	// Values are data for messages (Value* keys, and any others); they
	// may change while the alert fires.
	Values map[string]string `json:"values,omitempty"`
	// StartsAt is when the alert started firing.
	StartsAt time.Time `json:"starts_at"`
	// EndsAt is when the alert resolved; zero while it fires.
	EndsAt time.Time `json:"ends_at,omitzero"`
	// GeneratorURL links to the alert's source (the site's page in the
	// API or dashboard), if there is one.
	GeneratorURL string `json:"generator_url,omitempty"`
}

// Notifier delivers alerts to one receiver. A failed delivery says with
// retry whether trying again later may succeed (network errors, timeouts,
// HTTP 5xx and 429, a robot's rate limit) or not (HTTP 4xx, a rejected
// signature, a bad configuration): the outbox retries the first kind and
// gives up on the second. Notify may be called concurrently.
type Notifier interface {
	Notify(ctx context.Context, alerts ...Alert) (retry bool, err error)
}
