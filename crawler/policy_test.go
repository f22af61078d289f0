package crawler

import (
	"errors"
	"net/netip"
	"testing"
)

func TestPolicyDefault(t *testing.T) {
	tests := []struct {
		addr string
		want string // refused range, "" = allowed
	}{
		// Public addresses.
		{"1.1.1.1", ""},
		{"8.8.8.8", ""},
		{"114.114.114.114", ""},
		{"223.5.5.5", ""},
		{"2400:3200::1", ""},
		{"2606:4700:4700::1111", ""},
		{"::ffff:8.8.8.8", ""},
		{"64:ff9b::808:808", ""}, // NAT64 of 8.8.8.8
		{"2002:808:808::1", ""},  // 6to4 of 8.8.8.8
		{"100.63.255.255", ""},   // just below CGNAT
		{"100.128.0.0", ""},      // just above CGNAT
		{"172.15.255.255", ""},   // just below 172.16/12
		{"172.32.0.0", ""},       // just above 172.16/12
		{"198.17.255.255", ""},   // just below benchmarking
		{"198.20.0.0", ""},       // just above benchmarking
		{"192.0.1.1", ""},        // between 192.0.0/24 and 192.0.2/24
		{"223.255.255.255", ""},  // just below multicast
		{"fbff:ffff::1", ""},     // just below fc00::/7
		{"2001:200::1", ""},      // just above 2001::/23 (WIDE, Japan)
		{"2001:4860:4860::8888", ""},
		{"64:ff9b:2::1", ""}, // outside both NAT64 prefixes

		// IPv4 special ranges.
		{"0.0.0.0", "unspecified"},
		{"0.1.2.3", "unspecified"},
		{"10.0.0.1", "private"},
		{"10.255.255.255", "private"},
		{"100.64.0.1", "carrier-grade NAT"},
		{"100.127.255.255", "carrier-grade NAT"},
		{"100.100.100.200", "cloud metadata"},
		{"127.0.0.1", "loopback"},
		{"127.255.255.254", "loopback"},
		{"169.254.0.1", "link-local"},
		{"169.254.169.254", "cloud metadata"},
		{"169.254.170.2", "cloud metadata"},
		{"172.16.0.1", "private"},
		{"172.31.255.255", "private"},
		{"192.0.0.8", "IETF protocol assignment"},
		{"192.0.0.192", "cloud metadata"},
		{"192.0.2.1", "documentation"},
		{"192.88.99.1", "6to4 relay"},
		{"192.168.1.1", "private"},
		{"198.18.0.1", "benchmarking"},
		{"198.19.255.255", "benchmarking"},
		{"198.51.100.7", "documentation"},
		{"203.0.113.9", "documentation"},
		{"224.0.0.1", "multicast"},
		{"239.255.255.250", "multicast"},
		{"240.0.0.1", "reserved"},
		{"255.255.255.254", "reserved"},
		{"255.255.255.255", "broadcast"},

		// IPv6 special ranges.
		{"::", "unspecified"},
		{"::1", "loopback"},
		{"::127.0.0.1", "IPv4-compatible of loopback"},
		{"::7f00:1", "IPv4-compatible of loopback"},
		{"::a9fe:a9fe", "IPv4-compatible of cloud metadata"},
		{"::808:808", ""}, // IPv4-compatible 8.8.8.8
		{"::ffff:0:7f00:1", "IPv4-translated of loopback"},
		{"::ffff:0:127.0.0.1", "IPv4-translated of loopback"},
		{"::ffff:0:a00:1", "IPv4-translated of private"},
		{"::ffff:0:a9fe:a9fe", "IPv4-translated of cloud metadata"},
		{"::ffff:0:808:808", ""}, // IPv4-translated 8.8.8.8
		{"::ffff:127.0.0.1", "loopback"},
		{"::ffff:7f00:1", "loopback"},
		{"::ffff:10.1.2.3", "private"},
		{"::ffff:169.254.169.254", "cloud metadata"},
		{"::ffff:0.0.0.0", "unspecified"},
		{"64:ff9b::127.0.0.1", "NAT64 of loopback"},
		{"64:ff9b::a9fe:a9fe", "NAT64 of cloud metadata"},
		{"64:ff9b::c0a8:101", "NAT64 of private"},
		{"64:ff9b:1::1", "local-use NAT64 of unspecified"},
		{"64:ff9b:1::7f00:1", "local-use NAT64 of loopback"},
		{"64:ff9b:1:ffff::c0a8:1", "local-use NAT64 of private"},
		{"64:ff9b:1::a9fe:a9fe", "local-use NAT64 of cloud metadata"},
		{"64:ff9b:1::808:808", ""},
		{"100::1", "discard-only"},
		{"2001::1", "Teredo of unspecified"},
		{"2001:0:4136:e378:8000:63bf:3fff:fdd2", "Teredo of documentation"}, // client 192.0.2.45
		{"2001:0:4136:e378:8000:63bf:80ff:fffe", "Teredo of loopback"},      // client 127.0.0.1
		{"2001:0:7f00:1:8000:63bf:f7f7:f7f7", "Teredo of loopback"},         // server 127.0.0.1
		{"2001:0:4136:e378:8000:63bf:f7f7:f7f7", ""},                        // 65.54.227.120 and 8.8.8.8
		{"2001:2::1", "benchmarking"},
		{"2001:db8::1", "documentation"},
		{"2001:10::1", "IETF protocol assignment"}, // ORCHID
		{"2002:7f00:1::1", "6to4 of loopback"},
		{"2002:a00:1::1", "6to4 of private"},
		{"2002:a9fe:a9fe::", "6to4 of cloud metadata"},
		{"3fff::1", "documentation"},
		{"5f00::1", "SRv6 segment identifier"},
		{"fc00::1", "unique local (private)"},
		{"fd12:3456:789a::1", "unique local (private)"},
		{"fd00:ec2::254", "cloud metadata"},
		{"fd00:ec2::23", "cloud metadata"},
		{"fd20:ce::254", "cloud metadata"},
		{"fe80::1", "link-local"},
		{"fe80::1%eth0", "link-local"},
		{"fe80::a9fe:a9fe", "cloud metadata"},
		{"febf:ffff::1", "link-local"},
		{"fec0::1", "site-local (deprecated)"},
		{"ff02::1", "multicast"},
		{"ff0e::1", "multicast"},
	}
	for _, tt := range tests {
		t.Run(tt.addr, func(t *testing.T) {
			got := addrPolicy{}.refused(netip.MustParseAddr(tt.addr))
			if got != tt.want {
				t.Errorf("refused(%s) = %q, want %q", tt.addr, got, tt.want)
			}
		})
	}
}

