package crawler

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
)

// Sentinel errors. Match them with errors.Is; Reason maps them (and
// network errors) to metric labels.
var (
	ErrInvalidTarget    = errors.New("crawler: invalid target")
	ErrTooLarge         = errors.New("crawler: body too large")
	ErrRedirectLoop     = errors.New("crawler: redirect loop")
	ErrTooManyRedirects = errors.New("crawler: too many redirects")
	ErrTimeout          = errors.New("crawler: timeout")
	ErrContentEncoding  = errors.New("crawler: unsupported content encoding")
	ErrTooManyEncodings = errors.New("crawler: too many content encodings")
)

// FetchError is returned by Fetch when a page could not be fetched. It
// carries what was learnt before the failure.
type FetchError struct {
	URL    string // the URL being fetched when it failed
	Status int    // the HTTP status, if a response arrived; else 0
	Err    error
}

func (e *FetchError) Error() string { return "fetch " + e.URL + ": " + e.Err.Error() }

func (e *FetchError) Unwrap() error { return e.Err }

// Reasons returned by Reason: the values of the reason label of
// beianwatch_fetch_errors_total. They are an API; do not rename them.
const (
	ReasonTimeout          = "timeout"
	ReasonDNS              = "dns"
	ReasonTLS              = "tls"
	ReasonRefused          = "refused"
	ReasonBlockedAddress   = "blocked_address"
	ReasonTooLarge         = "too_large"
	ReasonTooManyEncodings = "too_many_encodings"
	ReasonRedirectLoop     = "redirect_loop"
	ReasonTooManyRedirects = "too_many_redirects"
	ReasonConnection       = "connection"
	ReasonInvalidTarget    = "invalid_target"
	ReasonRobots           = "robots"
	ReasonOther            = "other"
)

// Reason classifies a Fetch error into one of the Reason constants, or ""
// for a nil error.
func Reason(err error) string {
	var (
		dnsErr *net.DNSError
		netErr net.Error
		opErr  *net.OpError
	)
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrBlockedAddress):
		return ReasonBlockedAddress
	case errors.Is(err, ErrInvalidTarget):
		return ReasonInvalidTarget
	case errors.Is(err, ErrRobots):
		return ReasonRobots
	case errors.Is(err, ErrTooLarge):
		return ReasonTooLarge
	case errors.Is(err, ErrTooManyEncodings):
		return ReasonTooManyEncodings
	case errors.Is(err, ErrRedirectLoop):
		return ReasonRedirectLoop
	case errors.Is(err, ErrTooManyRedirects):
		return ReasonTooManyRedirects
	case errors.Is(err, ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		return ReasonTimeout
	case errors.As(err, &dnsErr):
		return ReasonDNS
	case isTLSError(err):
		return ReasonTLS
	case errors.Is(err, syscall.ECONNREFUSED):
		return ReasonRefused
	case errors.As(err, &netErr) && netErr.Timeout():
		return ReasonTimeout
	case errors.As(err, &opErr), errors.Is(err, syscall.ECONNRESET),
		errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH),
		errors.Is(err, net.ErrClosed), isEOF(err):
		return ReasonConnection
	}
	return ReasonOther
}

// isTLSError reports whether err comes from a TLS handshake or certificate
// check. crypto/tls reports most handshake failures as unexported errors
// whose text starts with "tls: ", and net/http one as an unexported error
// (an HTTP answer to a TLS hello), so the text is the last resort.
func isTLSError(err error) bool {
	var (
		verifyErr *tls.CertificateVerificationError
		recordErr tls.RecordHeaderError
		alertErr  tls.AlertError
		unknownCA x509.UnknownAuthorityError
		hostErr   x509.HostnameError
		invalid   x509.CertificateInvalidError
	)
	if errors.As(err, &verifyErr) || errors.As(err, &recordErr) || errors.As(err, &alertErr) ||
		errors.As(err, &unknownCA) || errors.As(err, &hostErr) || errors.As(err, &invalid) {
		return true
	}
	for e := err; e != nil; e = errors.Unwrap(e) {
		if msg := e.Error(); strings.HasPrefix(msg, "tls: ") || strings.Contains(msg, "server gave HTTP response to HTTPS client") {
			return true
		}
	}
	return false
}

// isEOF reports a connection closed before a full response arrived.
func isEOF(err error) bool {
	return errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)
}
