package cases

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/workday"
)

func TestDeadlines(t *testing.T) {
	p := DefaultPolicy()
	tests := []struct {
		name        string
		kind        Kind
		start       time.Time
		days        int
		want        time.Time
		provisional []int
		text        string
	}{
		{name: "takedown: 24 hours", kind: Takedown, start: cst(2026, 11, 27, 12, 30), want: cst(2026, 11, 28, 12, 30),
			text: "by 2026-11-28 12:30 CST"},
		// Tue 29, Wed 30 Sep; 1–7 Oct off; Thu 8, Fri 9, Sat 10 (make-up).
		{name: "across National Day and a make-up Saturday", kind: Rectification, start: cst(2026, 9, 28, 10, 0), days: 5,
			want: cst(2026, 10, 11, 0, 0), text: "by end of 2026-10-10 CST"},
		// Sat 19 off; Sun 20 (make-up) counts, Mon 21 … Thu 24; Fri 25 (Mid-Autumn) off; Mon 28.
		{name: "across Mid-Autumn and a make-up Sunday", kind: Rectification, start: cst(2026, 9, 18, 23, 59), days: 6,
			want: cst(2026, 9, 29, 0, 0)},
		{name: "late evening is still the same day", kind: Rectification, start: cst(2026, 11, 27, 23, 59), days: 1,
			want: cst(2026, 12, 1, 0, 0)},
		// The cases: the default 10 working days from 18 December
		// 2026 cross New Year 2027 (1–3 January off).
		{name: "opened 2026-12-18, 10 working days", kind: Rectification, start: cst(2026, 12, 18, 15, 0), days: 10,
			want: cst(2027, 1, 5, 0, 0), text: "by end of 2027-01-04 CST"},
		{name: "opened 2026-12-31, 10 working days", kind: Rectification, start: cst(2026, 12, 31, 9, 0), days: 10,
			want: cst(2027, 1, 16, 0, 0), text: "by end of 2027-01-15 CST"},
		// 2028 has no calendar: its weekdays count, and the deadline says so.
		{name: "600 working days reach 2029: provisional", kind: Rectification, start: cst(2026, 12, 7, 10, 0), days: 600,
			want: cst(2029, 4, 13, 0, 0), provisional: []int{2028, 2029}}, // 18 + 248 + 260 + 74
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := p
			if tt.days > 0 {
				p.RectificationDays = tt.days
			}
			got, err := p.Deadline(tt.kind, tt.start, calendar())
			if err != nil || !got.At.Equal(tt.want) || !slices.Equal(got.Provisional, tt.provisional) {
				t.Errorf("Deadline(%s, %v) = %v %v, %v; want %v %v", tt.kind, tt.start, got.At.In(checker.CST), got.Provisional, err, tt.want, tt.provisional)
			}
			if tt.kind == Rectification && (got.Days != tt.days || !got.From.Equal(tt.start)) {
				t.Errorf("Deadline(%s, %v) counted %d days from %v; want %d from the start", tt.kind, tt.start, got.Days, got.From, tt.days)
			}
			if tt.text != "" && checker.DeadlineText(got.At) != tt.text {
				t.Errorf("DeadlineText(%v) = %q, want %q", got.At, checker.DeadlineText(got.At), tt.text)
			}
		})
	}
	if _, err := WorkingDaysDeadline(nil, cst(2026, 9, 28, 10, 0), 3); err == nil {
		t.Errorf("WorkingDaysDeadline without a calendar: no error")
	}
}

func TestProvisionalNote(t *testing.T) {
	tests := []struct {
		years  []int
		en, zh string
	}{
		{nil, "", ""},
		{[]int{2028}, "provisional: the 2028 holiday calendar is not loaded", "暂定:未载入 2028 年的节假日安排"},
		{[]int{2028, 2029}, "provisional: the 2028 and 2029 holiday calendar are not loaded", "暂定:未载入 2028、2029 年的节假日安排"},
	}
	for _, tt := range tests {
		if got := ProvisionalNote(tt.years); got != tt.en {
			t.Errorf("ProvisionalNote(%v) = %q, want %q", tt.years, got, tt.en)
		}
		if got := ProvisionalNoteZH(tt.years); got != tt.zh {
			t.Errorf("ProvisionalNoteZH(%v) = %q, want %q", tt.years, got, tt.zh)
		}
	}
}

func TestExtend(t *testing.T) {
	tests := []struct {
		name        string
		c           Case
		days        int
		want        time.Time
		provisional []int
	}{
		// The window ended with Sat 10 Oct (make-up); Mon 12 … Fri 16, Mon 19, Tue 20.
		{"end of day, set by hand", Case{Deadline: cst(2026, 10, 11, 0, 0)}, 7, cst(2026, 10, 21, 0, 0), nil},
		// A deadline in the middle of a day (set by hand) counts from that day.
		{"middle of a day", Case{Deadline: cst(2026, 9, 29, 15, 0)}, 2, cst(2026, 10, 9, 0, 0), nil},
		{"working days: counted again from the start", Case{Deadline: cst(2026, 10, 11, 0, 0),
			DeadlineFrom: cst(2026, 9, 28, 10, 0), DeadlineDays: 5}, 7, cst(2026, 10, 21, 0, 0), nil},
		// Opened 2027-12-20 with 10 working days (provisional into 2028),
		// extended by 7: 17 weekdays after, with 2028 unknown.
		{"provisional stays provisional", Case{Deadline: cst(2028, 1, 4, 0, 0), DeadlineFrom: cst(2027, 12, 20, 10, 0),
			DeadlineDays: 10, Provisional: []int{2028}}, 7, cst(2028, 1, 13, 0, 0), []int{2028}},
	}
	for _, tt := range tests {
		got, err := Extend(calendar(), tt.c, tt.days)
		if err != nil || !got.At.Equal(tt.want) || !slices.Equal(got.Provisional, tt.provisional) {
			t.Errorf("%s: Extend(%v, %d) = %v %v, %v; want %v %v", tt.name, tt.c.Deadline, tt.days, got.At, got.Provisional, err, tt.want, tt.provisional)
		}
	}
	if _, err := Extend(calendar(), Case{}, 7); err == nil {
		t.Errorf("Extend with no deadline: no error")
	}
}

