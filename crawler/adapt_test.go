package crawler

import (
	"slices"
	"sync"
	"testing"
	"time"
)

// Observations of 250 ms on 2 cores (500 ms of CPU time at most).
var (
	// waiting: every slot in use, the CPU mostly idle.
	waiting = observation{wall: 250 * time.Millisecond, cpu: 100 * time.Millisecond, procs: 2, done: 100, full: true}
	// saturated: the CPU at 90% of the cores.
	saturated = observation{wall: 250 * time.Millisecond, cpu: 450 * time.Millisecond, procs: 2, done: 100, full: true}
	// idle: slots to spare (few sites due).
	idle = observation{wall: 250 * time.Millisecond, cpu: 10 * time.Millisecond, procs: 2, done: 5}
	// failing: three in ten checks time out.
	failing = observation{wall: 250 * time.Millisecond, cpu: 100 * time.Millisecond, procs: 2, done: 100, failed: 30, full: true}
	// steadyFailures: the usual one in ten dead sites.
	steadyFailures = observation{wall: 250 * time.Millisecond, cpu: 100 * time.Millisecond, procs: 2, done: 100, failed: 10, full: true}
	// memoryBound: fetches waited for body memory.
	memoryBound = observation{wall: 250 * time.Millisecond, cpu: 100 * time.Millisecond, procs: 2, done: 100, full: true, memoryWaits: 3}
	// nothingDone: no check ended (a latency longer than the interval).
	nothingDone = observation{wall: 250 * time.Millisecond, cpu: 5 * time.Millisecond, procs: 2, full: true}
)

func TestController(t *testing.T) {
	tests := []struct {
		name    string
		ceiling int
		obs     []observation
		want    []int // the level after each observation
	}{
		{"slow start doubles to the ceiling", 256,
			[]observation{waiting, waiting, waiting, waiting},
			[]int{64, 128, 256, 256}},
		{"a low ceiling starts there", 10,
			[]observation{waiting, saturated},
			[]int{10, 8}},
		{"CPU saturated: cut by a quarter, down to the floor", 256,
			[]observation{saturated, saturated, saturated, saturated, saturated, saturated, saturated},
			[]int{24, 18, 13, 9, 8, 8, 8}},
		{"after a cut the increase is additive", 256,
			[]observation{waiting, saturated, waiting, waiting},
			[]int{64, 48, 52, 56}},
		{"slots to spare: no increase", 256,
			[]observation{idle, idle},
			[]int{32, 32}},
		{"nothing done: no change", 256,
			[]observation{nothingDone, nothingDone},
			[]int{32, 32}},
		{"failures climbing above their usual rate: cut", 256,
			[]observation{steadyFailures, steadyFailures, failing},
			[]int{64, 128, 96}},
		{"failures at their usual rate: no cut", 256,
			[]observation{steadyFailures, steadyFailures, steadyFailures, steadyFailures},
			[]int{64, 128, 256, 256}},
		{"many failures from the start are the usual rate", 256,
			[]observation{failing, failing},
			[]int{64, 128}},
		{"waits for body memory: no increase", 256,
			[]observation{memoryBound, memoryBound, waiting},
			[]int{32, 32, 64}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newController(tt.ceiling)
			var got []int
			for _, o := range tt.obs {
				got = append(got, c.next(o))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("levels %v, want %v", got, tt.want)
			}
		})
	}
}

// TestGate checks that a lowered limit holds back new acquirers until
// enough slots are released, and a raised one lets them in.
func TestGate(t *testing.T) {
	g := newGate(2)
	g.acquire()
	g.acquire()
	if !g.sample() {
		t.Error("sample() = false with every slot taken, want true")
	}
	g.setLimit(1)
	in := make(chan int, 2)
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() {
			g.acquire()
			in <- i
		})
	}
	g.release()
	g.release() // now none in use: one of the two may enter, under limit 1
	<-in
	select {
	case i := <-in:
		t.Fatalf("acquirer %d entered past the limit of 1", i)
	default:
	}
	g.setLimit(2)
	<-in
	wg.Wait()
	g.release()
	g.release()
	if g.active != 0 {
		t.Errorf("active %d after every release, want 0", g.active)
	}
}
