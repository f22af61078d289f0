// Package keyring holds the keys that encrypt personal data at rest
// (domain.md §6): AES-256-GCM for the values, and HMAC-SHA256 keys derived
// from them for the lookup hashes that let the registry find a phone or an
// email without decrypting every row.
//
// A key file is text, one key a line: an id and 32 random bytes in
// standard base64, separated by blanks. Blank lines and lines starting
// with # are ignored. The last key is the newest: it encrypts; every key
// decrypts. See docs/encryption.md.
//
//	# beianwatch key file
//	k20261207-3fa9c1 <44 characters of base64>
//	k20270301-0b7e44 <44 characters of base64>
package keyring

import (
	"bufio"
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Version is the envelope format: "v1:<key id>:<base64 of nonce and
// ciphertext>".
const Version = "v1"

// ErrUnknownKey is returned when a value was encrypted under a key id the
// key file does not hold.
var ErrUnknownKey = errors.New("keyring: value encrypted under a key not in the key file")

// ErrWrongKey is returned when a value does not decrypt under the key its
// id names: the key file holds another key under that id, or the value was
// tampered with.
var ErrWrongKey = errors.New("keyring: value does not decrypt: wrong key for its key id, or damaged")

// idRE is what a key id may be: it is stored beside every value, so
// short, and never holds the envelope's ':'.
var idRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

// Key is one key of a key file.
type Key struct {
	ID     string
	secret []byte // 32 bytes
	aead   cipher.AEAD
	mac    []byte // HMAC key for lookups, derived from secret
}

// Keyring is the keys of a key file, safe for concurrent use. A value
// encrypted under a key id it does not know makes it read the file again
// once (at most every few seconds), so that a running daemon picks up a
// key added for 'keys rotate' without a restart.
type Keyring struct {
	path string // "" for a keyring made in memory

	mu       sync.RWMutex
	keys     []*Key // oldest first; the last one encrypts
	reloaded time.Time
}

// Load reads a key file. It refuses a file that anyone may read, or that
// anyone but its owner may write, as ssh does with private keys. Group
// read is allowed: Kubernetes mounts a Secret group-readable under the
// pod's fsGroup.
func Load(path string) (*Keyring, error) {
	keys, err := readFile(path)
	if err != nil {
		return nil, err
	}
	return &Keyring{path: path, keys: keys}, nil
}

// New returns a keyring of the given keys, newest last; for tests and for
// registries that die with the process (sqlite::memory:).
func New(keys ...*Key) *Keyring { return &Keyring{keys: keys} }

// Generate returns a new random key with the given id.
func Generate(id string) (*Key, error) {
	secret := make([]byte, 32)
	if _, err := rand.Read(secret); err != nil {
		return nil, fmt.Errorf("generate key: %w", err)
	}
	return newKey(id, secret)
}

// NewID returns an id for a key made now: the date and a random suffix,
// so that keys sort by age when listed and two made the same day differ.
func NewID(now time.Time) string {
	b := make([]byte, 3)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return fmt.Sprintf("k%s-%x", now.UTC().Format("20060102"), b)
}

// Create writes a new key file holding one new key, mode 0600. It fails
// if the file exists: a key file is never overwritten.
func Create(path string, now time.Time) (*Keyring, error) {
	k, err := Generate(NewID(now))
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, fmt.Errorf("create key file: %w", err)
	}
	_, err = fmt.Fprintf(f, "# beianwatch key file: id and base64 key, newest last. See docs/encryption.md.\n%s\n", k.line())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("create key file: %w", err)
	}
	return &Keyring{path: path, keys: []*Key{k}}, nil
}

// Append adds a new key to the key file at path, which then encrypts.
func Append(path string, now time.Time) (*Key, error) {
	if _, err := readFile(path); err != nil {
		return nil, err
	}
	k, err := Generate(NewID(now))
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return nil, fmt.Errorf("add key: %w", err)
	}
	_, err = fmt.Fprintln(f, k.line())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("add key: %w", err)
	}
	return k, nil
}

func (k *Key) line() string { return k.ID + " " + base64.StdEncoding.EncodeToString(k.secret) }

func newKey(id string, secret []byte) (*Key, error) {
	if !idRE.MatchString(id) {
		return nil, fmt.Errorf("key id %q: want 1 to 32 letters, digits, - or _", id)
	}
	if len(secret) != 32 {
		return nil, fmt.Errorf("key %s: %d bytes, want 32 (AES-256)", id, len(secret))
	}
	block, err := aes.NewCipher(secret)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", id, err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("key %s: %w", id, err)
	}
	// The lookup key is derived, not the key itself, so that a hash never
	// uses the encryption key for a second purpose.
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("beianwatch lookup v1"))
	return &Key{ID: id, secret: secret, aead: aead, mac: m.Sum(nil)}, nil
}

// readFile parses a key file. Errors name the file and line, never a key.
func readFile(path string) ([]*Key, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	if fi.Mode().Perm()&0o026 != 0 {
		return nil, fmt.Errorf("key file %s: mode %04o lets others read or change it: chmod 600 it", path, fi.Mode().Perm())
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("key file: %w", err)
	}
	var keys []*Key
	seen := make(map[string]bool)
	sc := bufio.NewScanner(bytes.NewReader(b))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 2 {
			return nil, fmt.Errorf("key file %s:%d: want \"ID BASE64KEY\"", path, n)
		}
		secret, err := base64.StdEncoding.DecodeString(f[1])
		if err != nil {
			return nil, fmt.Errorf("key file %s:%d: key is not base64", path, n)
		}
		k, err := newKey(f[0], secret)
		if err != nil {
			return nil, fmt.Errorf("key file %s:%d: %w", path, n, err)
		}
		if seen[k.ID] {
			return nil, fmt.Errorf("key file %s:%d: key id %s listed twice", path, n, k.ID)
		}
		seen[k.ID] = true
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("key file %s: no key", path)
	}
	return keys, nil
}

