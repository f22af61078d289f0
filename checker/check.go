package checker

import (
	"fmt"
	"net/http"
	"net/netip"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"time"

	"golang.org/x/net/html"
	"golang.org/x/net/publicsuffix"
)

// Shell-page thresholds: fewer visible characters than this, with script
// bundles, means the page is drawn by JavaScript.
const (
	shellMaxChars    = 40
	shellInlineBytes = 2000
)

// checkRun carries one check's state between its rules.
type checkRun struct {
	r       *Report
	want    Expect
	wantICP ICPNumber
	wantPSB PSBNumber
	now     time.Time
	base    *url.URL
	doc     *document
	icp     []icpOcc
	psb     []psbOcc

	// scriptICP and scriptPSB are numbers found only in inline scripts.
	scriptICP, scriptPSB string

	// full forces the whole parse (tests compare both paths).
	full bool
	// wantText says the caller takes the rendered text (CheckText).
	wantText bool

	levelChecked bool
	psbImageOnly bool
	psbMissing   bool
	// text is the page decoded to UTF-8, once decoded.
	text string
}

// Check judges one page against the filing rules and, where given, the
// registry's expectations. It never fails: a page that cannot be judged
// gets the verdict "error" and says why in Report.Error.
func Check(page Page, want Expect) Report {
	return check(page, want, false)
}

// CheckText is Check that also returns the text a visitor sees on the
// page, as the checker rendered it (decoded to UTF-8, hidden elements,
// scripts and styles left out, blocks on lines of their own; "" when
// there was no page to judge), so that a caller that reads the page's
// text (the takedown lexicon) neither decodes nor renders it again.
func CheckText(page Page, want Expect) (Report, string) {
	c := newRun(page, want, false)
	c.wantText = true
	r, _ := c.run(page)
	return r, c.text
}

func check(page Page, want Expect, full bool) Report {
	r, _ := checkPath(page, want, full)
	return r
}

// checkPath is check that also says whether the fast path judged the page.
func checkPath(page Page, want Expect, full bool) (Report, bool) {
	c := newRun(page, want, full)
	return c.run(page)
}

func newRun(page Page, want Expect, full bool) *checkRun {
	r := &Report{
		Target:     page.Target,
		HTTPStatus: page.Status,
		CheckedAt:  page.FetchedAt.UTC(),
		ICP:        []ICP{},
		PSB:        []PSB{},
		Findings:   []Finding{},
		Policy:     PolicyName(want.Policy),
	}
	if page.URL != nil {
		r.URL = page.URL.String()
	}
	c := &checkRun{r: r, want: want, now: page.FetchedAt, base: page.URL, full: full}
	// Nothing expected parses to the zero number; skip making the error
	// that says so.
	if want.ICP != "" {
		c.wantICP, _ = ParseICP(want.ICP)
	}
	if want.PSB != "" {
		c.wantPSB, _ = ParsePSB(want.PSB)
	}
	return c
}

func (c *checkRun) run(page Page) (Report, bool) {
	r := c.r
	c.pageRules(page)
	c.accessRules(page)
	if page.Status >= 400 {
		c.add(nil, CodeHTTPErrorStatus, page.Status)
		r.Error = fmt.Sprintf("HTTP %d %s", page.Status, http.StatusText(page.Status))
		c.deadlinesUnseen()
		return c.finish(), false
	}
	db := getDecodeBuf()
	dec := decodeInto(page.Body, page.Header.Get("Content-Type"), db.b)
	// Nothing made from the text outlives the run: the fast path's report
	// is detached from it, and the full parse copies what it reads.
	defer db.put(dec.mem)
	r.Encoding = dec.encoding
	switch {
	case dec.declared != "" && dec.declared != dec.encoding:
		c.add(nil, CodeEncodingMismatch, dec.declared, dec.encoding)
	case dec.declared == "" && dec.encoding != "utf-8" && hasNonASCII(page.Body):
		c.add(nil, CodeEncodingUndeclared, dec.encoding)
	}
	if !c.full {
		if r, ok := c.fastPath(dec.text); ok {
			garbleRule(&r, dec)
			return r, true
		}
	}
	root, err := html.Parse(strings.NewReader(dec.text))
	if err != nil {
		// The parser gives up on deep nesting; the tokens still say what
		// a visitor sees (a browser shows such pages too).
		root = parseTokens(dec.text)
		c.add(nil, CodeParsedPartially, parseErrorText(err))
	}
	c.doc = newDocument(root)
	c.doc.sheet = newSheet(c.doc.styles, c.doc.styleColons, c.doc.styleGroups)
	r2 := c.judge()
	garbleRule(&r2, dec)
	c.text = c.doc.vis.raw
	return r2, false
}

