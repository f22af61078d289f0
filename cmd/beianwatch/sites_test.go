package main

import (
	"context"
	"encoding/json"
	"net/netip"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/registry"
	"github.com/beianwatch/beianwatch/registry/registrytest"
	"github.com/beianwatch/beianwatch/sitefile"
)

// seedSites stores three sites: 中文.中国 (a person's, failing, checked six
// times), example.cn (passing, tagged vip) and old.example.cn.
func seedSites(t *testing.T, dsn string) {
	t.Helper()
	ctx := context.Background()
	st := registrytest.Open(t, dsn, testKeys(t, dsn))
	domain := func(s string) []registry.Domain {
		d, err := registry.NormalizeDomain(s)
		if err != nil {
			t.Fatal(err)
		}
		return []registry.Domain{d}
	}
	sites := []registry.Site{{
		Name: "个人博客", ICPNumber: "京ICP备2021000001号-1", PSBNumber: "11010502000001",
		LaunchedOn: checker.Date{Year: 2026, Month: 3, Day: 1},
		Operator:   registry.Operator{Type: registry.OperatorPersonal, Name: "张三丰"},
		Contact:    registry.Contact{Name: "张三丰", Phone: "13812345678", Email: "zhangsf@example.com"},
		Domains:    domain("中文.中国"),
		IPs:        []netip.Addr{netip.MustParseAddr("203.0.113.7")},
	}, {
		Name: "示例公司", ICPNumber: "京ICP备2021000002号-1", Tags: []string{"vip"},
		Operator: registry.Operator{Type: registry.OperatorOrganization, Name: "北京示例科技有限公司"},
		Domains:  domain("example.cn"),
	}, {
		Name: "旧站", Domains: domain("old.example.cn"),
	}}
	if _, err := st.UpsertSites(ctx, sites); err != nil {
		t.Fatal(err)
	}
	check := func(domain string, at time.Time, v checker.Verdict) {
		s, _, err := st.SiteByDomain(ctx, domain)
		if err != nil {
			t.Fatal(err)
		}
		r := registry.Result{SiteID: s.ID, CheckedAt: at, Target: domain, FinalURL: "https://" + domain + "/",
			HTTPStatus: 200, Verdict: v, Duration: 1500 * time.Millisecond}
		if err := st.SaveResult(ctx, r, at.Add(time.Hour), checker.Deadlines{}, v == checker.VerdictPass); err != nil {
			t.Fatal(err)
		}
	}
	start := time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)
	// Two passes, then four failures: two history entries.
	for i := range 6 {
		v := checker.VerdictFail
		if i < 2 {
			v = checker.VerdictPass
		}
		check("中文.中国", start.Add(time.Duration(i)*time.Hour), v)
	}
	check("example.cn", start, checker.VerdictPass)
}

