package checker

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/bits"
	"mime"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"
	"unsafe"

	"golang.org/x/net/html/charset"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/htmlindex"
	"golang.org/x/text/encoding/unicode"
)

// metaScanLimit is how far into a page a <meta charset> is looked for.
// The HTML standard's prescan stops at 1024 bytes, but old Chinese pages
// often put long keyword and description tags first.
const metaScanLimit = 64 << 10

var metaCharset = regexp.MustCompile(`(?i)<meta\s[^>]*?charset\s*=\s*["']?\s*([a-z0-9_:.\-]+)`)

// decoded is a page body turned into UTF-8.
type decoded struct {
	// text is the page as UTF-8. A body that is UTF-8 already is not
	// copied: text shares its memory, so nothing made from text may
	// outlive the check without a copy of its own (see detach).
	text     string
	encoding string // WHATWG name of the encoding used: utf-8, gbk, gb18030, big5 …
	// declared is the first charset the page declared (BOM, header or
	// meta), "" if none.
	declared string
	// mem is the memory text is in when that is the buffer decodeInto
	// was given (or one grown from it), nil otherwise.
	mem []byte
}

type candidate struct {
	name string
	enc  encoding.Encoding
}

// decode turns body into UTF-8 text. The order is the browser's (BOM,
// Content-Type header, <meta>) but a declaration that the bytes plainly
// contradict is passed over for the next one, then for sniffing, because
// what a visitor sees in a Chinese browser is the text, not the mojibake.
func decode(body []byte, contentType string) decoded {
	return decodeInto(body, contentType, nil)
}

// decodeInto is decode that decodes a GBK or GB18030 page into buf's
// memory when it has room.
func decodeInto(body []byte, contentType string, buf []byte) decoded {
	var cands []candidate
	if e, name := bomEncoding(body); e != nil {
		cands = append(cands, candidate{name, e})
	}
	if _, params, err := mime.ParseMediaType(contentType); err == nil {
		if c, ok := lookup(params["charset"], true); ok {
			// A header's UTF-16 is what a browser decodes with (a
			// <meta>'s is not), when the bytes are UTF-16 at all.
			if !strings.HasPrefix(c.name, "utf-16") || looksUTF16(body) {
				cands = append(cands, c)
			}
		}
	}
	head := body
	if len(head) > metaScanLimit {
		head = head[:metaScanLimit]
	}
	if m := metaCharset.FindSubmatch(head); m != nil {
		if c, ok := lookup(string(m[1]), false); ok {
			cands = append(cands, c)
		}
	}
	d := decoded{}
	if len(cands) > 0 {
		d.declared = cands[0].name
	}
	for _, c := range cands {
		if text, mem, ok := tryDecode(body, c, buf); ok {
			d.text, d.encoding, d.mem = text, c.name, mem
			return d
		}
	}
	c, text, mem := sniff(body, buf)
	if text == "" {
		text, mem, _ = tryDecode(body, c, buf)
	}
	d.mem = mem
	d.text = text
	if d.text == "" && len(body) > 0 {
		d.text = string(body)
	}
	d.encoding = c.name
	return d
}

// lookup finds the encoding a charset label names; header says the label
// is the Content-Type header's.
func lookup(label string, header bool) (candidate, bool) {
	label = strings.TrimSpace(label)
	if label == "" {
		return candidate{}, false
	}
	e, name := charset.Lookup(label)
	if e == nil {
		return candidate{}, false
	}
	if strings.HasPrefix(name, "utf-16") {
		if !header {
			// A <meta> that says UTF-16 was read as ASCII, so the page
			// is not UTF-16: the HTML standard makes it UTF-8.
			return candidate{"utf-8", unicode.UTF8}, true
		}
		// The header's label is the browser's encoding (no BOM here:
		// one would have come first). The decoder's BOM handling is
		// off: a BOM would have been taken before the header.
		order := unicode.LittleEndian
		if name == "utf-16be" {
			order = unicode.BigEndian
		}
		return candidate{name, unicode.UTF16(order, unicode.IgnoreBOM)}, true
	}
	return candidate{name, e}, true
}

// looksUTF16 reports a body whose bytes are UTF-16 text: markup and
// ASCII are every other byte zero. A header's UTF-16 label on a page that
// is not would turn it all into unrelated characters, so it is taken
// for a mistake of the server's.
func looksUTF16(b []byte) bool {
	n := min(len(b), 1024)
	zeros := 0
	for i := 0; i < n; i++ {
		if b[i] == 0 {
			zeros++
		}
	}
	return n >= 2 && zeros*4 >= n
}

