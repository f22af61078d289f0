package main

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/beianwatch/beianwatch/cases"
	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/registry"
	"github.com/beianwatch/beianwatch/registry/registrytest"
	"github.com/beianwatch/beianwatch/workday"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// seedCaseSites stores example.cn (also 中文.中国) and other.cn.
func seedCaseSites(t *testing.T, st *registry.Store) {
	t.Helper()
	domain := func(names ...string) []registry.Domain {
		var ds []registry.Domain
		for _, n := range names {
			d, err := registry.NormalizeDomain(n)
			if err != nil {
				t.Fatal(err)
			}
			ds = append(ds, d)
		}
		return ds
	}
	sites := []registry.Site{
		{Name: "示例", ICPNumber: "京ICP备2021000001号-1", Domains: domain("example.cn", "中文.中国")},
		{Name: "其他", ICPNumber: "京ICP备2021000002号-1", Domains: domain("other.cn")},
	}
	if _, err := st.UpsertSites(context.Background(), sites); err != nil {
		t.Fatal(err)
	}
}

// seedCases opens three cases with fixed times through the registry, as
// the daemon and an operator would have: a regulator-ordered takedown,
// verified, overdue, escalated and blocked; a rectification across
// National Day, notified and extended; a suspected takedown from the
// lexicon scan.
func seedCases(t *testing.T, dsn string) {
	t.Helper()
	ctx := context.Background()
	st := registrytest.Open(t, dsn, testKeys(t, dsn))
	seedCaseSites(t, st)
	at := func(mo, d, h, mi int) time.Time { return time.Date(2026, time.Month(mo), d, h, mi, 0, 0, checker.CST) }
	must := func(c cases.Case, err error) cases.Case {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	move := func(id int64, u cases.Update) {
		t.Helper()
		must(st.TransitionCase(ctx, id, u))
	}

	td := must(st.OpenCase(ctx, cases.Case{Kind: cases.Takedown, Domain: "example.cn",
		URLs:     []string{"https://www.example.cn/casino", "https://中文.中国/play"},
		Category: cases.Gambling, EvidencePhrases: []string{"澳门赌场"}, EvidenceSHA256: []string{strings.Repeat("0f", 32)},
		Reporter: "网安", RegulatorOrdered: true, Notes: "notice 2026-117", State: cases.Open,
		CreatedAt: at(11, 27, 12, 0), Deadline: at(11, 28, 12, 0)}, "cli:zhang"))
	move(td.ID, cases.Update{To: cases.Notified, At: at(11, 27, 12, 5), Actor: "serve:r1", Reason: "notice delivered"})
	verifications := []cases.Verification{
		{URL: td.URLs[0], CheckedAt: at(11, 27, 12, 20), Status: 200, BodySHA256: strings.Repeat("0f", 32),
			Matched: []string{"澳门赌场"}, HashMatched: true, Outcome: cases.Present},
		{URL: td.URLs[0], CheckedAt: at(11, 28, 12, 10), Status: 200, BodySHA256: strings.Repeat("0e", 32),
			Matched: []string{"澳门赌场"}, Outcome: cases.Present},
		{URL: td.URLs[1], CheckedAt: at(11, 28, 12, 10), Error: "dial tcp: connection refused", Outcome: cases.Unreachable},
	}
	if err := st.SaveVerification(ctx, "", td.ID, time.Time{}, verifications...); err != nil {
		t.Fatal(err)
	}
	move(td.ID, cases.Update{To: cases.Overdue, At: at(11, 28, 12, 0), Actor: "serve:r2", Escalate: true})
	if cs, err := st.ClaimEscalation(ctx, "r2", 1, false, at(11, 28, 12, 1)); err != nil || len(cs) != 1 {
		t.Fatalf("ClaimEscalation = %v, %v", cs, err)
	}
	if err := st.RecordEscalation(ctx, td.ID, "r2", cases.EscalationSent, `HTTP 202 {"ticket":"B-7"}`, at(11, 28, 12, 2)); err != nil {
		t.Fatal(err)
	}
	move(td.ID, cases.Update{To: cases.Blocked, At: at(11, 28, 12, 30), Actor: "cli:zhang", BlockLevel: cases.BlockURL, Reason: "ticket B-7 done"})

	cal := workday.Default()
	opened := at(9, 28, 10, 0)
	deadline, err := cases.WorkingDaysDeadline(cal, opened, 5)
	if err != nil {
		t.Fatal(err)
	}
	nc := cases.Case{Kind: cases.Rectification, Domain: "other.cn", Category: "PSB_MISSING",
		Codes: []string{"PSB_MISSING", "PSB_NO_ICON"}, State: cases.Open, CreatedAt: opened}
	nc.SetDeadline(deadline)
	rect := must(st.OpenCase(ctx, nc, "serve:r1"))
	move(rect.ID, cases.Update{To: cases.Notified, At: at(9, 28, 10, 1), Actor: "serve:r1", Reason: "notice delivered"})
	move(rect.ID, cases.Update{To: cases.Extended, At: at(10, 9, 15, 0), Actor: "cli:li", Reason: "customer asked",
		ExtendDays: 7, Calendar: cal})

	must(st.OpenCase(ctx, cases.Case{Kind: cases.Takedown, Domain: "other.cn", URLs: []string{"http://other.cn/=HYPERLINK(1)"},
		Category: cases.Fraud, EvidencePhrases: []string{"刷单返利"}, Reporter: "+86 complaint line", State: cases.Suspected,
		CreatedAt: at(11, 27, 3, 0)}, "lexicon"))
}

// golden compares got with testdata/case/name, or rewrites it with
// -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", "case", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s (-update rewrites it):\n--- got\n%s--- want\n%s", path, got, want)
	}
}

