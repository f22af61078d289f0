package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/beianwatch/beianwatch/internal/farm"
)

// baseRun is what the baseline did.
type baseRun struct {
	wall            time.Duration
	ok, failed      int
	matched         int
	cpu             time.Duration // this process's, farm included
	otherCPU        time.Duration // the rest of the machine's meanwhile
	firstFailure    error
	firstFailureURL string
}

func (b baseRun) rate(n int) float64 { return float64(n) / b.wall.Seconds() }

// baselineNeedle is looked for in every page: ASCII, so it matches GBK
// pages too.
var baselineNeedle = []byte("beian.miit.gov.cn")

// baseline fetches every site's page with a plain net/http client (the
// default transport's settings, every host sent to the farm as serve's
// --resolve does), workers at a time, and runs bytes.Contains on each
// body: the least any checker must do, and so the practical limit of the
// machine for the farm.
func baseline(ctx context.Context, f *farm.Farm, n, workers int) (baseRun, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	d := &net.Dialer{Timeout: 30 * time.Second}
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return d.DialContext(ctx, network, f.Addr())
	}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}

	urls := make([]string, n)
	for i := range urls {
		urls[i] = "http://" + farm.HostName(i+1) + "/"
	}
	var ok, failed, matched atomic.Int64
	var once sync.Once
	var r baseRun
	jobs := make(chan string)
	var wg sync.WaitGroup
	cpu, machine := selfCPU(), machineCPU()
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for u := range jobs {
				body, err := get(ctx, client, u)
				switch {
				case err != nil:
					failed.Add(1)
					once.Do(func() { r.firstFailure, r.firstFailureURL = err, u })
				case bytes.Contains(body, baselineNeedle):
					matched.Add(1)
					fallthrough
				default:
					ok.Add(1)
				}
			}
		})
	}
	for _, u := range urls {
		select {
		case jobs <- u:
		case <-ctx.Done():
		}
	}
	close(jobs)
	wg.Wait()
	r.wall, r.cpu = time.Since(start), selfCPU()-cpu
	r.otherCPU = max(0, machineCPU()-machine-r.cpu)
	r.ok, r.failed, r.matched = int(ok.Load()), int(failed.Load()), int(matched.Load())
	return r, ctx.Err()
}

func get(ctx context.Context, c *http.Client, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}