func bomEncoding(b []byte) (encoding.Encoding, string) {
	switch {
	case bytes.HasPrefix(b, []byte{0xEF, 0xBB, 0xBF}):
		return unicode.UTF8BOM, "utf-8"
	case bytes.HasPrefix(b, []byte{0xFF, 0xFE}):
		return unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM), "utf-16le"
	case bytes.HasPrefix(b, []byte{0xFE, 0xFF}):
		return unicode.UTF16(unicode.BigEndian, unicode.ExpectBOM), "utf-16be"
	}
	return nil, ""
}

// tryDecode decodes body with c and says whether the bytes fit it. mem is
// the memory the text is in when decodeGB made it in buf (or in memory
// grown from it).
func tryDecode(body []byte, c candidate, buf []byte) (text string, mem []byte, ok bool) {
	if c.name == "utf-8" {
		// Not copied: a copy of a typical page was half of what a check
		// allocated, and a large object costs the collector more than its
		// size (see decoded.text).
		b := bytes.TrimPrefix(body, []byte{0xEF, 0xBB, 0xBF})
		if validUTF8(b) {
			return unsafe.String(unsafe.SliceData(b), len(b)), nil, true
		}
		// A declared UTF-8 page with a few bad bytes (GBK text in an IE
		// conditional comment, a truncated character) is UTF-8 to a
		// browser, the bad bytes U+FFFD; one whose bytes are mostly
		// another encoding's is passed over for the next candidate.
		if damagedUTF8(b) {
			return replaceInvalid(b), nil, true
		}
		return "", nil, false
	}
	if !isASCIICompatibleMulti(c.name) {
		out, err := c.enc.NewDecoder().Bytes(body)
		return ownedString(out), nil, err == nil
	}
	// A page declaring a legacy encoding whose bytes are valid, non-ASCII
	// UTF-8 was saved as UTF-8 (GBK text is almost never valid UTF-8):
	// decoding it as declared would give mojibake such as 浜珺2.
	if hasNonASCII(body) && validUTF8(body) {
		return "", nil, false
	}
	out, mem, err := decodeBytes(body, c, buf)
	if err != nil {
		return "", nil, false
	}
	// The body first: it is not UTF-8 by now unless it is ASCII, so the
	// answer is nearly always known at its first non-ASCII byte.
	return ownedString(out), mem, hasRuneError(body) || !hasRuneError(out)
}

// decodeBytes decodes body with c, as c.enc.NewDecoder().Bytes does; mem
// is out when out is in buf's memory (or memory grown from it).
func decodeBytes(body []byte, c candidate, buf []byte) (out, mem []byte, err error) {
	if c.name == "gbk" || c.name == "gb18030" {
		out, err = decodeGB(body, c.name, c.enc, buf)
		return out, out, err
	}
	out, err = c.enc.NewDecoder().Bytes(body)
	return out, nil, err
}

// decodeGB decodes GBK or GB18030 bytes exactly as enc's decoder does, but
// hands it only the stretches that are not ASCII: it spends a dozen
// instructions on each ASCII byte, and the markup of a Chinese page is
// mostly ASCII.
//
// A stretch ends just before the second of two ASCII bytes in a row,
// which starts a character whatever came before: a character's bytes
// after its first may be ASCII (a GBK trail byte 0x40–0x7E, the digits of
// a GB18030 four-byte sequence), but only one at a time, and a lead byte
// followed by a digit and then ASCII is a bad byte on its own. Decoding
// the stretch alone then reads it as in place: the decoder looks at most
// three bytes ahead, and what it would see past the stretch's end (ASCII)
// makes the same bad byte as the end of input does.
//
// The text goes in buf's memory when it has room for a page of Chinese
// text (half as long again as its GBK).
func decodeGB(body []byte, name string, enc encoding.Encoding, buf []byte) ([]byte, error) {
	dec := enc.NewDecoder()
	table := gbTables()[name]
	out := buf[:0]
	if n := len(body) + len(body)/2; cap(out) < n {
		out = make([]byte, 0, n)
	}
	for i := 0; i < len(body); {
		j := nextNonASCII(body, i)
		out = append(out, body[i:j]...)
		if j == len(body) {
			break
		}
		k := asciiPair(body, j+1)
		// A stretch goes on over a run of ASCII shorter than a word (the
		// quote and '>' between an attribute's Chinese and the text's):
		// the decoder reads it as it would the whole page, and a call for
		// each stretch cost more than those bytes.
		for k+8 <= len(body) {
			m := binary.LittleEndian.Uint64(body[k:]) & 0x8080808080808080
			if m == 0 {
				break
			}
			k = asciiPair(body, k+bits.TrailingZeros64(m)>>3+1)
		}
		// At most three bytes out for each byte in (a bad byte becomes
		// U+FFFD): the decoder never runs short of room.
		out = slices.Grow(out, 3*(k-j))
		if table != nil {
			j, out = table.decode(body, j, k, out)
		}
		if j < k {
			dec.Reset()
			n, m, err := dec.Transform(out[len(out):cap(out)], body[j:k], true)
			if err != nil {
				return nil, err
			}
			if m != k-j {
				return nil, fmt.Errorf("decode %s: %d of %d bytes read", enc, m, k-j)
			}
			out = out[:len(out)+n]
		}
		i = k
	}
	return out, nil
}

