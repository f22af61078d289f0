package crawler_test

import (
	"testing"
	"time"

	"github.com/beianwatch/beianwatch/crawler"
)

// TestRenderBudget spends a budget of 3 a cycle, 2 a host: the third
// render of a host and the fourth of a cycle are refused, and a new cycle
// starts afresh.
func TestRenderBudget(t *testing.T) {
	now := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	b := &crawler.RenderBudget{Total: 3, PerHost: 2, Window: time.Hour, Now: func() time.Time { return now }}
	steps := []struct {
		host  string
		later time.Duration // the clock moves on first
		want  bool
	}{
		{"a.cn", 0, true},
		{"a.cn", 0, true},
		{"a.cn", 0, false}, // the host's 2
		{"b.cn", 0, true},
		{"c.cn", 0, false}, // the cycle's 3
		{"a.cn", time.Hour, true},
		{"c.cn", 0, true},
	}
	for i, s := range steps {
		now = now.Add(s.later)
		if got := b.Take(s.host); got != s.want {
			t.Errorf("step %d: Take(%q) = %v, want %v", i, s.host, got, s.want)
		}
	}
	var unlimited *crawler.RenderBudget
	if !unlimited.Take("a.cn") {
		t.Errorf("a nil budget refused a render")
	}
}

func TestParseRenderMode(t *testing.T) {
	tests := []struct {
		in      string
		want    crawler.RenderMode
		wantErr bool
	}{
		{"auto", crawler.RenderAuto, false},
		{"always", crawler.RenderAlways, false},
		{"never", crawler.RenderNever, false},
		{"", "", true},
		{"Auto", "", true},
	}
	for _, tt := range tests {
		got, err := crawler.ParseRenderMode(tt.in)
		if got != tt.want || (err != nil) != tt.wantErr {
			t.Errorf("ParseRenderMode(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}
