package crawler

import (
	"container/list"
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/temoto/robotstxt"
)

// Robots policies.
const (
	RobotsIgnore = "ignore"
	RobotsObey   = "obey"
)

// ErrRobots is returned for a page that robots.txt forbids us to fetch
// under the obey policy.
var ErrRobots = errors.New("crawler: disallowed by robots.txt")

// robotsCache remembers hosts' robots.txt for a day, for at most a fixed
// number of hosts (least recently used go first), so that its memory does
// not grow with the number of sites.
type robotsCache struct {
	mu    sync.Mutex
	max   int
	ttl   time.Duration
	order *list.List // of *robotsEntry, most recent first
	hosts map[string]*list.Element
	now   func() time.Time
}

type robotsEntry struct {
	key  string // scheme://host
	data *robotstxt.RobotsData
	at   time.Time
}

func newRobotsCache(max int, ttl time.Duration) *robotsCache {
	return &robotsCache{max: max, ttl: ttl, order: list.New(), hosts: map[string]*list.Element{}, now: time.Now}
}

func (c *robotsCache) get(key string) (*robotstxt.RobotsData, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.hosts[key]
	if !ok {
		return nil, false
	}
	re := e.Value.(*robotsEntry)
	if c.now().Sub(re.at) > c.ttl {
		c.order.Remove(e)
		delete(c.hosts, key)
		return nil, false
	}
	c.order.MoveToFront(e)
	return re.data, true
}

func (c *robotsCache) put(key string, data *robotstxt.RobotsData) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.hosts[key]; ok {
		c.order.Remove(e)
	}
	c.hosts[key] = c.order.PushFront(&robotsEntry{key: key, data: data, at: c.now()})
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.hosts, last.Value.(*robotsEntry).key)
	}
}

// allowed fetches (or recalls) the robots.txt of target's first URL and
// says whether our User-Agent may fetch its path. A robots.txt that cannot
// be fetched allows everything, as crawlers conventionally read it.
func (c *Collector) allowed(ctx context.Context, target string) error {
	urls, err := parseTarget(target)
	if err != nil {
		return nil // Fetch reports it
	}
	u := urls[0]
	key := u.Scheme + "://" + u.Host
	data, ok := c.robots.get(key)
	if !ok {
		data = c.fetchRobots(ctx, key)
		c.robots.put(key, data)
	}
	if data != nil && !data.TestAgent(u.EscapedPath(), c.cfg.UserAgent) {
		return &FetchError{URL: u.String(), Err: fmt.Errorf("%w (--robots %s)", ErrRobots, RobotsObey)}
	}
	return nil
}

func (c *Collector) fetchRobots(ctx context.Context, base string) *robotstxt.RobotsData {
	p, err := c.Fetcher.Fetch(ctx, base+"/robots.txt")
	if err != nil {
		return nil
	}
	data, err := robotstxt.FromStatusAndBytes(p.Status, p.Body)
	if err != nil {
		return nil
	}
	return data
}
