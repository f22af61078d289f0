package checker

import (
	"bytes"
	"encoding/json"
	"flag"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite the golden reports in testdata/pages")

// caseMeta is a corpus page's sidecar: how it was fetched, what the
// registry expects, and what the check must find.
type caseMeta struct {
	Target      string   `json:"target"`
	URL         string   `json:"url"`
	Status      int      `json:"status"`
	ContentType string   `json:"content_type"`
	FetchedAt   string   `json:"fetched_at"`
	Redirects   []string `json:"redirects"`
	HTTPSError  string   `json:"https_error"`
	Addrs       []string `json:"addrs"`
	Expect      struct {
		ICP              string   `json:"icp"`
		PSB              string   `json:"psb"`
		Registered       bool     `json:"registered"`
		ICPApproved      string   `json:"icp_approved"`
		Launched         string   `json:"launched"`
		PSBFiled         string   `json:"psb_filed"`
		PSBApproved      string   `json:"psb_approved"`
		BadgeFirstSeen   string   `json:"badge_first_seen"`
		BadgeLastMissing string   `json:"badge_last_missing"`
		FiledIPs         []string `json:"filed_ips"`
		ProviderRanges   []string `json:"provider_ranges"`
	} `json:"expect"`
	WantVerdict string   `json:"want_verdict"`
	WantCodes   []string `json:"want_codes"`
	WantICP     []string `json:"want_icp"`
	WantPSB     []string `json:"want_psb"`
	Twin        string   `json:"twin"`
	Note        string   `json:"note"`
}

// corpusCase is one page of testdata/pages.
type corpusCase struct {
	name string
	meta caseMeta
	page Page
	want Expect
}

func loadCorpus(tb testing.TB) []corpusCase {
	tb.Helper()
	metas, err := filepath.Glob(filepath.Join("testdata", "pages", "*.json"))
	if err != nil {
		tb.Fatal(err)
	}
	var cases []corpusCase
	for _, m := range metas {
		if strings.HasSuffix(m, ".golden.json") {
			continue
		}
		name := strings.TrimSuffix(filepath.Base(m), ".json")
		cases = append(cases, loadCase(tb, name))
	}
	return cases
}

func loadCase(tb testing.TB, name string) corpusCase {
	tb.Helper()
	dir := filepath.Join("testdata", "pages")
	raw, err := os.ReadFile(filepath.Join(dir, name+".json"))
	if err != nil {
		tb.Fatal(err)
	}
	c := corpusCase{name: name}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c.meta); err != nil {
		tb.Fatalf("%s.json: %v", name, err)
	}
	body, err := os.ReadFile(filepath.Join(dir, name+".html"))
	if err != nil {
		tb.Fatal(err)
	}
	m := c.meta
	c.page = Page{Target: m.Target, Status: m.Status, Body: body, HTTPSError: m.HTTPSError,
		Header: http.Header{}, FetchedAt: time.Date(2026, 11, 27, 4, 0, 0, 0, time.UTC)}
	if c.page.Target == "" {
		c.page.Target = "example.cn"
	}
	if m.URL == "" {
		m.URL = "https://" + c.page.Target + "/"
	}
	c.page.URL = mustURL(tb, m.URL)
	for _, r := range m.Redirects {
		c.page.Redirects = append(c.page.Redirects, mustURL(tb, r))
	}
	if m.ContentType != "" {
		c.page.Header.Set("Content-Type", m.ContentType)
	}
	if m.FetchedAt != "" {
		if c.page.FetchedAt, err = time.Parse(time.RFC3339, m.FetchedAt); err != nil {
			tb.Fatalf("%s.json: fetched_at: %v", name, err)
		}
	}
	for _, a := range m.Addrs {
		c.page.Addrs = append(c.page.Addrs, netip.MustParseAddr(a))
	}
	e := m.Expect
	c.want = Expect{ICP: e.ICP, PSB: e.PSB, Registered: e.Registered}
	for _, a := range e.FiledIPs {
		c.want.FiledIPs = append(c.want.FiledIPs, netip.MustParseAddr(a))
	}
	for _, p := range e.ProviderRanges {
		c.want.ProviderRanges = append(c.want.ProviderRanges, netip.MustParsePrefix(p))
	}
	for _, d := range []struct {
		s   string
		dst *Date
	}{{e.ICPApproved, &c.want.ICPApproved}, {e.Launched, &c.want.Launched}, {e.PSBFiled, &c.want.PSBFiled}, {e.PSBApproved, &c.want.PSBApproved}} {
		if *d.dst, err = ParseDate(d.s); err != nil {
			tb.Fatalf("%s.json: %v", name, err)
		}
	}
	for _, t := range []struct {
		s   string
		dst *time.Time
	}{{e.BadgeFirstSeen, &c.want.BadgeFirstSeen}, {e.BadgeLastMissing, &c.want.BadgeLastMissing}} {
		if t.s == "" {
			continue
		}
		if *t.dst, err = time.Parse(time.RFC3339, t.s); err != nil {
			if *t.dst, err = time.ParseInLocation(time.DateOnly, t.s, CST); err != nil {
				tb.Fatalf("%s.json: %v", name, err)
			}
		}
	}
	return c
}