// TestCaseGolden: list and show, in every format, are the same on SQLite
// and PostgreSQL.
func TestCaseGolden(t *testing.T) {
	forEachDB(t, func(t *testing.T, dsn string) {
		seedCases(t, dsn)
		for _, tt := range []struct {
			golden string
			args   []string
		}{
			{"list.txt", []string{"case", "list"}},
			{"list_active.txt", []string{"case", "list", "--active", "--kind", "takedown"}},
			{"list.csv", []string{"case", "list", "--format", "csv"}},
			{"list.jsonl", []string{"case", "list", "--format", "json", "--domain", "中文.中国"}},
			{"show_takedown.txt", []string{"case", "show", "1"}},
			{"show_rectification.txt", []string{"case", "show", "2"}},
			{"show_suspected.txt", []string{"case", "show", "#3"}},
			{"show_takedown.json", []string{"case", "show", "--json", "1"}},
		} {
			r := runInProcess(t, append(tt.args, "--db", dsn)...)
			if r.code != exitOK {
				t.Errorf("%q = %d, stderr %q", tt.args, r.code, r.stderr)
				continue
			}
			if strings.HasSuffix(t.Name(), "/postgres") && *update {
				continue // the SQLite run wrote them; PostgreSQL must match
			}
			golden(t, tt.golden, r.stdout)
		}
	})
}

