package farm

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"math/rand/v2"
	"strings"

	"golang.org/x/text/encoding/simplifiedchinese"
)

// template is the static bulk of a page (style sheet, scripts, navigation,
// article or product lists), about 57 KB, prepared once in every form a
// response needs. Only the head (site name, charset) and the footer
// (company and numbers) are made per request, so a response costs a few
// small writes rather than a 60 KB render.
type template struct {
	shop bool
	// body is indexed by encoding (0 UTF-8, 1 GBK) and compression (0
	// plain, 1 a gzip member: a gzip stream may hold several, which every
	// decoder reads as one).
	body [2][2][]byte
}

// pageSize is the target size of a UTF-8 page.
const pageSize = 60_000

// headAndFooter is about how much of a page is made per request.
const headAndFooter = 2_600

// newTemplates builds the templates: two news portals and two shops, each
// with its own colours and content.
func newTemplates(seed uint64) []*template {
	var out []*template
	for i, t := range []struct {
		shop   bool
		colour string
	}{{false, "#c00"}, {false, "#1f5fa8"}, {true, "#ff5000"}, {true, "#2a9d4b"}} {
		r := rand.New(rand.NewPCG(seed, 1<<40+uint64(i)))
		var b strings.Builder
		b.WriteString(strings.ReplaceAll(styleAndScript, "{colour}", t.colour))
		if t.shop {
			shopBody(&b, r, pageSize-headAndFooter)
		} else {
			newsBody(&b, r, pageSize-headAndFooter)
		}
		out = append(out, prepare(t.shop, b.String()))
	}
	return out
}

// prepare encodes and compresses a template's body in every form.
func prepare(shop bool, body string) *template {
	t := &template{shop: shop}
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(body)
	if err != nil {
		panic("farm: template is not GBK-encodable: " + err.Error())
	}
	for e, s := range []string{body, gbk} {
		t.body[e][0] = []byte(s)
		t.body[e][1] = gzipBytes([]byte(s), gzip.DefaultCompression)
	}
	return t
}

func gzipBytes(b []byte, level int) []byte {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, level)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// styleAndScript follows the per-site head: what a CMS theme puts there.
const styleAndScript = `<link rel="stylesheet" href="/static/css/index.2026.css">
<style>
body{margin:0;font:14px/1.6 "PingFang SC","Microsoft YaHei",sans-serif;color:#222;background:#fff}
a{color:#222;text-decoration:none}a:hover{color:{colour}}
.w1200{width:1200px;margin:0 auto}.topbar{background:#f5f5f5;height:32px;line-height:32px;font-size:12px}
.nav{background:{colour}}.nav a{color:#fff;display:inline-block;padding:0 14px;line-height:40px;font-size:16px}
.channel{width:386px;float:left;margin:0 20px 20px 0}.channel:nth-child(3n){margin-right:0}
.ch-title{font-size:18px;border-bottom:2px solid {colour};margin:0 0 8px}.ch-title .more{float:right;font-size:12px}
.news-list{list-style:none;margin:0;padding:0}.news-list li{height:28px;overflow:hidden;white-space:nowrap;text-overflow:ellipsis}
.news-list .time{color:#999;font-size:12px;margin-right:6px}.thumb{display:none}
.goods-grid{list-style:none;margin:0;padding:0;overflow:hidden}.goods{float:left;width:224px;margin:0 16px 16px 0;border:1px solid #eee}
.goods .title{height:40px;overflow:hidden;margin:6px 8px}.goods .price{color:{colour};font-size:18px;margin:0 8px}.goods .sold{color:#999;font-size:12px}
.footer{clear:both;border-top:1px solid #ddd;padding:20px 0;text-align:center;color:#666;font-size:12px;line-height:24px}
.footer img{vertical-align:middle;margin-right:4px}.footer .ga{display:inline-block}
</style>
<script>
var _hmt=_hmt||[];(function(){var hm=document.createElement("script");hm.src="https://hm.baidu.com/hm.js?3f1e8c0d9b2a7e6f4c5d8a1b2c3d4e5f";var s=document.getElementsByTagName("script")[0];s.parentNode.insertBefore(hm,s)})();
window.PAGE_CONFIG={cdn:"/static",lazy:true,ab:"v3",channels:["home","list","detail"]};
</script>
</head>
<body>
<div class="topbar"><div class="w1200"><span>2026年11月27日 星期五</span> <a href="/m/">手机版</a> <a href="/rss/">RSS订阅</a> <a href="/app/">客户端下载</a> <a href="/login/">登录</a> <a href="/register/">注册</a></div></div>
`

