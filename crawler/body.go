package crawler

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"

	// The standard library's API, a quarter faster at inflating pages.
	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zlib"
)

// TooLargeError reports a body past FetchConfig.MaxBody. It matches
// ErrTooLarge.
type TooLargeError struct {
	Limit int64
	// Decoded says the limit was passed after decompression.
	Decoded bool
}

func (e *TooLargeError) Error() string {
	s := "crawler: body larger than the " + formatBytes(e.Limit) + " limit"
	if e.Decoded {
		s += " after decompression"
	}
	return s
}

// Is makes errors.Is(err, ErrTooLarge) true.
func (e *TooLargeError) Is(target error) bool { return target == ErrTooLarge }

// formatBytes writes n in the largest binary unit that divides it.
func formatBytes(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}

// capReader fails with a *TooLargeError once more than limit bytes have
// been read, instead of io.LimitReader's silent EOF.
type capReader struct {
	r    io.Reader
	left int64 // bytes still allowed, plus one to detect the overflow
	err  *TooLargeError
}

func newCapReader(r io.Reader, limit int64, decoded bool) *capReader {
	return &capReader{r: r, left: limit + 1, err: &TooLargeError{Limit: limit, Decoded: decoded}}
}

func (c *capReader) Read(p []byte) (int, error) {
	if c.left <= 0 {
		return 0, c.err
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if c.left <= 0 {
		return n, c.err
	}
	return n, err
}

// bodyReader reads and decodes bodies with what earlier reads left
// behind: buffers to read into, and gzip readers with their 32 KiB
// windows. A body is read into a buffer of the pool and handed over as it
// is; the caller gives it back with recycle when done with it (the
// scheduler does, after the check), or leaves it to the garbage
// collector. Reading into a slice that grows allocated twice the page, a
// copy at each step; and a copy of its own size for every body was the
// largest allocation of a check after the checker's.
// It is safe for concurrent use.
type bodyReader struct {
	scratch sync.Pool // *[]byte
	gzips   sync.Pool // *pooledGzip
}

// maxScratch is the largest scratch buffer kept for the next body: pages
// are mostly far smaller, and a rare huge one should not stay in memory
// (nor be reserved in the body budget for a small page).
const maxScratch = 256 << 10

// firstScratch is the size of a new scratch buffer: most pages fit.
const firstScratch = 64 << 10

// pooledGzip is a gzip reader and the buffered reader under it.
type pooledGzip struct {
	br *bufio.Reader
	zr *gzip.Reader
}

// readBody reads and decodes a response body, holding both the bytes on the
// wire and the decoded bytes to limit. A decompression bomb is stopped after
// limit+1 decoded bytes, whatever it would expand to.
// The buffer read into is reserved in ctx's Reservation (if any) as it
// grows, which may wait for memory.
func (b *bodyReader) readBody(ctx context.Context, resp *http.Response, limit int64) ([]byte, error) {
	if resp.ContentLength > limit {
		return nil, &TooLargeError{Limit: limit}
	}
	return b.read(ctx, resp.Body, resp.Header, resp.ContentLength, limit)
}

// MaxEncodings is the most content codings a response may stack. No
// server applies more than one on purpose (two when a proxy gzips what was
// already gzipped); each layer costs a decoder with its 32 KiB window, so
// "deflate, deflate, …" thousands of times over, with a body of a few
// kilobytes, would cost hundreds of megabytes.
const MaxEncodings = 2

// TooManyEncodingsError reports a Content-Encoding with more than
// MaxEncodings codings. It matches ErrTooManyEncodings.
type TooManyEncodingsError struct {
	N int // the number of codings the response listed
}

func (e *TooManyEncodingsError) Error() string {
	return fmt.Sprintf("crawler: %d stacked content encodings (at most %d accepted)", e.N, MaxEncodings)
}

// Is makes errors.Is(err, ErrTooManyEncodings) true.
func (e *TooManyEncodingsError) Is(target error) bool { return target == ErrTooManyEncodings }

// read reads body to its end, undoing its content codings, failing with
// a *TooLargeError past limit bytes on the wire or out of any decoding
// layer, and with a *TooManyEncodingsError past MaxEncodings layers.
// size is the body's length on the wire if known (else -1): a body sent
// as it is gets a buffer of that size at once.
func (b *bodyReader) read(ctx context.Context, body io.Reader, h http.Header, size, limit int64) ([]byte, error) {
	codings := contentCodings(h)
	if len(codings) > MaxEncodings {
		// Refused before a decoder is built: the header alone is the attack.
		return nil, &TooManyEncodingsError{N: len(codings)}
	}
	var r io.Reader = newCapReader(body, limit, false)
	// Codings are listed in the order they were applied; undo the last first.
	for i := len(codings) - 1; i >= 0; i-- {
		var err error
		var done func()
		if r, done, err = b.decoder(r, codings[i]); err != nil {
			return nil, err
		}
		defer done()
		// Every layer's output is capped, not only the last: an inner
		// layer could otherwise inflate gigabytes of empty deflate blocks
		// that the outer one consumes without a byte of output. So the
		// work is bounded by the wire bytes plus limit per layer.
		r = newCapReader(r, limit, true)
	}
	if len(codings) > 0 {
		size = -1
	}
	return b.readAll(ctx, r, size, limit)
}

// readAll is io.ReadAll into a buffer from the pool, of at most limit
// bytes (r fails past it), whose capacity is reserved in ctx's
// Reservation before it is used.
func (b *bodyReader) readAll(ctx context.Context, r io.Reader, size, limit int64) ([]byte, error) {
	res := reservationFrom(ctx)
	buf, err := b.scratchBuffer(ctx, res, size, limit)
	if err != nil {
		return nil, err
	}
	for err == nil {
		var n int
		if len(buf) < cap(buf) {
			n, err = r.Read(buf[len(buf):cap(buf)])
			buf = buf[:len(buf)+n]
			continue
		}
		// Full: a byte more says whether the body goes on (r fails past
		// limit), before the buffer grows for it.
		var probe [1]byte
		if n, err = r.Read(probe[:]); n == 0 || (err != nil && err != io.EOF) {
			continue
		}
		next := min(max(2*int64(cap(buf)), firstScratch), limit)
		if next <= int64(cap(buf)) {
			err = &TooLargeError{Limit: limit} // r should have said so
			break
		}
		if gerr := res.GrowTo(ctx, next); gerr != nil {
			err = gerr
			break
		}
		buf = append(slices.Grow(buf, int(next)-len(buf)), probe[0])
	}
	if err != io.EOF {
		b.recycle(buf)
		return nil, fmt.Errorf("read body: %w", err)
	}
	return buf, nil
}

// scratchBuffer is an empty buffer to read a body into, reserved in res:
// one of the pool's, or a new one of the body's size (if known) or
// firstScratch.
func (b *bodyReader) scratchBuffer(ctx context.Context, res *Reservation, size, limit int64) ([]byte, error) {
	want := int64(firstScratch)
	if size >= 0 {
		want = size
	}
	want = min(want, limit)
	p, _ := b.scratch.Get().(*[]byte)
	if p != nil && int64(cap(*p)) >= want && int64(cap(*p)) <= max(2*want, firstScratch) {
		if err := res.GrowTo(ctx, int64(cap(*p))); err != nil {
			b.scratch.Put(p)
			return nil, fmt.Errorf("read body: %w", err)
		}
		return (*p)[:0], nil
	}
	if p != nil {
		b.scratch.Put(p) // for a body of its size
	}
	if err := res.GrowTo(ctx, want); err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	return make([]byte, 0, want), nil
}

// recycle takes back a body readAll returned, for another read. The
// caller must hold nothing that shares its memory.
func (b *bodyReader) recycle(body []byte) {
	if cap(body) == 0 || cap(body) > maxScratch {
		return
	}
	p := body[:0]
	b.scratch.Put(&p)
}

// decoder wraps r to undo one content coding; done gives back what it
// borrowed, once the body is read.
func (b *bodyReader) decoder(r io.Reader, coding string) (_ io.Reader, done func(), _ error) {
	switch coding {
	case "gzip", "x-gzip":
		return b.gunzip(r)
	case "deflate":
		r, err := inflate(r)
		return r, func() {}, err
	}
	return nil, nil, fmt.Errorf("%w %q (asked for gzip or deflate)", ErrContentEncoding, coding)
}

// gunzip undoes gzip with a pooled reader. An empty body decodes to an
// empty body: servers send Content-Encoding on empty 204s and redirects.
func (b *bodyReader) gunzip(r io.Reader) (_ io.Reader, done func(), _ error) {
	g, _ := b.gzips.Get().(*pooledGzip)
	if g == nil {
		g = &pooledGzip{br: bufio.NewReader(r)}
	} else {
		g.br.Reset(r)
	}
	done = func() {
		g.br.Reset(nil) // what the pool keeps must not hold on to this body
		b.gzips.Put(g)
	}
	head, err := g.br.Peek(1)
	switch {
	case len(head) == 0 && err == io.EOF:
		return eofReader{}, done, nil
	case err != nil:
		done()
		return nil, nil, fmt.Errorf("read body: %w", err)
	}
	if g.zr == nil {
		g.zr, err = gzip.NewReader(g.br)
	} else {
		err = g.zr.Reset(g.br)
	}
	if err != nil {
		done()
		return nil, nil, fmt.Errorf("read body: gzip: %w", err)
	}
	return g.zr, done, nil
}

// inflate undoes deflate (rare: no pooling).
func inflate(r io.Reader) (io.Reader, error) {
	br := bufio.NewReader(r)
	head, err := br.Peek(2)
	switch {
	case len(head) == 0 && err == io.EOF:
		return br, nil
	case err != nil && err != io.EOF:
		return nil, fmt.Errorf("read body: %w", err)
	}
	// RFC 9110 says deflate means zlib-wrapped, but servers (old IIS among
	// them) often send raw DEFLATE. A zlib header is a CMF byte with method
	// 8 and a window of at most 32 KiB, and a 16-bit check that divides 31.
	if len(head) == 2 && head[0]&0x0f == 8 && head[0]>>4 <= 7 && (uint16(head[0])<<8|uint16(head[1]))%31 == 0 {
		zr, err := zlib.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("read body: zlib: %w", err)
		}
		return zr, nil
	}
	return flate.NewReader(br), nil
}

// eofReader is an empty body.
type eofReader struct{}

func (eofReader) Read([]byte) (int, error) { return 0, io.EOF }

// contentCodings lists the Content-Encoding values, identity left out.
func contentCodings(h http.Header) []string {
	var out []string
	for _, v := range h.Values("Content-Encoding") {
		for _, c := range strings.Split(v, ",") {
			c = strings.ToLower(strings.TrimSpace(c))
			if c != "" && c != "identity" {
				out = append(out, c)
			}
		}
	}
	return out
}