// fastPath judges the page on a scan, and parsed regions around the
// numbers. ok is false when the scanner gives up, or a region cannot be
// made: the page then gets the whole tree.
func (c *checkRun) fastPath(text string) (r Report, ok bool) {
	d, ok := scanPage(text)
	if !ok {
		return Report{}, false
	}
	// The report is made of copies; the scan's memory goes back to the
	// pool once the rules are done with it.
	defer d.release()
	if !d.prepare() {
		return Report{}, false
	}
	// A hiding rule whose selector looks at siblings or contents needs
	// the whole tree: the regions hold only a number's ancestors (and
	// their element children, without attributes). Other such rules
	// matter only once a hiding rule matches (see sheetState).
	if d.sheet = newSheet(d.styles, d.styleColons, d.styleGroups); d.sheet != nil && d.sheet.complexHiding() {
		return Report{}, false
	}
	f := c.fork()
	f.doc = d
	r = f.judge()
	if d.scan.failed {
		return Report{}, false
	}
	detach(&r, text)
	// Numbers and evidence are substrings of the rendered text and its
	// normalised copy, whose memory goes back to the pool.
	detach(&r, d.vis.raw)
	detach(&r, d.hid.raw)
	if d.vis.normBuf != nil {
		detach(&r, d.vis.norm.s)
	}
	if c.wantText {
		c.text = strings.Clone(d.vis.raw) // not the pool's
	}
	return r, true
}

// fork copies the run so far, so that a fast-path run that fails half-way
// leaves nothing behind.
func (c *checkRun) fork() *checkRun {
	f := *c
	r := *c.r
	r.Findings = slices.Clone(r.Findings)
	f.r = &r
	return &f
}

// judge applies the rules to the document.
func (c *checkRun) judge() Report {
	r := c.r
	c.icp = collectICP(c.doc, c.base)
	c.psb = collectPSB(c.doc, c.base)
	c.sheetRule()
	for _, o := range c.icp {
		r.ICP = append(r.ICP, o.entry)
	}
	for _, o := range c.psb {
		r.PSB = append(r.PSB, o.entry)
	}
	c.scriptOnlyRules()
	if c.isShell() {
		c.add(nil, CodeScriptRendered, c.inScripts())
		c.deadlinesUnseen()
		return c.finish()
	}
	c.icpRules()
	c.psbRules()
	c.progressRules()
	c.provinceRule()
	if c.scriptICP != "" || c.scriptPSB != "" {
		c.add(nil, CodeScriptRendered, c.inScripts())
		c.deadlinesUnseen()
		return c.finish()
	}
	c.deadlineRules()
	return c.finish()
}

// scriptOnlyRules looks for numbers that no visitor-visible text holds but
// an inline script does: a footer written by document.write, innerHTML or
// an SPA's data. A browser would show them, so their absence from the
// static text is not proof that they are missing.
func (c *checkRun) scriptOnlyRules() {
	needICP, needPSB := !c.visibleICP(), !c.visiblePSB()
	if !needICP && !needPSB {
		return // the scripts' text is neither normalised nor searched
	}
	text := normalize(c.doc.scriptText()).s
	if text == "" {
		return
	}
	// A script that builds the number ('鲁公网安备' + code + '号') holds
	// the label but no whole number: the label is enough to know the
	// footer is drawn by script.
	if needICP {
		if ms := findICP(text); len(ms) > 0 {
			c.scriptICP = ms[0].num.Canonical()
		} else if ms := findTelecom(text); len(ms) > 0 {
			c.scriptICP = ms[0].num.Canonical()
		} else if strings.Contains(text, "ICP备") {
			c.scriptICP = "ICP备…"
		}
	}
	if needPSB {
		if ms := findPSB(text); len(ms) > 0 {
			c.scriptPSB = ms[0].num.Canonical()
		} else if strings.Contains(text, "公网安备") {
			c.scriptPSB = "公网安备…"
		}
	}
}

