package amtest

import (
	"context"
	"errors"
	"net/http"
	"os"
	"testing"
	"time"
)

func TestStartStopStart(t *testing.T) {
	if testing.Short() {
		t.Skip("starts an Alertmanager: skipped with -short")
	}
	s := New(t)
	ready := func() error {
		resp, err := http.Get(s.URL + "/-/ready")
		if err != nil {
			return err
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return errors.New(resp.Status)
		}
		return nil
	}
	if err := ready(); err != nil {
		t.Fatalf("after New: /-/ready: %v", err)
	}
	url := s.URL
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop: %v", err)
	}
	if err := ready(); err == nil {
		t.Fatal("after Stop: /-/ready still answers")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := s.Start(ctx); err != nil {
		t.Fatalf("Start again: %v", err)
	}
	if s.URL != url {
		t.Errorf("URL after restart = %q, want %q", s.URL, url)
	}
	if err := ready(); err != nil {
		t.Fatalf("after restart: /-/ready: %v\n%s", err, s.Log())
	}
	if _, err := os.Stat(s.dir + "/storage"); err != nil {
		t.Errorf("storage dir: %v", err)
	}
}
