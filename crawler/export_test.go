package crawler

import (
	"context"
	"net"
	"net/netip"
)

// DisableDNS makes every DNS lookup by f fail, so that no test can send a
// query off this machine by mistake. Resolve rules and IP literals still
// work.
func DisableDNS(f *Fetcher) {
	f.dialer.lookup = func(_ context.Context, _, host string) ([]netip.Addr, error) {
		return nil, &net.DNSError{Err: "DNS disabled in tests", Name: host, IsNotFound: true}
	}
}
