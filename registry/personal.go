package registry

import (
	"errors"
	"fmt"
	"strings"

	"github.com/beianwatch/beianwatch/keyring"
)

// Personal data at rest (domain.md §6, docs/encryption.md): contacts'
// names, phones and emails and personal operators' names are stored as
// keyring envelopes; the rows carry the id of the key they were written
// under (key_id, NULL for a row stored before 00009 in clear) and keyed
// hashes for lookups.

// ErrNoKey is returned when personal data must be encrypted or decrypted
// and the store was given no keyring (SetKeys).
var ErrNoKey = errors.New("registry: no key file: personal data cannot be stored or read")

// The contexts authenticated with each encrypted column, so that a
// ciphertext copied into another column, or another row kind, does not
// decrypt.
const (
	aadContactName  = "contacts.name"
	aadContactPhone = "contacts.phone"
	aadContactEmail = "contacts.email"
	aadOperatorName = "operators.name"
)

// The purposes of the keyed hashes.
const (
	hashContact  = "contact"
	hashOperator = "operator"
	hashPhone    = "phone"
	hashEmail    = "email"
)

// SetKeys gives the store the keys that encrypt personal data. Call it
// before the store is used; without keys, storing or reading a contact or
// a personal operator fails with ErrNoKey.
func (s *Store) SetKeys(k *keyring.Keyring) { s.keys = k }

// NormalizePhone is the form a phone is hashed in for search: without
// blanks and dashes, and without the +86 of a mainland mobile, so that
// "+86 138-0013-8000" finds "13800138000".
func NormalizePhone(p string) string {
	p = strings.NewReplacer(" ", "", "-", "").Replace(strings.TrimSpace(p))
	for _, cc := range []string{"+86", "86"} {
		if rest, ok := strings.CutPrefix(p, cc); ok && len(rest) == 11 && rest[0] == '1' {
			return rest
		}
	}
	return p
}

// NormalizeEmail is the form an email is hashed in: addresses are
// compared without case.
func NormalizeEmail(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

// fields joins values unambiguously, for a hash of several fields.
func fields(vs ...string) string {
	var b strings.Builder
	for _, v := range vs {
		fmt.Fprintf(&b, "%d:%s;", len(v), v)
	}
	return b.String()
}

// contactLookups and operatorLookups are a value's lookup hashes under
// every key: an existing row matches whichever key wrote it.
func (s *Store) contactLookups(c Contact) []string {
	return s.keys.Hashes(hashContact, fields(c.Name, c.Phone, c.Email))
}

func (s *Store) operatorLookups(o Operator) []string {
	return s.keys.Hashes(hashOperator, fields(string(o.Type), o.Name, o.OrgCode))
}

// contactCols are the contacts columns sealContact fills, in its order.
var contactCols = []string{"name", "phone", "email", "key_id", "lookup", "phone_hash", "email_hash"}

// sealContact returns c's column values (contactCols) under key keyID.
// Errors never hold the value.
func (s *Store) sealContact(keyID string, c Contact) ([]any, error) {
	if s.keys == nil {
		return nil, ErrNoKey
	}
	var out [3]string
	for i, f := range []struct{ v, aad string }{
		{c.Name, aadContactName}, {c.Phone, aadContactPhone}, {c.Email, aadContactEmail},
	} {
		var err error
		if out[i], err = s.keys.EncryptWith(keyID, f.v, f.aad); err != nil {
			return nil, fmt.Errorf("encrypt contact: %w", err)
		}
	}
	lookup, err := s.keys.Hash(keyID, hashContact, fields(c.Name, c.Phone, c.Email))
	if err != nil {
		return nil, fmt.Errorf("encrypt contact: %w", err)
	}
	phone, _ := s.keys.Hash(keyID, hashPhone, NormalizePhone(c.Phone))
	email, _ := s.keys.Hash(keyID, hashEmail, NormalizeEmail(c.Email))
	return []any{out[0], out[1], out[2], keyID, lookup, phone, email}, nil
}

// operatorCols are the operators columns sealOperator fills.
var operatorCols = []string{"type", "name", "org_code", "key_id", "lookup"}

// sealOperator returns o's column values (operatorCols) under key keyID.
// Only a person's name is encrypted: an organisation's is public.
func (s *Store) sealOperator(keyID string, o Operator) ([]any, error) {
	if s.keys == nil {
		return nil, ErrNoKey
	}
	name := o.Name
	if o.Type == OperatorPersonal {
		var err error
		if name, err = s.keys.EncryptWith(keyID, o.Name, aadOperatorName); err != nil {
			return nil, fmt.Errorf("encrypt operator: %w", err)
		}
	}
	lookup, err := s.keys.Hash(keyID, hashOperator, fields(string(o.Type), o.Name, o.OrgCode))
	if err != nil {
		return nil, fmt.Errorf("encrypt operator: %w", err)
	}
	return []any{string(o.Type), name, o.OrgCode, keyID, lookup}, nil
}

// openPersonal decrypts a site's contact and personal operator name as
// read (siteRow). Rows without a key id are legacy plaintext. Errors name
// the site id only.
func (s *Store) openPersonal(site *Site, r *siteRow) error {
	if r.ContactKeyID.Valid {
		if err := s.openContact(&site.Contact); err != nil {
			return fmt.Errorf("site %d: contact: %w", site.ID, err)
		}
	}
	if r.OperatorKeyID.Valid && site.Operator.Type == OperatorPersonal {
		if s.keys == nil {
			return fmt.Errorf("site %d: operator: %w", site.ID, ErrNoKey)
		}
		name, err := s.keys.Decrypt(site.Operator.Name, aadOperatorName)
		if err != nil {
			return fmt.Errorf("site %d: operator: %w", site.ID, err)
		}
		site.Operator.Name = name
	}
	return nil
}

// openContact decrypts c's fields in place.
func (s *Store) openContact(c *Contact) error {
	if s.keys == nil {
		return ErrNoKey
	}
	for _, f := range []struct {
		v   *string
		aad string
	}{{&c.Name, aadContactName}, {&c.Phone, aadContactPhone}, {&c.Email, aadContactEmail}} {
		p, err := s.keys.Decrypt(*f.v, f.aad)
		if err != nil {
			return err
		}
		*f.v = p
	}
	return nil
}
