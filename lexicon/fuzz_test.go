package lexicon

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

// FuzzLoad: no file panics the parser; whatever loads has phrases, and
// each of its phrases is found in a text made of that phrase alone.
func FuzzLoad(f *testing.F) {
	// More seeds live in testdata/fuzz/FuzzLoad.
	for _, name := range []string{"good.txt", "unknown_category.txt", "gbk.txt"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	fo := newFolder()
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := load(bytes.NewReader(b), "fuzz.txt", fo)
		if err != nil {
			return
		}
		if l.Len() == 0 {
			t.Fatal("Load succeeded with no phrases")
		}
		for _, p := range l.original {
			found := false
			for _, m := range l.Scan(p) {
				found = found || m.Phrase == p
			}
			if !found {
				t.Errorf("Scan(%q) does not find the phrase itself", p)
			}
		}
	})
}

// FuzzFold: the fast fold is exactly NFKC then lower case.
func FuzzFold(f *testing.F) {
	for _, s := range []string{"澳门赌场", "ＡＢＣ１２３", "e\u0301", "㈱ﬁ", "\xff\xfe", "가\u11a8", "Ⅻ", "a\uFFFDb", "\xed\xa0\x80", "\xe0\x80\xaf", "中\xe4\xb8"} {
		f.Add(s)
	}
	fo := newFolder()
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := fo.fold(s), slowFold(s); got != want {
			t.Errorf("fold(%q) = %q, want %q", s, got, want)
		}
	})
}

// FuzzScan compares Scan with a naive count of each phrase at every
// position of the normalised text.
func FuzzScan(f *testing.F) {
	f.Add("赌博\n博彩\nbet\n枪", "赌博彩票 BET 枪枪")
	f.Add("a\naa\naaa", "aaaa")
	f.Add("澳门赌场\n澳门赌场平台\n澳门赌场平台下载\n门赌场平\nabcdef\nabcdefg\nabcdefghijkl\nabcdefghijklm", "澳门赌场平台下载 ABCDEFGHIJKLM abcdefghijkl")
	fo := newFolder()
	f.Fuzz(func(t *testing.T, phrases, text string) {
		var lex strings.Builder
		for _, p := range strings.Split(phrases, "\n") {
			lex.WriteString("other\t" + p + "\n")
		}
		l, err := load(strings.NewReader(lex.String()), "fuzz.txt", fo)
		if err != nil {
			return
		}
		norm := l.fold.fold(text)
		want := map[string]int{}
		for id, o := range l.original {
			p := l.fold.fold(o)
			for i := 0; i < len(norm); i++ {
				if utf8.RuneStart(norm[i]) && strings.HasPrefix(norm[i:], p) {
					want[l.original[id]]++
				}
			}
		}
		got := map[string]int{}
		for _, m := range l.Scan(text) {
			got[m.Phrase] = m.Count
		}
		if len(got) != len(want) {
			t.Fatalf("Scan(%q) = %v, want %v", text, got, want)
		}
		for p, n := range want {
			if got[p] != n {
				t.Errorf("Scan(%q)[%q] = %d, want %d", text, p, got[p], n)
			}
		}
	})
}
