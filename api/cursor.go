package api

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
)

// errBadCursor is answered 400 bad_cursor: a cursor this server did not
// make, made for another listing or filter, or altered.
var errBadCursor = errors.New("invalid cursor: pass back the next_cursor of the previous page, unchanged, with the same filters")

// cursors seal page positions: base64url(JSON) "." base64url(HMAC), the
// MAC also covering the listing's scope (its path and filters), so that a
// cursor is opaque, cannot be forged or edited, and means nothing under
// another filter.
type cursors struct{ key []byte }

func (c cursors) mac(scope string, payload []byte) []byte {
	m := hmac.New(sha256.New, c.key)
	m.Write([]byte(scope))
	m.Write([]byte{0})
	m.Write(payload)
	return m.Sum(nil)
}

// seal makes the cursor of position v within scope.
func (c cursors) seal(scope string, v any) string {
	payload, _ := json.Marshal(v) // positions are plain structs
	return base64.RawURLEncoding.EncodeToString(payload) + "." + base64.RawURLEncoding.EncodeToString(c.mac(scope, payload))
}

// open reads a cursor of scope into v; "" leaves v as is (the first page).
func (c cursors) open(scope, cursor string, v any) error {
	if cursor == "" {
		return nil
	}
	p, m, ok := strings.Cut(cursor, ".")
	if !ok {
		return errBadCursor
	}
	payload, err1 := base64.RawURLEncoding.DecodeString(p)
	sum, err2 := base64.RawURLEncoding.DecodeString(m)
	if err1 != nil || err2 != nil || !hmac.Equal(sum, c.mac(scope, payload)) {
		return errBadCursor
	}
	if err := json.Unmarshal(payload, v); err != nil {
		return errBadCursor
	}
	return nil
}
