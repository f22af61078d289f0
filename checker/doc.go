// Package checker judges one fetched web page against China's website filing
// rules: which ICP and PSB (公安) filing numbers a visitor sees, whether they
// are linked and badged as required, whether they are valid and the expected
// ones, and whether the filing deadlines are met.
//
// The package is pure: no network, no database, no clock of its own. Time
// comes in with the Page (FetchedAt). It owns the domain vocabulary that the
// rest of beianwatch speaks: Page, Expect, Report, Finding, Severity, the
// stable finding codes, number parsing and deadline arithmetic.
package checker
