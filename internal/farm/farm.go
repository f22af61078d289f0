// Package farm is a web farm on loopback for end-to-end tests and load
// benchmarks: thousands of realistic Chinese sites (news portals and
// shops of about 60 KB, most with compliant footers, a fifth with
// defects, some in GBK, some redirecting) and a few hostile ones, each
// with the verdict a correct check must reach, known from how it was made.
//
// One http.Server on 127.0.0.1 serves every site, telling them apart by
// the Host header (site000042.farm.test), so a crawler reaches the farm
// with one --resolve '*.farm.test:127.0.0.1:PORT' rule. Sites are derived
// from the seed and their number on each request, and pages are a few
// templates with the site's head and footer substituted: the farm holds
// no per-site state, so it can serve up to 999,999 sites in a few
// megabytes and little CPU beside the crawler it is measuring.
package farm

import (
	"bytes"
	"compress/gzip"
	"io"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// Config configures a Farm. The zero value is a valid farm with no sites.
type Config struct {
	// Sites is the number of normal sites, numbered from 1.
	Sites int
	// Hostile adds one site per entry, numbered after the normal ones,
	// that behaves so.
	Hostile []Behavior
	// Seed picks the sites; the same seed gives the same farm.
	Seed uint64
	// Latency delays every normal response, redirects included.
	Latency time.Duration
	// Gzip compresses pages for clients that accept it.
	Gzip bool
	// IdleTimeout closes keep-alive connections idle this long. Zero means
	// 75 s, nginx's default keepalive_timeout.
	IdleTimeout time.Duration
	// DripInterval is the pause between the bytes of a SlowDrip site.
	// Zero means one second.
	DripInterval time.Duration
	// LargeEvery makes every LargeEvery-th normal site's page a large one
	// (20: 5% of them): the same head and footer around LargeSize bytes of
	// news lists, sent LargeChunk bytes at a time with LargePause between
	// (zero: 64 KiB every 20 ms, about 1.6 s for 5 MiB). Such a page holds
	// the crawler's memory for long. Zero means none.
	LargeEvery int
	// LargeSize is the large page's size, head and footer included; zero
	// means just under 5 MiB, the crawler's default limit.
	LargeSize  int
	LargeChunk int
	LargePause time.Duration
	// Now is the clock that dates the young sites; nil means time.Now.
	Now func() time.Time
}

// Farm serves the sites. Build it with New, then Start it.
type Farm struct {
	cfg       Config
	templates []*template
	gzipPool  sync.Pool
	// large is the large pages' template, made on first use.
	large     *template
	largeOnce sync.Once

	srv   *http.Server
	ln    net.Listener
	tlsLn net.Listener // accepts the TLSHang sites' connections, never answers
	// done ends the hostile handlers and the TLS listener's connections.
	done     chan struct{}
	hangMu   sync.Mutex
	hanging  []net.Conn
	requests atomic.Int64
	pages    atomic.Int64
}

// New builds a farm. It does not listen yet: see Start.
func New(cfg Config) *Farm {
	if cfg.IdleTimeout <= 0 {
		cfg.IdleTimeout = 75 * time.Second
	}
	if cfg.DripInterval <= 0 {
		cfg.DripInterval = time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.LargeSize <= 0 {
		cfg.LargeSize = 5<<20 - 16<<10
	}
	if cfg.LargeChunk <= 0 {
		cfg.LargeChunk = 64 << 10
	}
	if cfg.LargePause <= 0 {
		cfg.LargePause = 20 * time.Millisecond
	}
	f := &Farm{cfg: cfg, templates: newTemplates(cfg.Seed), done: make(chan struct{})}
	f.gzipPool.New = func() any {
		zw, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
		return zw
	}
	return f
}

// Start listens on 127.0.0.1 on a free port (and on a second one for the
// TLSHang sites, if any) and serves in the background until Close.
func (f *Farm) Start() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	f.ln = ln
	f.srv = &http.Server{
		Handler:           f,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       f.cfg.IdleTimeout,
		// Hostile sites end connections rudely on purpose.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	go f.srv.Serve(ln)
	for _, b := range f.cfg.Hostile {
		if b == TLSHang {
			if f.tlsLn, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
				f.Close()
				return err
			}
			go f.hang(f.tlsLn)
			break
		}
	}
	return nil
}

// Addr is the address the sites are served on, 127.0.0.1:PORT.
func (f *Farm) Addr() string { return f.ln.Addr().String() }

// Resolve returns the HOST:ADDR rules (as `beianwatch --resolve` reads
// them) that send every site's host name to the farm.
func (f *Farm) Resolve() []string {
	rules := []string{"*" + hostSuffix + ":" + f.Addr()}
	for i := f.cfg.Sites + 1; i <= f.Len(); i++ {
		if f.cfg.Hostile[i-f.cfg.Sites-1] == TLSHang {
			rules = append(rules, HostName(i)+":"+f.tlsLn.Addr().String())
		}
	}
	return rules
}

// Requests counts the requests served so far, hostile ones and redirects
// included.
func (f *Farm) Requests() int64 { return f.requests.Load() }

// Pages counts the home pages served whole so far.
func (f *Farm) Pages() int64 { return f.pages.Load() }

// Close stops serving and closes every connection, hostile ones included.
func (f *Farm) Close() error {
	select {
	case <-f.done:
		return nil
	default:
	}
	close(f.done)
	var err error
	if f.srv != nil {
		err = f.srv.Close()
	}
	if f.tlsLn != nil {
		f.tlsLn.Close()
	}
	f.hangMu.Lock()
	for _, c := range f.hanging {
		c.Close()
	}
	f.hanging = nil
	f.hangMu.Unlock()
	return err
}

// ServeHTTP routes a request to its site by the Host header.
func (f *Farm) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.requests.Add(1)
	host := strings.ToLower(r.Host)
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	i, www, ok := siteIndex(host)
	if !ok || i < 1 || i > f.Len() {
		http.Error(w, "no such site", http.StatusNotFound)
		return
	}
	s := f.site(i)
	if s.Behavior != Normal {
		f.hostile(w, r, s)
		return
	}
	if !f.wait(r) {
		return
	}
	switch {
	case s.Redirect == ToWWW && !www:
		http.Redirect(w, r, "http://www."+s.Host+"/", http.StatusMovedPermanently)
	case r.URL.Path == "/" && s.Redirect == ToIndex:
		http.Redirect(w, r, "/index.html", http.StatusMovedPermanently)
	case r.URL.Path == "/" || r.URL.Path == "/index.html":
		f.page(w, r, s)
	default:
		http.Error(w, "404 页面不存在", http.StatusNotFound)
	}
}

