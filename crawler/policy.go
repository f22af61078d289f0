package crawler

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// ErrBlockedAddress is matched (errors.Is) by every *BlockedError.
var ErrBlockedAddress = errors.New("crawler: blocked address")

// BlockedError reports a connection refused by the address policy.
type BlockedError struct {
	Host string     // the name being connected to; may equal Addr
	Addr netip.Addr // the address that was refused
	// Range names the refused range ("loopback", "private", "cloud metadata" …).
	Range string
}

func (e *BlockedError) Error() string {
	a := e.Addr.String()
	if e.Host != "" && e.Host != a {
		a = e.Host + " (" + a + ")"
	}
	return "crawler: refusing to connect to " + a + ": " + e.Range + " address is blocked"
}

// Is makes errors.Is(err, ErrBlockedAddress) true.
func (e *BlockedError) Is(target error) bool { return target == ErrBlockedAddress }

// addrRange is one refused network.
type addrRange struct {
	prefix netip.Prefix
	name   string
	// embedded, when set, extracts the IPv4 addresses tunnelled inside the
	// IPv6 one; the range is then refused when any of them is, and only
	// then: the packets end up at the IPv4 address, so that is what is
	// judged (a NAT64 of 127.0.0.1 reaches a loopback service as surely
	// as 127.0.0.1 does).
	embedded func(netip.Addr) []netip.Addr
}

// metadataAddrs are cloud instance-metadata endpoints. They never host a
// website and hand out credentials, so AllowPrivate does not open them; only
// an explicit AllowCIDRs entry does.
var metadataAddrs = []addrRange{
	{prefix: netip.MustParsePrefix("169.254.169.254/32"), name: "cloud metadata"},  // AWS, GCP, Azure, Tencent, Huawei …
	{prefix: netip.MustParsePrefix("169.254.170.2/32"), name: "cloud metadata"},    // AWS ECS task credentials
	{prefix: netip.MustParsePrefix("100.100.100.200/32"), name: "cloud metadata"},  // Alibaba Cloud
	{prefix: netip.MustParsePrefix("192.0.0.192/32"), name: "cloud metadata"},      // Oracle Cloud (legacy)
	{prefix: netip.MustParsePrefix("fd00:ec2::254/128"), name: "cloud metadata"},   // AWS IMDS over IPv6
	{prefix: netip.MustParsePrefix("fd00:ec2::23/128"), name: "cloud metadata"},    // AWS ECS over IPv6
	{prefix: netip.MustParsePrefix("fd20:ce::254/128"), name: "cloud metadata"},    // GCP over IPv6
	{prefix: netip.MustParsePrefix("fe80::a9fe:a9fe/128"), name: "cloud metadata"}, // 169.254.169.254 as link-local IPv6
}