// inScripts says which numbers were found only in scripts, for messages.
func (c *checkRun) inScripts() biText {
	var found []string
	for _, n := range []string{c.scriptICP, c.scriptPSB} {
		if n != "" {
			found = append(found, n)
		}
	}
	if len(found) == 0 {
		return biText{}
	}
	c.r.Error = "filing numbers appear only in scripts (" + strings.Join(found, ", ") + "); render the page to verify them"
	list := strings.Join(found, ", ")
	return biText{" (" + list + " only in scripts)", "(" + list + " 仅出现在脚本中)"}
}

func (c *checkRun) visibleICP() bool {
	for _, o := range c.icp {
		if o.entry.Visible {
			return true
		}
	}
	return false
}

func (c *checkRun) visiblePSB() bool {
	for _, o := range c.psb {
		if o.entry.Visible {
			return true
		}
	}
	return false
}

// finish sets the verdict.
func (c *checkRun) finish() Report {
	r := c.r
	if r.Verdict == "" && r.Error == "" && r.Has(CodeScriptRendered) {
		r.Error = "the page is rendered by JavaScript; filing numbers cannot be verified statically"
	}
	c.applyPolicy()
	r.Verdict = VerdictPass
	for _, f := range r.Findings {
		if f.Severity == SeverityError {
			r.Verdict = VerdictFail
		}
	}
	if r.Error != "" {
		r.Verdict = VerdictError
	}
	return *r
}

// add raises a finding whose evidence is the badge block (the last of the
// chain).
func (c *checkRun) add(chain []*html.Node, code string, args ...any) {
	var at *html.Node
	if len(chain) > 0 {
		at = chain[len(chain)-1]
	}
	c.addAt(at, code, args...)
}

// addAt raises a finding with n as its evidence.
func (c *checkRun) addAt(n *html.Node, code string, args ...any) {
	c.push(n, newFinding(code, args...))
}

// addRaw raises a finding whose English and Chinese arguments differ.
func (c *checkRun) addRaw(chain []*html.Node, code string, en, zh []any) {
	f := newFinding(code, en...)
	f.MessageZH = newFinding(code, zh...).MessageZH
	c.push(chain[len(chain)-1], f)
}

// push appends a finding unless the same one stands already (a number
// shown twice in one block).
func (c *checkRun) push(n *html.Node, f Finding) {
	if n != nil {
		f.Evidence, f.Path = outerHTML(n), cssPath(n)
	}
	for _, g := range c.r.Findings {
		if g.Code == f.Code && g.Message == f.Message && g.Path == f.Path {
			return
		}
	}
	c.r.Findings = append(c.r.Findings, f)
}

// pageRules judge how the page was reached.
func (c *checkRun) pageRules(page Page) {
	if page.HTTPSError != "" {
		c.add(nil, CodeHTTPSFailed, httpsErrorText(page.HTTPSError))
	}
	if len(page.Redirects) > 0 && page.URL != nil {
		from := page.Redirects[0]
		if registrable(from.Hostname()) != registrable(page.URL.Hostname()) {
			c.add(nil, CodeRedirectOffsite, from.Hostname(), page.URL.String())
		}
	}
}

// accessRules judge where the site is served from: inside the provider's
// networks, and at the addresses its filing names.
func (c *checkRun) accessRules(page Page) {
	if len(page.Addrs) == 0 {
		return
	}
	host := page.Target
	if len(page.Redirects) > 0 {
		host = page.Redirects[0].Hostname()
	} else if page.URL != nil {
		host = page.URL.Hostname()
	}
	addrs := joinAddrs(page.Addrs)
	if len(c.want.ProviderRanges) > 0 && !anyIn(page.Addrs, func(a netip.Addr) bool {
		for _, p := range c.want.ProviderRanges {
			if p.Contains(a.Unmap()) {
				return true
			}
		}
		return false
	}) {
		c.add(nil, CodeAccessOutside, host, addrs)
	}
	if len(c.want.FiledIPs) > 0 && !anyIn(page.Addrs, func(a netip.Addr) bool {
		for _, f := range c.want.FiledIPs {
			if f.Unmap() == a.Unmap() {
				return true
			}
		}
		return false
	}) {
		c.add(nil, CodeAccessNotFiled, host, addrs, joinAddrs(c.want.FiledIPs))
	}
}

