package crawler

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// dialer connects only to addresses the policy allows. It resolves names
// itself and dials the resulting IP addresses, so the address checked is the
// address connected to: a DNS answer that changes between a check and the
// connection (DNS rebinding) cannot slip through. The net.Dialer's Control
// hook checks once more on the socket's actual peer address.
type dialer struct {
	policy  addrPolicy
	resolve []ResolveRule
	timeout time.Duration // per connection attempt, bounded by ctx
	lookup  func(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// DialContext has the signature of http.Transport.DialContext.
func (d *dialer) DialContext(ctx context.Context, network, address string) (net.Conn, error) {
	host, portStr, err := net.SplitHostPort(address)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", address, err)
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return nil, fmt.Errorf("dial %s: bad port: %w", address, err)
	}
	addrs, err := d.addrs(ctx, network, strings.ToLower(host), uint16(port))
	if err != nil {
		return nil, err
	}
	var firstErr error
	for i, ap := range addrs {
		conn, err := d.dialOne(ctx, network, ap, len(addrs)-i)
		if err == nil {
			return conn, nil
		}
		if firstErr == nil {
			firstErr = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, firstErr
}

// addrs returns the allowed addresses for host, with their ports.
func (d *dialer) addrs(ctx context.Context, network, host string, port uint16) ([]netip.AddrPort, error) {
	if pinned := pinnedAddrs(ctx, host); pinned != nil {
		out := make([]netip.AddrPort, len(pinned))
		for i, ip := range pinned {
			out[i] = netip.AddrPortFrom(ip, port)
		}
		return d.allowed(host, out)
	}
	if rules := matchResolve(d.resolve, host); rules != nil {
		var out []netip.AddrPort
		for _, r := range rules {
			p := port
			if r.Port != 0 {
				p = r.Port
			}
			out = append(out, netip.AddrPortFrom(r.Addr, p))
		}
		return d.allowed(host, out)
	}
	ips, err := d.lookupHost(ctx, network, host)
	if err != nil {
		return nil, err
	}
	out := make([]netip.AddrPort, len(ips))
	for i, ip := range ips {
		out[i] = netip.AddrPortFrom(ip, port)
	}
	return d.allowed(host, out)
}

// lookupHost resolves a host name (or reads an IP literal), refusing odd
// IP spellings.
func (d *dialer) lookupHost(ctx context.Context, network, host string) ([]netip.Addr, error) {
	if ip, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{ip}, nil
	} else if oddIPv4(host) {
		// Checked again here so that a Transport used without Fetch (by
		// colly) refuses them too: the system resolver would read
		// 0x7f.1 as 127.0.0.1.
		return nil, oddIPv4Error(host)
	}
	ips, err := d.lookup(ctx, lookupNetwork(network), host)
	if err != nil {
		return nil, fmt.Errorf("resolve %s: %w", host, err)
	}
	return ips, nil
}

// resolved returns every address host resolves to (resolve rules first),
// allowed or not: what the filing's access accuracy is judged on.
func (d *dialer) resolved(ctx context.Context, host string) []netip.Addr {
	host = strings.ToLower(host)
	if rules := matchResolve(d.resolve, host); rules != nil {
		out := make([]netip.Addr, len(rules))
		for i, r := range rules {
			out[i] = r.Addr
		}
		return out
	}
	ips, _ := d.lookupHost(ctx, "tcp", host)
	return ips
}

// pinKey carries addresses a host must be dialled at (--pin-filed-ip).
type pinKey struct{}

type pin struct {
	host  string
	addrs []netip.Addr
}

// WithPinnedAddrs returns a context in which connections to host go to
// addrs (the filing's own IPs), whatever DNS says. The address policy
// still applies.
func WithPinnedAddrs(ctx context.Context, host string, addrs []netip.Addr) context.Context {
	if len(addrs) == 0 {
		return ctx
	}
	return context.WithValue(ctx, pinKey{}, pin{strings.ToLower(host), addrs})
}

// PinTarget is WithPinnedAddrs for the host of a check target (a domain,
// or a URL): how the scheduler and the checks someone asks for pin a
// registered site to its filed addresses (--pin-filed-ip).
func PinTarget(ctx context.Context, target string, addrs []netip.Addr) context.Context {
	u, err := parseTarget(target)
	if err != nil || len(addrs) == 0 {
		return ctx
	}
	return WithPinnedAddrs(ctx, u[0].Hostname(), addrs)
}

// Pinned returns the host ctx pins and its addresses (WithPinnedAddrs),
// for a fetcher of its own, the renderer's proxy, to pin the same.
func Pinned(ctx context.Context) (host string, addrs []netip.Addr, ok bool) {
	p, ok := ctx.Value(pinKey{}).(pin)
	return p.host, p.addrs, ok
}

func pinnedAddrs(ctx context.Context, host string) []netip.Addr {
	if p, ok := ctx.Value(pinKey{}).(pin); ok && p.host == host {
		return p.addrs
	}
	return nil
}

// allowed drops the refused addresses; if none is left, it returns the
// first refusal.
func (d *dialer) allowed(host string, aps []netip.AddrPort) ([]netip.AddrPort, error) {
	var ok []netip.AddrPort
	var firstErr error
	for _, ap := range aps {
		if err := d.policy.check(host, ap.Addr()); err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		ok = append(ok, ap)
	}
	if len(ok) == 0 {
		if firstErr == nil {
			firstErr = &net.DNSError{Err: "no addresses", Name: host, IsNotFound: true}
		}
		return nil, firstErr
	}
	return ok, nil
}

// dialOne connects to one address. Like net.Dialer with several addresses,
// it gives each its share of the time left, but at least two seconds, so
// that one black-holed address does not eat the whole budget.
func (d *dialer) dialOne(ctx context.Context, network string, ap netip.AddrPort, left int) (net.Conn, error) {
	timeout := d.timeout
	if dl, ok := attemptDeadline(ctx); ok && left > 1 {
		share := time.Until(dl) / time.Duration(left)
		timeout = min(timeout, max(share, 2*time.Second))
	}
	nd := net.Dialer{
		Timeout: timeout,
		// A connection carries a request or two and closes: TCP keep-alive
		// probes would never be sent, and enabling them costs four
		// setsockopt calls a connection.
		KeepAlive: -1,
		Control: func(_, address string, _ syscall.RawConn) error {
			peer, err := netip.ParseAddrPort(address)
			if err != nil {
				return fmt.Errorf("crawler: unexpected dial address %q: %w", address, err)
			}
			return d.policy.check("", peer.Addr())
		},
	}
	conn, err := nd.DialContext(ctx, network, ap.String())
	var blocked *BlockedError
	if errors.As(err, &blocked) {
		// Report the refusal itself, not wrapped in a *net.OpError.
		return nil, blocked
	}
	return conn, err
}

// lookupNetwork maps a dial network to a LookupNetIP network.
func lookupNetwork(network string) string {
	switch network {
	case "tcp4", "udp4":
		return "ip4"
	case "tcp6", "udp6":
		return "ip6"
	}
	return "ip"
}

// firstAddr returns the first address host would be dialled at, after
// the resolve rules, DNS and the address policy.
func (d *dialer) firstAddr(ctx context.Context, host string) (netip.Addr, error) {
	aps, err := d.addrs(ctx, "tcp", strings.ToLower(host), 0)
	if err != nil {
		return netip.Addr{}, err
	}
	return aps[0].Addr(), nil
}
