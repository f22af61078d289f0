package sitefile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// jsonSource reads the objects of a JSON array one at a time, so that a
// large file is never held whole.
type jsonSource struct {
	name  string
	lines *lineCounter
	dec   *json.Decoder
	index int
	done  bool
}

func newJSONSource(r io.Reader, name string) (*jsonSource, error) {
	lc := &lineCounter{r: r, line: 1}
	s := &jsonSource{name: name, lines: lc, dec: json.NewDecoder(lc)}
	s.dec.UseNumber()
	tok, err := s.dec.Token()
	if errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("%s: %w: want a JSON array of objects", name, ErrEmpty)
	}
	if err != nil {
		return nil, s.fatal(err)
	}
	if tok != json.Delim('[') {
		return nil, fmt.Errorf("%s:%d: want a JSON array of objects", name, lc.lineAt(s.dec.InputOffset()-1))
	}
	return s, nil
}

// fatal names the line of a JSON syntax or encoding error.
func (s *jsonSource) fatal(err error) error {
	var ee *encodingError
	if errors.As(err, &ee) {
		return fmt.Errorf("%s:%d: %s", s.name, ee.line, ee.msg)
	}
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return fmt.Errorf("%s:%d: invalid JSON: %w", s.name, s.lines.lineAt(se.Offset), err)
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return fmt.Errorf("%s:%d: invalid JSON: unexpected end of file", s.name, s.lines.lineAt(s.dec.InputOffset()))
	}
	return fmt.Errorf("%s: %w", s.name, err) // reading failed
}

func (s *jsonSource) next(rec *record) error {
	if s.done {
		return io.EOF
	}
	if !s.dec.More() {
		return s.end()
	}
	tok, err := s.dec.Token()
	if err != nil {
		return s.fatal(err)
	}
	rec.line = s.lines.lineAt(s.dec.InputOffset() - 1)
	rec.index = s.index
	s.index++
	if tok != json.Delim('{') {
		rec.problems = append(rec.problems, &RowError{File: s.name, Line: rec.line, Message: "not a JSON object"})
		return s.skip(tok)
	}
	seen := make(map[column]bool)
	for s.dec.More() {
		tok, err := s.dec.Token()
		if err != nil {
			return s.fatal(err)
		}
		key, _ := tok.(string) // the decoder allows only strings as keys
		var raw json.RawMessage
		if err := s.dec.Decode(&raw); err != nil {
			return s.fatal(err)
		}
		s.cell(rec, key, raw, seen)
	}
	if _, err := s.dec.Token(); err != nil { // the closing brace
		return s.fatal(err)
	}
	return nil
}

// cell stores one key's value in the record, or a problem with it.
func (s *jsonSource) cell(rec *record, key string, raw json.RawMessage, seen map[column]bool) {
	problem := func(col, msg string) {
		rec.problems = append(rec.problems, &RowError{File: s.name, Line: rec.line, Column: quoteControl(col), Message: msg})
	}
	c, ok := columnByName(key)
	switch {
	case !ok:
		problem(key, "unknown column")
		return
	case seen[c]:
		problem(c.String(), "appears twice in the object")
		return
	}
	seen[c] = true
	v, msg := jsonText(c, raw)
	if msg != "" {
		problem(c.String(), msg)
		return
	}
	rec.cells[c] = strings.TrimSpace(v)
}

// jsonText turns a JSON value into the text a CSV cell would hold: lists
// may be arrays of strings, and null is empty. Booleans and numbers are
// taken as written (interactive: true, customer_id: 10086).
func jsonText(c column, raw json.RawMessage) (string, string) {
	raw = bytes.TrimSpace(raw)
	switch raw[0] {
	case '"':
		var s string
		json.Unmarshal(raw, &s) // the decoder has checked it
		return s, ""
	case 'n':
		return "", ""
	case '{':
		return "", "want a string, not an object"
	case '[':
		if !c.list() {
			return "", "want a string, not an array"
		}
		var items []string
		if err := json.Unmarshal(raw, &items); err != nil {
			return "", "want an array of strings"
		}
		return strings.Join(items, ";"), ""
	}
	return string(raw), "" // true, false or a number
}

// skip passes over the rest of a value whose first token was tok.
func (s *jsonSource) skip(tok json.Token) error {
	depth := 0
	if d, ok := tok.(json.Delim); ok && (d == '[' || d == '{') {
		depth = 1
	}
	for depth > 0 {
		tok, err := s.dec.Token()
		if err != nil {
			return s.fatal(err)
		}
		switch tok {
		case json.Delim('['), json.Delim('{'):
			depth++
		case json.Delim(']'), json.Delim('}'):
			depth--
		}
	}
	return nil
}

// end reads the closing bracket and makes sure nothing follows it.
func (s *jsonSource) end() error {
	s.done = true
	if _, err := s.dec.Token(); err != nil {
		return s.fatal(err)
	}
	if _, err := s.dec.Token(); !errors.Is(err, io.EOF) {
		if err != nil {
			return s.fatal(err)
		}
		return fmt.Errorf("%s:%d: data after the JSON array", s.name, s.lines.lineAt(s.dec.InputOffset()-1))
	}
	return io.EOF
}

// lineCounter counts the lines of what a json.Decoder reads, so that a
// decoder offset can be turned into a line number. The decoder reads ahead,
// so it keeps the newline offsets it has passed on but not yet been asked
// about; queries must come in increasing order of offset.
type lineCounter struct {
	r    io.Reader
	read int64   // bytes read so far
	nl   []int64 // offsets of newlines not yet counted into line
	line int     // the line of the last offset asked about
}

func (c *lineCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	for i, b := range p[:n] {
		if b == '\n' {
			c.nl = append(c.nl, c.read+int64(i))
		}
	}
	c.read += int64(n)
	return n, err
}

// lineAt returns the line of the byte at offset off.
func (c *lineCounter) lineAt(off int64) int {
	i := 0
	for i < len(c.nl) && c.nl[i] < off {
		i++
	}
	c.line += i
	c.nl = append(c.nl[:0], c.nl[i:]...) // reuse the array: it stays the size of the decoder's look-ahead
	return c.line
}
