package checker

import (
	"net/url"

	"golang.org/x/net/html"
)

// icpOcc is one ICP number as it appears in the page.
type icpOcc struct {
	entry  ICP
	num    ICPNumber
	block  []*html.Node // badge block chain, innermost first
	target string       // miitCurrent, miitOutdated, miitOther; "" when not in a link
	reason hideReason   // why it is hidden
}

// collectICP finds every ICP number in the page's visible and hidden text.
func collectICP(d *document, base *url.URL) []icpOcc {
	var occs []icpOcc
	for _, buf := range []*textBuf{&d.vis, &d.hid} {
		for _, m := range buf.icpMatches() {
			occs = append(occs, newICPOcc(buf, m, buf == &d.vis, base))
		}
	}
	return occs
}

func newICPOcc(buf *textBuf, m icpMatch, visible bool, base *url.URL) icpOcc {
	start, end := buf.norm.orig(m.start), buf.norm.origEnd(m.end)
	nodes, reason := buf.nodes(start, end)
	text := collapseSpace(buf.raw[start:end])
	o := icpOcc{num: m.num, reason: reason}
	o.entry = ICP{Text: text, Kind: m.num.Kind, Visible: visible}
	if !isPlaceholderValue(m.num.Digits) {
		o.entry.Number = m.num.Canonical()
	}
	if p, ok := m.num.Province(); ok {
		o.entry.Province = p.Name
	}
	if start := lca(nodes); start != nil {
		o.block = blockChain(start, runeCount(text), !visible)
	}
	for _, n := range nodes {
		if a := closestLink(n); a != nil {
			o.entry.LinkURL = linkHref(a)
			o.target = miitTarget(linkHref(a), base)
			o.entry.Linked = o.target != miitOther
			break
		}
	}
	return o
}

// icpRules judges the ICP numbers a visitor sees.
func (c *checkRun) icpRules() {
	var filings, licences, hidden []*icpOcc
	for i := range c.icp {
		o := &c.icp[i]
		switch {
		case !o.entry.Visible:
			hidden = append(hidden, o)
		case o.num.Kind == KindFiling:
			filings = append(filings, o)
		default:
			licences = append(licences, o)
		}
	}
	for _, o := range hidden {
		c.add(o.block, CodeICPHidden, o.display(), o.reason)
	}
	if len(filings) == 0 {
		var img *html.Node
		switch {
		case len(licences) > 0:
			c.add(licences[0].block, CodeICPLicenseOnly, licences[0].entry.Number)
		case c.scriptICP != "" || c.scriptPSB != "":
			// The footer is drawn by script: not verifiable, not missing.
		case func() bool { img = c.imageBadge(icpImage); return img != nil }():
			c.addAt(img, CodeICPImageOnly, imageName(img))
		default:
			c.add(nil, CodeICPMissing, hiddenNote(len(hidden) > 0, " (only in hidden elements)"))
		}
	}
	for _, g := range groupICP(filings) {
		c.icpNumberRules(g)
	}
	for _, g := range groupICP(licences) {
		c.validateICP(g[0])
	}
	c.icpExpectRules(filings, licences)
}

// hiddenNote is note when hidden holds, for a message's end, with its
// Chinese form.
func hiddenNote(hidden bool, note string) biText {
	if !hidden {
		return biText{}
	}
	return biText{note, notesZH[note]}
}

// notesZH are the Chinese forms of the notes hiddenNote is given.
var notesZH = map[string]string{
	" (only in hidden elements)": "(仅出现在隐藏元素中)",
}

func (o *icpOcc) display() string {
	if o.entry.Number != "" {
		return o.entry.Number
	}
	return o.entry.Text
}

// groupICP groups occurrences of the same number, keeping page order.
func groupICP(occs []*icpOcc) [][]*icpOcc {
	var groups [][]*icpOcc
	index := map[string]int{}
	for _, o := range occs {
		k := o.entry.Number
		if k == "" {
			k = o.entry.Text
		}
		i, ok := index[k]
		if !ok {
			i = len(groups)
			index[k] = i
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], o)
	}
	return groups
}

