// Package lexicontest makes lexicon files for tests, benchmarks and the
// load test: a provider's phrase list of any size, the same every time.
package lexicontest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
)

// vocabulary is, per category, the words such phrases are made of: roots
// name the thing, prefixes and suffixes are how spam pages dress them up.
// Some of the dressing (最新, 官方, 免费, 下载, 平台) is everyday
// vocabulary that real pages use too, as a real lexicon's is.
var vocabulary = []struct {
	category string
	roots    []string
	prefixes []string
	suffixes []string
}{
	{"gambling",
		[]string{"赌场", "博彩", "百家乐", "六合彩", "时时彩", "老虎机", "赌球", "真人荷官", "棋牌", "投注", "盘口", "捕鱼游戏", "电子游艺", "轮盘", "骰宝", "龙虎斗", "牛牛", "炸金花", "赌博", "外围", "bet365", "皇冠体育", "太阳城", "葡京"},
		[]string{"澳门", "在线", "网上", "官方", "正规", "信誉", "最新", "注册", "开户", "手机", "免费", "真钱", "线上", "亚洲", "国际", "高返水", "首存", "老牌", "十大", "靠谱"},
		[]string{"平台", "网址", "下载", "app", "官网", "开户", "注册", "送彩金", "返水", "导航", "入口", "娱乐城", "娱乐", "网站", "推荐", "排行"}},
	{"pornography",
		[]string{"成人视频", "色情", "裸聊", "约炮", "黄色网站", "激情视频", "成人电影", "一夜情", "援交", "情色", "无码", "福利视频", "成人直播", "午夜影院", "同城约"},
		[]string{"免费", "在线", "高清", "最新", "私密", "国产", "日韩", "欧美", "午夜", "深夜", "真人", "手机", "同城", "夜间", "独家"},
		[]string{"网站", "观看", "下载", "直播", "app", "平台", "资源", "视频", "福利", "群", "社区", "免费看", "入口", "合集"}},
	{"fraud",
		[]string{"刷单", "返利", "兼职", "网贷", "套现", "代办信用卡", "征信修复", "办证", "中奖", "贷款", "投资理财", "虚拟币", "杀猪盘", "高额回报", "代还", "包过"},
		[]string{"日结", "手机", "网上", "无抵押", "秒到", "高薪", "在家", "学生", "快速", "免费", "内部", "稳赚", "低息", "无需"},
		[]string{"兼职", "平台", "赚钱", "日赚", "秒批", "返利", "招聘", "加微信", "联系", "群", "项目", "渠道", "口子", "必下"}},
	{"illegal_trade",
		[]string{"代开发票", "枪支", "仿真枪", "迷药", "窃听器", "假证", "身份证", "银行卡", "手机卡", "发票", "管制刀具", "催情药", "听话水", "弹药", "气枪", "办假证"},
		[]string{"出售", "代办", "批发", "网购", "低价", "专业", "正规", "实名", "全国", "出租", "收购", "定制"},
		[]string{"出售", "货到付款", "微信", "联系方式", "批发", "代办", "价格", "购买", "哪里买", "渠道", "包邮", "加急"}},
	{"copyright",
		[]string{"盗版软件", "破解版", "激活码", "注册机", "序列号", "免费电影", "网盘资源", "盗版小说", "种子下载", "影视资源", "盗版电影"},
		[]string{"最新", "免费", "高清", "无广告", "百度", "绿色", "完美", "永久", "全网", "蓝光"},
		[]string{"下载", "在线看", "网盘", "分享", "合集", "txt", "破解", "免费", "百度云", "资源"}},
	{"other",
		[]string{"翻墙", "vpn", "代孕", "卖肾", "私家侦探", "删帖", "刷粉", "水军", "黑客", "改分", "代考", "替考", "梯子", "科学上网"},
		[]string{"专业", "免费", "稳定", "高速", "付费", "靠谱", "全国", "包过", "快速", "长期"},
		[]string{"服务", "软件", "工具", "节点", "团队", "公司", "联系", "价格", "推荐", "加速器"}},
}

// Generate returns a lexicon file of n distinct phrases (n at most about
// 250,000), deterministic in n and seed. The bare roots come first, then
// roots dressed with a prefix, a suffix or both, then with a second
// suffix (澳门赌场平台下载), each tier shuffled across the categories.
func Generate(n int, seed uint64) []byte {
	rng := rand.New(rand.NewPCG(seed, uint64(n)))
	var b bytes.Buffer
	fmt.Fprintf(&b, "# lexicontest.Generate(%d, %d)\n", n, seed)
	seen := make(map[string]bool, n)
	emit := func(category, phrase string) {
		if len(seen) < n && !seen[phrase] {
			seen[phrase] = true
			fmt.Fprintf(&b, "%s\t%s\n", category, phrase)
		}
	}
	var dressed, twice [][2]string // category, phrase
	for _, v := range vocabulary {
		for _, r := range v.roots {
			emit(v.category, r)
			for _, p := range append([]string{""}, v.prefixes...) {
				for _, s := range append([]string{""}, v.suffixes...) {
					if p+s != "" {
						dressed = append(dressed, [2]string{v.category, p + r + s})
					}
					for _, s2 := range v.suffixes {
						if s != "" && s2 != s {
							twice = append(twice, [2]string{v.category, p + r + s + s2})
						}
					}
				}
			}
		}
	}
	for _, tier := range [][][2]string{dressed, twice} {
		rng.Shuffle(len(tier), func(i, j int) { tier[i], tier[j] = tier[j], tier[i] })
		for _, cp := range tier {
			emit(cp[0], cp[1])
		}
	}
	if len(seen) < n {
		panic(fmt.Sprintf("lexicontest: Generate(%d): the vocabulary makes only %d phrases", n, len(seen)))
	}
	return b.Bytes()
}
