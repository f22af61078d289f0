package crawler

import (
	"sync"
	"time"
)

// gate bounds how many workers check a site at once, at a limit that the
// controller moves.
type gate struct {
	mu     sync.Mutex
	limit  int
	active int
	// full says active reached limit since the last sample: the level,
	// not the sites due, bounded the work.
	full bool
	wake chan struct{} // closed when a slot frees or the limit rises
}

func newGate(limit int) *gate {
	return &gate{limit: limit, wake: make(chan struct{})}
}

// acquire waits for a slot.
func (g *gate) acquire() {
	for {
		g.mu.Lock()
		if g.active < g.limit {
			g.active++
			if g.active == g.limit {
				g.full = true
			}
			g.mu.Unlock()
			return
		}
		g.full = true
		wake := g.wake
		g.mu.Unlock()
		<-wake
	}
}

// release frees a slot.
func (g *gate) release() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.active--
	g.broadcast()
}

// setLimit moves the limit; slots above a lowered one end as their
// checks do.
func (g *gate) setLimit(n int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if n > g.limit {
		g.broadcast()
	}
	g.limit = n
}

// current is the limit.
func (g *gate) current() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.limit
}

// sample reports whether the gate was full since the last sample, and
// starts a new one.
func (g *gate) sample() (full bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	full, g.full = g.full, g.active >= g.limit
	return full
}

func (g *gate) broadcast() {
	close(g.wake)
	g.wake = make(chan struct{})
}

// observation is what the scheduler saw over one sampling interval.
type observation struct {
	wall time.Duration // the interval
	cpu  time.Duration // the process's CPU time in it, user and system
	// procs is GOMAXPROCS: the CPU time the process could have used is
	// wall × procs.
	procs int
	// done counts checks that ended in the interval; failed those of them
	// whose fetch timed out or lost its connection (what too many
	// connections at once would cause).
	done, failed int
	// full says every slot was in use at some point: a higher level
	// could have been used.
	full bool
	// memoryWaits counts fetches that waited for body memory.
	memoryWaits int
}

// Bounds and steps of the controller.
const (
	// cpuBusy is the share of the process's CPU time past which it is
	// taken as saturated: more checks at once would only queue for it.
	cpuBusy = 0.85
	// minLevel is the lowest level (unless the ceiling is lower): a few
	// checks in flight hide the registry's and the checker's pauses.
	minLevel = 8
	// startLevel is the first level, the old fixed default.
	startLevel = 32
	// addStep is the additive increase an interval.
	addStep = 4
)

// controller sets how many checks run at once, within a ceiling, from
// what each interval showed: additive increase while checks mostly wait
// on the network (the process's CPU has headroom, every slot was in use),
// multiplicative decrease when the CPU is saturated or failures climb
// above their usual rate. Until its first decrease it doubles instead
// (TCP's slow start): a cycle of a few seconds cannot wait for +1 steps
// from 32 to hundreds. It is deterministic: time comes in the
// observations.
type controller struct {
	ceiling, floor int
	level          int
	slowStart      bool
	// failRate is the usual share of failed checks (an exponentially
	// weighted mean): some sites are always down, and that says nothing
	// about our load.
	failRate float64
	seen     bool
}

func newController(ceiling int) *controller {
	floor := min(minLevel, ceiling)
	return &controller{ceiling: ceiling, floor: floor, level: min(startLevel, ceiling), slowStart: true}
}

// next takes one interval's observation and returns the new level.
func (c *controller) next(o observation) int {
	if o.done == 0 {
		// Nothing finished: nothing to judge by (a long latency, or no
		// work); keep the level.
		return c.level
	}
	rate := float64(o.failed) / float64(o.done)
	climbing := c.seen && o.done >= 20 && rate > 2*c.failRate+0.05
	if !climbing {
		// A climb is kept out of the mean, or it would soon look usual.
		if c.seen {
			c.failRate = 0.9*c.failRate + 0.1*rate
		} else {
			c.failRate, c.seen = rate, true
		}
	}
	busy := o.wall > 0 && o.procs > 0 && float64(o.cpu) >= cpuBusy*float64(o.wall)*float64(o.procs)
	switch {
	case busy || climbing:
		c.slowStart = false
		c.level = max(c.floor, c.level*3/4)
	case o.full && o.memoryWaits == 0:
		if c.slowStart {
			c.level = min(c.ceiling, 2*c.level)
		} else {
			c.level = min(c.ceiling, c.level+addStep)
		}
	}
	return c.level
}
