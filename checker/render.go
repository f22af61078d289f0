package checker

// NeedsRendering reports whether a browser might judge a page that the
// static check could not: a script shell (almost no text, script
// bundles, no number) or numbers found only in scripts, both reported as
// PAGE_SCRIPT_RENDERED. A report of a rendered page never does.
func NeedsRendering(r *Report) bool {
	return !r.Rendered && r.Has(CodeScriptRendered)
}