// gbTable holds the two-byte characters of GBK or GB18030 (lead byte
// 0x81–0xFE, trail byte 0x40–0xFE) as the encoding's decoder decodes
// them, 0 for a pair it decodes otherwise (U+FFFD, or a bad byte and
// then ASCII).
type gbTable [126 * 191]uint16

// gbTables returns the tables of GBK and GB18030 by their names, made
// from their decoders the first time a page needs them (so they cannot
// differ from what the decoders make). It is a package-level value made
// once, as the regexps are: the decoder spent a dozen instructions and a
// call to EncodeRune on every character.
var gbTables = sync.OnceValue(func() map[string]*gbTable {
	tables := map[string]*gbTable{}
	for _, name := range []string{"gbk", "gb18030"} {
		enc, err := htmlindex.Get(name)
		if err != nil {
			continue // no table: the decoder decodes it all
		}
		t := new(gbTable)
		dec := enc.NewDecoder()
		var src [2]byte
		var dst [8]byte
		for c0 := 0x81; c0 <= 0xFE; c0++ {
			for c1 := 0x40; c1 <= 0xFE; c1++ {
				src[0], src[1] = byte(c0), byte(c1)
				dec.Reset()
				n, _, err := dec.Transform(dst[:], src[:], true)
				r, size := utf8.DecodeRune(dst[:n])
				if err == nil && size == n && r != utf8.RuneError && r <= 0xFFFF {
					t[(c0-0x81)*191+c1-0x40] = uint16(r)
				}
			}
		}
		tables[name] = t
	}
	return tables
})

// decode decodes body[j:k] into out for as long as it holds ASCII bytes
// and pairs the table has, and returns where it stopped (at a character's
// start: the decoder takes on from there) and out.
func (t *gbTable) decode(body []byte, j, k int, out []byte) (int, []byte) {
	for j < k {
		c0 := body[j]
		if c0 < utf8.RuneSelf {
			out = append(out, c0)
			j++
			continue
		}
		if j+1 >= k || c0 < 0x81 || c0 == 0xFF || body[j+1] < 0x40 || body[j+1] == 0xFF {
			break
		}
		r := t[int(c0-0x81)*191+int(body[j+1]-0x40)]
		if r == 0 {
			break
		}
		out = utf8.AppendRune(out, rune(r))
		j += 2
	}
	return j, out
}