func TestPolicyInvalidAddr(t *testing.T) {
	if got := (addrPolicy{}).refused(netip.Addr{}); got != "invalid" {
		t.Errorf("refused(zero Addr) = %q, want %q", got, "invalid")
	}
	if got := (addrPolicy{allowPrivate: true}).refused(netip.Addr{}); got != "invalid" {
		t.Errorf("refused(zero Addr) with allowPrivate = %q, want %q", got, "invalid")
	}
}

func TestPolicyAllow(t *testing.T) {
	prefixes := func(ss ...string) []netip.Prefix {
		var out []netip.Prefix
		for _, s := range ss {
			out = append(out, netip.MustParsePrefix(s))
		}
		return out
	}
	tests := []struct {
		name   string
		policy addrPolicy
		addr   string
		want   string
	}{
		{"private lifts loopback", addrPolicy{allowPrivate: true}, "127.0.0.1", ""},
		{"private lifts RFC1918", addrPolicy{allowPrivate: true}, "192.168.0.1", ""},
		{"private lifts ULA", addrPolicy{allowPrivate: true}, "fd12::1", ""},
		{"private lifts mapped loopback", addrPolicy{allowPrivate: true}, "::ffff:127.0.0.1", ""},
		{"private lifts NAT64 of loopback", addrPolicy{allowPrivate: true}, "64:ff9b::7f00:1", ""},
		{"private keeps metadata", addrPolicy{allowPrivate: true}, "169.254.169.254", "cloud metadata"},
		{"private keeps Alibaba metadata", addrPolicy{allowPrivate: true}, "100.100.100.200", "cloud metadata"},
		{"private keeps AWS IPv6 metadata", addrPolicy{allowPrivate: true}, "fd00:ec2::254", "cloud metadata"},
		{"private keeps mapped metadata", addrPolicy{allowPrivate: true}, "::ffff:169.254.169.254", "cloud metadata"},
		{"private keeps NAT64 of metadata", addrPolicy{allowPrivate: true}, "64:ff9b::a9fe:a9fe", "NAT64 of cloud metadata"},
		{"private keeps local NAT64 of metadata", addrPolicy{allowPrivate: true}, "64:ff9b:1::a9fe:a9fe", "local-use NAT64 of cloud metadata"},
		{"private keeps translated metadata", addrPolicy{allowPrivate: true}, "::ffff:0:a9fe:a9fe", "IPv4-translated of cloud metadata"},
		{"private keeps compatible metadata", addrPolicy{allowPrivate: true}, "::a9fe:a9fe", "IPv4-compatible of cloud metadata"},
		{"private keeps Teredo of metadata", addrPolicy{allowPrivate: true}, "2001:0:a9fe:a9fe:8000:63bf:f7f7:f7f7", "Teredo of cloud metadata"},
		{"private keeps 6to4 of metadata", addrPolicy{allowPrivate: true}, "2002:a9fe:a9fe::1", "6to4 of cloud metadata"},
		{"cidr opens translated of its net", addrPolicy{allow: prefixes("127.0.0.0/8")}, "::ffff:0:7f00:1", ""},
		{"cidr opens its net", addrPolicy{allow: prefixes("127.0.0.0/8")}, "127.0.0.2", ""},
		{"cidr opens mapped", addrPolicy{allow: prefixes("127.0.0.0/8")}, "::ffff:127.0.0.1", ""},
		{"cidr opens NAT64 of its net", addrPolicy{allow: prefixes("127.0.0.0/8")}, "64:ff9b::7f00:1", ""},
		{"cidr /32 only", addrPolicy{allow: prefixes("127.0.0.1/32")}, "127.0.0.2", "loopback"},
		{"cidr leaves others", addrPolicy{allow: prefixes("127.0.0.0/8")}, "10.0.0.1", "private"},
		{"cidr opens metadata", addrPolicy{allow: prefixes("169.254.169.254/32")}, "169.254.169.254", ""},
		{"cidr v6 opens ULA", addrPolicy{allow: prefixes("fd00::/8")}, "fd12::1", ""},
		{"cidr v6 not v4", addrPolicy{allow: prefixes("::/0")}, "10.0.0.1", "private"},
		{"cidr keeps public", addrPolicy{allow: prefixes("127.0.0.0/8")}, "8.8.8.8", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.policy.refused(netip.MustParseAddr(tt.addr))
			if got != tt.want {
				t.Errorf("refused(%s) = %q, want %q", tt.addr, got, tt.want)
			}
		})
	}
}

