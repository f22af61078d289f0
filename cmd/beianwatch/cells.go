package main

import (
	"strings"

	"golang.org/x/text/width"
)

// cells is the width of s on a terminal: Chinese characters (East Asian
// wide and full-width) take two cells.
func cells(s string) int {
	n := 0
	for _, r := range s {
		switch width.LookupRune(r).Kind() {
		case width.EastAsianWide, width.EastAsianFullwidth:
			n += 2
		default:
			n++
		}
	}
	return n
}

// padCells pads s with spaces to n cells, as %-Ns would if every
// character were one cell wide.
func padCells(s string, n int) string {
	return s + strings.Repeat(" ", max(0, n-cells(s)))
}
