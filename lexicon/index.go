package lexicon

import (
	"encoding/binary"
	"math/bits"
)

// chunkMax is how many bytes of a phrase one step of the index takes: two
// Chinese characters, or six ASCII letters.
const chunkMax = 6

// index finds every occurrence of every phrase, overlapping ones included,
// in one left-to-right pass over the text.
//
// It is a trie whose edges are chunks of up to six bytes, kept in one hash
// table, rather than an Aho–Corasick automaton: measured on Chinese text
// (see README and BenchmarkScan), the Aho–Corasick libraries tried build
// DFAs of 400 MB or more for 100,000 phrases, or scan five times slower
// for 1,000. At each text position a bitset of the first chunks' hashes
// rejects almost every position with one probe that stays in cache; a
// position that passes walks the trie six bytes a step, one table look-up
// a step, for as long as the text follows some phrase. Phrases that share
// a frequent start (最新…, 免费…: hundreds of them in a large lexicon)
// therefore cost one look-up per step where the text goes on, not one
// comparison per phrase.
type index struct {
	// lens[node] has bit n set when an edge of n bytes leaves the node, so
	// that only those chunk lengths are probed.
	lens  []uint8
	edges map[edgeKey]edge
	bits  []uint64 // the root's first chunks, hashed
	shift uint     // hash >> shift is the bit number
}

// edgeKey is a node and a chunk leaving it: up to six bytes, with the
// chunk's length in the top byte so that chunks of different lengths
// never collide.
type edgeKey struct {
	node  uint32
	chunk uint64
}

// edge is where a chunk leads: the node to go on from (only a full
// six-byte chunk goes on; 0 for none) and the phrase that ends with it
// (-1 for none; normalised phrases are distinct, so there is at most one).
type edge struct {
	child uint32
	id    int32
}

// chunk packs the first n bytes of s (n ≤ chunkMax) with n itself.
func chunk(s string, n int) uint64 {
	var k uint64
	for i := range n {
		k = k<<8 | uint64(s[i])
	}
	return k | uint64(n)<<56
}

func newIndex(phrases []string) *index {
	ix := &index{lens: []uint8{0}, edges: make(map[edgeKey]edge, len(phrases))}
	roots := 0
	for id, p := range phrases {
		node := uint32(0)
		for off := 0; ; off += chunkMax {
			n := min(len(p)-off, chunkMax)
			k := edgeKey{node, chunk(p[off:], n)}
			e, ok := ix.edges[k]
			if !ok {
				e = edge{id: -1}
				ix.lens[node] |= 1 << n
				if node == 0 {
					roots++
				}
			}
			if off+n == len(p) {
				e.id = int32(id)
				ix.edges[k] = e
				break
			}
			if e.child == 0 {
				e.child = uint32(len(ix.lens))
				ix.lens = append(ix.lens, 0)
			}
			ix.edges[k] = e
			node = e.child
		}
	}
	// About 16 bits per first chunk keeps false positives near one in
	// sixteen of the positions that start no phrase.
	nbits := max(1<<12, 1<<bits.Len(uint(roots*16)))
	ix.bits = make([]uint64, nbits/64)
	ix.shift = uint(64 - bits.TrailingZeros(uint(nbits)))
	for k := range ix.edges {
		if k.node == 0 {
			h := ix.hash(k.chunk)
			ix.bits[h/64] |= 1 << (h % 64)
		}
	}
	return ix
}

func (ix *index) hash(k uint64) uint64 {
	return (k * 0x9E3779B97F4A7C15) >> ix.shift
}

// next6 returns the next chunkMax bytes of text from i (fewer at the end)
// and how many there are.
func next6(text []byte, i int) (uint64, int) {
	if len(text)-i >= 8 {
		return binary.BigEndian.Uint64(text[i:]) >> 16, chunkMax
	}
	avail := min(chunkMax, len(text)-i)
	var k uint64
	for j := range avail {
		k = k<<8 | uint64(text[i+j])
	}
	return k, avail
}

// scan calls hit with the id of each phrase occurrence, in order of the
// occurrence's start (and, at one start, shorter phrases first).
func (ix *index) scan(text []byte, hit func(id int32)) {
	rootLens := ix.lens[0]
	for i := 0; i < len(text); i++ {
		if text[i]&0xC0 == 0x80 {
			continue // a UTF-8 continuation byte: no phrase starts here
		}
		k, avail := next6(text, i)
		for lens := rootLens & (1<<(avail+1) - 1); lens != 0; lens &= lens - 1 {
			n := bits.TrailingZeros8(lens)
			kn := k>>(8*(avail-n)) | uint64(n)<<56
			if h := ix.hash(kn); ix.bits[h/64]&(1<<(h%64)) == 0 {
				continue
			}
			e, ok := ix.edges[edgeKey{0, kn}]
			if !ok {
				continue
			}
			if e.id >= 0 {
				hit(e.id)
			}
			if e.child != 0 {
				ix.walk(text, i+chunkMax, e.child, hit)
			}
		}
	}
}

// walk follows the trie from node with the text from i.
func (ix *index) walk(text []byte, i int, node uint32, hit func(id int32)) {
	for node != 0 && i < len(text) {
		k, avail := next6(text, i)
		next := uint32(0)
		for lens := ix.lens[node] & (1<<(avail+1) - 1); lens != 0; lens &= lens - 1 {
			n := bits.TrailingZeros8(lens)
			e, ok := ix.edges[edgeKey{node, k>>(8*(avail-n)) | uint64(n)<<56}]
			if !ok {
				continue
			}
			if e.id >= 0 {
				hit(e.id)
			}
			if n == chunkMax {
				next = e.child
			}
		}
		node, i = next, i+chunkMax
	}
}
