//go:build !race

package main

// raceBuild says the tests run with the race detector, so the binaries
// they build for end-to-end runs get it too.
const raceBuild = false
