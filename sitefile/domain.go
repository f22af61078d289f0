package sitefile

import (
	"fmt"
	"net/netip"
	"strings"

	"golang.org/x/net/idna"

	"github.com/beianwatch/beianwatch/registry"
)

// parseDomain checks a host name and returns it in both forms, or a
// message saying what is wrong. Filings are matched on the ASCII form
// (domain.md §7); the Unicode form is what people read.
func parseDomain(s string) (registry.Domain, string) {
	switch {
	case strings.Contains(s, "://"):
		return registry.Domain{}, fmt.Sprintf("%q is a URL; give the host name only", s)
	case strings.ContainsAny(s, "/\\?#"):
		return registry.Domain{}, fmt.Sprintf("%q has a path; give the host name only", s)
	case isIP(s):
		return registry.Domain{}, fmt.Sprintf("%q is an IP address; list addresses under ips", s)
	case strings.Contains(s, ":"):
		return registry.Domain{}, fmt.Sprintf("%q has a port; give the host name only", s)
	case strings.Contains(s, "*"):
		return registry.Domain{}, fmt.Sprintf("%q is a wildcard; list each host name", s)
	}
	// Lookup maps case and full-width forms (the ideographic full stop
	// included) and applies the STD3 rules: letters, digits and hyphens.
	// It does not check lengths or empty labels, so that is done below.
	ascii, err := idna.Lookup.ToASCII(s)
	if err != nil {
		return registry.Domain{}, fmt.Sprintf("%q is not a valid host name", s)
	}
	ascii = strings.TrimSuffix(ascii, ".") // a fully qualified name is the same host
	if len(ascii) > 253 {
		return registry.Domain{}, "a host name is longer than 253 characters"
	}
	labels := strings.Split(ascii, ".")
	for _, l := range labels {
		switch {
		case l == "":
			return registry.Domain{}, fmt.Sprintf("%q has an empty label", s)
		case len(l) > 63:
			return registry.Domain{}, fmt.Sprintf("%q has a label longer than 63 characters", s)
		}
	}
	switch {
	case len(labels) < 2:
		return registry.Domain{}, fmt.Sprintf("%q is not a full domain name", s)
	case strings.Trim(labels[len(labels)-1], "0123456789") == "":
		// 1.2.3 or 999.1.1.1: no top-level domain is a number.
		return registry.Domain{}, fmt.Sprintf("%q is not a host name: it ends in a number", s)
	}
	unicode, err := idna.Lookup.ToUnicode(ascii)
	if err != nil {
		return registry.Domain{}, fmt.Sprintf("%q is not a valid host name", s)
	}
	return registry.Domain{Unicode: unicode, ASCII: ascii}, ""
}

func isIP(s string) bool {
	if _, err := netip.ParseAddr(strings.Trim(s, "[]")); err == nil {
		return true
	}
	_, err := netip.ParseAddrPort(s)
	return err == nil
}
