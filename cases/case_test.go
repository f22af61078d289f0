package cases

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestValidate(t *testing.T) {
	const h = "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"
	takedown := func(f func(c *Case)) Case {
		c := Case{Kind: Takedown, Domain: "a.cn", URLs: []string{"https://a.cn/x"}, Category: Gambling,
			EvidencePhrases: []string{"赌场"}, State: Open, Deadline: time.Unix(1e9, 0)}
		f(&c)
		return c
	}
	rect := func(f func(c *Case)) Case {
		c := Case{Kind: Rectification, Domain: "a.cn", Category: "PSB_MISSING", State: Open, Deadline: time.Unix(1e9, 0)}
		f(&c)
		return c
	}
	tests := []struct {
		name string
		c    Case
		want string // error prefix; "" for none
	}{
		{"takedown", takedown(func(c *Case) {}), ""},
		{"suspected takedown", takedown(func(c *Case) { c.State = Suspected }), ""},
		{"hash only", takedown(func(c *Case) { c.EvidencePhrases = nil; c.EvidenceSHA256 = []string{h} }), ""},
		{"unknown kind", takedown(func(c *Case) { c.Kind = "complaint" }), `unknown case kind "complaint"`},
		{"unknown category", takedown(func(c *Case) { c.Category = "spam" }),
			`unknown takedown category "spam": want one of gambling, pornography, fraud, illegal_trade, copyright, other`},
		{"no URL", takedown(func(c *Case) { c.URLs = nil }), "case: a takedown needs at least one URL"},
		{"relative URL", takedown(func(c *Case) { c.URLs = []string{"/x"} }), `case: URL "/x": want an http:// or https:// URL`},
		{"ftp URL", takedown(func(c *Case) { c.URLs = []string{"ftp://a.cn/x"} }), `case: URL "ftp://a.cn/x": want an http://`},
		{"no evidence", takedown(func(c *Case) { c.EvidencePhrases = nil }), "case: a takedown needs evidence"},
		{"blank phrase", takedown(func(c *Case) { c.EvidencePhrases = []string{" \t"} }), "case: an empty evidence phrase"},
		{"bad hash", takedown(func(c *Case) { c.EvidenceSHA256 = []string{"abc"} }), `case: evidence sha256 "abc": want 64 hex digits`},
		{"starts notified", takedown(func(c *Case) { c.State = Notified }), "case: a new case starts suspected or open, not notified"},
		{"no domain", takedown(func(c *Case) { c.Domain = "" }), "case: no domain"},
		{"no deadline", takedown(func(c *Case) { c.Deadline = time.Time{} }), "case: an open case needs a deadline"},
		{"suspected: no deadline yet", takedown(func(c *Case) { c.State = Suspected; c.Deadline = time.Time{} }), ""},
		{"rectification", rect(func(c *Case) {}), ""},
		{"rectification with codes", rect(func(c *Case) { c.Codes = []string{"PSB_NO_ICON", "PSB_MISSING"} }), ""},
		{"unknown code", rect(func(c *Case) { c.Category = "PSB_BADGE_MISSING" }), `unknown rectification code "PSB_BADGE_MISSING"`},
		{"unknown second code", rect(func(c *Case) { c.Codes = []string{"PSB_MISSING", "NOPE"} }), `unknown rectification code "NOPE"`},
		{"takedown category for a rectification", rect(func(c *Case) { c.Category = Gambling }), `unknown rectification code "gambling"`},
		{"rectification with URLs", rect(func(c *Case) { c.URLs = []string{"https://a.cn/"} }), "case: a rectification is about the site"},
		{"suspected rectification", rect(func(c *Case) { c.State = Suspected }), "case: a rectification starts open, not suspected"},
	}
	for _, tt := range tests {
		err := tt.c.Validate()
		if (tt.want == "") != (err == nil) || (err != nil && !strings.HasPrefix(err.Error(), tt.want)) {
			t.Errorf("%s: Validate = %v, want %q", tt.name, err, tt.want)
		}
	}

	c := takedown(func(c *Case) { c.EvidenceSHA256 = []string{h} })
	if err := c.Validate(); err != nil || c.EvidenceSHA256[0] != strings.ToLower(h) {
		t.Errorf("Validate kept hash %q, %v; want it lower-cased", c.EvidenceSHA256[0], err)
	}
	r := rect(func(c *Case) { c.Codes = []string{"PSB_NO_ICON", "PSB_MISSING"} })
	if err := r.Validate(); err != nil || !slices.Equal(r.Codes, []string{"PSB_MISSING", "PSB_NO_ICON"}) {
		t.Errorf("Validate codes = %q, %v; want the category first", r.Codes, err)
	}
}

func TestParse(t *testing.T) {
	for _, s := range []string{"takedown", "rectification"} {
		if k, err := ParseKind(s); err != nil || string(k) != s {
			t.Errorf("ParseKind(%q) = %q, %v", s, k, err)
		}
	}
	for _, st := range AllStates() {
		if got, err := ParseState(string(st)); err != nil || got != st {
			t.Errorf("ParseState(%q) = %q, %v", st, got, err)
		}
	}
	bad := []func() error{
		func() error { _, err := ParseKind("Takedown"); return err },
		func() error { _, err := ParseState("open "); return err },
		func() error { _, err := ParseBlockLevel("site"); return err },
	}
	for i, f := range bad {
		if f() == nil {
			t.Errorf("bad parse %d: no error", i)
		}
	}
	if l, err := ParseBlockLevel("service"); err != nil || l != BlockService {
		t.Errorf("ParseBlockLevel(service) = %q, %v", l, err)
	}
	active := 0
	for _, st := range AllStates() {
		if st.Active() {
			active++
		}
		if st.Running() && !st.Verifiable() {
			t.Errorf("state %s runs its deadline but is not verified", st)
		}
		if st.Terminal() && (st.Active() || st.Verifiable()) {
			t.Errorf("terminal state %s is active or verified", st)
		}
	}
	if active != 5 {
		t.Errorf("%d active states, want 5", active)
	}
}
