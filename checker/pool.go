package checker

import (
	"sync"

	"golang.org/x/net/html"
)

// scanBufs is the memory one fast-path check works in: the scan's tables,
// the text maps and the normalisation marks. Allocating and zeroing them
// afresh was half of what a check allocated, and serve checks pages back
// to back on every worker, so they are kept between checks.
//
// Only slices whose contents never reach a Report are kept. The rendered
// text (textBuf.raw) and the normalised copy of the visible text
// (normText.s), which findings and entries take substrings of, are kept
// too: fastPath detaches the report's strings from them, and CheckText
// hands out a copy of the text. A slice is handed back only when the
// check that took it has finished with its document.
type scanBufs struct {
	elems              []scanElem
	texts              []textRef
	made               []madeNode
	stack              []int32
	attrs              []attrSpan
	visSegs, hidSegs   []segment
	visNodes, hidNodes []*html.Node
	visMarks, hidMarks []normMark
	visNorm            []byte
	visText, hidText   []byte
	scriptSpans        []span
	unesc              []byte
	images             []image
}

// maxPooledElems bounds what a freak page leaves in the pool: the buffers
// of a page with room for more elements than this (about 170 bytes of
// tables each; a 500 KB portal page has 7,600) are dropped, not kept, so
// that 32 workers keep at most a few MB each.
const maxPooledElems = 1 << 14

// scanPool and decodePool are the package-level variables that change:
// Check is a free function (callers hold no checker value to keep buffers
// in), and what the pools hold is not state, since every check resets what
// it takes.
var (
	scanPool   = sync.Pool{New: func() any { return new(scanBufs) }}
	decodePool = sync.Pool{New: func() any { return new(decodeBuf) }}
)

func getScanBufs() *scanBufs { return scanPool.Get().(*scanBufs) }

// decodeBuf is the memory a GBK or GB18030 page is decoded into: a page's
// worth of text, allocated afresh for each such page before. A check hands
// it back when it is done with the page's text: the report holds none of
// it (see detach).
type decodeBuf struct{ b []byte }

// maxPooledText bounds the rendered text's memory the pool keeps.
const maxPooledText = 1 << 20

// maxPooledDecode bounds the decoding memory the pool keeps.
const maxPooledDecode = 1 << 20

func getDecodeBuf() *decodeBuf { return decodePool.Get().(*decodeBuf) }

// put hands the buffer back, keeping mem, the memory the page was decoded
// into (nil if it was not decoded into the buffer), in place of what it had.
func (db *decodeBuf) put(mem []byte) {
	if mem != nil && cap(mem) <= maxPooledDecode {
		db.b = mem
	}
	db.b = db.b[:0]
	decodePool.Put(db)
}

// release hands the fast path's buffers back to the pool. The document
// must not be used afterwards; the report made from it holds none of its
// memory (see scanBufs).
func (d *document) release() {
	b := d.bufs
	if b == nil {
		return
	}
	d.bufs = nil
	ps := d.scan
	if ps == nil || cap(ps.elems) > maxPooledElems {
		return
	}
	// What holds pointers is cleared, so that the pool does not keep the
	// page's nodes alive; zeroed too, as made and the text nodes must be
	// when they are taken again. The rest holds none.
	b.elems = ps.elems[:0]
	b.texts = ps.texts[:0]
	if ps.made != nil {
		b.made = clearSlice(ps.made)
	}
	b.visSegs = d.vis.segs[:0]
	b.hidSegs = d.hid.segs[:0]
	if d.vis.segNodes != nil {
		b.visNodes = clearSlice(d.vis.segNodes)
	}
	if d.hid.segNodes != nil {
		b.hidNodes = clearSlice(d.hid.segNodes)
	}
	b.images = clearSlice(d.images)
	if d.vis.norm.marks != nil {
		b.visMarks = d.vis.norm.marks[:0]
	}
	if d.vis.normBuf != nil {
		b.visNorm = d.vis.normBuf[:0]
	}
	if d.hid.norm.marks != nil {
		b.hidMarks = d.hid.norm.marks[:0]
	}
	b.scriptSpans = d.scriptSpans[:0]
	b.attrs = ps.attrBuf[:0]
	if d.vis.pooled && cap(d.vis.b) <= maxPooledText {
		b.visText = d.vis.b[:0]
	}
	if d.hid.pooled && cap(d.hid.b) <= maxPooledText {
		b.hidText = d.hid.b[:0]
	}
	*ps, *d = pageScan{}, document{}
	scanPool.Put(b)
}

func clearSlice[S ~[]E, E any](s S) S {
	clear(s)
	return s[:0]
}