// blockedRanges are the networks that are not the public Internet: a crawler
// that could be pointed at them (directly, through DNS or a redirect) would
// be a tool for reaching the host's own services (SSRF). More specific
// entries come first so that the error names the narrowest range.
var blockedRanges = []addrRange{
	// IPv4 (RFC 6890 special-purpose registry).
	{prefix: netip.MustParsePrefix("0.0.0.0/8"), name: "unspecified"}, // Linux dials 0.0.0.0 as localhost
	{prefix: netip.MustParsePrefix("10.0.0.0/8"), name: "private"},
	{prefix: netip.MustParsePrefix("100.64.0.0/10"), name: "carrier-grade NAT"},
	{prefix: netip.MustParsePrefix("127.0.0.0/8"), name: "loopback"},
	{prefix: netip.MustParsePrefix("169.254.0.0/16"), name: "link-local"},
	{prefix: netip.MustParsePrefix("172.16.0.0/12"), name: "private"},
	{prefix: netip.MustParsePrefix("192.0.0.0/24"), name: "IETF protocol assignment"},
	{prefix: netip.MustParsePrefix("192.0.2.0/24"), name: "documentation"},
	{prefix: netip.MustParsePrefix("192.88.99.0/24"), name: "6to4 relay"},
	{prefix: netip.MustParsePrefix("192.168.0.0/16"), name: "private"},
	{prefix: netip.MustParsePrefix("198.18.0.0/15"), name: "benchmarking"},
	{prefix: netip.MustParsePrefix("198.51.100.0/24"), name: "documentation"},
	{prefix: netip.MustParsePrefix("203.0.113.0/24"), name: "documentation"},
	{prefix: netip.MustParsePrefix("224.0.0.0/4"), name: "multicast"},
	{prefix: netip.MustParsePrefix("255.255.255.255/32"), name: "broadcast"},
	{prefix: netip.MustParsePrefix("240.0.0.0/4"), name: "reserved"},

	// IPv6. IPv4-mapped addresses (::ffff:0:0/96) never get here: they
	// are unmapped first. Every other form that carries an IPv4 address
	// is judged by that address (embedded), whatever the policy allows.
	{prefix: netip.MustParsePrefix("::/128"), name: "unspecified"},
	{prefix: netip.MustParsePrefix("::1/128"), name: "loopback"},
	{prefix: netip.MustParsePrefix("::/96"), name: "IPv4-compatible", embedded: low32},           // RFC 4291, deprecated
	{prefix: netip.MustParsePrefix("::ffff:0:0:0/96"), name: "IPv4-translated", embedded: low32}, // RFC 2765 (SIIT)
	{prefix: netip.MustParsePrefix("64:ff9b::/96"), name: "NAT64", embedded: low32},              // RFC 6052
	{prefix: netip.MustParsePrefix("64:ff9b:1::/48"), name: "local-use NAT64", embedded: low32},  // RFC 8215; /96 is the usual length
	{prefix: netip.MustParsePrefix("100::/64"), name: "discard-only"},
	{prefix: netip.MustParsePrefix("2001::/32"), name: "Teredo", embedded: teredo},
	{prefix: netip.MustParsePrefix("2001:2::/48"), name: "benchmarking"},
	{prefix: netip.MustParsePrefix("2001:db8::/32"), name: "documentation"},
	{prefix: netip.MustParsePrefix("2001::/23"), name: "IETF protocol assignment"},
	{prefix: netip.MustParsePrefix("2002::/16"), name: "6to4", embedded: sixToFour},
	{prefix: netip.MustParsePrefix("3fff::/20"), name: "documentation"},
	{prefix: netip.MustParsePrefix("5f00::/16"), name: "SRv6 segment identifier"},
	{prefix: netip.MustParsePrefix("fc00::/7"), name: "unique local (private)"},
	{prefix: netip.MustParsePrefix("fe80::/10"), name: "link-local"},
	{prefix: netip.MustParsePrefix("fec0::/10"), name: "site-local (deprecated)"},
	{prefix: netip.MustParsePrefix("ff00::/8"), name: "multicast"},
}

// low32 returns the IPv4 address in the last 32 bits (IPv4-compatible,
// IPv4-translated, NAT64 with a /96 prefix as RFC 6052 recommends).
func low32(a netip.Addr) []netip.Addr {
	b := a.As16()
	return []netip.Addr{netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})}
}

// sixToFour returns the IPv4 address in bits 16–47 (6to4, RFC 3056).
func sixToFour(a netip.Addr) []netip.Addr {
	b := a.As16()
	return []netip.Addr{netip.AddrFrom4([4]byte{b[2], b[3], b[4], b[5]})}
}

// teredo returns the two IPv4 addresses of a Teredo address (RFC 4380):
// the server in bits 32–63 and the client, bit-inverted, in the last 32.
func teredo(a netip.Addr) []netip.Addr {
	b := a.As16()
	return []netip.Addr{
		netip.AddrFrom4([4]byte{b[4], b[5], b[6], b[7]}),
		netip.AddrFrom4([4]byte{^b[12], ^b[13], ^b[14], ^b[15]}),
	}
}

// addrPolicy decides which addresses may be connected to. The zero value
// refuses every non-public address.
type addrPolicy struct {
	allowPrivate bool
	allow        []netip.Prefix
}

// check returns nil if a may be connected to, else a *BlockedError naming
// host (the name being dialled; may be empty).
func (p addrPolicy) check(host string, a netip.Addr) error {
	if name := p.refused(a); name != "" {
		return &BlockedError{Host: host, Addr: a, Range: name}
	}
	return nil
}