func mustURL(tb testing.TB, s string) *url.URL {
	u, err := url.Parse(s)
	if err != nil {
		tb.Fatal(err)
	}
	return u
}

// TestCorpus checks every page of testdata/pages: the verdict, the set of
// finding codes and the numbers its sidecar names, then the whole report
// against its golden file.
func TestCorpus(t *testing.T) {
	cases := loadCorpus(t)
	if len(cases) < 60 {
		t.Errorf("corpus has %d pages, want at least 60", len(cases))
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			r := Check(c.page, c.want)
			if string(r.Verdict) != c.meta.WantVerdict {
				t.Errorf("verdict = %s, want %s (%s)", r.Verdict, c.meta.WantVerdict, r.Error)
			}
			if got, want := codeSet(r), sortedSet(c.meta.WantCodes); !slices.Equal(got, want) {
				t.Errorf("codes = %v, want %v", got, want)
			}
			if got := icpNumbers(r); !slices.Equal(got, c.meta.WantICP) {
				t.Errorf("icp = %q, want %q", got, c.meta.WantICP)
			}
			if got := psbNumbers(r); !slices.Equal(got, c.meta.WantPSB) {
				t.Errorf("psb = %q, want %q", got, c.meta.WantPSB)
			}
			for _, f := range r.Findings {
				if strings.Contains(f.Message+f.MessageZH, "%!") {
					t.Errorf("finding %s has a broken message: %s / %s", f.Code, f.Message, f.MessageZH)
				}
				if len(f.Evidence) > maxEvidence {
					t.Errorf("finding %s evidence is %d bytes, want at most %d", f.Code, len(f.Evidence), maxEvidence)
				}
			}
			golden(t, filepath.Join("testdata", "pages", c.name+".golden.json"), r)
		})
	}
}

// TestCorpusTwins checks that pages in GBK, GB18030, Big5 … read exactly
// like their UTF-8 twins: the same report but for the encoding (and its
// own findings).
func TestCorpusTwins(t *testing.T) {
	byName := map[string]corpusCase{}
	cases := loadCorpus(t)
	for _, c := range cases {
		byName[c.name] = c
	}
	twins := 0
	for _, c := range cases {
		if c.meta.Twin == "" {
			continue
		}
		twins++
		orig, ok := byName[c.meta.Twin]
		if !ok {
			t.Errorf("%s: twin %s not in the corpus", c.name, c.meta.Twin)
			continue
		}
		got, want := Check(c.page, c.want), Check(orig.page, orig.want)
		// A page whose declaration garbles its badge for visitors reads
		// the same, but fails: its verdict is its own.
		ignore := map[string]bool{"Encoding": true, "Verdict": got.Has(CodeEncodingGarbles)}
		opts := cmp.Options{
			cmp.FilterPath(func(p cmp.Path) bool { return ignore[p.String()] }, cmp.Ignore()),
		}
		got.Findings = withoutEncodingFindings(got.Findings)
		want.Findings = withoutEncodingFindings(want.Findings)
		if d := cmp.Diff(want, got, opts); d != "" {
			t.Errorf("%s reads differently from its twin %s (-twin +got):\n%s", c.name, orig.name, d)
		}
	}
	if twins < 6 {
		t.Errorf("corpus has %d encoding twins, want at least 6", twins)
	}
}

func withoutEncodingFindings(fs []Finding) []Finding {
	var out []Finding
	for _, f := range fs {
		if !strings.HasPrefix(f.Code, "ENCODING_") {
			out = append(out, f)
		}
	}
	return out
}

// TestCorpusCoversCodes makes sure every finding code is pinned by a page.
func TestCorpusCoversCodes(t *testing.T) {
	seen := map[string]bool{}
	for _, c := range loadCorpus(t) {
		for _, code := range c.meta.WantCodes {
			seen[code] = true
		}
	}
	for _, c := range Codes() {
		if !seen[c.Code] {
			t.Errorf("no corpus page expects %s", c.Code)
		}
	}
}

func codeSet(r Report) []string {
	var codes []string
	for _, f := range r.Findings {
		codes = append(codes, f.Code)
	}
	return sortedSet(codes)
}

func sortedSet(s []string) []string {
	out := slices.Clone(s)
	slices.Sort(out)
	return slices.Compact(out)
}

func icpNumbers(r Report) []string {
	var out []string
	for _, e := range r.ICP {
		out = append(out, e.Number)
	}
	return out
}

func psbNumbers(r Report) []string {
	var out []string
	for _, e := range r.PSB {
		out = append(out, e.Number)
	}
	return out
}

// golden compares v, as indented JSON, with a golden file, rewriting it
// under -update.
func golden(t *testing.T, path string, v any) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./checker -update to create it)", err)
	}
	if d := cmp.Diff(string(want), buf.String()); d != "" {
		t.Errorf("report differs from %s (-golden +got):\n%s", path, d)
	}
}