// TestRecount: a provisional deadline counted again once its year is
// loaded, with the history entry that says what changed.
func TestRecount(t *testing.T) {
	// 2028 as a test file: New Year 1 January (a Saturday) and Monday 3
	// January off, Spring Festival 24–31 January, a make-up Sunday 23
	// January. Invented, for the test only.
	y2028 := workday.Year{Year: 2028, Source: "test", Holidays: []workday.Holiday{
		{Name: "元旦", From: "2028-01-01", To: "2028-01-03"},
		{Name: "春节", From: "2028-01-24", To: "2028-01-31"},
	}, Workdays: []workday.Workday{{Date: "2028-01-23"}}}
	known, err := workday.Default().Merge(y2028)
	if err != nil {
		t.Fatal(err)
	}
	opened := cst(2027, 12, 20, 10, 0)
	d, err := WorkingDaysDeadline(calendar(), opened, 10)
	if err != nil || !slices.Equal(d.Provisional, []int{2028}) || !d.At.Equal(cst(2028, 1, 4, 0, 0)) {
		t.Fatalf("WorkingDaysDeadline = %+v, %v; want the end of 2028-01-03, provisional 2028", d, err)
	}
	c := Case{ID: 7, Kind: Rectification, State: Open}
	c.SetDeadline(d)
	at := cst(2027, 12, 22, 8, 0)

	got, tr, changed, err := Recount(c, known, at, "serve:r1")
	if err != nil || !changed {
		t.Fatalf("Recount = %v, %v; want a change", changed, err)
	}
	// 21, 22, 23, 24, 27, 28, 29, 30, 31 December are 9 working days; 1–3
	// January are off, so the 10th is Tuesday 4 January.
	if !got.Deadline.Equal(cst(2028, 1, 5, 0, 0)) || len(got.Provisional) != 0 || got.DeadlineDays != 10 {
		t.Errorf("Recount deadline = %v %v (%d days); want end of 2028-01-04, definitive", got.Deadline, got.Provisional, got.DeadlineDays)
	}
	wantReason := "deadline counted again with the 2028 holiday calendar: by end of 2028-01-03 CST (provisional) → by end of 2028-01-04 CST"
	if tr.Reason != wantReason || tr.From != Open || tr.To != Open || !tr.At.Equal(at) || tr.Actor != "serve:r1" {
		t.Errorf("Recount transition = %+v; want reason %q", tr, wantReason)
	}
	if _, _, changed, _ := Recount(got, known, at, "serve:r1"); changed {
		t.Errorf("Recount of a definitive deadline changed it")
	}
	if _, _, changed, _ := Recount(c, calendar(), at, "serve:r1"); changed {
		t.Errorf("Recount with the same calendar changed the deadline")
	}

	// A make-up day can end the count sooner. Told customers keep the later
	// deadline; untold ones get the earlier with a note.
	early := workday.Year{Year: 2028, Source: "test", Holidays: []workday.Holiday{{Name: "元旦", From: "2028-01-01", To: "2028-01-01"}},
		Workdays: []workday.Workday{{Date: "2028-01-02"}}}
	sooner, err := workday.Default().Merge(early)
	if err != nil {
		t.Fatal(err)
	}
	got, tr, changed, err = Recount(c, sooner, at, "serve:r1")
	if err != nil || !changed || !got.Deadline.Equal(cst(2028, 1, 3, 0, 0)) ||
		!strings.HasSuffix(tr.Reason, "(earlier; the customer had not been told the deadline yet)") {
		t.Errorf("Recount earlier, untold = %v, %q, %v", got.Deadline, tr.Reason, err)
	}
	told := c
	told.NotifiedAt = cst(2027, 12, 21, 9, 0)
	got, tr, changed, err = Recount(told, sooner, at, "serve:r1")
	wantReason = "deadline counted again with the 2028 holiday calendar: it would end by end of 2028-01-02 CST, earlier than the customer was told; keeping by end of 2028-01-03 CST"
	if err != nil || !changed || !got.Deadline.Equal(c.Deadline) || len(got.Provisional) != 0 || tr.Reason != wantReason {
		t.Errorf("Recount earlier, told = %v %v, %q, %v; want the told deadline kept, reason %q", got.Deadline, got.Provisional, tr.Reason, err, wantReason)
	}
	closed := c
	closed.State = Closed
	if _, _, changed, _ := Recount(closed, known, at, "serve:r1"); changed {
		t.Errorf("Recount changed a closed case")
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
