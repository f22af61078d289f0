-- Personal data encrypted at rest (domain.md §6, docs/encryption.md).
-- The columns that held plaintext (contacts.name, phone, email and the
-- name of a personal operator) now hold envelopes "v1:<key id>:<base64>"
-- that only the key file opens. A migration has no key, so it cannot
-- encrypt the rows already there: key_id IS NULL marks such a legacy
-- plaintext row, and the first command that opens the registry with a key
-- encrypts them in batches (Store.EncryptLegacy), as 'keys rotate' does.
--
-- lookup is a keyed hash (HMAC-SHA256) of the whole value: ciphertexts
-- differ at every write, so rows are shared by this hash instead of by
-- the old UNIQUE constraint, which now compares ciphertexts and no longer
-- binds. Not unique: a legacy row and a new one with the same value may
-- both exist until the legacy one is encrypted.
-- phone_hash and email_hash let 'sites list --contact-phone' find rows
-- without decrypting them.

-- +goose Up
ALTER TABLE contacts ADD COLUMN key_id TEXT;
ALTER TABLE contacts ADD COLUMN lookup TEXT;
ALTER TABLE contacts ADD COLUMN phone_hash TEXT;
ALTER TABLE contacts ADD COLUMN email_hash TEXT;
CREATE INDEX contacts_lookup ON contacts (lookup);
CREATE INDEX contacts_phone_hash ON contacts (phone_hash);
CREATE INDEX contacts_email_hash ON contacts (email_hash);
-- 'keys rotate' looks for rows not under the newest key.
CREATE INDEX contacts_key_id ON contacts (key_id);

-- An organisation's name is public and stays in clear; its row still gets
-- a key id and lookup hash, so that every operator is found the same way.
ALTER TABLE operators ADD COLUMN key_id TEXT;
ALTER TABLE operators ADD COLUMN lookup TEXT;
CREATE INDEX operators_lookup ON operators (lookup);
CREATE INDEX operators_key_id ON operators (key_id);

-- +goose Down
DROP INDEX operators_key_id;
DROP INDEX operators_lookup;
ALTER TABLE operators DROP COLUMN lookup;
ALTER TABLE operators DROP COLUMN key_id;
DROP INDEX contacts_key_id;
DROP INDEX contacts_email_hash;
DROP INDEX contacts_phone_hash;
DROP INDEX contacts_lookup;
ALTER TABLE contacts DROP COLUMN email_hash;
ALTER TABLE contacts DROP COLUMN phone_hash;
ALTER TABLE contacts DROP COLUMN lookup;
ALTER TABLE contacts DROP COLUMN key_id;
