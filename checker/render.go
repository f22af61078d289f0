package checker

import "regexp"

// scriptBundle matches an external script: <script … src=…>.
var scriptBundle = regexp.MustCompile(`(?i)<script\b[^>]*\bsrc\s*=`)

// NeedsRendering reports whether the static check of page could not judge
// it and a browser might: a script shell or numbers found only in scripts
// (PAGE_SCRIPT_RENDERED), or no filing number at all on a page that loads
// script bundles (a footer component mounted by a framework).
func NeedsRendering(r *Report, page *Page) bool {
	if r.Rendered {
		return false
	}
	if r.Has(CodeScriptRendered) {
		return true
	}
	return r.Error == "" && len(r.ICP) == 0 && len(r.PSB) == 0 && r.Has(CodeICPMissing) &&
		scriptBundle.Match(page.Body)
}