// Path is the key file's path ("" for a keyring made in memory).
func (r *Keyring) Path() string { return r.path }

// Newest returns the id of the key that encrypts.
func (r *Keyring) Newest() string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.keys[len(r.keys)-1].ID
}

// IDs returns the key ids, oldest first.
func (r *Keyring) IDs() []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	ids := make([]string, len(r.keys))
	for i, k := range r.keys {
		ids[i] = k.ID
	}
	return ids
}

func (r *Keyring) newest() *Key {
	r.mu.RLock()
	defer r.mu.RUnlock()
	return r.keys[len(r.keys)-1]
}

// key returns the key with this id, reading the file again if it has
// none (another process may have added it).
func (r *Keyring) key(id string) (*Key, error) {
	if k := r.find(id); k != nil {
		return k, nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.path != "" && time.Since(r.reloaded) > 5*time.Second {
		r.reloaded = time.Now()
		if keys, err := readFile(r.path); err == nil {
			r.keys = keys
		}
	}
	for _, k := range r.keys {
		if k.ID == id {
			return k, nil
		}
	}
	return nil, fmt.Errorf("key id %s: %w", id, ErrUnknownKey)
}

func (r *Keyring) find(id string) *Key {
	r.mu.RLock()
	defer r.mu.RUnlock()
	for _, k := range r.keys {
		if k.ID == id {
			return k
		}
	}
	return nil
}

// Encrypt seals plaintext under the newest key. context names what the
// value is ("contacts.phone"): it is authenticated with the value, so a
// ciphertext copied into another column does not decrypt. The empty
// string stays empty: there is nothing to hide, and "no phone" must read
// back as such.
func (r *Keyring) Encrypt(plaintext, context string) (string, error) {
	if plaintext == "" {
		return "", nil
	}
	return r.newest().seal(plaintext, context)
}

// EncryptWith is Encrypt under the key with id keyID.
func (r *Keyring) EncryptWith(keyID, plaintext, context string) (string, error) {
	if plaintext == "" {
		return "", nil
	}
	k, err := r.key(keyID)
	if err != nil {
		return "", err
	}
	return k.seal(plaintext, context)
}

func (k *Key) seal(plaintext, context string) (string, error) {
	nonce := make([]byte, k.aead.NonceSize(), k.aead.NonceSize()+len(plaintext)+k.aead.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", fmt.Errorf("encrypt: %w", err)
	}
	sealed := k.aead.Seal(nonce, nonce, []byte(plaintext), []byte(context))
	return Version + ":" + k.ID + ":" + base64.RawStdEncoding.EncodeToString(sealed), nil
}

// IsEnvelope reports whether s looks like a value Encrypt made.
func IsEnvelope(s string) bool {
	_, ok := parse(s)
	return ok
}

// KeyID returns the id of the key an envelope was sealed under.
func KeyID(s string) (string, bool) {
	e, ok := parse(s)
	return e.keyID, ok
}

type envelope struct{ keyID, body string }

func parse(s string) (envelope, bool) {
	v, rest, ok := strings.Cut(s, ":")
	if !ok || v != Version {
		return envelope{}, false
	}
	id, body, ok := strings.Cut(rest, ":")
	if !ok || !idRE.MatchString(id) || body == "" {
		return envelope{}, false
	}
	return envelope{id, body}, true
}

// Decrypt opens a value Encrypt sealed with the same context. Errors never
// hold the value.
func (r *Keyring) Decrypt(s, context string) (string, error) {
	if s == "" {
		return "", nil
	}
	e, ok := parse(s)
	if !ok {
		return "", errors.New("keyring: not an encrypted value")
	}
	k, err := r.key(e.keyID)
	if err != nil {
		return "", err
	}
	sealed, err := base64.RawStdEncoding.DecodeString(e.body)
	if err != nil || len(sealed) < k.aead.NonceSize() {
		return "", fmt.Errorf("key id %s: %w", e.keyID, ErrWrongKey)
	}
	n := k.aead.NonceSize()
	plain, err := k.aead.Open(nil, sealed[:n], sealed[n:], []byte(context))
	if err != nil {
		return "", fmt.Errorf("key id %s: %w", e.keyID, ErrWrongKey)
	}
	return string(plain), nil
}

// Hash returns the keyed hash (hex HMAC-SHA256) of value under the key
// with id keyID, for lookups: the same value hashes the same under one
// key, and nobody without the key file can test a guess against it.
// purpose separates the hashes of different fields.
func (r *Keyring) Hash(keyID, purpose, value string) (string, error) {
	k, err := r.key(keyID)
	if err != nil {
		return "", err
	}
	return k.hash(purpose, value), nil
}

// Hashes returns value's hash under every key, newest last: a lookup
// matches a row whichever key it was last written under, so search works
// while 'keys rotate' runs.
func (r *Keyring) Hashes(purpose, value string) []string {
	r.mu.RLock()
	defer r.mu.RUnlock()
	hs := make([]string, len(r.keys))
	for i, k := range r.keys {
		hs[i] = k.hash(purpose, value)
	}
	return hs
}

func (k *Key) hash(purpose, value string) string {
	m := hmac.New(sha256.New, k.mac)
	// Length-prefixed, so that no two (purpose, value) pairs run together.
	fmt.Fprintf(m, "%d:%s:%s", len(purpose), purpose, value)
	return fmt.Sprintf("%x", m.Sum(nil))
}
