package registry

import (
	"errors"
	"fmt"
	"strings"

	"golang.org/x/net/idna"
)

// NormalizeDomain returns a domain name in both its forms, as the registry
// stores and matches it: lower case, without a final dot, IDNA-mapped
// (full-width letters folded). Either form may be given: 中文.中国 and
// XN--FIQ228C.xn--fiqs8s give the same Domain. It does not strip "www.".
func NormalizeDomain(name string) (Domain, error) {
	n := strings.TrimSuffix(strings.TrimSpace(name), ".")
	if n == "" {
		return Domain{}, errors.New("empty domain name")
	}
	ascii, err := idna.Lookup.ToASCII(n)
	if err != nil {
		return Domain{}, fmt.Errorf("domain %q: %w", name, err)
	}
	unicode, err := idna.Lookup.ToUnicode(ascii)
	if err != nil {
		return Domain{}, fmt.Errorf("domain %q: %w", name, err)
	}
	return Domain{Unicode: unicode, ASCII: ascii}, nil
}
