package lexicon

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func mustLoad(t testing.TB, text string) *Lexicon {
	t.Helper()
	l, err := Load(strings.NewReader(text), "test.txt")
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func loadFile(path string) (*Lexicon, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Load(f, path)
}

func TestLoadGood(t *testing.T) {
	l, err := loadFile(filepath.Join("testdata", "good.txt"))
	if err != nil {
		t.Fatal(err)
	}
	// The repeated 澳门赌场 and Bet365 (ＢＥＴ３６５ normalised) are kept once.
	if l.Len() != 7 {
		t.Errorf("Len() = %d, want 7", l.Len())
	}
	got := l.Scan("欢迎来到澳门赌场，注册送 bet365 彩金。成人视频、代开发票。")
	want := []Match{
		{Phrase: "澳门赌场", Category: Gambling, Count: 1},
		{Phrase: "成人视频", Category: Pornography, Count: 1},
		{Phrase: "代开发票", Category: IllegalTrade, Count: 1},
		{Phrase: "ＢＥＴ３６５", Category: Other, Count: 1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Scan mismatch (-want +got):\n%s", diff)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		file string
		want string
	}{
		{"gbk.txt", "lexicon: testdata/gbk.txt:1: not valid UTF-8 (save the file as UTF-8)"},
		{"empty.txt", "lexicon: no phrases in testdata/empty.txt"},
		{"unknown_category.txt", `lexicon: testdata/unknown_category.txt:2: unknown category "gamble" (want gambling, pornography, fraud, illegal_trade, copyright or other)`},
		{"no_tab.txt", "lexicon: testdata/no_tab.txt:1: want category<TAB>phrase"},
		{"empty_phrase.txt", "lexicon: testdata/empty_phrase.txt:1: empty phrase"},
		{"two_tabs.txt", "lexicon: testdata/two_tabs.txt:1: more than one tab: want category<TAB>phrase"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			path := filepath.Join("testdata", tt.file)
			_, err := loadFile(path)
			if err == nil || err.Error() != tt.want {
				t.Errorf("Load(%s) error = %v\nwant %s", path, err, tt.want)
			}
		})
	}
}

func TestLoadLimits(t *testing.T) {
	long := "gambling\t" + strings.Repeat("赌", maxPhraseRunes+1) + "\n"
	_, err := Load(strings.NewReader("other\tx\n"+long), "long.txt")
	if want := "lexicon: long.txt:2: phrase longer than 200 characters"; err == nil || err.Error() != want {
		t.Errorf("Load(long phrase) error = %v, want %q", err, want)
	}
	huge := "other\t" + strings.Repeat("a", 2<<20) + "\n"
	_, err = Load(strings.NewReader("other\tx\n"+huge), "huge.txt")
	if want := "lexicon: huge.txt:2: line longer than 1 MiB"; err == nil || err.Error() != want {
		t.Errorf("Load(huge line) error = %v, want %q", err, want)
	}
}

func TestParseCategory(t *testing.T) {
	for _, c := range Categories() {
		got, err := ParseCategory(string(c))
		if err != nil || got != c {
			t.Errorf("ParseCategory(%q) = %q, %v; want %q, nil", c, got, err, c)
		}
	}
	if _, err := ParseCategory("Gambling"); !errors.Is(err, ErrUnknownCategory) {
		t.Errorf("ParseCategory(%q) error = %v, want ErrUnknownCategory", "Gambling", err)
	}
}
