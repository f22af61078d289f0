package alerts

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseConfig feeds any bytes to the alerts settings reader: it must
// not panic, and whatever it accepts must pass Validate again (nothing
// half-checked reaches the router).
func FuzzParseConfig(f *testing.F) {
	names, err := filepath.Glob(filepath.Join("testdata", "config", "*.yaml"))
	if err != nil || len(names) == 0 {
		f.Fatalf("no seed configs (%v)", err)
	}
	for _, name := range names {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("alerts: &a {receivers: *a}"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := ParseConfig(bytes.NewReader(data))
		if err != nil {
			return
		}
		if err := c.Validate(); err != nil {
			t.Errorf("accepted a config that Validate refuses: %v", err)
		}
	})
}
