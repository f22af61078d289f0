package main

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/spf13/pflag"
)

// byteSize is a flag value for a size in bytes: plain bytes ("1048576"),
// decimal units ("1MB" = 1,000,000) or binary ones ("512KiB", "5MiB").
type byteSize int64

var _ pflag.Value = (*byteSize)(nil)

// unitSize returns the size of a unit, named in any case.
func unitSize(name string) (int64, bool) {
	switch strings.ToLower(name) {
	case "", "b":
		return 1, true
	case "kb":
		return 1000, true
	case "mb":
		return 1000 * 1000, true
	case "gb":
		return 1000 * 1000 * 1000, true
	case "kib":
		return 1 << 10, true
	case "mib":
		return 1 << 20, true
	case "gib":
		return 1 << 30, true
	}
	return 0, false
}

func (s *byteSize) Set(v string) error {
	t := strings.TrimSpace(v)
	i := strings.IndexFunc(t, func(r rune) bool { return r < '0' || r > '9' })
	if i < 0 {
		i = len(t)
	}
	n, err := strconv.ParseInt(t[:i], 10, 64)
	if err != nil {
		return fmt.Errorf("size %q: want a number of bytes, or a number with KB, MB, KiB, MiB …", v)
	}
	unit, ok := unitSize(strings.TrimSpace(t[i:]))
	switch {
	case !ok:
		return fmt.Errorf("size %q: unknown unit %q (want B, KB, MB, GB, KiB, MiB or GiB)", v, strings.TrimSpace(t[i:]))
	case n <= 0:
		return fmt.Errorf("size %q: must be positive", v)
	case n > math.MaxInt64/unit:
		return fmt.Errorf("size %q: too large", v)
	}
	*s = byteSize(n * unit)
	return nil
}

// String formats the size in the largest binary unit that divides it.
func (s *byteSize) String() string {
	n := int64(*s)
	for _, u := range []struct {
		name string
		size int64
	}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if n >= u.size && n%u.size == 0 {
			return strconv.FormatInt(n/u.size, 10) + u.name
		}
	}
	return strconv.FormatInt(n, 10)
}

func (s *byteSize) Type() string { return "size" }
