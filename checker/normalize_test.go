package checker

import (
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
