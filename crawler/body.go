package crawler

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"compress/zlib"
	"fmt"
	"io"
	"net/http"
	"strings"
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

// readBody reads and decodes a response body, holding both the bytes on the
// wire and the decoded bytes to limit. A decompression bomb is stopped after
// limit+1 decoded bytes, whatever it would expand to.
func readBody(resp *http.Response, limit int64) ([]byte, error) {
	if resp.ContentLength > limit {
		return nil, &TooLargeError{Limit: limit}
	}
	r, err := decodedBody(resp.Body, resp.Header, limit)
	if err != nil {
		return nil, err
	}
	body, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	return body, nil
}

// decodedBody wraps a body so that reading it undoes its content codings,
// failing with a *TooLargeError past limit bytes on the wire or decoded.
func decodedBody(body io.Reader, h http.Header, limit int64) (io.Reader, error) {
	var r io.Reader = newCapReader(body, limit, false)
	codings := contentCodings(h)
	// Codings are listed in the order they were applied; undo the last first.
	for i := len(codings) - 1; i >= 0; i-- {
		var err error
		if r, err = decoder(r, codings[i]); err != nil {
			return nil, err
		}
	}
	if len(codings) > 0 {
		r = newCapReader(r, limit, true)
	}
	return r, nil
}

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

// decoder wraps r to undo one content coding. An empty body decodes to an
// empty body: servers send Content-Encoding on empty 204s and redirects.
func decoder(r io.Reader, coding string) (io.Reader, error) {
	switch coding {
	case "gzip", "x-gzip", "deflate":
	default:
		return nil, fmt.Errorf("%w %q (asked for gzip or deflate)", ErrContentEncoding, coding)
	}
	br := bufio.NewReader(r)
	head, err := br.Peek(2)
	switch {
	case len(head) == 0 && err == io.EOF:
		return br, nil
	case err != nil && err != io.EOF:
		return nil, fmt.Errorf("read body: %w", err)
	}
	if coding != "deflate" {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("read body: gzip: %w", err)
		}
		return zr, nil
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
