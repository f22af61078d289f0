package crawler

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"strconv"
	"testing"
	"time"
)

// fakeLookup answers every name with addrs, like a DNS server would.
func fakeLookup(addrs ...string) func(context.Context, string, string) ([]netip.Addr, error) {
	return func(context.Context, string, string) ([]netip.Addr, error) {
		var out []netip.Addr
		for _, a := range addrs {
			out = append(out, netip.MustParseAddr(a))
		}
		return out, nil
	}
}

func TestDialRefusesResolvedAddresses(t *testing.T) {
	tests := []struct {
		name  string
		addrs []string
		want  string // blocked address reported
	}{
		{"loopback", []string{"127.0.0.1"}, "127.0.0.1"},
		{"mapped loopback", []string{"::ffff:127.0.0.1"}, "::ffff:127.0.0.1"},
		{"metadata", []string{"169.254.169.254"}, "169.254.169.254"},
		{"all private", []string{"10.0.0.1", "192.168.0.1"}, "10.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &dialer{timeout: time.Second, lookup: fakeLookup(tt.addrs...)}
			conn, err := d.DialContext(context.Background(), "tcp", "rebind.test:80")
			if conn != nil {
				conn.Close()
			}
			var blocked *BlockedError
			if !errors.As(err, &blocked) || blocked.Addr.String() != tt.want || blocked.Host != "rebind.test" {
				t.Errorf("DialContext(rebind.test → %v) = %v, want a *BlockedError for %s", tt.addrs, err, tt.want)
			}
		})
	}
}

func TestDialSkipsRefusedAddresses(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	// A name that resolves to a refused address and an allowed one is
	// dialled on the allowed one only.
	d := &dialer{
		policy:  addrPolicy{allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}},
		timeout: time.Second,
		lookup:  fakeLookup("127.0.0.2", "127.0.0.1"),
	}
	conn, err := d.DialContext(context.Background(), "tcp", net.JoinHostPort("mixed.test", strconv.Itoa(port)))
	if err != nil {
		t.Fatalf("DialContext(mixed.test) = %v, want a connection to 127.0.0.1", err)
	}
	defer conn.Close()
	if got := conn.RemoteAddr().String(); got != l.Addr().String() {
		t.Errorf("connected to %s, want %s", got, l.Addr())
	}
}

// TestDialControlChecksPeer checks the second line of defence: even when
// an address got past the first check, the socket's Control hook refuses
// to connect to it.
func TestDialControlChecksPeer(t *testing.T) {
	d := &dialer{timeout: time.Second}
	conn, err := d.dialOne(context.Background(), "tcp", netip.MustParseAddrPort("127.0.0.1:9"), 1)
	if conn != nil {
		conn.Close()
	}
	var blocked *BlockedError
	if !errors.As(err, &blocked) || blocked.Addr != netip.MustParseAddr("127.0.0.1") {
		t.Errorf("dialOne(127.0.0.1:9) = %v, want a *BlockedError from the Control hook", err)
	}
}

func TestDialOddSpellingWithoutFetch(t *testing.T) {
	d := &dialer{policy: addrPolicy{allowPrivate: true}, timeout: time.Second, lookup: fakeLookup("127.0.0.1")}
	_, err := d.DialContext(context.Background(), "tcp", "0x7f.1:80")
	if !errors.Is(err, ErrInvalidTarget) {
		t.Errorf("DialContext(0x7f.1:80) = %v, want ErrInvalidTarget", err)
	}
}