var (
	channels = []string{"国内", "国际", "财经", "科技", "体育", "娱乐", "汽车", "房产", "教育", "健康", "文旅", "军事"}
	slugs    = []string{"china", "world", "finance", "tech", "sports", "ent", "auto", "house", "edu", "health", "travel", "mil"}
	subjects = []string{"国家统计局", "多地", "教育部", "中国气象局", "我国科研团队", "央行", "交通运输部", "文旅部",
		"工信部", "全国铁路", "各大高校", "新能源车企", "海关总署", "商务部", "国家医保局", "多家博物馆"}
	events = []string{"发布最新数据", "启动冬季供暖", "部署考试安全工作", "发布寒潮预警", "取得重大突破", "推出便民新举措",
		"调整运行图", "公布第三季度报告", "开展专项整治行动", "延长开放时间", "迎来客流高峰", "发布年度榜单"}
	tails    = []string{"", "，专家解读", "（附图）", "：这些变化与你有关", "，多项指标创新高", "丨现场直击", "，网友热议", "——记者调查"}
	goods    = []string{"纯棉四件套", "保温杯", "无线耳机", "儿童羽绒服", "坚果礼盒", "空气炸锅", "运动跑鞋", "智能手环", "羊毛围巾", "电动牙刷", "收纳箱", "雪纺连衣裙"}
	goodsAdj = []string{"2026新款", "加厚", "官方旗舰", "限时特惠", "冬季爆款", "大容量", "轻薄", "包邮"}
	cats     = []string{"女装", "男装", "家居", "数码", "食品", "母婴", "美妆", "运动", "家电", "图书"}
)

// navBar writes the channel navigation.
func navBar(b *strings.Builder, names []string) {
	b.WriteString(`<div class="nav"><div class="w1200"><a href="/">首页</a>`)
	for i, n := range names {
		fmt.Fprintf(b, `<a href="/%s/">%s</a>`, slugs[i%len(slugs)], n)
	}
	b.WriteString("</div></div>\n<div class=\"w1200 main\">\n")
}

// newsBody writes a news portal's channels and article lists up to size.
func newsBody(b *strings.Builder, r *rand.Rand, size int) {
	navBar(b, channels)
	id := 880000 + r.IntN(10000)
	for block := 0; b.Len() < size-600; block++ {
		slug := slugs[block%len(slugs)]
		fmt.Fprintf(b, "<div class=\"channel\" id=\"ch%d\">\n<h2 class=\"ch-title\"><a href=\"/%s/\">%s</a><span class=\"more\"><a href=\"/%s/\">更多&gt;&gt;</a></span></h2>\n<ul class=\"news-list\">\n",
			block, slug, channels[block%len(channels)], slug)
		for i := 0; i < 12 && b.Len() < size-600; i++ {
			id++
			title := subjects[r.IntN(len(subjects))] + events[r.IntN(len(events))] + tails[r.IntN(len(tails))]
			fmt.Fprintf(b, "<li><span class=\"time\">11-%02d %02d:%02d</span><a href=\"/%s/2026-11-%02d/%d.html\" target=\"_blank\" title=\"%s\">%s</a>",
				1+r.IntN(27), r.IntN(24), r.IntN(60), slug, 1+r.IntN(27), id, title, title)
			if r.IntN(4) == 0 {
				fmt.Fprintf(b, "<img class=\"thumb\" src=\"/static/img/2026/11/%d_s.jpg\" alt=\"\" loading=\"lazy\">", id)
			}
			b.WriteString("</li>\n")
		}
		b.WriteString("</ul>\n</div>\n")
		if block%3 == 2 {
			fmt.Fprintf(b, "<script>window.AD_SLOTS=window.AD_SLOTS||[];AD_SLOTS.push({id:\"slot-%d\",w:300,h:250,src:\"/ad/s?%d\"});</script>\n", block, r.IntN(1_000_000))
		}
	}
}