// wait sleeps for the configured latency; false if the client left.
func (f *Farm) wait(r *http.Request) bool {
	if f.cfg.Latency <= 0 {
		return true
	}
	t := time.NewTimer(f.cfg.Latency)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	case <-f.done:
		return false
	}
}

// page writes the site's home page: its head, its template, its footer.
func (f *Farm) page(w http.ResponseWriter, r *http.Request, s Site) {
	var b strings.Builder
	b.Grow(headAndFooter)
	s.head(&b)
	head := b.String()
	b.Reset()
	s.footer(&b)
	foot := b.String()

	enc, ct := 0, "text/html"
	if s.Charset == "gbk" {
		enc = 1
		head, _ = simplifiedchinese.GBK.NewEncoder().String(head)
		foot, _ = simplifiedchinese.GBK.NewEncoder().String(foot)
	}
	if s.CharsetHeader {
		ct += "; charset=" + strings.ToUpper(s.Charset)
	}
	t := f.templates[s.template]
	if s.Large {
		t = f.largeTemplate()
	}
	parts := [3][]byte{[]byte(head), t.body[enc][0], []byte(foot)}
	if f.cfg.Gzip && strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		parts = [3][]byte{f.gzip(parts[0]), t.body[enc][1], f.gzip(parts[2])}
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Vary", "Accept-Encoding")
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", strconv.Itoa(len(parts[0])+len(parts[1])+len(parts[2])))
	w.Header().Set("Server", "nginx")
	for _, p := range parts {
		if s.Large {
			if !f.trickle(w, r, p) {
				return
			}
			continue
		}
		if _, err := w.Write(p); err != nil {
			return
		}
	}
	f.pages.Add(1)
}

// trickle writes p LargeChunk bytes at a time, LargePause apart; false if
// the client left.
func (f *Farm) trickle(w http.ResponseWriter, r *http.Request, p []byte) bool {
	fl, _ := w.(http.Flusher)
	for len(p) > 0 {
		n := min(len(p), f.cfg.LargeChunk)
		if _, err := w.Write(p[:n]); err != nil {
			return false
		}
		if p = p[n:]; len(p) == 0 {
			break
		}
		if fl != nil {
			fl.Flush()
		}
		t := time.NewTimer(f.cfg.LargePause)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return false
		case <-f.done:
			t.Stop()
			return false
		}
	}
	return true
}

// largeTemplate is the large pages' template: a news portal's, with
// LargeSize bytes of lists.
func (f *Farm) largeTemplate() *template {
	f.largeOnce.Do(func() {
		r := rand.New(rand.NewPCG(f.cfg.Seed, 1<<41))
		var b strings.Builder
		b.WriteString(strings.ReplaceAll(styleAndScript, "{colour}", "#c00"))
		newsBody(&b, r, f.cfg.LargeSize-headAndFooter-len(styleAndScript))
		f.large = prepare(false, b.String())
	})
	return f.large
}

// gzip compresses b into a gzip member of its own.
func (f *Farm) gzip(b []byte) []byte {
	var buf bytes.Buffer
	zw := f.gzipPool.Get().(*gzip.Writer)
	zw.Reset(&buf)
	zw.Write(b)
	zw.Close()
	f.gzipPool.Put(zw)
	return buf.Bytes()
}