// icpNumberRules judges one distinct filing number: its validity, its
// spelling, its link and the province's number-level rule.
func (c *checkRun) icpNumberRules(g []*icpOcc) {
	first := g[0]
	if !c.validateICP(first) {
		// A fake or broken number fails on its own; whether it is linked
		// is beside the point (a joke 萌ICP备 badge, a quoted template).
		return
	}
	best := first
	for _, o := range g {
		if rankMIIT(o.target) > rankMIIT(best.target) {
			best = o
		}
	}
	switch best.target {
	case miitCurrent:
	case miitOutdated:
		c.add(best.block, CodeICPLinkOutdated, best.display(), best.entry.LinkURL)
	case miitOther:
		c.add(best.block, CodeICPLinkWrong, best.display(), quoteHref(best.entry.LinkURL))
	default:
		c.add(best.block, CodeICPNotLinked, best.display())
	}
	if first.num.nonstandard(first.entry.Text) {
		c.add(first.block, CodeICPNonstandard, first.entry.Text, first.entry.Number)
	}
	if c.levelChecked {
		return
	}
	c.levelChecked = true
	p, _ := first.num.Province()
	switch {
	case p.ICPLevel == LevelEntity && first.num.Suffix != "":
		c.addRaw(first.block, CodeICPLevelRule,
			[]any{first.entry.Number, p.Name + " sites show the entity number, without the -N suffix"},
			[]any{first.entry.Number, p.NameZH + "的网站应显示主体备案号,不带 -N 后缀"})
	case p.ICPLevel == LevelSite && first.num.Suffix == "":
		c.addRaw(first.block, CodeICPLevelRule,
			[]any{first.entry.Number, p.Name + " sites show the site number, with its -N suffix"},
			[]any{first.entry.Number, p.NameZH + "的网站应显示带 -N 后缀的网站备案号"})
	}
}

func rankMIIT(t string) int {
	switch t {
	case miitCurrent:
		return 3
	case miitOutdated:
		return 2
	case miitOther:
		return 1
	}
	return 0
}

// validateICP raises a number's validation findings and says whether it is
// a valid number.
func (c *checkRun) validateICP(o *icpOcc) bool {
	valid := true
	for _, p := range o.num.Problems(o.entry.Text, c.now.Year()) {
		if p.code == CodeICPProvinceMissing && o.num.telecom() {
			continue // cross-regional telecom licences have no province
		}
		if p.code == CodeICPPlaceholder && c.want.ICP != "" && c.wantICP.Canonical() == o.num.Canonical() {
			continue // the registry says it is real
		}
		c.add(o.block, p.code, p.args...)
		if codeIndex[p.code].Severity == SeverityError {
			valid = false
		}
	}
	return valid
}

// icpExpectRules compares the page with the registry's ICP number.
func (c *checkRun) icpExpectRules(filings, licences []*icpOcc) {
	shown := append(append([]*icpOcc(nil), filings...), licences...)
	if len(shown) == 0 {
		return
	}
	if c.want.ICP == "" {
		if c.want.Registered {
			c.add(shown[0].block, CodeICPNotInRegistry, shown[0].display())
		}
		return
	}
	for _, o := range shown {
		if icpMatches(o.num, c.wantICP) {
			return
		}
	}
	o := shown[0]
	if c.wantICP.Kind == KindFiling && len(filings) > 0 {
		o = filings[0]
	}
	c.add(o.block, CodeICPMismatch, o.display(), c.wantICP.Canonical())
}

// icpMatches reports whether a shown number is the expected one. The
// entity number and its site numbers (-N) are the same filing; whether the
// page should show one or the other is the level rule's business.
func icpMatches(shown, want ICPNumber) bool {
	if shown.Canonical() == want.Canonical() {
		return true
	}
	if shown.Entity() != want.Entity() {
		return false
	}
	return shown.Suffix == "" || want.Suffix == ""
}