// shopBody writes a shop's category navigation and product grids up to
// size.
func shopBody(b *strings.Builder, r *rand.Rand, size int) {
	navBar(b, cats)
	id := 6_100_000 + r.IntN(100_000)
	for block := 0; b.Len() < size-600; block++ {
		cat := cats[block%len(cats)]
		fmt.Fprintf(b, "<div class=\"floor\" id=\"f%d\">\n<h2 class=\"ch-title\">%dF %s<span class=\"more\"><a href=\"/c/%d/\">查看更多&gt;</a></span></h2>\n<ul class=\"goods-grid\">\n",
			block, block+1, cat, block)
		for i := 0; i < 10 && b.Len() < size-600; i++ {
			id++
			name := goodsAdj[r.IntN(len(goodsAdj))] + goods[r.IntN(len(goods))]
			fmt.Fprintf(b, "<li class=\"goods\"><a href=\"/item/%d.html\" target=\"_blank\"><img src=\"/static/img/goods/%d.jpg\" alt=\"%s\" width=\"220\" height=\"220\" loading=\"lazy\"><p class=\"title\">%s</p></a><p class=\"price\">￥%d.%02d</p><p class=\"sold\">已售%d件</p></li>\n",
				id, id, name, name, 9+r.IntN(990), r.IntN(100), r.IntN(20000))
		}
		b.WriteString("</ul>\n</div>\n")
		if block%2 == 1 {
			fmt.Fprintf(b, "<script>window.__floors=window.__floors||[];__floors.push({f:%d,sku:%d,exp:\"v3\"});</script>\n", block+1, id)
		}
	}
}

// head is the start of a page, up to the template: charset and names.
func (s Site) head(b *strings.Builder) {
	kind := "新闻资讯门户"
	if s.shop {
		kind = "网上商城"
	}
	fmt.Fprintf(b, `<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="%s">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>%s_首页</title>
<meta name="keywords" content="%s,%s">
<meta name="description" content="%s由%s运营，是综合性%s。">
`, s.Charset, s.Name, s.Name, kind, s.Name, s.Company, kind)
}

// footer is the end of a page: the links, the company, and the filing
// numbers as the site's defect and layout say.
func (s Site) footer(b *strings.Builder) {
	b.WriteString(`</div>
<div class="footer">
<div class="w1200">
<p class="links"><a href="/about/">关于我们</a> | <a href="/contact/">联系我们</a> | <a href="/ad/">广告服务</a> | <a href="/jobs/">诚聘英才</a> | <a href="/privacy/">隐私政策</a> | <a href="/sitemap/">网站地图</a></p>
`)
	fmt.Fprintf(b, "<p>%s 版权所有 &copy; %d-2026 %s</p>\n", s.Company, s.ICPApproved.Year, s.Name)
	s.icpLine(b)
	s.psbLine(b)
	fmt.Fprintf(b, "<p>违法和不良信息举报电话：400-%03d-%04d &nbsp; 举报邮箱：jubao@%s</p>\n", s.Index%1000, s.Index%10000, s.Host)
	b.WriteString(`</div>
</div>
<script src="/static/js/index.2026.js" async></script>
</body>
</html>
`)
}

func (s Site) icpLine(b *strings.Builder) {
	icp := s.icpShown()
	switch {
	case s.Defect == ICPMissing:
		return
	case s.Defect == ICPHidden:
		fmt.Fprintf(b, "<p class=\"beian\" style=\"display:none\"><a href=\"https://beian.miit.gov.cn/\" target=\"_blank\">%s</a></p>\n", icp)
	case s.layout == 0:
		fmt.Fprintf(b, "<p class=\"beian\"><a href=\"https://beian.miit.gov.cn/\" target=\"_blank\" rel=\"nofollow\">%s</a></p>\n", icp)
	default:
		fmt.Fprintf(b, "<p class=\"beian\"><span>ICP备案号：</span><a href=\"http://beian.miit.gov.cn\" target=\"_blank\">%s</a></p>\n", icp)
	}
}

func (s Site) psbLine(b *strings.Builder) {
	const mps = "https://beian.mps.gov.cn/#/query/webSearch?code="
	code := s.PSB
	switch s.Defect {
	case PSBMissing, Young:
		return
	case PSBNotLinked:
		fmt.Fprintf(b, "<p><span class=\"ga\"><img src=\"/static/img/gongan.png\" alt=\"\" width=\"16\" height=\"16\">%s公网安备%s号</span></p>\n", s.prov.abbr, s.PSB)
		return
	case PSBCodeMismatch:
		code = wrongPSB(s.PSB)
	}
	if s.layout == 0 {
		fmt.Fprintf(b, "<p><a href=\"%s%s\" rel=\"noreferrer\" target=\"_blank\"><img src=\"/static/img/beian.png\" alt=\"\" width=\"16\" height=\"16\">%s公网安备%s号</a></p>\n", mps, code, s.prov.abbr, s.PSB)
		return
	}
	fmt.Fprintf(b, "<div class=\"ga\"><a target=\"_blank\" href=\"%s%s\"><img src=\"/static/img/ghs.png\" style=\"float:left\"></a><a target=\"_blank\" href=\"%s%s\"><span style=\"color:#939393\">%s公网安备 %s号</span></a></div>\n", mps, code, mps, code, s.prov.abbr, s.PSB)
}
