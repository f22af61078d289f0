package checker

import (
	"regexp"
	"strings"
)

// A footer may say a filing is under way instead of showing a number:
// 公网安备(备案中), 京ICP备案审核中. That is not a missing number to a
// visitor's eye, nor a filing: it gets its own finding in place of the
// missing one.
var (
	// progressLabelled is a filing's label followed by a word saying it
	// is in progress; group 1 is the label.
	progressLabelled = regexp.MustCompile(`(公\s*[网網]\s*安\s*[备備]|公安(?:联网)?[备備]案?|(?i:ICP)\s*[备備])\s*(?:案\s*)?(?:编?[号號]\s*)?:?\s*[(\[【]?\s*(?:[备備]案)?(?:正在)?(?:审核|办理|申请|[备備]案)中\s*[)\]】]?`)
	// progressBare is 备案审核中 without a label; the words before it say
	// which filing it is.
	progressBare = regexp.MustCompile(`[备備]案(?:审核|办理)中`)
)

// inProgress is a filing shown as in progress: what the page says, and
// whether it is the PSB filing (else the ICP filing).
type inProgress struct {
	text string
	psb  bool
}

// findInProgress finds the filings the visible text says are in progress:
// the first of each kind.
func findInProgress(t *textBuf) (icp, psb *inProgress) {
	s := t.norm.s
	if !mentionsProgress(s) {
		return nil, nil
	}
	add := func(start, end int, isPSB bool) {
		p := &inProgress{text: collapseSpace(t.raw[t.norm.orig(start):t.norm.origEnd(end)]), psb: isPSB}
		switch {
		case isPSB && psb == nil:
			psb = p
		case !isPSB && icp == nil:
			icp = p
		}
	}
	for _, m := range progressLabelled.FindAllStringSubmatchIndex(s, maxNumbers) {
		start := m[0]
		if r, at := prefixRune(s, start); r != 0 {
			if _, ok := abbrev[r]; ok {
				start = at // 京公网安备(备案中)
			}
		}
		add(start, m[1], !strings.HasPrefix(strings.ToUpper(s[m[2]:m[3]]), "ICP"))
	}
	for _, m := range progressBare.FindAllStringIndex(s, maxNumbers) {
		before := s[max(0, m[0]-18):m[0]]
		isPSB := strings.Contains(before, "公安") || strings.Contains(before, "网安")
		if strings.Contains(before, "ICP") || isPSB {
			continue // labelled: found above
		}
		// 网站备案审核中 is the ICP filing: the one every site needs first.
		add(m[0], m[1], false)
	}
	return icp, psb
}

// progressRules puts an in-progress finding where the missing number's
// stands, when the page says that filing is in progress. The missing
// flags stay set: the number is still missing for the deadline rules.
func (c *checkRun) progressRules() {
	if !c.r.Has(CodeICPMissing) && !c.psbMissing {
		return
	}
	icp, psb := findInProgress(&c.doc.vis)
	if icp != nil {
		c.replaceFinding(CodeICPMissing, newFinding(CodeICPInProgress, icp.text))
	}
	if psb != nil && c.psbMissing {
		c.replaceFinding(CodePSBMissing, newFinding(CodePSBInProgress, psb.text))
	}
}

// replaceFinding puts f in the place of the finding with code, if any.
func (c *checkRun) replaceFinding(code string, f Finding) {
	for i := range c.r.Findings {
		if c.r.Findings[i].Code == code {
			c.r.Findings[i] = f
			return
		}
	}
}

// progressWords end in 中 as every progress pattern does.
var progressWords = []string{"审核", "办理", "申请", "备案", "備案"}

// mentionsProgress is the cheap test before the patterns run over a
// page's text: some 中 comes right after one of progressWords (中 itself
// is in one Chinese sentence in three: 中国, 中心 …).
func mentionsProgress(s string) bool {
	for from := 0; ; {
		i := indexByLast(s[from:], "中")
		if i < 0 {
			return false
		}
		i += from
		from = i + len("中")
		for _, w := range progressWords {
			if strings.HasSuffix(s[:i], w) {
				return true
			}
		}
	}
}
