package lexicon

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// folder normalises text and phrases alike: NFKC (full-width letters,
// digits and punctuation become ASCII, the ideographic space a space, and
// so on), then lower case. Chinese characters are left as they are.
//
// Full NFKC costs about 8 ns a byte on Chinese text, more than the phrase
// search itself, so the folder keeps a table for the Basic Multilingual
// Plane: for each rune whose NFKC form is a single rune that neither
// combines with its neighbours nor is combined with, the folded rune.
// Text made only of such runes (nearly every Chinese page) is folded rune
// by rune, which gives exactly what NFKC and lower-casing the whole string
// gives; anything else takes the full path.
type folder struct {
	// table[r] is the folded form of rune r, or 0 when r needs the full
	// path (it decomposes into several runes, or composes).
	table []uint16
}

func newFolder() *folder {
	f := &folder{table: make([]uint16, 0x10000)}
	var buf [utf8.UTFMax]byte
	for r := rune(0); r < 0x10000; r++ {
		if r >= 0xD800 && r <= 0xDFFF {
			continue // surrogates never appear in valid UTF-8
		}
		n := utf8.EncodeRune(buf[:], r)
		if g := foldRune(buf[:n]); g > 0 && g < 0x10000 {
			f.table[r] = uint16(g)
		}
	}
	return f
}

// foldRune is the single-rune fold of the UTF-8 rune in b, or -1 when the
// rune needs the full path: it may combine with the rune before it, or
// its NFKC form is not one rune that is itself inert (combines with
// nothing on either side). Full-width ，：（ decompose to inert ASCII and
// fold here; most Chinese characters are inert themselves.
func foldRune(b []byte) rune {
	p := norm.NFKC.Properties(b)
	if !p.BoundaryBefore() || p.CCC() != 0 {
		return -1
	}
	r, _ := utf8.DecodeRune(b)
	if !p.BoundaryAfter() {
		d := p.Decomposition() // the NFKD form
		if d == nil {
			return -1
		}
		m, n := utf8.DecodeRune(d)
		if n != len(d) || !inert(d) {
			return -1
		}
		r = m
	}
	return unicode.ToLower(r)
}

// inert reports whether the rune in b interacts with no neighbour under
// NFKC.
func inert(b []byte) bool {
	p := norm.NFKC.Properties(b)
	return p.BoundaryBefore() && p.BoundaryAfter() && p.CCC() == 0
}

// fold returns the normalised form of s, and s itself when nothing
// changes (no allocation).
func (f *folder) fold(s string) string {
	i := f.normalPrefix(s)
	if i == len(s) {
		return s // already normal: the common case for Chinese text
	}
	return string(f.appendFold(make([]byte, 0, len(s)), s))
}

// normalPrefix is the length of the longest prefix of s that folding
// leaves as it is.
func (f *folder) normalPrefix(s string) int {
	i := 0
	for i < len(s) {
		c := s[i]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				break
			}
			i++
			continue
		}
		r, n := decodeRune(s, i)
		if r >= 0x10000 || n == 1 || rune(f.table[r]) != r {
			break
		}
		i += n
	}
	return i
}

// appendFold appends the normalised form of s to b. Runs of bytes that
// stay as they are (nearly all of a Chinese text) are copied whole.
func (f *folder) appendFold(b []byte, s string) []byte {
	start, run := len(b), 0 // run: where the bytes not yet copied start
	for j := 0; j < len(s); {
		c := s[j]
		if c < utf8.RuneSelf {
			if 'A' <= c && c <= 'Z' {
				b = append(append(b, s[run:j]...), c+'a'-'A')
				run = j + 1
			}
			j++
			continue
		}
		r, n := decodeRune(s, j)
		if r >= 0x10000 || n == 1 || f.table[r] == 0 {
			return append(b[:start], slowFold(s)...)
		}
		if g := rune(f.table[r]); g != r {
			b = utf8.AppendRune(append(b, s[run:j]...), g)
			run = j + n
		}
		j += n
	}
	return append(b, s[run:]...)
}

// decodeRune is utf8.DecodeRuneInString(s[j:]) for s[j] ≥ 0x80, with the
// three-byte sequences of Chinese text decoded inline; n is 1 for an
// invalid sequence.
func decodeRune(s string, j int) (rune, int) {
	if c := s[j]; c&0xF0 == 0xE0 && j+2 < len(s) && s[j+1]&0xC0 == 0x80 && s[j+2]&0xC0 == 0x80 {
		r := rune(c&0x0F)<<12 | rune(s[j+1]&0x3F)<<6 | rune(s[j+2]&0x3F)
		if r >= 0x800 && (r < 0xD800 || r > 0xDFFF) {
			return r, 3
		}
		return utf8.RuneError, 1 // overlong, or a surrogate
	}
	return utf8.DecodeRuneInString(s[j:])
}

// slowFold is the definition the fast path reproduces.
func slowFold(s string) string {
	return strings.Map(unicode.ToLower, norm.NFKC.String(strings.ToValidUTF8(s, "\uFFFD")))
}
