package console

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestHighlight(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  string
		want []srcPiece
	}{
		{"tag with attributes", `<a href="https://beian.miit.gov.cn/" target='_blank'>京ICP备1号</a>`, []srcPiece{
			{"tag", "<a href="}, {"attr", `"https://beian.miit.gov.cn/"`}, {"tag", " target="}, {"attr", "'_blank'"}, {"tag", ">"},
			{"text", "京ICP备1号"}, {"tag", "</a>"}}},
		{"handler and comment", `<img src=x onerror="alert(1)"><!-- c -->`, []srcPiece{
			{"tag", "<img src=x onerror="}, {"attr", `"alert(1)"`}, {"tag", ">"}, {"comment", "<!-- c -->"}}},
		{"unterminated tag", `<div class="a`, []srcPiece{{"text", `<div class="a`}}},
		{"text only", `a < b`, []srcPiece{{"text", "a < b"}}},
		{"empty", "", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := highlight(tc.src)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("highlight(%q) (-want +got):\n%s", tc.src, diff)
			}
		})
	}
}

// FuzzHighlight: every byte of the source is shown, in order, whatever
// the markup.
func FuzzHighlight(f *testing.F) {
	for _, s := range []string{`<a href="x">y</a>`, `<img src=x onerror=alert(1)>`, `<!--`, `<p a='b`, "\x00<"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		var b strings.Builder
		for _, p := range highlight(src) {
			b.WriteString(p.Text)
		}
		if b.String() != src {
			t.Errorf("highlight(%q) joined = %q, want the source", src, b.String())
		}
	})
}
