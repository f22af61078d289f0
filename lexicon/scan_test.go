package lexicon

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestScan(t *testing.T) {
	l := mustLoad(t, `# overlapping, prefixes, width and case
gambling	赌博
gambling	博彩
gambling	博彩网
gambling	博彩网站
other	bet365
other	VIP会员
fraud	刷单
fraud	a
illegal_trade	枪
# longer than one step of the index (six bytes), sharing steps
gambling	澳门赌场平台
gambling	澳门赌场平台下载
gambling	门赌场平台下
other	bcdefghijklm
other	bcdefghijklmn
`)
	tests := []struct {
		name string
		text string
		want []Match
	}{
		{"none", "今天天气很好。", nil},
		{"empty text", "", nil},
		{"overlapping phrases", "赌博彩票", []Match{{"赌博", Gambling, 1}, {"博彩", Gambling, 1}}},
		{"prefix of another: all found", "最新博彩网站大全", []Match{{"博彩", Gambling, 1}, {"博彩网", Gambling, 1}, {"博彩网站", Gambling, 1}}},
		{"at start and end", "刷单赚钱，快来刷单", []Match{{"刷单", Fraud, 2}}},
		{"whole text is the phrase", "赌博", []Match{{"赌博", Gambling, 1}}},
		{"full-width ASCII", "注册ＢＥＴ３６５送彩金", []Match{{"bet365", Other, 1}}},
		{"upper case text", "BET365 首页", []Match{{"bet365", Other, 1}}},
		{"phrase with upper case matches lower", "开通vip会员", []Match{{"VIP会员", Other, 1}}},
		{"full-width phrase letters", "ＶＩＰ会员", []Match{{"VIP会员", Other, 1}}},
		{"single ASCII letter, overlapping", "aaa", []Match{{"a", Fraud, 3}}},
		{"single CJK character", "出售枪支", []Match{{"枪", IllegalTrade, 1}}},
		// 博 is E5 8D 9A; a continuation byte run must not start a match.
		{"no match across a multi-byte boundary", "\xe5\x8d\x9a", nil},
		{"no partial match", "赌", nil},
		{"order is the lexicon's, not the text's", "博彩 赌博", []Match{{"赌博", Gambling, 1}, {"博彩", Gambling, 1}}},
		{"phrases of several steps, nested and overlapping", "澳门赌场平台下载吧", []Match{
			{"澳门赌场平台", Gambling, 1}, {"澳门赌场平台下载", Gambling, 1}, {"门赌场平台下", Gambling, 1}}},
		{"a step matched, the next not", "澳门赌场平台上", []Match{{"澳门赌场平台", Gambling, 1}}},
		{"the text ends inside a step", "澳门赌场平台下", []Match{{"澳门赌场平台", Gambling, 1}, {"门赌场平台下", Gambling, 1}}},
		{"ASCII across steps", "xBCDEFGHIJKLMNx bcdefghijkl", []Match{{"bcdefghijklm", Other, 1}, {"bcdefghijklmn", Other, 1}}},
		{"non-normal text elsewhere still matches", "ﬁ 赌博 ①", []Match{{"赌博", Gambling, 1}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := l.Scan(tt.text)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Scan(%q) mismatch (-want +got):\n%s", tt.text, diff)
			}
		})
	}
}

func TestFold(t *testing.T) {
	f := newFolder()
	tests := []struct{ in, want string }{
		{"澳门赌场", "澳门赌场"},
		{"ＡＢＣ１２３", "abc123"},
		{"ABC", "abc"},
		{"Ａ\u3000Ｂ", "a b"},
		{"㈱", "(株)"},
		{"ﬁ", "fi"},
		{"é", "é"},   // decomposed e + U+0301 composes
		{"Ⅻ", "xii"}, // Roman numeral twelve
		{"，。！？", ",。!?"},
		{"\xff", "\ufffd"},
	}
	for _, tt := range tests {
		if got := f.fold(tt.in); got != tt.want {
			t.Errorf("fold(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if got := slowFold(tt.in); got != tt.want {
			t.Errorf("slowFold(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
