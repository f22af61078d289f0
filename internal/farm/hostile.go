package farm

import (
	"bytes"
	"compress/flate"
	"encoding/binary"
	"hash/crc32"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
)

// hostile serves a site that misbehaves. Every handler ends when the
// client leaves or the farm closes, so none outlives the test.
func (f *Farm) hostile(w http.ResponseWriter, r *http.Request, s Site) {
	switch s.Behavior {
	case EndlessBody:
		f.endless(w, r)
	case SlowDrip:
		f.drip(w, r)
	case RedirectLoop:
		if r.URL.Path == "/loop" {
			http.Redirect(w, r, "/", http.StatusFound)
			return
		}
		http.Redirect(w, r, "/loop", http.StatusFound)
	case GzipBomb:
		f.bomb(w, r)
	case ConnReset:
		reset(w)
	default: // TLSHang sites are reached over their own listener
		http.Error(w, "use https", http.StatusNotFound)
	}
}

// endlessChunk is what an endless body repeats: plausible HTML, so that a
// crawler sniffing the content type keeps reading.
var endlessChunk = []byte(strings.Repeat("<li><a href=\"/news/1.html\">无尽的列表项，永远不会结束</a></li>\n", 512))

// endless sends 200 and HTML without end, as fast as the client reads.
func (f *Farm) endless(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	for f.alive(r) {
		if _, err := w.Write(endlessChunk); err != nil {
			return
		}
	}
}

// drip sends 200 and then one byte every DripInterval.
func (f *Farm) drip(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	rc := http.NewResponseController(w)
	page := []byte("<!DOCTYPE html><html><head><title>慢</title></head><body>")
	t := time.NewTicker(f.cfg.DripInterval)
	defer t.Stop()
	for i := 0; ; i++ {
		if _, err := w.Write(page[i%len(page) : i%len(page)+1]); err != nil || rc.Flush() != nil {
			return
		}
		select {
		case <-t.C:
		case <-r.Context().Done():
			return
		case <-f.done:
			return
		}
	}
}

func (f *Farm) alive(r *http.Request) bool {
	select {
	case <-r.Context().Done():
		return false
	case <-f.done:
		return false
	default:
		return true
	}
}

// Gzip bomb: 10 GiB of zeros. The deflate stream is one precomputed
// segment (1 MiB of zeros, about 1 KB compressed, sync-flushed so that it
// ends on a byte boundary with no final bit) sent bombSegments times,
// then a final empty block and the gzip trailer. Nothing near 10 GiB is
// ever made, on either side of the wire unless the client inflates it.
const (
	bombSegment  = 1 << 20
	bombSegments = 10 << 10
)

var bombOnce = sync.OnceValue(func() []byte {
	var b bytes.Buffer
	zw, _ := flate.NewWriter(&b, flate.BestCompression)
	zw.Write(make([]byte, bombSegment))
	zw.Flush()
	return b.Bytes()
})

// gzipHeader is a minimal gzip member header: deflate, no name, no time.
var gzipHeader = []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff}

// finalBlock is an empty stored block with the final bit set.
var finalBlock = []byte{0x01, 0x00, 0x00, 0xff, 0xff}

func (f *Farm) bomb(w http.ResponseWriter, r *http.Request) {
	seg := bombOnce()
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Encoding", "gzip")
	if _, err := w.Write(gzipHeader); err != nil {
		return
	}
	for range bombSegments {
		if !f.alive(r) {
			return
		}
		if _, err := w.Write(seg); err != nil {
			return
		}
	}
	// Only a client that inflated all 10 GiB gets here.
	crc, zero := uint32(0), make([]byte, bombSegment)
	for range bombSegments {
		crc = crc32.Update(crc, crc32.IEEETable, zero)
	}
	trailer := binary.LittleEndian.AppendUint32(nil, crc)
	size := uint64(bombSegment) * bombSegments
	trailer = binary.LittleEndian.AppendUint32(trailer, uint32(size%(1<<32))) // ISIZE is the size mod 2^32
	w.Write(append(slices.Clip(finalBlock), trailer...))
}

// reset takes the connection over and closes it with SO_LINGER 0, so the
// kernel sends RST instead of FIN: "connection reset by peer".
func reset(w http.ResponseWriter) {
	c, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.Close()
}

// hang accepts connections and never answers, as a TLS server whose
// handshake stalls. They are closed by Close.
func (f *Farm) hang(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		f.hangMu.Lock()
		select {
		case <-f.done:
			c.Close()
		default:
			f.hanging = append(f.hanging, c)
		}
		f.hangMu.Unlock()
	}
}
