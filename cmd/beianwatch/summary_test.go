package main

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/beianwatch/beianwatch/crawler"
)

func TestOnceSummary(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		name  string
		sum   crawler.Summary
		next  time.Time
		nextN int
		want  string
	}{
		{"errors by class", crawler.Summary{Checked: 6, Pass: 1, Error: 5, Duration: 1500 * time.Millisecond,
			Errors: map[string]int{"FETCH_DNS": 3, "FETCH_BLOCKED_ADDRESS": 1, "HTTP_ERROR_STATUS": 1}}, time.Time{}, 0,
			"checked 6: 1 pass, 0 fail, 5 error in 1.5s\n" +
				"5 error: 3 DNS lookup failed (FETCH_DNS), 1 refused by the connection rule (loopback, private … addresses) (FETCH_BLOCKED_ADDRESS), 1 HTTP error status (HTTP_ERROR_STATUS)\n" +
				"  details: beianwatch sites list --verdict error; beianwatch sites show DOMAIN\n" +
				"  they are retried after a delay that doubles; beianwatch sites recheck --verdict error makes them due now\n"},
		{"all passed", crawler.Summary{Checked: 2, Pass: 2}, time.Time{}, 0, "checked 2: 2 pass, 0 fail, 0 error in 0s\n"},
		{"nothing due", crawler.Summary{}, now.Add(4*time.Minute + 30*time.Second), 3,
			"checked 0: 0 pass, 0 fail, 0 error in 0s\n" +
				"nothing was due: the next 3 sites fall due at 2026-12-07 18:04:30 CST (in 4m30s)\n" +
				"  beianwatch sites recheck --all (or --verdict V, or DOMAIN…) makes sites due now\n"},
		{"empty registry", crawler.Summary{}, time.Time{}, 0,
			"checked 0: 0 pass, 0 fail, 0 error in 0s\n" +
				"nothing was due: the registry has no active site (beianwatch import FILE adds some)\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, onceSummary(tt.sum, tt.next, tt.nextN, now)); diff != "" {
				t.Errorf("onceSummary (-want +got):\n%s", diff)
			}
		})
	}
}
