package crawler

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"os"
	"syscall"
	"testing"
)

func TestReason(t *testing.T) {
	opErr := func(err error) error { return &net.OpError{Op: "dial", Net: "tcp", Err: err} }
	fetchErr := func(err error) error { return &FetchError{URL: "http://example.test/", Err: err} }
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"nil", nil, ""},
		{"blocked", &BlockedError{Addr: netip.MustParseAddr("127.0.0.1"), Range: "loopback"}, ReasonBlockedAddress},
		{"blocked wrapped", fetchErr(fmt.Errorf("dial: %w", &BlockedError{Addr: netip.MustParseAddr("10.0.0.1"), Range: "private"})), ReasonBlockedAddress},
		{"invalid target", fetchErr(fmt.Errorf("%w: empty", ErrInvalidTarget)), ReasonInvalidTarget},
		{"too large", fetchErr(&TooLargeError{Limit: 10}), ReasonTooLarge},
		{"too many encodings", fetchErr(&TooManyEncodingsError{N: 3}), ReasonTooManyEncodings},
		{"redirect loop", fetchErr(fmt.Errorf("%w: a -> a", ErrRedirectLoop)), ReasonRedirectLoop},
		{"too many redirects", fetchErr(ErrTooManyRedirects), ReasonTooManyRedirects},
		{"our timeout", fetchErr(fmt.Errorf("%w after 1s", ErrTimeout)), ReasonTimeout},
		{"deadline", &url.Error{Op: "Get", Err: context.DeadlineExceeded}, ReasonTimeout},
		{"net timeout", opErr(os.ErrDeadlineExceeded), ReasonTimeout},
		{"dns", &net.DNSError{Err: "no such host", Name: "x.test", IsNotFound: true}, ReasonDNS},
		{"dns timeout", &net.DNSError{Err: "i/o timeout", Name: "x.test", IsTimeout: true}, ReasonDNS},
		{"unknown authority", fetchErr(&tls.CertificateVerificationError{Err: x509.UnknownAuthorityError{}}), ReasonTLS},
		{"hostname", fetchErr(x509.HostnameError{Certificate: &x509.Certificate{}, Host: "x.test"}), ReasonTLS},
		{"record header", fetchErr(tls.RecordHeaderError{Msg: "first record does not look like a TLS handshake"}), ReasonTLS},
		{"alert", fetchErr(opErr(tls.AlertError(40))), ReasonTLS},
		{"tls text", fetchErr(errors.New("tls: handshake failure")), ReasonTLS},
		{"http to https", fetchErr(errors.New("http: server gave HTTP response to HTTPS client")), ReasonTLS},
		{"refused", fetchErr(opErr(&os.SyscallError{Syscall: "connect", Err: syscall.ECONNREFUSED})), ReasonRefused},
		{"reset", fetchErr(opErr(&os.SyscallError{Syscall: "read", Err: syscall.ECONNRESET})), ReasonConnection},
		{"unreachable", fetchErr(opErr(&os.SyscallError{Syscall: "connect", Err: syscall.EHOSTUNREACH})), ReasonConnection},
		{"eof", fetchErr(io.EOF), ReasonConnection},
		{"unexpected eof", fetchErr(fmt.Errorf("read body: %w", io.ErrUnexpectedEOF)), ReasonConnection},
		{"encoding", fetchErr(fmt.Errorf("%w \"br\"", ErrContentEncoding)), ReasonOther},
		{"canceled", fetchErr(context.Canceled), ReasonOther},
		{"other", errors.New("something else"), ReasonOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Reason(tt.err); got != tt.want {
				t.Errorf("Reason(%v) = %q, want %q", tt.err, got, tt.want)
			}
		})
	}
}

func TestTooLargeErrorMessage(t *testing.T) {
	tests := []struct {
		err  *TooLargeError
		want string
	}{
		{&TooLargeError{Limit: 5 << 20}, "crawler: body larger than the 5 MiB limit"},
		{&TooLargeError{Limit: 64 << 10, Decoded: true}, "crawler: body larger than the 64 KiB limit after decompression"},
		{&TooLargeError{Limit: 1000}, "crawler: body larger than the 1000 B limit"},
	}
	for _, tt := range tests {
		if got := tt.err.Error(); got != tt.want {
			t.Errorf("Error() = %q, want %q", got, tt.want)
		}
	}
}
