//go:build !unix

package crawler

import "time"

// processCPU is unknown here: the controller then sees no CPU in use and
// adapts to failures alone.
func processCPU() time.Duration { return 0 }
