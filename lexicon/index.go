package lexicon

import (
	"math/bits"
	"strings"
)

// keyMax is how many leading bytes of a phrase key its bucket: two
// Chinese characters, or six ASCII letters.
const keyMax = 6

// index finds every occurrence of every phrase, overlapping ones included,
// in one left-to-right pass over the text.
//
// It is a multi-pattern search in the Rabin–Karp/Wu–Manber family rather
// than an Aho–Corasick automaton: each phrase is bucketed by its first
// (up to) six bytes, a bitset of those keys' hashes rejects almost every
// text position with one probe that stays in cache, and the few positions
// that pass are checked against the phrases of their bucket. Measured on
// Chinese text (see README and BenchmarkScan), the Aho–Corasick libraries
// tried build DFAs of 400 MB or more for 100,000 phrases, or scan five
// times slower for 1,000; this index takes a few MB and tens of
// milliseconds to build, and scans in time nearly independent of the
// lexicon's size. Its worst case is many phrases sharing one six-byte
// prefix that is frequent in the text: each occurrence then compares all
// of them (a byte compare each, failing fast).
type index struct {
	phrases []string // normalised, by id
	// lens has bit n set when some phrase's key is n bytes long, so that
	// only those key lengths are probed.
	lens    uint8
	bits    []uint64
	shift   uint // hash >> shift is the bit number
	buckets map[uint64][]int32
}

// key packs the first n bytes of s (n ≤ keyMax) with n itself, so keys of
// different lengths never collide.
func key(s string, n int) uint64 {
	var k uint64
	for i := range n {
		k = k<<8 | uint64(s[i])
	}
	return k | uint64(n)<<56
}

func newIndex(phrases []string) *index {
	// About 16 bits per phrase keeps false positives near one in sixteen
	// of the positions that share no key.
	nbits := max(1<<12, 1<<bits.Len(uint(len(phrases)*16)))
	ix := &index{
		phrases: phrases,
		bits:    make([]uint64, nbits/64),
		shift:   uint(64 - bits.TrailingZeros(uint(nbits))),
		buckets: make(map[uint64][]int32, len(phrases)),
	}
	for id, p := range phrases {
		n := min(len(p), keyMax)
		k := key(p, n)
		ix.lens |= 1 << n
		h := ix.hash(k)
		ix.bits[h/64] |= 1 << (h % 64)
		ix.buckets[k] = append(ix.buckets[k], int32(id))
	}
	return ix
}

func (ix *index) hash(k uint64) uint64 {
	return (k * 0x9E3779B97F4A7C15) >> ix.shift
}

// scan calls hit with the id of each phrase occurrence, in order of the
// occurrence's start.
func (ix *index) scan(text string, hit func(id int32)) {
	for i := 0; i < len(text); i++ {
		if text[i]&0xC0 == 0x80 {
			continue // a UTF-8 continuation byte: no phrase starts here
		}
		// k holds the next keyMax bytes (fewer at the end of the text);
		// a shorter key is a right shift of it.
		avail := min(keyMax, len(text)-i)
		var k uint64
		for j := range avail {
			k = k<<8 | uint64(text[i+j])
		}
		for lens := ix.lens & (1<<(avail+1) - 1); lens != 0; lens &= lens - 1 {
			n := bits.TrailingZeros8(lens)
			kn := k>>(8*(avail-n)) | uint64(n)<<56
			if h := ix.hash(kn); ix.bits[h/64]&(1<<(h%64)) == 0 {
				continue
			}
			ix.probe(text[i:], kn, hit)
		}
	}
}

// probe checks the phrases of one bucket against the text at a position.
func (ix *index) probe(rest string, k uint64, hit func(id int32)) {
	for _, id := range ix.buckets[k] {
		p := ix.phrases[id]
		if len(p) <= keyMax || strings.HasPrefix(rest, p) {
			hit(id)
		}
	}
}