// refused returns the name of the refused range that holds a, or "".
func (p addrPolicy) refused(a netip.Addr) string {
	if !a.IsValid() {
		return "invalid"
	}
	// Prefix.Contains never matches a zoned address, and ::ffff:127.0.0.1
	// must be judged as the IPv4 address it is.
	a = a.WithZone("").Unmap()
	for _, pfx := range p.allow {
		if pfx.Contains(a) {
			return ""
		}
	}
	for _, r := range metadataAddrs {
		if r.prefix.Contains(a) {
			return r.name
		}
	}
	for _, r := range blockedRanges {
		if !r.prefix.Contains(a) {
			continue
		}
		if r.embedded != nil {
			// Judged by the tunnelled address, under the same policy: so
			// that neither the default policy lets loopback through in
			// disguise nor allowPrivate opens the metadata endpoints.
			for _, inner := range r.embedded(a) {
				if name := p.refused(inner); name != "" {
					return r.name + " of " + name
				}
			}
			return ""
		}
		if p.allowPrivate {
			return ""
		}
		return r.name
	}
	return ""
}

// oddIPv4 reports whether host would be read as an IPv4 address by a
// browser or by inet_aton (as used by getaddrinfo), but is not in canonical
// dotted-decimal form: 2130706433, 0x7f.1, 127.1, 0177.0.0.1, 127.0.0.1. .
// Such spellings exist mostly to slip loopback past filters, so they are
// refused outright. Following the WHATWG URL standard, a host whose last
// label is a number is an IPv4 address.
func oddIPv4(host string) bool {
	if _, err := netip.ParseAddr(host); err == nil {
		return false
	}
	labels := strings.Split(host, ".")
	last := labels[len(labels)-1]
	if last == "" && len(labels) > 1 {
		last = labels[len(labels)-2]
	}
	return isNumericLabel(last)
}

// isNumericLabel reports whether s is a decimal, octal or 0x-hex number.
func isNumericLabel(s string) bool {
	if s == "" {
		return false
	}
	if len(s) >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') {
		for _, c := range s[2:] {
			if !strings.ContainsRune("0123456789abcdefABCDEF", c) {
				return false
			}
		}
		return true
	}
	_, err := strconv.ParseUint(s, 10, 64)
	return err == nil || errors.Is(err, strconv.ErrRange)
}

// describeIPv4 returns what an odd IPv4 spelling means to inet_aton and
// browsers, for the error message, or "" if it means nothing.
func describeIPv4(host string) string {
	labels := strings.Split(strings.TrimSuffix(host, "."), ".")
	if len(labels) > 4 {
		return ""
	}
	nums := make([]uint64, len(labels))
	for i, l := range labels {
		n, ok := parseInetNumber(l)
		if !ok {
			return ""
		}
		nums[i] = n
	}
	// Each leading number is one byte; the last fills the bytes left.
	var v uint64
	for i, n := range nums[:len(nums)-1] {
		if n > 255 {
			return ""
		}
		v |= n << (24 - 8*i)
	}
	last := nums[len(nums)-1]
	if last >= 1<<(8*(5-len(nums))) {
		return ""
	}
	v |= last
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)}).String()
}

// parseInetNumber reads one part of an inet_aton address: 0x-hex, 0-octal
// or decimal.
func parseInetNumber(s string) (uint64, bool) {
	base := 10
	switch {
	case len(s) >= 2 && (s[:2] == "0x" || s[:2] == "0X"):
		s, base = s[2:], 16
		if s == "" {
			return 0, true
		}
	case len(s) >= 2 && s[0] == '0':
		s, base = s[1:], 8
	}
	n, err := strconv.ParseUint(s, base, 32)
	return n, err == nil
}

// oddIPv4Error explains why an odd IPv4 spelling is refused.
func oddIPv4Error(host string) error {
	if ip := describeIPv4(host); ip != "" {
		return fmt.Errorf("%w: host %q is a non-standard spelling of IP address %s", ErrInvalidTarget, host, ip)
	}
	return fmt.Errorf("%w: host %q looks like a numeric IP address but is not one", ErrInvalidTarget, host)
}
