package checker

import (
	"testing"
	"time"
)

func d(s string) Date {
	v, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return v
}

func at(s string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", s, CST)
	if err != nil {
		panic(err)
	}
	return t
}

func TestPSBFilingDeadline(t *testing.T) {
	tests := []struct {
		name     string
		launched Date
		filed    Date
		number   bool
		now      time.Time
		status   DeadlineStatus
		due      string
		left     int
	}{
		{"no dates", Date{}, Date{}, false, at("2026-11-27 12:00"), DeadlineUnknown, "", 0},
		{"number but no dates", Date{}, Date{}, true, at("2026-11-27 12:00"), DeadlineMet, "", 0},
		{"filed on the due day", d("2026-10-01"), d("2026-10-31"), false, at("2026-11-27 12:00"), DeadlineMet, "2026-10-31", 0},
		{"filed a day late", d("2026-10-01"), d("2026-11-01"), false, at("2026-11-27 12:00"), DeadlineMetLate, "2026-10-31", 0},
		{"number, date unknown: no proof of lateness", d("2025-01-01"), Date{}, true, at("2026-11-27 12:00"), DeadlineMet, "2025-01-31", 0},
		{"pending", d("2026-11-20"), Date{}, false, at("2026-11-27 12:00"), DeadlinePending, "2026-12-20", 23},
		{"due today, last minute in Beijing", d("2026-10-28"), Date{}, false, at("2026-11-27 23:59"), DeadlinePending, "2026-11-27", 0},
		// 2026-11-27 16:30 UTC is already 2026-11-28 in Beijing.
		{"overdue by Beijing date", d("2026-10-28"), Date{}, false, time.Date(2026, 11, 27, 16, 30, 0, 0, time.UTC), DeadlineOverdue, "2026-11-27", -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := PSBFilingDeadline(tt.launched, tt.filed, tt.number, tt.now)
			if got.Status != tt.status || got.Due.String() != tt.due {
				t.Errorf("PSBFilingDeadline = %s due %q, want %s due %q", got.Status, got.Due, tt.status, tt.due)
			}
			if (tt.status == DeadlinePending || tt.status == DeadlineOverdue) && (got.DaysLeft == nil || *got.DaysLeft != tt.left) {
				t.Errorf("PSBFilingDeadline days left = %v, want %d", got.DaysLeft, tt.left)
			}
		})
	}
}

func TestBadgeDeadline(t *testing.T) {
	zero := time.Time{}
	tests := []struct {
		name                   string
		approved               Date
		shown                  bool
		firstSeen, lastMissing time.Time
		now                    time.Time
		status                 DeadlineStatus
	}{
		{"unknown", Date{}, false, zero, zero, at("2026-11-27 12:00"), DeadlineUnknown},
		{"shown, no approval date", Date{}, true, zero, zero, at("2026-11-27 12:00"), DeadlineMet},
		{"shown, first check long after due: not late", d("2025-01-01"), true, zero, zero, at("2026-11-27 12:00"), DeadlineMet},
		{"shown, our check saw it missing after due", d("2026-09-01"), true, zero, at("2026-10-05 10:00"), at("2026-11-27 12:00"), DeadlineMetLate},
		{"shown, missing only before due", d("2026-09-01"), true, zero, at("2026-09-20 10:00"), at("2026-11-27 12:00"), DeadlineMet},
		{"shown in time, removed and restored later", d("2026-09-01"), true, at("2026-09-10 10:00"), at("2026-10-20 10:00"), at("2026-11-27 12:00"), DeadlineMet},
		{"missing, pending", d("2026-11-20"), false, zero, zero, at("2026-11-27 12:00"), DeadlinePending},
		{"missing, overdue", d("2026-09-01"), false, zero, zero, at("2026-11-27 12:00"), DeadlineOverdue},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := BadgeDeadline(tt.approved, tt.shown, tt.firstSeen, tt.lastMissing, tt.now); got.Status != tt.status {
				t.Errorf("BadgeDeadline = %s, want %s", got.Status, tt.status)
			}
		})
	}
}

func TestDate(t *testing.T) {
	if got := d("2024-02-28").AddDays(30).String(); got != "2024-03-29" {
		t.Errorf("2024-02-28 + 30 days = %s, want 2024-03-29", got)
	}
	if _, err := ParseDate("2024-13-01"); err == nil {
		t.Errorf("ParseDate(2024-13-01) succeeded, want error")
	}
	if got := DateOf(time.Date(2026, 12, 31, 16, 0, 0, 0, time.UTC)).String(); got != "2027-01-01" {
		t.Errorf("DateOf(2026-12-31 16:00 UTC) = %s, want 2027-01-01 (Beijing)", got)
	}
}

func TestUnseenDeadlines(t *testing.T) {
	now := at("2026-11-27 12:00")
	w := Expect{Launched: d("2026-01-01")}
	if got := UnseenDeadlines(w, now); got.PSBFiling.Status != DeadlineOverdue {
		t.Errorf("filing clock of an unreachable site = %s, want overdue (it needs no page)", got.PSBFiling.Status)
	}
	// An approval date proves the filing, even without its submission date.
	w.PSBApproved = d("2026-09-01")
	got := UnseenDeadlines(w, now)
	if got.PSBFiling.Status != DeadlineMet {
		t.Errorf("filing clock with a PSB approval date = %s, want met", got.PSBFiling.Status)
	}
	if got.Badge.Status != DeadlineUnknown {
		t.Errorf("badge clock of an unreachable site = %s, want unknown (a failed fetch proves nothing)", got.Badge.Status)
	}
	w.BadgeFirstSeen = at("2026-09-10 10:00")
	if got := UnseenDeadlines(w, now); got.Badge.Status != DeadlineMet {
		t.Errorf("badge clock after an earlier sighting = %s, want met", got.Badge.Status)
	}
}
