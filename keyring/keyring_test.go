package keyring

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var now = time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)

func TestRoundTrip(t *testing.T) {
	r := New(mustGenerate(t, "a"))
	for _, plain := range []string{"", "张三", "13812345678", "z@example.com"} {
		sealed, err := r.Encrypt(plain, "contacts.name")
		if err != nil {
			t.Fatal(err)
		}
		if plain != "" && (!strings.HasPrefix(sealed, "v1:a:") || strings.Contains(sealed, plain)) {
			t.Errorf("Encrypt(%q) = %q, want a v1 envelope under key a, without the value", plain, sealed)
		}
		got, err := r.Decrypt(sealed, "contacts.name")
		if err != nil || got != plain {
			t.Errorf("Decrypt(Encrypt(%q)) = %q, %v", plain, got, err)
		}
	}
}

func TestDecryptErrors(t *testing.T) {
	a := New(mustGenerate(t, "a"))
	sealed, err := a.Encrypt("13812345678", "contacts.phone")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		name    string
		r       *Keyring
		value   string
		context string
		want    error
	}{
		{"unknown key id", New(mustGenerate(t, "b")), sealed, "contacts.phone", ErrUnknownKey},
		{"same id, other key", New(mustGenerate(t, "a")), sealed, "contacts.phone", ErrWrongKey},
		{"other column", a, sealed, "contacts.email", ErrWrongKey},
		{"damaged", a, sealed[:len(sealed)-4] + "AAAA", "contacts.phone", ErrWrongKey},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := tt.r.Decrypt(tt.value, tt.context)
			if !errors.Is(err, tt.want) || strings.Contains(err.Error(), "13812345678") {
				t.Errorf("Decrypt = %v, want %v without the value", err, tt.want)
			}
		})
	}
}

// TestKeyFile: create, append, load; the newest encrypts, all decrypt.
func TestKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "keys")
	r1, err := Create(path, now)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v, %v; want 0600", fi.Mode(), err)
	}
	if _, err := Create(path, now); err == nil {
		t.Error("Create over an existing key file: no error")
	}
	old, _ := r1.Encrypt("张三", "x")
	k2, err := Append(path, now.Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	r, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if r.Newest() != k2.ID || len(r.IDs()) != 2 {
		t.Errorf("Load: keys %v, newest %s; want 2, newest %s", r.IDs(), r.Newest(), k2.ID)
	}
	if got, err := r.Decrypt(old, "x"); err != nil || got != "张三" {
		t.Errorf("Decrypt under the older key = %q, %v", got, err)
	}
	// The hashes differ by key, and Hashes lists them all.
	h1, _ := r.Hash(r1.Newest(), "phone", "13812345678")
	if hs := r.Hashes("phone", "13812345678"); len(hs) != 2 || hs[0] != h1 || hs[1] == h1 {
		t.Errorf("Hashes = %v, want [%s, another]", hs, h1)
	}
	// A keyring meeting a key id it does not know reads the file again.
	r1.reloaded = time.Time{}
	if _, err := r1.Decrypt(mustEncrypt(t, r), "x"); err != nil {
		t.Errorf("Decrypt under a key added to the file since Load: %v", err)
	}
}

func TestLoadErrors(t *testing.T) {
	for _, tt := range []struct {
		name, content string
		mode          os.FileMode
		want          string
	}{
		{"readable by anyone", "a " + strings.Repeat("A", 43) + "=\n", 0o604, "lets others read or change it"},
		{"group-writable", "a " + strings.Repeat("A", 43) + "=\n", 0o660, "lets others read or change it"},
		{"empty", "# nothing\n", 0o600, "no key"},
		{"one field", "a\n", 0o600, `:1: want "ID BASE64KEY"`},
		{"not base64", "a !!!\n", 0o600, ":1: key is not base64"},
		{"short", "a QUJD\n", 0o600, "3 bytes, want 32"},
		{"bad id", "a:b " + strings.Repeat("A", 43) + "=\n", 0o600, `key id "a:b"`},
		{"twice", "a " + strings.Repeat("A", 43) + "=\na " + strings.Repeat("B", 43) + "=\n", 0o600, ":2: key id a listed twice"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "keys")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tt.mode); err != nil { // past the umask
				t.Fatal(err)
			}
			_, err := Load(path)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func mustGenerate(t *testing.T, id string) *Key {
	t.Helper()
	k, err := Generate(id)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustEncrypt(t *testing.T, r *Keyring) string {
	t.Helper()
	s, err := r.Encrypt("李四", "x")
	if err != nil {
		t.Fatal(err)
	}
	return s
}
