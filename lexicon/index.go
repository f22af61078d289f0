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
// (BenchmarkScan), the Aho–Corasick libraries tried build DFAs of 400 MB
// or more for 100,000 phrases, or scan five times slower for 1,000. At each text position a bitset of the first chunks' hashes
// rejects almost every position with one probe that stays in cache; a
// position that passes walks the trie six bytes a step, one table look-up
// a step, for as long as the text follows some phrase. Phrases that share
// a frequent start (最新…, 免费…: hundreds of them in a large lexicon)
// therefore cost one look-up per step where the text goes on, not one
// comparison per phrase.
type index struct {
	// lens[node] has bit n set when an edge of n bytes leaves the node, so
	// that only those chunk lengths are probed.
	lens []uint8
	// edges is an open-addressing hash table (linear probing, at most
	// half full): a Go map costs twice as much a look-up here.
	edges     []edge
	edgeShift uint
	bits      []uint64 // the root's first chunks, hashed
	shift     uint     // hash >> shift is the bit number
	// starts are the first three bytes of the root's chunks (a Chinese
	// phrase's first character), hashed into a bitset of the same size:
	// when no phrase is shorter than three bytes, one probe of it rejects
	// most positions before the probes of each chunk length.
	starts []uint64
}

// edge is a chunk leaving a node: up to six bytes, with the chunk's
// length in the top byte so that chunks of different lengths never
// collide (and no chunk is 0, which marks an empty slot). It leads to
// child, the node to go on from (only a full six-byte chunk goes on; 0
// for none), and ends phrase id (-1 for none; normalised phrases are
// distinct, so there is at most one).
type edge struct {
	chunk uint64
	node  uint32
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
	// Build with a map, then lay the edges out in the table.
	type key struct {
		node  uint32
		chunk uint64
	}
	edges := make(map[key]edge, len(phrases))
	lens := []uint8{0}
	roots := 0
	for id, p := range phrases {
		node := uint32(0)
		for off := 0; ; off += chunkMax {
			n := min(len(p)-off, chunkMax)
			k := key{node, chunk(p[off:], n)}
			e, ok := edges[k]
			if !ok {
				e = edge{chunk: k.chunk, node: node, id: -1}
				lens[node] |= 1 << n
				if node == 0 {
					roots++
				}
			}
			if off+n == len(p) {
				e.id = int32(id)
				edges[k] = e
				break
			}
			if e.child == 0 {
				e.child = uint32(len(lens))
				lens = append(lens, 0)
			}
			edges[k] = e
			node = e.child
		}
	}
	slots := max(16, 1<<bits.Len(uint(2*len(edges))))
	ix := &index{lens: lens, edges: make([]edge, slots), edgeShift: uint(64 - bits.TrailingZeros(uint(slots)))}
	// About 16 bits per first chunk keeps false positives near one in
	// sixteen of the positions that start no phrase.
	nbits := max(1<<12, 1<<bits.Len(uint(roots*16)))
	ix.bits = make([]uint64, nbits/64)
	ix.shift = uint(64 - bits.TrailingZeros(uint(nbits)))
	if lens[0]&0b110 == 0 {
		ix.starts = make([]uint64, nbits/64)
	}
	for _, e := range edges {
		h := ix.slot(e.node, e.chunk)
		for ix.edges[h].chunk != 0 {
			h = (h + 1) & uint64(slots-1)
		}
		ix.edges[h] = e
		if e.node == 0 {
			b := ix.hash(e.chunk)
			ix.bits[b/64] |= 1 << (b % 64)
			if ix.starts != nil {
				n := int(e.chunk >> 56)
				b := ix.hash(e.chunk&(1<<(8*n)-1)>>(8*(n-3)) | 3<<56)
				ix.starts[b/64] |= 1 << (b % 64)
			}
		}
	}
	return ix
}

// slot is where the table's search for an edge starts.
func (ix *index) slot(node uint32, chunk uint64) uint64 {
	return ((chunk ^ uint64(node)*0xFF51AFD7ED558CCD) * 0x9E3779B97F4A7C15) >> ix.edgeShift
}

// edge finds the edge of chunk from node.
func (ix *index) edge(node uint32, chunk uint64) (edge, bool) {
	mask := uint64(len(ix.edges) - 1)
	for h := ix.slot(node, chunk); ; h = (h + 1) & mask {
		e := ix.edges[h]
		if e.chunk == chunk && e.node == node {
			return e, true
		}
		if e.chunk == 0 {
			return edge{}, false
		}
	}
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
	// The text is folded, hence valid UTF-8: a phrase can start at each
	// rune, and the rune's first byte says how far the next one is.
	for i, step := 0, 1; i < len(text); i += step {
		switch c := text[i]; {
		case c < 0x80:
			step = 1
		case c < 0xE0:
			step = 2
		case c < 0xF0:
			step = 3
		default:
			step = 4
		}
		k, avail := next6(text, i)
		if ix.starts != nil && avail >= 3 {
			if h := ix.hash(k>>(8*(avail-3)) | 3<<56); ix.starts[h/64]&(1<<(h%64)) == 0 {
				continue
			}
		}
		for lens := rootLens & (1<<(avail+1) - 1); lens != 0; lens &= lens - 1 {
			n := bits.TrailingZeros8(lens)
			kn := k>>(8*(avail-n)) | uint64(n)<<56
			if h := ix.hash(kn); ix.bits[h/64]&(1<<(h%64)) == 0 {
				continue
			}
			e, ok := ix.edge(0, kn)
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
			e, ok := ix.edge(node, k>>(8*(avail-n))|uint64(n)<<56)
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