func TestPolicyCheckError(t *testing.T) {
	err := addrPolicy{}.check("example.test", netip.MustParseAddr("127.0.0.1"))
	if !errors.Is(err, ErrBlockedAddress) {
		t.Fatalf("check() = %v, want ErrBlockedAddress", err)
	}
	want := "crawler: refusing to connect to example.test (127.0.0.1): loopback address is blocked"
	if err.Error() != want {
		t.Errorf("check().Error() = %q, want %q", err, want)
	}
	if err := (addrPolicy{}).check("x", netip.MustParseAddr("1.2.3.4")); err != nil {
		t.Errorf("check(1.2.3.4) = %v, want nil", err)
	}
}

func TestOddIPv4(t *testing.T) {
	tests := []struct {
		host string
		odd  bool
		ip   string // what it means, "" if nothing
	}{
		{"127.0.0.1", false, ""},
		{"8.8.8.8", false, ""},
		{"::1", false, ""},
		{"example.com", false, ""},
		{"xn--fiq228c.xn--fiqs8s", false, ""},
		{"1e100.net", false, ""},
		{"0x.example", false, ""},
		{"123.example", false, ""},
		{"example.123x", false, ""},
		{"2130706433", true, "127.0.0.1"},
		{"0x7f.1", true, "127.0.0.1"},
		{"0x7F.1", true, "127.0.0.1"},
		{"127.1", true, "127.0.0.1"},
		{"127.0.1", true, "127.0.0.1"},
		{"0177.0.0.1", true, "127.0.0.1"},
		{"0x7f000001", true, "127.0.0.1"},
		{"017700000001", true, "127.0.0.1"},
		{"127.0.0.1.", true, "127.0.0.1"},
		{"0", true, "0.0.0.0"},
		{"0x", true, "0.0.0.0"},
		{"169.254.43518", true, "169.254.169.254"},
		{"0xa9.0xfe.0xa9.0xfe", true, "169.254.169.254"},
		{"010.0.0.1", true, "8.0.0.1"},
		{"134744072", true, "8.8.8.8"},
		{"127.0.0.0001", true, "127.0.0.1"},
		{"4294967296", true, ""},  // too big
		{"1.2.3.4.5", true, ""},   // too many parts
		{"09.1.1.1", true, ""},    // bad octal
		{"256.1.1.1", true, ""},   // byte overflow
		{"example.0x1", true, ""}, // ends in a number: invalid IPv4
		{"foo.12", true, ""},      // likewise
		{"99999999999999999999", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			if got := oddIPv4(tt.host); got != tt.odd {
				t.Errorf("oddIPv4(%q) = %v, want %v", tt.host, got, tt.odd)
			}
			if !tt.odd {
				return
			}
			if got := describeIPv4(tt.host); got != tt.ip {
				t.Errorf("describeIPv4(%q) = %q, want %q", tt.host, got, tt.ip)
			}
			if err := oddIPv4Error(tt.host); !errors.Is(err, ErrInvalidTarget) {
				t.Errorf("oddIPv4Error(%q) = %v, want ErrInvalidTarget", tt.host, err)
			}
		})
	}
}
