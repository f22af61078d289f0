package registry

import (
	"github.com/beianwatch/beianwatch/keyring"
)

// testKey1 is the key of testKeys, the keyring of the stores openStore
// opens.
var (
	testKey1 = mustKey("test1")
	testKeys = keyring.New(testKey1)
)

func mustKey(id string) *keyring.Key {
	k, err := keyring.Generate(id)
	if err != nil {
		panic(err)
	}
	return k
}
