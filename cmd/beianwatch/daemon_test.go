package main

import (
	"context"
	"log/slog"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/beianwatch/beianwatch/alerts"
	"github.com/beianwatch/beianwatch/crawler"
	"github.com/beianwatch/beianwatch/daemon"
	"github.com/beianwatch/beianwatch/internal/logbuf"
)

// testDaemon is a daemon started through its package, as wtf's
// MustRunMain starts its program: typed options, not flag strings.
type testDaemon struct {
	*daemon.Daemon
	log    *logbuf.Buffer
	cancel context.CancelFunc
	done   chan error
	once   sync.Once
	err    error
}

// daemonOptions are the daemon's defaults on dsn, with loopback allowed,
// no listener, the given host pins (HOST:ADDR:PORT) and its log kept.
func daemonOptions(t *testing.T, dsn string, log *logbuf.Buffer, resolve ...string) daemon.Options {
	t.Helper()
	o := daemon.DefaultOptions()
	o.DSN, o.Listen, o.Fetch.AllowPrivate = dsn, "", true
	o.Logger = slog.New(slog.NewTextHandler(log, nil))
	o.Metrics = prometheus.NewRegistry()
	for _, r := range resolve {
		rule, err := crawler.ParseResolve(r)
		if err != nil {
			t.Fatal(err)
		}
		o.Fetch.Resolve = append(o.Fetch.Resolve, rule)
	}
	return o
}

// alertsConfig reads the alerts section of a serve config file.
func alertsConfig(t *testing.T, file string) *alerts.Config {
	t.Helper()
	c, err := loadAlertsConfig(file)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// startDaemon runs the daemon of opts until the test ends or Stop.
func startDaemon(t *testing.T, opts daemon.Options, log *logbuf.Buffer) *testDaemon {
	t.Helper()
	d, err := daemon.New(context.Background(), opts)
	if err != nil {
		t.Fatalf("daemon.New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	td := &testDaemon{Daemon: d, log: log, cancel: cancel, done: make(chan error, 1)}
	go func() { td.done <- d.Run(ctx) }()
	t.Cleanup(func() {
		td.Stop()
		if t.Failed() {
			t.Logf("daemon log:\n%s", tail(log.String(), 3000))
		}
	})
	return td
}

// Stop ends the daemon as SIGTERM would and returns Run's error.
func (td *testDaemon) Stop() error {
	td.once.Do(func() {
		td.cancel()
		td.err = <-td.done
		td.Close()
	})
	return td.err
}
