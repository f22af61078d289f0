package registry

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/beianwatch/beianwatch/checker"
)

// Deadlines at their boundaries. Launch on 2026-10-28 makes the PSB filing
// due 30 calendar days later, on 2026-11-27, until 24:00 China Standard
// Time; PSB approval on 2026-10-28 makes the badge due the same day.
// Instants are given in UTC, as a server in UTC would see them: 15:59Z on
// the 27th is 23:59 in Beijing, 16:01Z already 00:01 on the 28th.
func TestSiteDeadlines(t *testing.T) {
	due := date(2026, 11, 27)
	left := func(n int) *int { return &n }
	var (
		lastMinute  = time.Date(2026, 11, 27, 15, 59, 0, 0, time.UTC) // 23:59 CST on the due day
		firstMinute = time.Date(2026, 11, 27, 16, 1, 0, 0, time.UTC)  // 00:01 CST the day after
		halfPast    = time.Date(2026, 11, 27, 16, 30, 0, 0, time.UTC) // 00:30 CST the day after
		dayBefore   = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	)
	unfiled := Site{LaunchedOn: date(2026, 10, 28)}
	unbadged := Site{PSBNumber: "11010502000001", LaunchedOn: date(2026, 10, 1), PSBFiledOn: date(2026, 10, 10), PSBApprovedOn: date(2026, 10, 28)}
	tests := []struct {
		name string
		site Site
		st   *State
		now  time.Time
		// clock picks the clock the case is about; want is its value.
		clock func(checker.Deadlines) checker.Deadline
		want  checker.Deadline
	}{{
		name: "filing: the day before the 30th day",
		site: unfiled, now: dayBefore,
		clock: psbFiling, want: checker.Deadline{Status: checker.DeadlinePending, Due: due, DaysLeft: left(1)},
	}, {
		name: "filing: 23:59 CST on the 30th day is on time",
		site: unfiled, now: lastMinute,
		clock: psbFiling, want: checker.Deadline{Status: checker.DeadlinePending, Due: due, DaysLeft: left(0)},
	}, {
		name: "filing: 00:01 CST the day after is overdue",
		site: unfiled, now: firstMinute,
		clock: psbFiling, want: checker.Deadline{Status: checker.DeadlineOverdue, Due: due, DaysLeft: left(-1)},
	}, {
		name: "filing: 16:30Z on the 27th is the 28th in Beijing",
		site: unfiled, now: halfPast,
		clock: psbFiling, want: checker.Deadline{Status: checker.DeadlineOverdue, Due: due, DaysLeft: left(-1)},
	}, {
		name: "filing: on the 30th day is met",
		site: with(unfiled, func(s *Site) { s.PSBFiledOn = due }), now: halfPast,
		clock: psbFiling, want: checker.Deadline{Status: checker.DeadlineMet, Due: due},
	}, {
		name: "filing: on the 31st day is late",
		site: with(unfiled, func(s *Site) { s.PSBFiledOn = due.AddDays(1) }), now: halfPast,
		clock: psbFiling, want: checker.Deadline{Status: checker.DeadlineMetLate, Due: due},
	}, {
		name: "filing: a number without a date is met",
		site: with(unfiled, func(s *Site) { s.PSBNumber = "11010502000001" }), now: halfPast,
		clock: psbFiling, want: checker.Deadline{Status: checker.DeadlineMet, Due: due},
	}, {
		name: "filing: no launch date counts from the ICP approval",
		site: Site{ICPApprovedOn: date(2026, 10, 28)}, now: lastMinute,
		clock: psbFiling, want: checker.Deadline{Status: checker.DeadlinePending, Due: due, DaysLeft: left(0)},
	}, {
		name: "filing: no dates at all is unknown",
		site: Site{}, now: halfPast,
		clock: psbFiling, want: checker.Deadline{Status: checker.DeadlineUnknown},
	}, {
		name: "badge: never checked is unknown, not overdue",
		site: unbadged, now: firstMinute,
		clock: badgeClock, want: checker.Deadline{Status: checker.DeadlineUnknown, Due: due},
	}, {
		name: "badge: seen missing, 23:59 CST on the 30th day",
		site: unbadged, now: lastMinute, st: &State{BadgeLastMissingAt: dayBefore},
		clock: badgeClock, want: checker.Deadline{Status: checker.DeadlinePending, Due: due, DaysLeft: left(0)},
	}, {
		name: "badge: seen missing, 00:01 CST the day after",
		site: unbadged, now: firstMinute, st: &State{BadgeLastMissingAt: dayBefore},
		clock: badgeClock, want: checker.Deadline{Status: checker.DeadlineOverdue, Due: due, DaysLeft: left(-1)},
	}, {
		name: "badge: shown, first seen in time",
		site: unbadged, now: halfPast,
		st:    &State{BadgeShown: true, BadgeFirstSeenAt: lastMinute},
		clock: badgeClock, want: checker.Deadline{Status: checker.DeadlineMet, Due: due},
	}, {
		name: "badge: shown, but our check saw it missing after the due date",
		site: unbadged, now: halfPast.Add(time.Hour),
		st:    &State{BadgeShown: true, BadgeFirstSeenAt: halfPast.Add(time.Hour), BadgeLastMissingAt: firstMinute},
		clock: badgeClock, want: checker.Deadline{Status: checker.DeadlineMetLate, Due: due},
	}, {
		name: "badge: missing at 23:59 CST on the due day is not proof of lateness",
		site: unbadged, now: halfPast.Add(time.Hour),
		st:    &State{BadgeShown: true, BadgeFirstSeenAt: halfPast.Add(time.Hour), BadgeLastMissingAt: lastMinute},
		clock: badgeClock, want: checker.Deadline{Status: checker.DeadlineMet, Due: due},
	}, {
		name: "badge: seen once, missing at the latest check",
		site: unbadged, now: halfPast,
		st:    &State{BadgeShown: false, BadgeFirstSeenAt: dayBefore, BadgeLastMissingAt: halfPast},
		clock: badgeClock, want: checker.Deadline{Status: checker.DeadlineOverdue, Due: due, DaysLeft: left(-1)},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.clock(tt.site.Deadlines(tt.st, tt.now))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Deadlines(%v) (-want +got):\n%s", tt.now, diff)
			}
		})
	}
}

func psbFiling(d checker.Deadlines) checker.Deadline  { return d.PSBFiling }
func badgeClock(d checker.Deadlines) checker.Deadline { return d.Badge }