func anyIn(addrs []netip.Addr, ok func(netip.Addr) bool) bool {
	for _, a := range addrs {
		if ok(a) {
			return true
		}
	}
	return false
}

func joinAddrs(addrs []netip.Addr) string {
	s := make([]string, len(addrs))
	for i, a := range addrs {
		s[i] = a.String()
	}
	return strings.Join(s, ", ")
}

// registrable returns a host's registrable domain (eTLD+1), or the host
// itself for IP addresses and the like.
func registrable(host string) string {
	host = strings.ToLower(strings.TrimSuffix(host, "."))
	if d, err := publicsuffix.EffectiveTLDPlusOne(host); err == nil {
		return d
	}
	return host
}

// isShell reports a page drawn by script: almost no visible text, script
// bundles, and nothing found.
func (c *checkRun) isShell() bool {
	d := c.doc
	if d.scriptSrc == 0 && d.scriptBytes < shellInlineBytes {
		return false
	}
	if c.visibleICP() || c.visiblePSB() {
		return false
	}
	return d.visibleChars() < shellMaxChars
}

// provinceRule compares the provinces of the first ICP filing and PSB
// numbers shown. Placeholders and malformed numbers take no part: they
// have their own findings.
func (c *checkRun) provinceRule() {
	var icpProv, psbProv Province
	var block []*html.Node
	for _, o := range c.icp {
		if p, ok := o.num.Province(); ok && o.entry.Visible && o.num.Kind == KindFiling && !broken(o.num.Problems("", c.now.Year())) {
			icpProv = p
			break
		}
	}
	for _, o := range c.psb {
		if p, ok := o.num.DigitsProvince(); ok && o.entry.Visible && len(o.num.Digits) == 14 && !broken(o.num.Problems("")) {
			psbProv, block = p, o.block
			break
		}
	}
	if icpProv.Code != "" && psbProv.Code != "" && icpProv.Code != psbProv.Code {
		c.addRaw(block, CodeProvincesDiffer, []any{icpProv.Name, psbProv.Name}, []any{icpProv.NameZH, psbProv.NameZH})
	}
}

// broken reports a placeholder or malformed number: one that names no real
// filing unit. (A PSB number whose abbreviation contradicts its digits
// still names the unit its digits name.)
func broken(ps []problem) bool {
	for _, p := range ps {
		switch p.code {
		case CodeICPPlaceholder, CodeICPMalformed, CodePSBPlaceholder, CodePSBMalformed:
			return true
		}
	}
	return false
}

// Image kinds imageBadge looks for.
const (
	icpImage = iota
	psbImage
)

var (
	// A 14-digit run counts in alt and title text only: file names are
	// full of timestamps.
	psbInImage = []string{"公网安备", "公安备案", "网安备", "公網安備"}
	psbNumber  = regexp.MustCompile(`(?:^|\D)(?:1[1-5]|2[1-3]|3[1-7]|4[1-6]|5[0-4]|6[1-5])\d{12}(?:\D|$)`)
	icpInImage = regexp.MustCompile(`(?i)ICP\s*[备证]|ICP备案`)
)

