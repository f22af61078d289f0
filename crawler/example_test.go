package crawler_test

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/beianwatch/beianwatch/crawler"
)

func ExampleParseResolve() {
	r, err := crawler.ParseResolve("example.test:127.0.0.1:8080")
	if err != nil {
		panic(err)
	}
	fmt.Println(r.Host, r.Addr, r.Port)
	// Output: example.test 127.0.0.1 8080
}

func ExampleReason() {
	err := &crawler.FetchError{
		URL: "http://example.test/",
		Err: &crawler.BlockedError{Host: "example.test", Addr: netip.MustParseAddr("10.0.0.1"), Range: "private"},
	}
	fmt.Println(err)
	fmt.Println(crawler.Reason(err), errors.Is(err, crawler.ErrBlockedAddress))
	// Output:
	// fetch http://example.test/: crawler: refusing to connect to example.test (10.0.0.1): private address is blocked
	// blocked_address true
}
