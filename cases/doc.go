// Package cases is the domain of provider cases: takedowns of illegal
// content and filing rectifications (整改). It says what a case is, which
// state changes are legal and who may make them, when a case is due, and
// how fetched evidence and check results are judged. It does no I/O and
// keeps no clock: every time comes in as a parameter, and working days come
// from a Calendar the caller supplies.
//
// A case is never deleted. Every change of state is a Transition, recorded
// with who or what made it and why.
package cases
