package checker

import (
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"
)

// refNormalize is the plain form of normalize: a copy rune by rune with
// the source offset of every byte.
func refNormalize(raw string) (string, []int) {
	var b strings.Builder
	var src []int
	for j := 0; j < len(raw); {
		r, n := utf8.DecodeRuneInString(raw[j:])
		if r == utf8.RuneError && n == 1 {
			b.WriteByte(raw[j])
			src = append(src, j)
			j++
			continue
		}
		if m := normRune(r); m >= 0 {
			k := b.Len()
			b.WriteRune(m)
			for ; k < b.Len(); k++ {
				src = append(src, j)
			}
		}
		j += n
	}
	return b.String(), append(src, len(raw))
}

// TestNormalizeOffsets checks normalize's text and, at every rune
// boundary (where matches start and end), its map back to the original.
func TestNormalizeOffsets(t *testing.T) {
	tests := []string{
		"",
		"plain ascii",
		"京ICP备2021034567号-1",
		"京ＩＣＰ备２０２１０３４５６７号－１",
		"a\u00a0b\u3000c\u200bd\ufeffe\u2014f 公網安備 11010502045678號",
		"\u200b\u200b",
		"x\xffy\xe4\xb8z 粵B2-20090059",
		"全角：Ｂ２－２００９００５９\u00ad",
		"a\xed\xa0\x80\u3000\xe0\x80\x80ｂ\xe4\xb8",
	}
	for _, raw := range tests {
		got := normalize(raw)
		want, src := refNormalize(raw)
		if got.s != want {
			t.Errorf("normalize(%q) = %q, want %q", raw, got.s, want)
			continue
		}
		for i := 0; i <= len(want); i++ {
			if i < len(want) && !utf8.RuneStart(want[i]) {
				continue
			}
			if o := got.orig(i); o != src[i] {
				t.Errorf("normalize(%q).orig(%d) = %d, want %d", raw, i, o, src[i])
			}
			wantEnd := src[i]
			if i == 0 {
				wantEnd = 0 // an empty match at the start stays there
			}
			if o := got.origEnd(i); o != wantEnd {
				t.Errorf("normalize(%q).origEnd(%d) = %d, want %d", raw, i, o, wantEnd)
			}
		}
	}
}

// TestFindPSBAnchored checks findPSB, which runs its pattern at each 公,
// against the pattern run over the whole text, on the corpus's rendered
// text and some hand-made runs.
func TestFindPSBAnchored(t *testing.T) {
	whole := regexp.MustCompile(strings.TrimPrefix(psbAt.String(), "^"))
	texts := []string{
		"公司 公网安备 公安备案号 京公网安备11010502045678号 公公网安备1号",
		"公安网备 110105 号公網安備１２３ 公 网 安 备 xxx 公网安备公网安备9",
		strings.Repeat("公网安备1 ", 40),
		"公\t\f\r\n 网安备11010502045678号 公\v网安备1 公\n安备案2 公司公告公公安",
	}
	for _, c := range loadCorpus(t) {
		d, ok := scanPage(decode(c.page.Body, c.page.Header.Get("Content-Type")).text)
		if ok {
			texts = append(texts, d.vis.norm.s, d.hid.norm.s)
		}
	}
	for _, s := range texts {
		var got, other [][]int
		for _, m := range findPSB(s) {
			// Only psbAt's own matches: not a legacy number (issuer +
			// 备案编号), an empty 号 or digits joined across groups
			// (the whole-text pattern's match there is left out too).
			if m.num.Issuer != "" || m.num.Digits == "" || !strings.Contains(strings.ToUpper(s[m.start:m.end]), strings.ToUpper(m.num.Digits)) {
				other = append(other, []int{m.start, m.end})
				continue
			}
			end := m.end
			got = append(got, []int{m.start, end})
		}
		var want [][]int
		for _, loc := range whole.FindAllStringSubmatchIndex(s, maxNumbers) {
			if !slices.ContainsFunc(other, func(o []int) bool { return loc[0] < o[1] && o[0] < loc[1] }) {
				want = append(want, loc[:2])
			}
		}
		// findPSB moves a match's start back over the province prefix.
		if len(got) != len(want) {
			t.Errorf("findPSB found %d numbers in %.60q…, the whole-text pattern %d", len(got), s, len(want))
			continue
		}
		for i := range got {
			if got[i][1] != want[i][1] || got[i][0] > want[i][0] {
				t.Errorf("findPSB match %d in %.60q… = %v, whole-text pattern %v", i, s, got[i], want[i])
			}
		}
	}
}

// TestIndexFold checks indexFold against strings.Index on upper-cased
// text, at every offset of texts where "ICP" turns up in any case.
func TestIndexFold(t *testing.T) {
	texts := []string{
		"", "I", "IC", "ICP", "icp", "iCp", "xxIcP", "ICICP", "iiiICP", "IcIcIcp",
		"京ICP备12345678号", "京icp备 京Icp证", "ICQ ICX IC P", "ıcp ICP", "公网安备ICP",
		strings.Repeat("i", 100) + "Icp", strings.Repeat("I", 100) + "cp",
	}
	for _, s := range texts {
		for from := 0; from <= len(s); from++ {
			want := strings.Index(asciiUpper(s[from:]), "ICP")
			if got := indexFold(s[from:], "ICP"); got != want {
				t.Errorf("indexFold(%q, ICP) = %d, want %d", s[from:], got, want)
			}
		}
	}
}

func asciiUpper(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - ('a' - 'A')
		}
	}
	return string(b)
}
