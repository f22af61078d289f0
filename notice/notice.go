// Package notice renders the notices a provider sends its customer about a
// case: a takedown (illegal content to remove) or a rectification (filing
// rules to fix), when the case is notified, extended, overdue, fixed or
// blocked, in Chinese and in English.
//
// The wording lives in text/template files embedded from templates/, one
// per case kind and language plus a common one per language. An operator
// rewords them by putting files of the same names in a directory (see
// Load); each kind's file defines "<kind>.<event>.subject" and
// "<kind>.<event>.body" for every event of its kind, and may use the
// common file's templates. A notice carries only what Data carries: the
// customer's internal id, never a person's name, number or address.
package notice

import (
	"fmt"
	"time"

	"github.com/beianwatch/beianwatch/checker"
)

// Kind is the kind of case.
type Kind string

// The case kinds.
const (
	Takedown      Kind = "takedown"
	Rectification Kind = "rectification"
)

// Event is what happened to the case that the notice tells.
type Event string

// The events. Extended exists only for rectifications (one extension of
// the fix window).
const (
	Notified Event = "notified" // the case is opened and the customer told
	Extended Event = "extended"
	Overdue  Event = "overdue"
	Fixed    Event = "fixed" // verified by a fresh check
	Blocked  Event = "blocked"
)

// Lang is a notice language.
type Lang string

// The languages every notice is rendered in.
const (
	Chinese Lang = "zh"
	English Lang = "en"
)

// events lists, per kind, the events it has notices for.
var events = map[Kind][]Event{
	Takedown:      {Notified, Overdue, Fixed, Blocked},
	Rectification: {Notified, Extended, Overdue, Fixed, Blocked},
}

// Events returns the events a kind of case has notices for.
func Events(k Kind) []Event {
	return append([]Event(nil), events[k]...)
}

// Data is everything a notice may say. Only the fields of the case's kind
// and event need be set; templates leave out what is empty.
type Data struct {
	CaseID     int64
	Kind       Kind
	Event      Event
	Domain     string
	SiteName   string
	CustomerID string // the provider's id for the customer, not a name
	// Category is the takedown category: gambling, pornography, fraud,
	// illegal_trade, copyright or other.
	Category string
	URLs     []string // takedown: the offending pages
	// Findings are the rectification's findings. Message and MessageZH,
	// when set (from the check's report), are printed; otherwise the
	// catalog's summary of the code is.
	Findings []Finding
	Evidence []string // takedown: phrases that identify the content
	// Deadline is when the customer must have fixed it; printed in China
	// Standard Time.
	Deadline time.Time
	// ProvisionalYears, when set, makes the deadline provisional: those
	// years' holiday calendars were not loaded when it was counted.
	ProvisionalYears []int
	// PreviousDeadline and ExtensionWorkingDays describe an extension.
	PreviousDeadline     time.Time
	ExtensionWorkingDays int
	// At is when the event happened (fix verified, access blocked).
	At time.Time
	// BlockLevel is what was blocked: url, domain or service.
	BlockLevel string
	Provider   Provider
}

// Finding is one finding code of a rectification.
type Finding struct {
	Code      string
	Message   string
	MessageZH string
}

// Provider is who sends the notice and how the customer answers.
type Provider struct {
	Name         string
	ContactURL   string
	ContactEmail string // the provider's support address
}

// Message is one rendered notice, plain text.
type Message struct {
	Lang    Lang
	Subject string
	Body    string
}

// formatTime is how every instant appears in a notice.
func formatTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(checker.CST).Format("2006-01-02 15:04") + " CST (UTC+8)"
}

// formatDeadline is how a deadline appears: one at 24:00 Beijing time (a
// period in days) is the end of the day it ends, never the next day's
// midnight.
func formatDeadline(l Lang, t time.Time) string {
	b := t.In(checker.CST)
	if t.IsZero() || b.Hour() != 0 || b.Minute() != 0 || b.Second() != 0 || b.Nanosecond() != 0 {
		return formatTime(t)
	}
	day := b.Add(-time.Nanosecond).Format("2006-01-02")
	if l == Chinese {
		return day + " 24:00 CST (UTC+8)"
	}
	return "the end of " + day + " CST (UTC+8)"
}

func (d Data) validate() error {
	evs, ok := events[d.Kind]
	if !ok {
		return fmt.Errorf("notice: unknown case kind %q", d.Kind)
	}
	for _, e := range evs {
		if e == d.Event {
			return nil
		}
	}
	return fmt.Errorf("notice: a %s case has no %q notice", d.Kind, d.Event)
}