// TestCaseCommands runs an operator's session on one registry: each step
// sees what the steps before it did.
func TestCaseCommands(t *testing.T) {
	forEachDB(t, func(t *testing.T, dsn string) {
		seedCaseSites(t, registrytest.Open(t, dsn, testKeys(t, dsn)))
		steps := []struct {
			args       []string
			wantCode   int
			wantStdout string
			wantStderr string
		}{
			{args: []string{"case", "open", "--kind", "takedown", "--domain", "EXAMPLE.cn", "--url", "https://www.example.cn/x",
				"--url", "https://xn--fiq228c.xn--fiqs8s/y", "--category", "gambling", "--evidence", "澳门赌场", "--deadline", "2h"},
				wantStdout: "opened case 1: takedown gambling for example.cn, open, deadline "},
			{args: []string{"case", "open", "--kind", "takedown", "--domain", "example.cn", "--url", "https://example.cn/x",
				"--category", "spam", "--evidence", "x"},
				wantCode: exitTrouble, wantStderr: `beianwatch: unknown takedown category "spam": want one of gambling, pornography, fraud, illegal_trade, copyright, other`},
			{args: []string{"case", "open", "--kind", "takedown", "--domain", "example.cn", "--url", "https://other.cn/x",
				"--category", "fraud", "--evidence", "x"},
				wantCode: exitTrouble, wantStderr: "beianwatch: case: URL https://other.cn/x is not on a domain of site 1 (example.cn, xn--fiq228c.xn--fiqs8s)"},
			{args: []string{"case", "open", "--kind", "takedown", "--domain", "nowhere.cn", "--url", "https://nowhere.cn/x",
				"--category", "fraud", "--evidence", "x"},
				wantCode: exitTrouble, wantStderr: "beianwatch: case: domain nowhere.cn is not in the registry"},
			{args: []string{"case", "open", "--kind", "takedown", "--domain", "example.cn", "--url", "https://example.cn/x", "--category", "fraud"},
				wantCode: exitTrouble, wantStderr: "case: a takedown needs evidence"},
			{args: []string{"case", "open", "--kind", "complaint", "--domain", "example.cn"},
				wantCode: exitTrouble, wantStderr: `unknown case kind "complaint"`},
			{args: []string{"case", "open", "--kind", "rectification", "--domain", "other.cn", "--code", "PSB_BADGE_MISSING"},
				wantCode: exitTrouble, wantStderr: `unknown rectification code "PSB_BADGE_MISSING"`},
			{args: []string{"case", "open", "--kind", "rectification", "--domain", "other.cn", "--code", "PSB_MISSING", "--deadline", "soon"},
				wantCode: exitTrouble, wantStderr: `invalid --deadline "soon"`},
			{args: []string{"case", "open", "--kind", "rectification", "--domain", "other.cn", "--code", "PSB_MISSING", "--rectification-days", "3"},
				wantStdout: "opened case 2: rectification PSB_MISSING for other.cn, open, deadline "},
			{args: []string{"case", "notify", "1"},
				wantStdout: "case 1: open → notified (notice NOT delivered by beianwatch: no notice delivery is configured)\n"},
			{args: []string{"case", "notify", "1"}, wantCode: exitTrouble, wantStderr: "beianwatch: case 1: cannot move from notified to notified\n"},
			{args: []string{"case", "extend", "1"}, wantCode: exitTrouble, wantStderr: "beianwatch: case 1: cannot move from notified to extended\n"},
			{args: []string{"case", "notify", "2"}, wantStdout: "case 2: open → notified"},
			{args: []string{"case", "extend", "2", "--days", "3", "--reason", "customer asked"}, wantStdout: "case 2: notified → extended, deadline "},
			{args: []string{"case", "extend", "2"}, wantCode: exitTrouble,
				wantStderr: "beianwatch: case 2: cannot move from extended to extended: the one extension was already used\n"},
			{args: []string{"case", "dismiss", "1"}, wantCode: exitTrouble, wantStderr: `required flag(s) "reason" not set`},
			{args: []string{"case", "close", "1"}, wantCode: exitTrouble, wantStderr: "beianwatch: case 1: cannot move from notified to closed\n"},
			{args: []string{"case", "block", "1", "--level", "site"}, wantCode: exitTrouble, wantStderr: `unknown block level "site"`},
			{args: []string{"case", "block", "1", "--level", "domain"}, wantStdout: "case 1: notified → blocked (at domain level)\n"},
			{args: []string{"case", "close", "1"}, wantCode: exitTrouble,
				wantStderr: "beianwatch: case 1: cannot move from blocked to closed: a reason is required\n"},
			{args: []string{"case", "close", "1", "--reason", "customer left", "--actor", "serve:r1"}, wantCode: exitTrouble,
				wantStderr: "beianwatch: case 1: cannot move from blocked to closed: only a person may make this move (actor serve:r1)\n"},
			{args: []string{"case", "close", "1", "--reason", "customer left"}, wantStdout: "case 1: blocked → closed\n"},
			{args: []string{"case", "notify", "1"}, wantCode: exitTrouble, wantStderr: "beianwatch: case 1: cannot move from closed to notified\n"},
			{args: []string{"case", "confirm", "2"}, wantCode: exitTrouble,
				wantStderr: "beianwatch: case 2 is extended with escalation none: nothing to confirm\n"},
			{args: []string{"case", "open", "--kind", "takedown", "--domain", "other.cn", "--url", "https://other.cn/x", "--category", "fraud",
				"--evidence", "刷单", "--suspected", "--regulator"}, wantStdout: "opened case 3: takedown fraud for other.cn, suspected, deadline -\n"},
			{args: []string{"case", "dismiss", "3", "--reason", "x"}, wantCode: exitTrouble,
				wantStderr: "beianwatch: case 3: cannot move from suspected to dismissed: the case was ordered by a regulator\n"},
			{args: []string{"case", "confirm", "3", "--takedown-deadline", "6h"}, wantStdout: "case 3: suspected → open, deadline "},
			{args: []string{"case", "show", "99"}, wantCode: exitFail, wantStderr: "beianwatch: no case 99\n"},
			{args: []string{"case", "show", "abc"}, wantCode: exitTrouble, wantStderr: `invalid case ID "abc"`},
			{args: []string{"case", "list", "--state", "lost"}, wantCode: exitTrouble, wantStderr: `unknown case state "lost"`},
			{args: []string{"case", "list", "--format", "xml"}, wantCode: exitTrouble, wantStderr: `invalid --format "xml": want one of table, json, jsonl, csv, yaml`},
			{args: []string{"case", "list", "--state", "closed"}, wantStdout: "1       closed     takedown       gambling"},
			// Past the holiday calendar: opened all the same, provisional.
			{args: []string{"case", "open", "--kind", "rectification", "--domain", "other.cn", "--code", "PSB_MISSING", "--deadline", "2000wd"},
				wantStdout: "holiday calendar are not loaded)\n"},
			{args: []string{"case", "list", "--state", "open"}, wantStdout: " CST (provisional)   other.cn\n"},
			{args: []string{"case", "list", "--state", "open", "--format", "json"}, wantStdout: `"deadline_provisional":true,"deadline_provisional_years":[`},
			{args: []string{"case", "show", "4"}, wantStdout: "holiday calendar are not loaded) (extensions used: 0)\n"},
		}
		for _, s := range steps {
			r := runInProcess(t, append(s.args, "--db", dsn, "--actor", actorFor(s.args))...)
			if r.code != s.wantCode || !strings.Contains(r.stdout, s.wantStdout) || !strings.Contains(r.stderr, s.wantStderr) {
				t.Errorf("%q = %d\nstdout %q\nstderr %q\nwant %d, stdout with %q, stderr with %q",
					s.args, r.code, r.stdout, r.stderr, s.wantCode, s.wantStdout, s.wantStderr)
			}
		}
		r := runInProcess(t, "case", "show", "1", "--db", dsn)
		for _, want := range []string{
			"open      → notified   cli:tester  notice NOT delivered by beianwatch: no notice delivery is configured",
			"notified  → blocked    cli:tester",
			"blocked   → closed     cli:tester  customer left",
			"Blocked        ", " at domain level",
		} {
			if !strings.Contains(r.stdout, want) {
				t.Errorf("case show 1 lacks %q:\n%s", want, r.stdout)
			}
		}
	})
}

