package checker

import (
	"strings"
	"unicode/utf8"
)

// normRune maps one rune to its normalised form for number matching:
// full-width ASCII to half-width, dashes to '-', exotic spaces to ' ',
// the traditional forms found in Big5 and Hong Kong style footers to the
// simplified ones filing numbers are issued in. It returns -1 for runes to
// drop (zero-width characters). It is called for every character of a
// page, so it is a switch, not a map.
func normRune(r rune) rune {
	switch {
	case r < 0xA0:
		return r
	case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII block
		return r - 0xFF01 + '!'
	case r == 0x3000 || r == 0x00A0 || (r >= 0x2000 && r <= 0x200A) || r == 0x202F || r == 0x205F:
		return ' '
	case r == 0x200B || r == 0x200C || r == 0x200D || r == 0x2060 || r == 0xFEFF || r == 0x00AD:
		return -1
	case (r >= 0x2010 && r <= 0x2015) || r == 0x2212 || r == 0xFE58 || r == 0xFE63:
		return '-'
	}
	switch r {
	case '備':
		return '备'
	case '號':
		return '号'
	case '網':
		return '网'
	case '證':
		return '证'
	case '粵':
		return '粤'
	case '滬':
		return '沪'
	case '遼':
		return '辽'
	case '蘇':
		return '苏'
	case '閩':
		return '闽'
	case '贛':
		return '赣'
	case '魯':
		return '鲁'
	case '瓊':
		return '琼'
	case '貴':
		return '贵'
	case '隴':
		return '陇'
	case '寧':
		return '宁'
	case '晉':
		return '晋'
	case '陝':
		return '陕'
	case '雲':
		return '云'
	}
	return r
}

// normText is a normalised copy of a text buffer that remembers where each
// of its bytes came from, so a match can be mapped back to the displayed
// text and to the DOM.
type normText struct {
	s string
	// src[i] is the offset in the original buffer of s[i]; src has one
	// more entry for the end. nil means s is the original (nothing changed).
	src []int32
}

// normalize returns the normalised form of raw. Most pages need no change,
// and then no copy or offset table is made.
func normalize(raw string) normText {
	i := 0
	for i < len(raw) {
		r, n := utf8.DecodeRuneInString(raw[i:])
		if normRune(r) != r {
			break
		}
		i += n
	}
	if i == len(raw) {
		return normText{s: raw}
	}
	var b strings.Builder
	b.Grow(len(raw))
	src := make([]int32, 0, len(raw)+1)
	for j := 0; j < len(raw); {
		r, n := utf8.DecodeRuneInString(raw[j:])
		if r == utf8.RuneError && n == 1 {
			// Keep invalid bytes as they are: they cannot be part of a number.
			b.WriteByte(raw[j])
			src = append(src, int32(j))
			j++
			continue
		}
		m := normRune(r)
		if m >= 0 {
			k := b.Len()
			b.WriteRune(m)
			for ; k < b.Len(); k++ {
				src = append(src, int32(j))
			}
		}
		j += n
	}
	src = append(src, int32(len(raw)))
	return normText{s: b.String(), src: src}
}

// orig maps an offset in the normalised text to the original buffer.
func (t normText) orig(i int) int {
	if t.src == nil {
		return i
	}
	return int(t.src[i])
}

// origEnd maps an end offset (exclusive) to the original buffer, so that
// the last rune is included whole.
func (t normText) origEnd(i int) int {
	if t.src == nil || i == 0 {
		return i
	}
	if i >= len(t.src)-1 {
		return int(t.src[len(t.src)-1])
	}
	// The byte after the match starts where its source rune starts.
	return int(t.src[i])
}

// collapseSpace trims s and collapses runs of white space into one space,
// as a browser renders it.
func collapseSpace(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(strings.ReplaceAll(s, "\u3000", " "), "\u00a0", " ")), " ")
}
