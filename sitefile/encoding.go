package sitefile

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/transform"
)

// Encodings a file may be in. Excel in China saves "CSV" as GBK (code page
// 936), and GB18030 is its superset; "CSV UTF-8" files start with a BOM.
const (
	EncodingUTF8    = "utf-8"
	EncodingGBK     = "gbk"
	EncodingGB18030 = "gb18030"
)

var utf8BOM = []byte("\xef\xbb\xbf")

// sniffSize is how much of a file is looked at before decoding, to tell a
// UTF-8 file read as GBK by mistake.
const sniffSize = 64 << 10

// textEncoding resolves an encoding name ("" is UTF-8). It returns a nil
// Encoding for UTF-8, which needs no transformation.
func textEncoding(name string) (string, encoding.Encoding, error) {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "", "utf-8", "utf8":
		return EncodingUTF8, nil, nil
	case "gbk", "cp936", "gb2312": // gb2312 files are GBK: WHATWG maps the label so
		return EncodingGBK, simplifiedchinese.GBK, nil
	case "gb18030":
		return EncodingGB18030, simplifiedchinese.GB18030, nil
	}
	return "", nil, fmt.Errorf("unknown encoding %q: want utf-8, gbk or gb18030", name)
}

// encodingError is a file that is not in the encoding it was read as. It
// is fatal: every later row would be garbled too.
type encodingError struct {
	line int
	msg  string
}

func (e *encodingError) Error() string { return fmt.Sprintf("line %d: %s", e.line, e.msg) }

// decodeText returns r's text as UTF-8 with any byte-order mark removed.
// The returned reader fails with an *encodingError at the first byte that
// is not valid text in the encoding.
func decodeText(r io.Reader, enc string) (io.Reader, error) {
	name, e, err := textEncoding(enc)
	if err != nil {
		return nil, err
	}
	br := bufio.NewReaderSize(r, sniffSize)
	head, err := br.Peek(sniffSize)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, err
	}
	if e == nil {
		if bytes.HasPrefix(head, utf8BOM) {
			br.Discard(len(utf8BOM))
		}
		return &textChecker{r: br, line: 1, badMsg: "not valid UTF-8 text; a file saved by Excel in China is usually GBK or GB18030: give its encoding"}, nil
	}
	if bytes.HasPrefix(head, utf8BOM) {
		return nil, fmt.Errorf("the file starts with a UTF-8 byte-order mark, so it is UTF-8, not %s: leave the encoding out", name)
	}
	if looksUTF8(head, len(head) < sniffSize) {
		return nil, fmt.Errorf("the file looks like UTF-8, not %s: leave the encoding out", name)
	}
	dec := bufio.NewReader(transform.NewReader(br, e.NewDecoder()))
	// GB18030 has a byte-order mark of its own (84 31 95 33), decoded as
	// U+FEFF.
	if b, _ := dec.Peek(3); bytes.Equal(b, utf8BOM) {
		dec.Discard(3)
	}
	// The decoders replace bytes they cannot map with U+FFFD instead of
	// failing, so that is what tells a file in another encoding.
	return &textChecker{r: dec, line: 1, noReplacement: true,
		badMsg: "bytes that are not valid " + name + " text; is that the file's encoding?"}, nil
}

// looksUTF8 reports whether head has non-ASCII bytes that are all valid
// UTF-8: Chinese GBK text almost never is. complete says head is the
// whole file; otherwise a rune cut at its end is not held against it.
func looksUTF8(head []byte, complete bool) bool {
	if !complete {
		for i := 1; i <= utf8.UTFMax && i <= len(head); i++ {
			if utf8.RuneStart(head[len(head)-i]) {
				if !utf8.FullRune(head[len(head)-i:]) {
					head = head[:len(head)-i]
				}
				break
			}
		}
	}
	ascii := true
	for _, b := range head {
		if b >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	return !ascii && utf8.Valid(head)
}

// textChecker passes text through, failing at the first invalid UTF-8
// sequence (or U+FFFD when noReplacement is set). It counts lines so that
// the failure can say where.
type textChecker struct {
	r             io.Reader
	line          int
	noReplacement bool
	badMsg        string
	pending       []byte // an incomplete rune at the end of the last read
	scratch       []byte
	err           error
}

func (c *textChecker) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	n, err := c.r.Read(p)
	buf := p[:n]
	if len(c.pending) > 0 {
		// Only the few bytes that complete the pending rune need copying.
		c.scratch = append(append(c.scratch[:0], c.pending...), buf[:min(n, utf8.UTFMax)]...)
		c.pending = c.pending[:0]
		r, size := utf8.DecodeRune(c.scratch)
		switch {
		case !utf8.FullRune(c.scratch) && err == nil:
			c.pending = append(c.pending, c.scratch...)
			return n, nil
		case r == utf8.RuneError && size <= 1, r == utf8.RuneError && c.noReplacement:
			c.err = &encodingError{c.line, c.badMsg}
			return 0, c.err
		}
		buf = buf[size-(len(c.scratch)-min(n, utf8.UTFMax)):]
	}
	for i := 0; i < len(buf); {
		b := buf[i]
		if b < utf8.RuneSelf {
			if b == '\n' {
				c.line++
			}
			i++
			continue
		}
		if !utf8.FullRune(buf[i:]) && err == nil {
			c.pending = append(c.pending, buf[i:]...)
			break
		}
		r, size := utf8.DecodeRune(buf[i:])
		if r == utf8.RuneError && (size <= 1 || c.noReplacement) {
			c.err = &encodingError{c.line, c.badMsg}
			// The text before the bad byte is good: let it through, so that
			// rows before it are still read and the error comes at its place.
			return n - len(buf) + i, c.err
		}
		i += size
	}
	return n, err
}
