package cases

import (
	"slices"
	"testing"
	"time"
)

func TestJudge(t *testing.T) {
	const (
		bad   = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
		other = "0000000000000000000000000000000000000000000000000000000000000001"
	)
	phrases := []string{"澳门赌场", "Free Casino"}
	tests := []struct {
		name        string
		f           Fetch
		hashes      []string
		want        Outcome
		wantMatched []string
	}{
		{name: "phrase still there", f: Fetch{Status: 200, Text: "欢迎来到澳门赌场 首页", BodySHA256: other}, want: Present, wantMatched: []string{"澳门赌场"}},
		{name: "phrase split by spaces", f: Fetch{Status: 200, Text: "澳门 赌\n场", BodySHA256: other}, want: Present, wantMatched: []string{"澳门赌场"}},
		{name: "full-width and case", f: Fetch{Status: 200, Text: "ＦＲＥＥ casino!"}, want: Present, wantMatched: []string{"Free Casino"}},
		{name: "both phrases", f: Fetch{Status: 200, Text: "free casino 澳门赌场"}, want: Present, wantMatched: phrases},
		{name: "hash still the same", f: Fetch{Status: 200, Text: "nothing", BodySHA256: bad}, hashes: []string{bad}, want: Present},
		{name: "hash in upper case", f: Fetch{Status: 200, Text: "nothing", BodySHA256: bad}, hashes: []string{"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855"}, want: Present},
		{name: "text changed, hash differs", f: Fetch{Status: 200, Text: "内容已删除", BodySHA256: other}, hashes: []string{bad}, want: Removed},
		{name: "redirected to the home page", f: Fetch{Status: 301, Text: ""}, want: Removed},
		{name: "404", f: Fetch{Status: 404, Text: "澳门赌场 not found"}, want: Removed},
		{name: "410", f: Fetch{Status: 410}, want: Removed},
		{name: "fetch error", f: Fetch{Err: "dial tcp 127.0.0.1:1: connection refused"}, want: Unreachable},
		{name: "no status", f: Fetch{}, want: Unreachable},
		{name: "503", f: Fetch{Status: 503, Text: "maintenance"}, want: Unreachable},
		{name: "500 with the content", f: Fetch{Status: 500, Text: "澳门赌场"}, want: Unreachable},
		{name: "403 hides the page", f: Fetch{Status: 403, Text: "forbidden"}, want: Unreachable},
		{name: "429", f: Fetch{Status: 429}, want: Unreachable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.f.URL = "https://a.cn/x"
			v := Judge(tt.f, phrases, tt.hashes)
			if v.Outcome != tt.want || !slices.Equal(v.Matched, tt.wantMatched) || v.URL != tt.f.URL || v.Status != tt.f.Status {
				t.Errorf("Judge(%+v) = %+v, want %s matching %q", tt.f, v, tt.want, tt.wantMatched)
			}
			if tt.want == Unreachable && v.Error == "" && tt.f.Status == 0 {
				t.Errorf("Judge(%+v): unreachable without an error", tt.f)
			}
		})
	}
}

func TestCombine(t *testing.T) {
	t0 := cst(2026, 11, 27, 12, 0)
	c := Case{URLs: []string{"https://a.cn/1", "https://a.cn/2"}}
	v := func(u string, o Outcome, after time.Duration) Verification {
		return Verification{URL: "https://a.cn/" + u, Outcome: o, CheckedAt: t0.Add(after)}
	}
	tests := []struct {
		name string
		vs   []Verification
		want Outcome
	}{
		{"every URL removed", []Verification{v("1", Removed, 0), v("2", Removed, 0)}, Removed},
		{"one URL left", []Verification{v("1", Removed, 0), v("2", Present, 0)}, Present},
		{"one URL not verified", []Verification{v("1", Removed, 0)}, Unreachable},
		{"one URL unreachable", []Verification{v("1", Removed, 0), v("2", Unreachable, 0)}, Unreachable},
		{"present beats unreachable", []Verification{v("1", Unreachable, 0), v("2", Present, 0)}, Present},
		{"the latest counts", []Verification{v("1", Removed, 0), v("2", Present, 0), v("2", Removed, time.Minute)}, Removed},
		{"in any order", []Verification{v("2", Removed, time.Minute), v("1", Removed, 0), v("2", Present, 0)}, Removed},
		{"content back", []Verification{v("1", Removed, 0), v("2", Removed, 0), v("1", Present, time.Minute)}, Present},
		{"nothing verified", nil, Unreachable},
		{"a URL not in the case", []Verification{v("1", Removed, 0), v("3", Removed, 0)}, Unreachable},
	}
	for _, tt := range tests {
		if got := Combine(c, tt.vs); got != tt.want {
			t.Errorf("%s: Combine = %s, want %s", tt.name, got, tt.want)
		}
	}
	if got := Combine(Case{}, nil); got != Unreachable {
		t.Errorf("Combine(no URLs) = %s, want unreachable", got)
	}
}
