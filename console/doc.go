// Package console is the web console of the compliance team, served by the
// daemon under /ui/: the sites and why they fail (the badge HTML that
// proves it, shown as source), the deadlines, the cases and the buttons
// that move them, and the import of sites from a file.
//
// Pages are rendered on the server with html/template, whose contextual
// escaping keeps every customer-supplied string (site names, operator
// names, evidence HTML) inert; the console sends no script at all, and its
// Content-Security-Policy allows none. A login is an API token (see auth):
// the token's scopes decide what a page shows and which buttons it has,
// and every POST checks them again. Sessions live in the registry, so
// that every replica knows every login, and end with their token.
package console