// actorFor is the --actor of a step: a person, unless the step says.
func actorFor(args []string) string {
	for i, a := range args {
		if a == "--actor" {
			return args[i+1]
		}
	}
	return "cli:tester"
}

func TestCaseDeadlineFlag(t *testing.T) {
	start := time.Date(2026, 9, 28, 10, 0, 0, 0, checker.CST) // Monday before National Day
	o := &caseOptions{takedownDeadline: 24 * time.Hour, rectificationDays: 5, extensionDays: 7}
	tests := []struct {
		kind        cases.Kind
		flag        string
		want        time.Time
		wantErr     string
		provisional []int
	}{
		{cases.Takedown, "", start.Add(24 * time.Hour), "", nil},
		{cases.Takedown, "90m", start.Add(90 * time.Minute), "", nil},
		{cases.Rectification, "", time.Date(2026, 10, 11, 0, 0, 0, 0, checker.CST), "", nil}, // 29, 30; 8, 9, 10 (make-up)
		{cases.Takedown, "3wd", time.Date(2026, 10, 9, 0, 0, 0, 0, checker.CST), "", nil},
		{cases.Rectification, "2026-10-31", time.Date(2026, 11, 1, 0, 0, 0, 0, checker.CST), "", nil},
		{cases.Takedown, "-1h", time.Time{}, `invalid --deadline "-1h": must be positive`, nil},
		{cases.Takedown, "0wd", time.Time{}, `invalid --deadline "0wd"`, nil},
		{cases.Takedown, "2026-09-01", time.Time{}, `invalid --deadline "2026-09-01"`, nil},
		// Past the calendar's last year (2027): counted on weekdays, provisional.
		{cases.Rectification, "600wd", time.Date(2029, 2, 8, 0, 0, 0, 0, checker.CST), "", []int{2028, 2029}},
	}
	for _, tt := range tests {
		got, err := o.deadline(tt.kind, tt.flag, start)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("deadline(%s, %q) = %v, %v; want error %q", tt.kind, tt.flag, got, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !got.At.Equal(tt.want) || !slices.Equal(got.Provisional, tt.provisional) {
			t.Errorf("deadline(%s, %q) = %v %v, %v; want %v %v", tt.kind, tt.flag, got.At, got.Provisional, err, tt.want, tt.provisional)
		}
	}
}