func TestSitesCommands(t *testing.T) {
	forEachDB(t, func(t *testing.T, dsn string) {
		seedSites(t, dsn)
		tests := []struct {
			args       []string
			wantCode   int
			want       []string // substrings of stdout
			wantNot    []string // nor of stdout and stderr
			wantStderr string
		}{{
			args: []string{"sites"},
			want: []string{"中文.中国", "example.cn", "old.example.cn", "unchecked", "fail"},
		}, {
			args:    []string{"sites", "list", "--verdict", "fail"},
			want:    []string{"1       fail       2026-11-27 14:00:00 CST  京ICP备2021000001号-1     11010502000001  中文.中国 (xn--fiq228c.xn--fiqs8s)\n"},
			wantNot: []string{"example.cn  ", "old.example.cn"},
		}, {
			args:    []string{"sites", "list", "--tag", "vip"},
			want:    []string{"example.cn"},
			wantNot: []string{"中文.中国", "old.example.cn"},
		}, {
			args: []string{"sites", "show", "XN--FIQ228C.xn--fiqs8s"},
			want: []string{"个人博客  (active)", "中文.中国 (xn--fiq228c.xn--fiqs8s)", "personal 张*", "张* 138****5678 z***@example.com", "History (latest 2 entries",
				"fail since 2026-11-27 10:00:00 CST (4 checks); last pass 2026-11-27 09:00:00 CST",
				"  2026-11-27 10:00:00 CST … 2026-11-27 13:00:00 CST  ×4     fail   200  https://中文.中国/  1.5s\n"},
			wantNot: []string{"张三丰", "13812345678", "zhangsf", "2026-11-27 08:00:00 CST  fail"},
		}, {
			args: []string{"sites", "show", "example.cn"},
			want: []string{"organization 北京示例科技有限公司", "Contact        -", "Verdict        pass", "PSB filing     -"},
		}, {
			args:       []string{"sites", "show", "nowhere.cn"},
			wantCode:   exitFail,
			wantStderr: "no site lists nowhere.cn",
		}, {
			args:       []string{"sites", "list", "--verdict", "bad"},
			wantCode:   exitTrouble,
			wantStderr: `invalid --verdict "bad"`,
		}, {
			args:       []string{"sites", "show"},
			wantCode:   exitTrouble,
			wantStderr: "accepts 1 arg",
		}, {
			args: []string{"sites", "recheck", "中文.中国", "EXAMPLE.cn"},
			want: []string{"2 sites due now\n"},
		}, {
			args: []string{"sites", "recheck", "--verdict", "unchecked"},
			want: []string{"1 sites due now\n"},
		}, {
			args: []string{"sites", "recheck", "--all"},
			want: []string{"3 sites due now\n"},
		}, {
			args:       []string{"sites", "recheck", "example.cn", "nowhere.cn"},
			wantCode:   exitFail,
			wantStderr: "nowhere.cn",
		}, {
			args:       []string{"sites", "recheck", "--all", "example.cn"},
			wantCode:   exitTrouble,
			wantStderr: "exactly one of",
		}}
		for _, tt := range tests {
			r := runInProcess(t, append(tt.args, "--db", dsn)...)
			if r.code != tt.wantCode || !strings.Contains(r.stderr, tt.wantStderr) {
				t.Errorf("%q = %d, stderr %q; want %d, stderr with %q", tt.args, r.code, r.stderr, tt.wantCode, tt.wantStderr)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.stdout, w) {
					t.Errorf("%q: stdout lacks %q:\n%s", tt.args, w, r.stdout)
				}
			}
			for _, w := range tt.wantNot {
				if strings.Contains(r.stdout+r.stderr, w) {
					t.Errorf("%q: output has %q:\n%s", tt.args, w, r.stdout)
				}
			}
		}
	})
}

func TestSitesJSON(t *testing.T) {
	forEachDB(t, func(t *testing.T, dsn string) {
		seedSites(t, dsn)
		r := runInProcess(t, "sites", "list", "--json", "--limit", "2", "--db", dsn)
		var listed []siteListJSON
		for line := range strings.Lines(r.stdout) {
			var v siteListJSON
			if err := json.Unmarshal([]byte(line), &v); err != nil {
				t.Fatalf("sites list --json line %q: %v", line, err)
			}
			listed = append(listed, v)
		}
		if r.code != exitOK || len(listed) != 2 || listed[0].Domains[0] != "中文.中国" || listed[0].Verdict != checker.VerdictFail {
			t.Errorf("sites list --json --limit 2 = %d, %+v; want 2 sites, 中文.中国 failing first", r.code, listed)
		}

		r = runInProcess(t, "sites", "show", "--json", "中文.中国", "--db", dsn)
		var shown showJSON
		if err := json.Unmarshal([]byte(r.stdout), &shown); err != nil {
			t.Fatalf("sites show --json: %v\n%s", err, r.stdout)
		}
		c := shown.Site
		if c.ContactName != "张*" || c.ContactPhone != "138****5678" || c.ContactEmail != "z***@example.com" || c.OperatorName != "张*" {
			t.Errorf("sites show --json personal data = %q %q %q %q, want masked", c.ContactName, c.ContactPhone, c.ContactEmail, c.OperatorName)
		}
		if len(shown.Results) != 2 || shown.Results[0].Count != 4 || shown.Results[1].Count != 2 ||
			!shown.Results[0].CheckedAt.After(shown.Results[1].CheckedAt) || shown.Since.Checks != 4 || shown.Since.LastPassAt == nil {
			t.Errorf("sites show --json: %+v, %+v; want 2 entries newest first, 4 failing checks then 2 passing", shown.Results, shown.Since)
		}
		if shown.State.Verdict != checker.VerdictFail || shown.State.FirstLiveAt == nil || c.DomainsASCII[0] != "xn--fiq228c.xn--fiqs8s" {
			t.Errorf("sites show --json state %+v, domains %q", shown.State, c.DomainsASCII)
		}
	})
}

