//go:build race

package sitefile

// raceEnabled says the race detector is on: it slows reading some
// tenfold, so the large-file test reads smaller files.
const raceEnabled = true
