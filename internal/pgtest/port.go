package pgtest

import (
	"errors"
	"math/rand/v2"
	"net"
	"os"
	"strconv"
	"strings"
)

// FreePort returns a loopback TCP port that nothing listens on, below the
// kernel's ephemeral range. A port from the ephemeral range (what
// listening on port 0 gives) can be taken, between choosing it and the
// server binding it (or while a server is restarted on it), as the local
// port of any outgoing connection: a load test's farm makes thousands.
func FreePort() (int, error) {
	low, high := 10000, ephemeralLow()
	if high-low < 1000 {
		low = 1024 // a machine with an unusually wide ephemeral range
	}
	for range 100 {
		port := low + rand.IntN(high-low)
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue
		}
		ln.Close()
		return port, nil
	}
	return 0, errors.New("pgtest: no free loopback port below the ephemeral range")
}

// ephemeralLow is the first port of the kernel's ephemeral range (Linux's
// default when it cannot be read).
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			if n, err := strconv.Atoi(f[0]); err == nil && n > 1024 {
				return n
			}
		}
	}
	return 32768
}
