package crawler

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseResolve(t *testing.T) {
	tests := []struct {
		in   string
		want ResolveRule
	}{
		{"example.test:127.0.0.1", ResolveRule{Host: "example.test", Addr: netip.MustParseAddr("127.0.0.1")}},
		{"example.test:127.0.0.1:8080", ResolveRule{Host: "example.test", Addr: netip.MustParseAddr("127.0.0.1"), Port: 8080}},
		{"Example.TEST:127.0.0.1", ResolveRule{Host: "example.test", Addr: netip.MustParseAddr("127.0.0.1")}},
		{"*.example.test:10.0.0.1", ResolveRule{Host: "*.example.test", Addr: netip.MustParseAddr("10.0.0.1")}},
		{"example.test:[::1]", ResolveRule{Host: "example.test", Addr: netip.MustParseAddr("::1")}},
		{"example.test:::1", ResolveRule{Host: "example.test", Addr: netip.MustParseAddr("::1")}},
		{"example.test:[::1]:8443", ResolveRule{Host: "example.test", Addr: netip.MustParseAddr("::1"), Port: 8443}},
		{"中文.中国:127.0.0.1", ResolveRule{Host: "xn--fiq228c.xn--fiqs8s", Addr: netip.MustParseAddr("127.0.0.1")}},
		{"*.中国:127.0.0.1", ResolveRule{Host: "*.xn--fiqs8s", Addr: netip.MustParseAddr("127.0.0.1")}},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseResolve(tt.in)
			if err != nil {
				t.Fatalf("ParseResolve(%q) error: %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got, cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
				t.Errorf("ParseResolve(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
			back, err := ParseResolve(got.String())
			if err != nil || back != got {
				t.Errorf("ParseResolve(%q.String() = %q) = %v, %v; want the same rule", tt.in, got.String(), back, err)
			}
		})
	}
}

func TestParseResolveErrors(t *testing.T) {
	for _, in := range []string{
		"",
		"example.test",
		"example.test:",
		":127.0.0.1",
		"example.test:localhost",
		"example.test:127.0.0.1:0",
		"example.test:127.0.0.1:65536",
		"example.test:127.0.0.1:http",
		"example.test:[::1",
		"example.test:[fe80::1%eth0]:80",
		"example.test:300.1.1.1",
		"*.:127.0.0.1",
		"a*b.test:127.0.0.1",
		"exa mple.test:127.0.0.1",
	} {
		t.Run(in, func(t *testing.T) {
			if got, err := ParseResolve(in); err == nil {
				t.Errorf("ParseResolve(%q) = %v, want an error", in, got)
			}
		})
	}
}

func TestMatchResolve(t *testing.T) {
	rules := []ResolveRule{
		{Host: "*.example.test", Addr: netip.MustParseAddr("10.0.0.1")},
		{Host: "www.example.test", Addr: netip.MustParseAddr("10.0.0.2")},
		{Host: "www.example.test", Addr: netip.MustParseAddr("10.0.0.3")},
	}
	tests := []struct {
		host string
		want []string
	}{
		{"www.example.test", []string{"10.0.0.2", "10.0.0.3"}},
		{"a.example.test", []string{"10.0.0.1"}},
		{"a.b.example.test", []string{"10.0.0.1"}},
		{"example.test", nil},
		{"badexample.test", nil},
		{"other.test", nil},
	}
	for _, tt := range tests {
		t.Run(tt.host, func(t *testing.T) {
			var got []string
			for _, r := range matchResolve(rules, tt.host) {
				got = append(got, r.Addr.String())
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("matchResolve(%q) mismatch (-want +got):\n%s", tt.host, diff)
			}
		})
	}
}
