package cases

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/workday"
)

func TestDeadlines(t *testing.T) {
	p := DefaultPolicy()
	tests := []struct {
		name    string
		kind    Kind
		start   time.Time
		days    int
		want    time.Time
		wantErr string
	}{
		{name: "takedown: 24 hours", kind: Takedown, start: cst(2026, 11, 27, 12, 30), want: cst(2026, 11, 28, 12, 30)},
		// Tue 29, Wed 30 Sep; 1–7 Oct off; Thu 8, Fri 9, Sat 10 (make-up).
		{name: "across National Day and a make-up Saturday", kind: Rectification, start: cst(2026, 9, 28, 10, 0), days: 5,
			want: cst(2026, 10, 11, 0, 0)},
		// Sat 19 off; Sun 20 (make-up) counts, Mon 21 … Thu 24; Fri 25 (Mid-Autumn) off; Mon 28.
		{name: "across Mid-Autumn and a make-up Sunday", kind: Rectification, start: cst(2026, 9, 18, 23, 59), days: 6,
			want: cst(2026, 9, 29, 0, 0)},
		{name: "late evening is still the same day", kind: Rectification, start: cst(2026, 11, 27, 23, 59), days: 1,
			want: cst(2026, 12, 1, 0, 0)},
		{name: "beyond the calendar", kind: Rectification, start: cst(2026, 12, 28, 9, 0), days: 10,
			wantErr: "working-day deadline: add 10 working days to 2026-12-28: 2027-01-01: workday: date outside the known holiday calendar (known years: [2021 2022 2023 2024 2025 2026])"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := p
			if tt.days > 0 {
				p.RectificationDays = tt.days
			}
			got, err := p.Deadline(tt.kind, tt.start, calendar())
			if tt.wantErr != "" {
				if !errors.Is(err, workday.ErrOutsideCalendar) || err.Error() != tt.wantErr {
					t.Errorf("Deadline = %v, %v; want error %q", got, err, tt.wantErr)
				}
				return
			}
			if err != nil || !got.Equal(tt.want) {
				t.Errorf("Deadline(%s, %v) = %v, %v; want %v", tt.kind, tt.start, got.In(checker.CST), err, tt.want)
			}
		})
	}
	if _, err := WorkingDaysDeadline(nil, cst(2026, 9, 28, 10, 0), 3); err == nil {
		t.Errorf("WorkingDaysDeadline without a calendar: no error")
	}
}

func TestExtend(t *testing.T) {
	tests := []struct {
		deadline time.Time
		days     int
		want     time.Time
	}{
		// The window ended with Sat 10 Oct (make-up); Mon 12 … Fri 16, Mon 19, Tue 20.
		{cst(2026, 10, 11, 0, 0), 7, cst(2026, 10, 21, 0, 0)},
		// A deadline in the middle of a day (set by hand) counts from that day.
		{cst(2026, 9, 29, 15, 0), 2, cst(2026, 10, 9, 0, 0)},
	}
	for _, tt := range tests {
		got, err := Extend(calendar(), tt.deadline, tt.days)
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("Extend(%v, %d) = %v, %v; want %v", tt.deadline, tt.days, got, err, tt.want)
		}
	}
	if _, err := Extend(calendar(), time.Time{}, 7); err == nil {
		t.Errorf("Extend with no deadline: no error")
	}
}

func TestPolicyValidate(t *testing.T) {
	tests := []struct {
		change func(p *Policy)
		want   string
	}{
		{func(p *Policy) {}, ""},
		{func(p *Policy) { p.TakedownDeadline = 0 }, "takedown deadline 0s: must be positive"},
		{func(p *Policy) { p.RectificationDays = 0 }, "rectification window 0 working days: must be at least 1"},
		{func(p *Policy) { p.ExtensionDays = -1 }, "extension -1 working days: must be at least 1"},
		{func(p *Policy) { p.OpenAfter = 0 }, "open after 0 checks: must be at least 1"},
		{func(p *Policy) { p.OpenSeverities = nil }, "no severities open rectifications"},
		{func(p *Policy) { p.OpenSeverities = []checker.Severity{"fatal"} }, `unknown severity "fatal": want error, warning or info`},
		{func(p *Policy) { p.OpenCodes = []string{"PSB_BADGE_MISSING"} }, `unknown rectification code "PSB_BADGE_MISSING"`},
		{func(p *Policy) { p.VerifyInterval = 0 }, "verify interval 0s: must be positive"},
	}
	for _, tt := range tests {
		p := DefaultPolicy()
		tt.change(&p)
		err := p.Validate()
		if (tt.want == "") != (err == nil) || (err != nil && !strings.HasPrefix(err.Error(), tt.want)) {
			t.Errorf("Validate(%+v) = %v, want %q", p, err, tt.want)
		}
	}
}
