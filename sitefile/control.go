package sitefile

import (
	"fmt"
	"strconv"
	"unicode/utf8"
)

// freeText reports whether a column holds text a person wrote, where a
// tab or a line break may belong (a quoted CSV cell may span lines).
// Every other column is a number, a date, a name or a list, where a
// control character is a mistake or an attack.
func (c column) freeText() bool {
	switch c {
	case colSiteName, colOperatorName, colContactName, colAccessProvider, colRegistrar:
		return true
	}
	return false
}

// controlChar returns the first control character in s that column c may
// not hold, and its position in characters from 1, or ok false. A NUL
// cannot be stored by PostgreSQL at all (it failed the whole batch, so
// --partial could not skip the row), and ESC sequences stored in the
// registry would reach an operator's terminal through 'sites show'.
func (c column) controlChar(s string) (r rune, pos int, found bool) {
	for _, r := range s {
		pos++
		if !isControl(r) {
			continue
		}
		if c.freeText() && (r == '\t' || r == '\n' || r == '\r') {
			continue
		}
		return r, pos, true
	}
	return 0, 0, false
}

// isControl reports C0 and C1 control characters and DEL.
func isControl(r rune) bool {
	return r < 0x20 || r == 0x7f || (0x80 <= r && r < 0xa0)
}

// controlChars adds an error for every cell of rec that holds a control
// character its column may not, and reports whether there was one.
func (c *rowCheck) controlChars(cells *[numColumns]string) bool {
	bad := false
	for col := range numSiteColumns {
		if r, pos, found := col.controlChar(cells[col]); found {
			msg := fmt.Sprintf("control character %U at character %d", r, pos)
			if r == '\t' || r == '\n' || r == '\r' {
				msg += "; tabs and line breaks belong only in free-text columns"
			}
			c.errorf(col, "%s", msg)
			bad = true
		}
	}
	return bad
}

// quoteControl returns s as it is when it holds no control character,
// and Go-quoted otherwise, for messages that echo what a file said.
func quoteControl(s string) string {
	for _, r := range s {
		if isControl(r) || r == utf8.RuneError {
			return strconv.Quote(s)
		}
	}
	return s
}
