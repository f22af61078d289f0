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
	if f == nil {
		return
	}
	f.dialer.lookup = func(_ context.Context, _, host string) ([]netip.Addr, error) {
		return nil, &net.DNSError{Err: "DNS disabled in tests", Name: host, IsNotFound: true}
	}
}

// HostsInUse reports how many hosts the Collector's per-host limit holds.
func HostsInUse(c *Collector) int { return c.hosts.inUse() }
