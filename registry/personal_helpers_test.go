package registry

import (
	"testing"

	"github.com/beianwatch/beianwatch/keyring"
)

// testKeys is the keyring of the stores openStore opens.
var testKeys = keyring.New(mustKey("test1"))

func mustKey(id string) *keyring.Key {
	k, err := keyring.Generate(id)
	if err != nil {
		panic(err)
	}
	return k
}

// withKeys sets the store's keyring for the test only.
func withKeys(t testing.TB, s *Store, k *keyring.Keyring) {
	t.Helper()
	s.SetKeys(k)
}
