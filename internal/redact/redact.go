// Package redact masks the credentials in URLs, DSNs and the text that
// quotes them, so that settings, logs, errors and stored history can be
// shown without handing out a password or a webhook's token. Every place
// that prints or stores such a value goes through this package, so that
// one list decides what counts as a credential.
package redact

import (
	"net/url"
	"strings"
)

// Mask replaces a credential.
const Mask = "xxxxx"

// secretWords are the parts of a parameter name that make its value a
// credential: password, sslpassword, passwd, token, access_token, key,
// api_key, secret, client_secret, sign, signature, sig, auth … Substrings,
// not whole names, because every vendor spells them its own way; a false
// positive only hides a harmless value.
var secretWords = []string{"pass", "pwd", "token", "key", "secret", "sign", "sig", "auth", "credential", "session", "ticket"}

// secretNames are short names that are credentials only when they are the
// whole name (Alibaba and Tencent Cloud access and secret keys).
var secretNames = []string{"ak", "sk"}

// IsSecretName reports whether a query parameter, DSN keyword or setting
// named name holds a credential.
func IsSecretName(name string) bool {
	n := strings.ToLower(name)
	for _, w := range secretNames {
		if n == w {
			return true
		}
	}
	for _, w := range secretWords {
		if strings.Contains(n, w) {
			return true
		}
	}
	return false
}

// URL returns raw with its credentials masked: the password in its user
// info, the value of every query parameter whose name is a secret one,
// the fragment, and the token that ends a webhook path (/hook/TOKEN, as
// Feishu's bots have). Scheme, host, path and the other parameters stay,
// so that the result still says where it points. Text that does not parse
// as a URL is hidden whole if it may hold a secret.
func URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Opaque != "" {
		if mayHoldSecret(raw) {
			return "(hidden: it may hold a credential)"
		}
		return raw
	}
	if _, has := u.User.Password(); has {
		u.User = url.UserPassword(u.User.Username(), Mask)
	}
	u.RawQuery = maskQuery(u.RawQuery)
	if u.Fragment != "" || u.RawFragment != "" {
		u.Fragment, u.RawFragment = Mask, ""
	}
	if i := hookToken(u.Path); i >= 0 {
		u.Path, u.RawPath = u.Path[:i]+Mask, ""
	}
	return u.String()
}

// maskQuery masks the secret parameters of a raw query, keeping the order
// and the spelling of the others.
func maskQuery(raw string) string {
	if raw == "" {
		return ""
	}
	parts := strings.Split(raw, "&")
	for i, p := range parts {
		k, _, _ := strings.Cut(p, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		if IsSecretName(name) {
			parts[i] = k + "=" + Mask
		}
	}
	return strings.Join(parts, "&")
}

// hookToken returns where the token of a webhook path starts (after
// "/hook/" or "/hooks/"), or -1.
func hookToken(path string) int {
	for _, seg := range []string{"/hook/", "/hooks/"} {
		if i := strings.Index(path, seg); i >= 0 && len(path) > i+len(seg) {
			return i + len(seg)
		}
	}
	return -1
}

// mayHoldSecret reports whether unparsed text names a secret keyword.
func mayHoldSecret(s string) bool {
	for _, f := range strings.FieldsFunc(s, func(r rune) bool { return r == '&' || r == ' ' || r == '?' || r == ';' }) {
		if k, _, ok := strings.Cut(f, "="); ok && IsSecretName(k) {
			return true
		}
	}
	return strings.Contains(s, "@")
}

// DSN returns a database DSN with its credentials masked, in either of
// libpq's forms: a URL (postgres://user:pw@host/db?sslpassword=…) or
// keyword=value pairs (host=db password=… sslpassword=…). A SQLite DSN
// comes back as it is, but for its secret parameters.
func DSN(dsn string) string {
	if strings.Contains(dsn, "://") || strings.HasPrefix(dsn, "sqlite:") {
		if strings.HasPrefix(dsn, "sqlite:") && !strings.Contains(dsn, "?") {
			return dsn
		}
		return URL(dsn)
	}
	return maskKeywords(dsn)
}

// maskKeywords masks the values of secret keywords in a libpq
// keyword=value string. Values may be single-quoted with \' and \\ escapes.
func maskKeywords(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		// Copy spaces, then read one keyword = value pair.
		if s[i] == ' ' || s[i] == '\t' || s[i] == '\n' {
			b.WriteByte(s[i])
			i++
			continue
		}
		eq := strings.IndexByte(s[i:], '=')
		if eq < 0 {
			b.WriteString(s[i:])
			break
		}
		key := strings.TrimSpace(s[i : i+eq])
		j := i + eq + 1
		for j < len(s) && s[j] == ' ' {
			j++
		}
		end := valueEnd(s, j)
		b.WriteString(s[i:j])
		if IsSecretName(key) {
			b.WriteString(Mask)
		} else {
			b.WriteString(s[j:end])
		}
		i = end
	}
	return b.String()
}

// valueEnd returns where the libpq value starting at i ends.
func valueEnd(s string, i int) int {
	if i < len(s) && s[i] == '\'' {
		for j := i + 1; j < len(s); j++ {
			switch s[j] {
			case '\\':
				j++
			case '\'':
				return j + 1
			}
		}
		return len(s)
	}
	for j := i; j < len(s); j++ {
		if s[j] == ' ' || s[j] == '\t' || s[j] == '\n' {
			return j
		}
	}
	return len(s)
}

// Text masks every URL quoted in s (an error message, a server's answer):
// each scheme://… up to a space, a quote or an angle bracket goes through
// URL. Errors from net/http quote the request URL with the password
// replaced by "***" but the query as it was, so the URL the caller holds
// cannot simply be searched for and replaced.
func Text(s string) string {
	if !strings.Contains(s, "://") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "://")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		start := i
		for start > 0 && isSchemeByte(s[start-1]) {
			start--
		}
		end := i + len("://")
		for end < len(s) && !strings.ContainsRune(" \t\r\n\"'<>`", rune(s[end])) {
			end++
		}
		// A colon or full stop after a URL ends the sentence ("fetch URL:
		// err"), not the URL.
		for end > i+len("://") && strings.IndexByte(":;,.)", s[end-1]) >= 0 {
			end--
		}
		b.WriteString(s[:start])
		if start == i {
			b.WriteString(s[start:end]) // "://" with no scheme: not a URL
		} else {
			b.WriteString(URL(s[start:end]))
		}
		s = s[end:]
	}
}

func isSchemeByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'
}
