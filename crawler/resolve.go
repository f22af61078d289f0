package crawler

import (
	"fmt"
	"net/netip"
	"strings"

	"golang.org/x/net/idna"
)

// ResolveRule pins a host name to an address, like curl's --resolve. The
// address is still subject to the address policy.
type ResolveRule struct {
	// Host is a lower-case ASCII host name, or "*.example.test" for every
	// name below example.test (but not example.test itself).
	Host string
	// Addr is the address to connect to instead of resolving Host.
	Addr netip.Addr
	// Port, when not zero, replaces the URL's port on every connection to
	// Host, so that both https:// and http:// reach, say, a test server.
	Port uint16
}

// String formats the rule as ParseResolve reads it.
func (r ResolveRule) String() string {
	if r.Port == 0 {
		if r.Addr.Is6() {
			return r.Host + ":[" + r.Addr.String() + "]"
		}
		return r.Host + ":" + r.Addr.String()
	}
	return r.Host + ":" + netip.AddrPortFrom(r.Addr, r.Port).String()
}

// ParseResolve parses HOST:ADDR, where HOST is a name or a wildcard
// "*.example.test" and ADDR is an IP address or IP:PORT (IPv6 in brackets
// when a port follows: "[::1]:8080").
func ParseResolve(s string) (ResolveRule, error) {
	host, addr, ok := strings.Cut(s, ":")
	if !ok || host == "" || addr == "" {
		return ResolveRule{}, fmt.Errorf("crawler: resolve rule %q: want HOST:ADDR or HOST:ADDR:PORT", s)
	}
	r, err := parseResolveAddr(addr)
	if err != nil {
		return ResolveRule{}, fmt.Errorf("crawler: resolve rule %q: %w", s, err)
	}
	if r.Host, err = resolveHost(host); err != nil {
		return ResolveRule{}, fmt.Errorf("crawler: resolve rule %q: %w", s, err)
	}
	return r, nil
}

// parseResolveAddr reads the ADDR part of a rule.
func parseResolveAddr(s string) (ResolveRule, error) {
	bare := s
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		bare = s[1 : len(s)-1]
	}
	if a, err := netip.ParseAddr(bare); err == nil && a.Zone() == "" {
		return ResolveRule{Addr: a}, nil
	}
	ap, err := netip.ParseAddrPort(s)
	if err != nil || ap.Addr().Zone() != "" {
		return ResolveRule{}, fmt.Errorf("address %q is not an IP address or IP:PORT", s)
	}
	if ap.Port() == 0 {
		return ResolveRule{}, fmt.Errorf("port 0 in %q", s)
	}
	return ResolveRule{Addr: ap.Addr(), Port: ap.Port()}, nil
}

// resolveHost checks and normalises the HOST part of a rule.
func resolveHost(h string) (string, error) {
	name, wild := strings.CutPrefix(h, "*.")
	ascii, err := idna.Lookup.ToASCII(name)
	if err != nil || ascii == "" || strings.ContainsAny(ascii, "*:/[]") {
		return "", fmt.Errorf("bad host %q", h)
	}
	if wild {
		return "*." + ascii, nil
	}
	return ascii, nil
}

// matchResolve returns the rules for host: the exact ones if any, else the
// wildcard ones, in the order given.
func matchResolve(rules []ResolveRule, host string) []ResolveRule {
	var exact, wild []ResolveRule
	for _, r := range rules {
		switch {
		case r.Host == host:
			exact = append(exact, r)
		case strings.HasPrefix(r.Host, "*.") && strings.HasSuffix(host, r.Host[1:]):
			wild = append(wild, r)
		}
	}
	if exact != nil {
		return exact
	}
	return wild
}