// imageBadge returns a visible image that stands for a badge with no text:
// its alt, title or file name names the filing, or it is the only content
// of a link to the filing system.
func (c *checkRun) imageBadge(kind int) *html.Node {
	// The tests are made once, not for each image: a closure made in
	// the loop was allocated for every image of the page.
	hint := c.badgeHint(kind)
	is := func(img, a *html.Node) bool { return c.isImageBadge(kind, img, a) }
	for i, im := range c.doc.images {
		if im.hidden {
			continue
		}
		if im.node == nil && !c.doc.scannedImageIs(i, hint, is) {
			// Judged from the scan's table: making the node would have
			// made every ancestor's children, for each image of a page.
			continue
		}
		n := c.doc.imageNode(i)
		if n == nil {
			return nil // the fast path could not make it; the full parse will
		}
		if sh := c.doc.sheet; sh != nil && len(sh.rules) > 0 && c.sheetState(n).hidden() != notHidden {
			continue // hidden by the page's style sheet
		}
		if c.isImageBadge(kind, n, closestLink(n)) {
			return n
		}
	}
	return nil
}

// isImageBadge says whether img, inside the link a (nil if none), stands
// for a badge of the kind.
func (c *checkRun) isImageBadge(kind int, img, a *html.Node) bool {
	text := attr(img, "alt") + " " + attr(img, "title")
	s := text + " " + imageFile(img)
	switch kind {
	case psbImage:
		return containsAny(s, psbInImage) || hasDigitRun(text, 14) && psbNumber.MatchString(text) || a != nil && isPSBLink(c.base)(a)
	case icpImage:
		return icpInImage.MatchString(s) || a != nil && miitTarget(linkHref(a), c.base) != miitOther
	}
	return false
}

// badgeHint returns a test that an image's start tag (link false), or
// the start tag of the link around it (link true), must pass for
// isImageBadge to be true: whatever isImageBadge matches is in the tag's
// bytes unless a character reference or a percent escape hides it, or a
// non-ASCII letter that lowercases to ASCII (İ) spells a host. Every
// filing host has "beian" in its name (TestFilingHostsSayBeian); a
// relative link is tested in full on a page of such a host.
func (c *checkRun) badgeHint(kind int) func(tag string, link bool) bool {
	onFilingHost := c.base != nil && containsFoldASCII(c.base.Host, "beian")
	return func(tag string, link bool) bool {
		// Two IndexByte calls rather than ContainsAny, which tested the
		// tag byte by byte; a link's bytes only are looked through for
		// non-ASCII.
		if strings.IndexByte(tag, '&') >= 0 || strings.IndexByte(tag, '%') >= 0 || link && hasNonASCII([]byte(tag)) {
			return true
		}
		switch {
		case link:
			return onFilingHost || containsFoldASCII(tag, "beian")
		case kind == psbImage:
			// psbInImage's words are Chinese: a tag all ASCII (as most
			// are) holds none of them.
			return hasNonASCII([]byte(tag)) && containsAny(tag, psbInImage) || hasDigitRun(tag, 14)
		default:
			return containsFoldASCII(tag, "icp")
		}
	}
}

// containsFoldASCII is strings.Contains ignoring the case of ASCII letters;
// word is lower case.
func containsFoldASCII(s, word string) bool {
	for i := 0; i+len(word) <= len(s); i++ {
		j := 0
		for ; j < len(word); j++ {
			b := s[i+j]
			if 'A' <= b && b <= 'Z' {
				b += 'a' - 'A'
			}
			if b != word[j] {
				break
			}
		}
		if j == len(word) {
			return true
		}
	}
	return false
}

// hasDigitRun says whether s has n ASCII digits in a row: a cheap test
// before a regexp that needs them.
func hasDigitRun(s string, n int) bool {
	run := 0
	for i := 0; i < len(s); i++ {
		if '0' <= s[i] && s[i] <= '9' {
			if run++; run >= n {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// imageFile returns the decoded file name of an image's source.
func imageFile(n *html.Node) string {
	src := attr(n, "src")
	if src == "" {
		src = attr(n, "style")
	}
	if u, err := url.PathUnescape(src); err == nil {
		src = u
	}
	if i := strings.LastIndexByte(src, '/'); i >= 0 {
		src = src[i+1:]
	}
	return src
}

// imageName describes an image for a message.
func imageName(n *html.Node) string {
	for _, k := range []string{"alt", "title"} {
		if v := strings.TrimSpace(attr(n, k)); v != "" {
			return v
		}
	}
	return imageFile(n)
}

func quoteHref(h string) string {
	if h == "" {
		return `""`
	}
	return h
}