func TestSitesRetire(t *testing.T) {
	forEachDB(t, func(t *testing.T, dsn string) {
		seedSites(t, dsn)
		if r := runInProcess(t, "sites", "retire", "OLD.example.cn", "--db", dsn); r.code != exitOK || !strings.Contains(r.stdout, "retired site 3 (old.example.cn)") {
			t.Errorf("sites retire = %d, %q, %q", r.code, r.stdout, r.stderr)
		}
		if r := runInProcess(t, "sites", "list", "--db", dsn); strings.Contains(r.stdout, "old.example.cn") {
			t.Errorf("sites list shows the retired site:\n%s", r.stdout)
		}
		if r := runInProcess(t, "sites", "list", "--all", "--db", dsn); !strings.Contains(r.stdout, "3       retired    -                        -                         -               old.example.cn\n") {
			t.Errorf("sites list --all does not show the site retired:\n%s", r.stdout)
		}
		if r := runInProcess(t, "sites", "retire", "nowhere.cn", "--db", dsn); r.code != exitFail {
			t.Errorf("sites retire nowhere.cn = %d, want %d", r.code, exitFail)
		}
	})
}

func TestMask(t *testing.T) {
	tests := []struct {
		fn       func(string) string
		in, want string
	}{
		{sitefile.MaskName, "张三", "张*"},
		{sitefile.MaskName, "欧阳娜娜", "欧*"},
		{sitefile.MaskName, "John Smith", "J***"},
		{sitefile.MaskName, "", ""},
		{sitefile.MaskPhone, "13812345678", "138****5678"},
		{sitefile.MaskPhone, "010-12345678", "010-****5678"},
		{sitefile.MaskPhone, "1234567", "*******"},
		{sitefile.MaskEmail, "zhang@example.com", "z***@example.com"},
		{sitefile.MaskEmail, "not-an-email", "n***"},
	}
	for _, tt := range tests {
		if got := tt.fn(tt.in); got != tt.want {
			t.Errorf("mask(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// TestEmptyListsSaySo: an empty table says on stderr why it is empty, and
// what to do; stdout stays the header alone, and JSON an empty array.
func TestEmptyListsSaySo(t *testing.T) {
	t.Setenv("BEIANWATCH_DB", "sqlite://"+filepath.Join(t.TempDir(), "empty.db"))
	if r := runInProcess(t, "migrate"); r.code != exitOK {
		t.Fatalf("migrate: %d %s", r.code, r.stderr)
	}
	for _, tt := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"sites", "list"}, "the registry has no active sites: 'beianwatch import FILE' adds them"},
		{[]string{"sites", "list", "--all"}, "the registry has no sites"},
		{[]string{"sites", "list", "--verdict", "fail"}, "no site matches"},
		{[]string{"case", "list"}, "no cases yet"},
		{[]string{"case", "list", "--active"}, "no case matches"},
	} {
		r := runInProcess(t, tt.args...)
		if r.code != exitOK || !strings.Contains(r.stderr, tt.stderr) || strings.Count(r.stdout, "\n") != 1 {
			t.Errorf("%q = %d\nstdout: %s\nstderr: %s\nwant 0, the header alone, and %q", tt.args, r.code, r.stdout, r.stderr, tt.stderr)
		}
	}
	if r := runInProcess(t, "sites", "list", "-o", "json"); r.code != exitOK || strings.TrimSpace(r.stdout) != "[]" || r.stderr != "" {
		t.Errorf("sites list -o json = %d %q %q; want [] and nothing on stderr", r.code, r.stdout, r.stderr)
	}
}