// nextNonASCII returns the offset of the first byte of b[i:] that is not
// ASCII, len(b) if none.
func nextNonASCII(b []byte, i int) int {
	for ; i+8 <= len(b); i += 8 {
		if m := binary.LittleEndian.Uint64(b[i:]) & 0x8080808080808080; m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	for i < len(b) && b[i] < utf8.RuneSelf {
		i++
	}
	return i
}

// asciiPair returns the first offset from k on (k > 0) whose byte and
// the byte before it are both ASCII, len(b) if none: seven a word.
func asciiPair(b []byte, k int) int {
	for ; k+7 <= len(b); k += 7 {
		// Bytes k-1 to k+6: bit 7 of byte t in m says bytes t-1 and t
		// of the word are both ASCII (byte 0 has no byte before it).
		a := ^binary.LittleEndian.Uint64(b[k-1:]) & 0x8080808080808080
		if m := a & (a << 8); m != 0 {
			return k - 1 + bits.TrailingZeros64(m)>>3
		}
	}
	for k < len(b) && (b[k] >= utf8.RuneSelf || b[k-1] >= utf8.RuneSelf) {
		k++
	}
	return k
}

// validUTF8 is utf8.Valid, faster on Chinese text: most of its runes are
// three bytes whose lead byte admits any continuation bytes, and those
// are checked here without utf8.Valid's tables.
func validUTF8(p []byte) bool {
	for i := 0; i < len(p); {
		c := p[i]
		if c < utf8.RuneSelf {
			// ASCII: a word at a time, then straight to the first byte
			// that is not (one at a time, a short run cost a turn of the
			// loop for each byte).
			i++
			for i+8 <= len(p) {
				if m := binary.LittleEndian.Uint64(p[i:]) & 0x8080808080808080; m != 0 {
					i += bits.TrailingZeros64(m) >> 3
					break
				}
				i += 8
			}
			continue
		}
		// E0 and ED limit their second byte (overlong forms, surrogates):
		// those, and runes of other lengths, are DecodeRune's.
		if i+2 < len(p) && (0xE1 <= c && c <= 0xEC || c == 0xEE || c == 0xEF) {
			if p[i+1]&0xC0 != 0x80 || p[i+2]&0xC0 != 0x80 {
				return false
			}
			i += 3
			// Chinese text runs on in such runes: two at a time, by their
			// bit patterns (leads 0xE_ but not E0 or ED, then continuation
			// bytes), a fifth off the whole validation.
			for i+8 <= len(p) {
				w := binary.LittleEndian.Uint64(p[i:])
				if w&0x0000C0C0F0C0C0F0 != 0x00008080E08080E0 {
					break
				}
				if l0, l1 := byte(w), byte(w>>24); l0 == 0xE0 || l0 == 0xED || l1 == 0xE0 || l1 == 0xED {
					break
				}
				i += 6
			}
			continue
		}
		r, n := utf8.DecodeRune(p[i:])
		if r == utf8.RuneError && n == 1 {
			return false
		}
		i += n
	}
	return true
}

// hasRuneError is bytes.ContainsRune(b, utf8.RuneError): b holds U+FFFD or
// a byte that is not UTF-8. ContainsRune decodes b rune by rune for it,
// which took a sixth of checking a GBK page.
func hasRuneError(b []byte) bool {
	return !utf8.Valid(b) || bytes.Contains(b, []byte("\uFFFD"))
}

// ownedString returns as a string the bytes a decoder has just made.
// Nothing else holds them and nothing writes them again, so they need not
// be copied (a page is otherwise copied twice on its way to UTF-8 text),
// the way strings.Builder hands out its buffer.
func ownedString(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// isASCIICompatibleMulti lists the multi-byte legacy encodings whose
// decoders report bad bytes as U+FFFD; single-byte ones fit any input.
func isASCIICompatibleMulti(name string) bool {
	switch name {
	case "gbk", "gb18030", "big5", "euc-jp", "shift_jis", "euc-kr", "iso-2022-jp":
		return true
	}
	return false
}

// sniff guesses an undeclared page's encoding: UTF-8 if valid, else the
// Chinese legacy encoding that decodes with the fewest errors. For those
// guesses text is the page read with it (UTF-8 in place, as tryDecode
// reads it, so that it is not validated twice; a legacy one decoded, so
// that it is not decoded a third time), and mem as tryDecode's; otherwise
// text is "".
func sniff(body []byte, buf []byte) (c candidate, text string, mem []byte) {
	if validUTF8(body) {
		// No BOM here: a page with one had it tried as UTF-8 already.
		return candidate{"utf-8", unicode.UTF8}, unsafe.String(unsafe.SliceData(body), len(body)), nil
	}
	best, bestBad := candidate{}, -1
	var bestOut, bestMem []byte
	for _, name := range []string{"gb18030", "big5"} {
		e, _ := htmlindex.Get(name)
		out, mem, err := decodeBytes(body, candidate{name, e}, buf)
		bad := bytes.Count(out, []byte("\uFFFD"))
		if bestBad < 0 || bad < bestBad {
			best, bestBad, bestOut, bestMem = candidate{name, e}, bad, out, mem
			if err != nil {
				bestOut, bestMem = nil, nil // tryDecode says what such a page reads as
			}
		}
	}
	// A few bad bytes in a long GB page are damage, not another encoding.
	if bestBad*100 <= countNonASCII(body) {
		return best, ownedString(bestOut), bestMem
	}
	return candidate{"windows-1252", charmap.Windows1252}, "", nil
}

// hasNonASCII reports a byte outside ASCII in b.
func hasNonASCII(b []byte) bool {
	return nextNonASCII(b, 0) < len(b)
}

func countNonASCII(b []byte) int {
	n := 0
	for _, c := range b {
		if c >= 0x80 {
			n++
		}
	}
	return n
}

// damagedUTF8 reports invalid UTF-8 that is mostly valid: more valid
// multi-byte characters than bad bytes. GBK or Big5 text makes few valid
// UTF-8 sequences, so a page in those encodings is not taken for it.
func damagedUTF8(b []byte) bool {
	valid, bad := 0, 0
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i = nextNonASCII(b, i)
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			bad++
		} else {
			valid++
		}
		i += n
	}
	return valid > bad
}

// replaceInvalid returns b as UTF-8 text with each bad byte U+FFFD, as a
// browser decodes it (it replaces a bad sequence's longest valid prefix
// as one, which tells no number apart).
func replaceInvalid(b []byte) string {
	out := make([]byte, 0, len(b)+len(b)/8)
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			j := nextNonASCII(b, i)
			out = append(out, b[i:j]...)
			i = j
			continue
		}
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n == 1 {
			out = append(out, "\uFFFD"...)
		} else {
			out = append(out, b[i:i+n]...)
		}
		i += n
	}
	return ownedString(out)
}
