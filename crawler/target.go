package crawler

import (
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"

	"golang.org/x/net/idna"
)

// parseTarget turns what the user typed into the URLs to try, in order: a
// full http(s) URL alone, anything else as https:// and then http://.
func parseTarget(target string) ([]*url.URL, error) {
	t := strings.TrimSpace(target)
	if t == "" {
		return nil, fmt.Errorf("%w: empty target", ErrInvalidTarget)
	}
	if scheme, _, ok := strings.Cut(t, "://"); ok && !strings.ContainsAny(scheme, "/?#") {
		u, err := url.Parse(t)
		if err != nil {
			return nil, fmt.Errorf("%w: %q: %v", ErrInvalidTarget, target, err)
		}
		u, err = checkURL(u)
		if err != nil {
			return nil, err
		}
		return []*url.URL{u}, nil
	}
	var urls []*url.URL
	for _, scheme := range []string{"https", "http"} {
		u, err := url.Parse(scheme + "://" + t)
		if err != nil {
			return nil, fmt.Errorf("%w: %q: %v", ErrInvalidTarget, target, err)
		}
		if u, err = checkURL(u); err != nil {
			return nil, err
		}
		urls = append(urls, u)
	}
	return urls, nil
}

// checkURL validates a URL to be fetched (the target or a redirect) and
// returns it with its host in ASCII (punycode) and lower case.
func checkURL(u *url.URL) (*url.URL, error) {
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("%w: %q: scheme %q is not http or https", ErrInvalidTarget, u.Redacted(), u.Scheme)
	}
	host := u.Hostname()
	if host == "" {
		return nil, fmt.Errorf("%w: %q: no host", ErrInvalidTarget, u.Redacted())
	}
	if u.User != nil {
		// "mailto:a@b" read as a domain has user info too. And a site's
		// URL never needs credentials, which Go would send as Basic auth.
		return nil, fmt.Errorf("%w: %q: user info in URL", ErrInvalidTarget, u.Redacted())
	}
	if u.Path == "" {
		v := *u
		v.Path = "/"
		u = &v
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		// The dialer applies the address policy to literals as to names.
		if ip.Zone() != "" {
			return nil, fmt.Errorf("%w: %q: zoned IPv6 address", ErrInvalidTarget, u.Redacted())
		}
		return u, nil
	}
	if oddIPv4(host) {
		return nil, oddIPv4Error(host)
	}
	ascii, err := idna.Lookup.ToASCII(host)
	if err != nil {
		return nil, fmt.Errorf("%w: host %q: %v", ErrInvalidTarget, host, err)
	}
	if oddIPv4(ascii) {
		// Full-width digits (１２７.０.０.１) map to ASCII ones.
		return nil, oddIPv4Error(ascii)
	}
	if _, err := netip.ParseAddr(ascii); err == nil {
		return nil, fmt.Errorf("%w: host %q is an IP address in disguise (%s)", ErrInvalidTarget, host, ascii)
	}
	if ascii != host {
		v := *u
		v.Host = ascii
		if p := u.Port(); p != "" {
			v.Host = net.JoinHostPort(ascii, p)
		}
		u = &v
	}
	return u, nil
}

// TargetHost is the host name of a check target as a user gives it (a
// URL, or a domain with an optional port and path), "" if there is none:
// what `beianwatch check` and the API look a target up by in the registry.
func TargetHost(target string) string {
	if !strings.Contains(target, "://") {
		target = "http://" + target
	}
	u, err := url.Parse(target)
	if err != nil {
		return ""
	}
	return u.Hostname()
}
