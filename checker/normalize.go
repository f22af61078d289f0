package checker

import (
	"encoding/binary"
	"math/bits"
	"sort"
	"strings"
	"unicode/utf8"
	"unsafe"
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
	case r >= 0x4E00 && r <= 0x9FFF:
		// CJK ideographs, most of a Chinese page: only the traditional
		// forms below change, and none of the other cases is among them.
		return tradRune(r)
	case r >= 0xFF01 && r <= 0xFF5E: // full-width ASCII block
		return r - 0xFF01 + '!'
	case r == 0x3000 || r == 0x00A0 || (r >= 0x2000 && r <= 0x200A) || r == 0x202F || r == 0x205F:
		return ' '
	case r == 0x200B || r == 0x200C || r == 0x200D || r == 0x2060 || r == 0xFEFF || r == 0x00AD:
		return -1
	case (r >= 0x2010 && r <= 0x2015) || r == 0x2212 || r == 0xFE58 || r == 0xFE63:
		return '-'
	}
	return r
}

// tradBits has bit r&127 set for each rune tradRune changes.
const tradBits = 1<<('備'&127) | 1<<('號'&127) | 1<<('網'&127) | 1<<('證'&127) | 1<<('粵'&127) |
	1<<('滬'&127) | 1<<('遼'&127) | 1<<('蘇'&127) | 1<<('閩'&127) | 1<<('贛'&127) | 1<<('魯'&127) |
	1<<('瓊'&127) | 1<<('貴'&127) | 1<<('隴'&127) | 1<<('寧'&127) | 1<<('晉'&127) | 1<<('陝'&127) |
	1<<('雲'&127)

// maybeTrad reports whether tradRune may change r: false only when it
// does not.
func maybeTrad(r rune) bool {
	m := uint64(tradBits & (1<<64 - 1))
	if r&64 != 0 {
		m = uint64(tradBits >> 64)
	}
	return m>>(r&63)&1 != 0
}

// tradRune maps the traditional forms of filing-number characters to the
// simplified ones.
func tradRune(r rune) rune {
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
	// marks map offsets in s back to the original buffer, piecewise: from
	// marks[k].at up to the next mark, a run copied unchanged (orig =
	// from + the distance into the run) or one replaced rune (every byte
	// of it maps to from, where its source rune starts). nil means s is
	// the original (nothing changed).
	marks []normMark
	// rawLen is the original's length, where the end of s maps to.
	rawLen int
}

type normMark struct {
	at, from int32
	replaced bool
}

// normalize returns the normalised form of raw. Most pages need no change,
// and then no copy or offset map is made. Otherwise only the runes that
// change cost more than a copy.
func normalize(raw string) normText {
	t, _ := normalizeInto(raw, nil, nil)
	return t
}

// normalizeInto is normalize that puts the marks in marks' memory and the
// text in buf's when they have room (a Chinese page's full-width
// punctuation makes hundreds of marks, and the copy is as long as the
// page's text). It returns the memory the text is in, nil when the text
// is raw itself: the text is valid only as long as that memory is not
// reused.
func normalizeInto(raw string, marks []normMark, buf []byte) (normText, []byte) {
	k := firstChange(raw, 0)
	if k == len(raw) {
		return normText{s: raw}, nil
	}
	// Normalising never lengthens the text.
	b := buf[:0]
	if cap(b) < len(raw) {
		b = make([]byte, 0, len(raw))
	}
	if cap(marks) < 16 {
		marks = make([]normMark, 0, 16)
	}
	t := normText{rawLen: len(raw), marks: marks[:0]}
	for j := 0; j < len(raw); {
		// An unchanged run up to the next rune that changes (k, found
		// already for the first).
		if j > 0 {
			k = firstChange(raw, j)
		}
		if k > j {
			t.marks = append(t.marks, normMark{at: int32(len(b)), from: int32(j)})
			b = append(b, raw[j:k]...)
			j = k
			if j == len(raw) {
				break
			}
		}
		r, n := utf8.DecodeRuneInString(raw[j:])
		if m := normRune(r); m >= 0 {
			t.marks = append(t.marks, normMark{at: int32(len(b)), from: int32(j), replaced: true})
			b = utf8.AppendRune(b, m)
		}
		j += n
	}
	t.s = unsafe.String(unsafe.SliceData(b), len(b))
	return t, b
}

// firstChange returns the offset of the first rune in raw[from:] that
// normalising changes, or len(raw). Invalid bytes stay as they are: they
// cannot be part of a number.
func firstChange(raw string, from int) int {
	for i := from; i < len(raw); {
		c := raw[i]
		if c < utf8.RuneSelf {
			// ASCII never changes: past it a word at a time.
			i++
			for i+8 <= len(raw) {
				if m := load64(raw, i) & 0x8080808080808080; m != 0 {
					i += bits.TrailingZeros64(m) >> 3
					break
				}
				i += 8
			}
			continue
		}
		// Most of a Chinese page is three-byte runes: decode them here.
		// Skipping a lead byte and two continuation bytes at once never
		// steps over the start of a rune, even where DecodeRune would
		// call the sequence invalid (overlong, surrogate): then none of
		// the three bytes changes either.
		if c&0xF0 == 0xE0 && i+2 < len(raw) && raw[i+1]&0xC0 == 0x80 && raw[i+2]&0xC0 == 0x80 {
			r := rune(c&0x0F)<<12 | rune(raw[i+1]&0x3F)<<6 | rune(raw[i+2]&0x3F)
			// An ideograph changes only if it is one of tradRune's few,
			// which their low seven bits mostly tell apart: the others
			// are passed over without a call.
			if r >= 0x4E00 && r <= 0x9FFF && !maybeTrad(r) {
				i += 3
				continue
			}
			if r >= 0x800 && (r < 0xD800 || r > 0xDFFF) && normRune(r) != r {
				return i
			}
			i += 3
			continue
		}
		r, n := utf8.DecodeRuneInString(raw[i:])
		if r == utf8.RuneError && n == 1 {
			i++
			continue
		}
		if normRune(r) != r {
			return i
		}
		i += n
	}
	return len(raw)
}

// orig maps an offset in the normalised text to the original buffer.
func (t normText) orig(i int) int {
	if t.marks == nil {
		return i
	}
	if i >= len(t.s) {
		return t.rawLen
	}
	k := sort.Search(len(t.marks), func(k int) bool { return int(t.marks[k].at) > i }) - 1
	m := t.marks[k]
	if m.replaced {
		return int(m.from)
	}
	return int(m.from) + i - int(m.at)
}

// origEnd maps an end offset (exclusive) to the original buffer, so that
// the last rune is included whole: the byte after the match starts where
// its source rune starts.
func (t normText) origEnd(i int) int {
	if t.marks == nil || i == 0 {
		return i
	}
	return t.orig(i)
}

// collapseSpace trims s and collapses runs of white space into one space,
// as a browser renders it.
func collapseSpace(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(strings.ReplaceAll(s, "\u3000", " "), "\u00a0", " ")), " ")
}

// load64 reads s[i:i+8] as a little-endian word (i+8 <= len(s)).
func load64(s string, i int) uint64 {
	return binary.LittleEndian.Uint64(unsafe.Slice(unsafe.StringData(s), len(s))[i:])
}
