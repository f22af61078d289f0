//go:build !race

package sitefile

const raceEnabled = false
