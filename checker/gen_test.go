package checker

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
)

// generateCorpus rewrites the generated part of the test corpus: encoding
// variants of a few UTF-8 pages and the benchmark pages. The outputs are
// committed; rerun after changing a source page or this file:
//
//	go test ./checker -run TestGenerateCorpus -generate
var generateCorpus = flag.Bool("generate", false, "rewrite the generated encoding variants in testdata/pages and the pages in testdata/bench")

// genSources are the UTF-8 pages that get encoding variants. Each has exactly
// one UTF-8 charset <meta>, and no character outside GBK (write © as &copy;).
var genSources = []string{
	"wp-footer-basic",
	"typecho-legacy-psb",
	"jsp-gbk-table",
	"icp-fullwidth",
	"fontsize0-inline-block",
	"trad-hk-corporate",
	"trad-chinese-footer",
}

// genVariant describes one way of re-encoding and re-declaring a page.
type genVariant struct {
	suffix      string            // the case is NAME.<suffix>
	enc         encoding.Encoding // nil keeps the UTF-8 bytes
	meta        string            // charset written into the <meta>; "" removes it
	contentType string            // the HTTP Content-Type of the variant
	bom         bool              // prefix a UTF-8 byte order mark
	lateMeta    bool              // move the <meta> past the first 1,024 bytes
	optional    bool              // skip (not fail) when enc cannot encode the page
	code        string            // extra finding the variant must add, if any
	// garbles says a browser, following the declaration, shows the
	// numbers garbled: ENCODING_GARBLES_BADGE, and the verdict fails.
	garbles bool
	note    string
}

var genVariants = []genVariant{
	{suffix: "gbk", enc: simplifiedchinese.GBK, meta: "gbk", contentType: "text/html",
		note: "GBK bytes declared by <meta charset=gbk>"},
	{suffix: "gb18030", enc: simplifiedchinese.GB18030, meta: "gb18030", contentType: "text/html",
		note: "GB18030 bytes declared by <meta charset=gb18030>"},
	{suffix: "gb2312meta", enc: simplifiedchinese.GBK, meta: "gb2312", contentType: "text/html",
		note: "GBK bytes declared as gb2312 (WHATWG maps the gb2312 label to GBK); no mismatch"},
	{suffix: "big5", enc: traditionalchinese.Big5, meta: "big5", contentType: "text/html", optional: true,
		note: "Big5 bytes declared by <meta charset=big5>"},
	{suffix: "bom", bom: true, contentType: "text/html",
		note: "UTF-8 with a byte order mark and no other declaration"},
	{suffix: "headercharset", enc: simplifiedchinese.GBK, contentType: "text/html; charset=GBK",
		note: "GBK bytes, no <meta>; the charset is only in the Content-Type header"},
	{suffix: "undeclared", enc: simplifiedchinese.GBK, contentType: "text/html", code: CodeEncodingUndeclared,
		note: "GBK bytes with no declaration anywhere: sniffed as GB18030, ENCODING_UNDECLARED"},
	{suffix: "utf8declgbk", meta: "gbk", contentType: "text/html", code: CodeEncodingMismatch, garbles: true,
		note: "valid UTF-8 bytes that declare <meta charset=gbk>: read as UTF-8, ENCODING_MISMATCH; a browser follows the declaration and shows the badge garbled, ENCODING_GARBLES_BADGE (error)"},
	{suffix: "hdrutf8gbk", enc: simplifiedchinese.GBK, meta: "gbk", contentType: "text/html; charset=utf-8", code: CodeEncodingMismatch, garbles: true,
		note: "GBK bytes with <meta charset=gbk> served with Content-Type charset=utf-8 (a server default): the header does not fit the bytes, read as GBK, ENCODING_MISMATCH; a browser follows the header and shows the badge garbled, ENCODING_GARBLES_BADGE (error)"},
	{suffix: "latemeta", enc: simplifiedchinese.GBK, meta: "gbk", contentType: "text/html", lateMeta: true,
		note: "GBK bytes whose <meta charset=gbk> comes after a 1.5 KiB inline <style>, beyond the 1,024-byte WHATWG prescan but within the checker's 64 KiB"},
}

// genCase mirrors the testdata/pages/*.json metadata. Expect is kept as raw
// JSON so a variant copies its twin's expectation byte for byte.
type genCase struct {
	Target      string          `json:"target"`
	URL         string          `json:"url"`
	Status      int             `json:"status"`
	ContentType string          `json:"content_type"`
	FetchedAt   string          `json:"fetched_at"`
	Redirects   []string        `json:"redirects,omitempty"`
	HTTPSError  string          `json:"https_error,omitempty"`
	Expect      json.RawMessage `json:"expect,omitempty"`
	WantVerdict string          `json:"want_verdict"`
	WantCodes   []string        `json:"want_codes"`
	WantICP     []string        `json:"want_icp"`
	WantPSB     []string        `json:"want_psb"`
	Twin        string          `json:"twin,omitempty"`
	Note        string          `json:"note"`
}

func TestGenerateCorpus(t *testing.T) {
	if !*generateCorpus {
		t.Skip("generated corpus files are committed; pass -generate to rewrite them")
	}
	dir := filepath.Join("testdata", "pages")
	for _, name := range genSources {
		src, err := os.ReadFile(filepath.Join(dir, name+".html"))
		if err != nil {
			t.Fatal(err)
		}
		twin := readGenCase(t, filepath.Join(dir, name+".json"))
		for _, v := range genVariants {
			body, refs, err := genVariantBody(src, v)
			if err != nil {
				if v.optional {
					t.Logf("%s.%s: skipped: %v", name, v.suffix, err)
					continue
				}
				t.Fatalf("%s.%s: %v", name, v.suffix, err)
			}
			writeGenFile(t, filepath.Join(dir, name+"."+v.suffix+".html"), body)
			c := genVariantCase(name, twin, v)
			if refs > 0 {
				c.Note += fmt.Sprintf(" %d characters missing from Big5 (备, 号) are written as &#NNNNN; references, as a browser submits them into a Big5 form.", refs)
			}
			writeGenCase(t, filepath.Join(dir, name+"."+v.suffix+".json"), c)
		}
	}
	benchDir := filepath.Join("testdata", "bench")
	if err := os.MkdirAll(benchDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, size := range []struct {
		name  string
		bytes int
	}{{"page10k", 10 << 10}, {"page60k", 60 << 10}, {"page500k", 500 << 10}} {
		writeGenFile(t, filepath.Join(benchDir, size.name+".html"), benchPage(size.bytes))
	}
}

var (
	metaCharsetRE   = regexp.MustCompile(`(?i)<meta\s+charset=["']?utf-8["']?\s*/?>`)
	metaHTTPEquivRE = regexp.MustCompile(`(?i)<meta\s+http-equiv=["']?content-type["']?\s+content=["']text/html;\s*charset=utf-8["']\s*/?>`)
	headOpenRE      = regexp.MustCompile(`(?i)<head[^>]*>`)
)

// genVariantBody re-declares and re-encodes a UTF-8 page, then proves that
// decoding the result gives back exactly the re-declared text. It also
// returns how many runes had to be written as character references.
func genVariantBody(src []byte, v genVariant) (body []byte, refs int, err error) {
	text, err := redeclare(string(src), v.meta, v.lateMeta)
	if err != nil {
		return nil, 0, err
	}
	body = []byte(text)
	if v.enc != nil {
		// The plain encoders fail on runes the charset lacks: a variant must
		// read exactly like its twin. Only Big5 may fall back to a few
		// &#NNNNN; references (see big5Encode).
		want := text
		if v.enc == traditionalchinese.Big5 {
			body, want, err = big5Encode(text)
			refs = strings.Count(want, "&#") - strings.Count(text, "&#")
		} else {
			body, err = v.enc.NewEncoder().Bytes(body)
		}
		if err != nil {
			return nil, 0, fmt.Errorf("encode: %w", err)
		}
		back, err := v.enc.NewDecoder().Bytes(body)
		if err != nil {
			return nil, 0, fmt.Errorf("decode: %w", err)
		}
		if string(back) != want {
			return nil, 0, fmt.Errorf("round trip through %s changes the text", v.suffix)
		}
	}
	if v.bom {
		body = append([]byte("\xef\xbb\xbf"), body...)
	}
	if v.lateMeta && bytes.Index(body, []byte("<meta charset=")) < 1024 {
		return nil, 0, fmt.Errorf("late <meta> starts before byte 1024")
	}
	return body, refs, nil
}

// big5Encode encodes text as plain Big5, choosing for each rune the lowest
// two-byte code from 0xA140 up (the WHATWG "first pointer" rule). The x/text
// Big5 encoder picks HKSCS duplicates for some common characters (港 becomes
// 0xFDBB instead of 0xB4E4), which iconv and most non-browser decoders
// reject; real Big5 pages use the standard codes.
//
// Simplified characters of the filing numbers (备, 网) are not in Big5. A
// Big5 page edited in a browser gets them as numeric character references,
// which is what this does for at most maxBig5Refs runes; it returns the text
// that decoding the bytes gives (with the references), which parses to the
// same DOM text as the original.
func big5Encode(text string) (body []byte, decoded string, err error) {
	const maxBig5Refs = 12
	first := big5FirstCodes()
	var dec strings.Builder
	refs := 0
	for _, r := range text {
		if r < utf8.RuneSelf {
			body = append(body, byte(r))
			dec.WriteRune(r)
			continue
		}
		code, ok := first[r]
		if !ok {
			if refs++; refs > maxBig5Refs {
				return nil, "", fmt.Errorf("more than %d runes not in Big5 (%q)", maxBig5Refs, r)
			}
			ref := fmt.Sprintf("&#%d;", r)
			body = append(body, ref...)
			dec.WriteString(ref)
			continue
		}
		body = append(body, code[0], code[1])
		dec.WriteRune(r)
	}
	return body, dec.String(), nil
}

// big5FirstCodes maps each rune of standard Big5 to its lowest code.
func big5FirstCodes() map[rune][2]byte {
	first := map[rune][2]byte{}
	dec := traditionalchinese.Big5.NewDecoder()
	for lead := 0xA1; lead <= 0xF9; lead++ {
		for _, trail := range big5Trails() {
			pair := []byte{byte(lead), byte(trail)}
			s, err := dec.Bytes(pair)
			r := []rune(string(s))
			if err != nil || len(r) != 1 || r[0] == utf8.RuneError {
				continue
			}
			if _, ok := first[r[0]]; !ok {
				first[r[0]] = [2]byte{pair[0], pair[1]}
			}
		}
	}
	return first
}

func big5Trails() []int {
	var t []int
	for b := 0x40; b <= 0x7E; b++ {
		t = append(t, b)
	}
	for b := 0xA1; b <= 0xFE; b++ {
		t = append(t, b)
	}
	return t
}

// redeclare replaces the page's single UTF-8 charset <meta> with one
// declaring charset (or removes it when charset is ""). With late set the
// new <meta> goes after a large inline <style> at the top of <head>.
func redeclare(page, charset string, late bool) (string, error) {
	locs := append(metaCharsetRE.FindAllStringIndex(page, -1), metaHTTPEquivRE.FindAllStringIndex(page, -1)...)
	if len(locs) != 1 {
		return "", fmt.Errorf("want exactly one UTF-8 charset <meta>, found %d", len(locs))
	}
	tag := page[locs[0][0]:locs[0][1]]
	repl := ""
	if charset != "" && !late {
		repl = strings.Replace(strings.Replace(tag, "utf-8", charset, 1), "UTF-8", charset, 1)
	}
	page = page[:locs[0][0]] + repl + page[locs[0][1]:]
	if late {
		h := headOpenRE.FindStringIndex(page)
		if h == nil {
			return "", fmt.Errorf("no <head>")
		}
		insert := "\n" + lateStyle + `<meta charset="` + charset + `">`
		page = page[:h[1]] + insert + page[h[1]:]
	}
	return page, nil
}

// lateStyle is a realistic inline reset stylesheet, long enough (≈1.5 KiB)
// to push a following <meta> past the WHATWG prescan window.
var lateStyle = "<style>\n" + strings.Repeat(
	"html,body,div,span,h1,h2,h3,p,a,img,ul,li,table,tr,td,form,input{margin:0;padding:0;border:0;font-size:100%;vertical-align:baseline}\n"+
		"a{color:#333;text-decoration:none}a:hover{color:#c00;text-decoration:underline}.clearfix:after{content:\"\";display:block;clear:both}\n", 6) + "</style>\n"

func genVariantCase(name string, twin genCase, v genVariant) genCase {
	c := twin
	c.ContentType = v.contentType
	c.WantCodes = append([]string{}, twin.WantCodes...)
	if v.code != "" {
		c.WantCodes = append(c.WantCodes, v.code)
	}
	if v.garbles {
		c.WantCodes = append(c.WantCodes, CodeEncodingGarbles)
		if c.WantVerdict != "error" {
			c.WantVerdict = "fail"
		}
	}
	c.Twin = name
	c.Note = "Encoding variant of " + name + ": " + v.note + ". Must read exactly like the twin."
	return c
}

func readGenCase(t *testing.T, path string) genCase {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var c genCase
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return c
}

func writeGenCase(t *testing.T, path string, c genCase) {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false) // keep notes such as <meta charset=gbk> readable
	enc.SetIndent("", "  ")
	if err := enc.Encode(c); err != nil {
		t.Fatal(err)
	}
	writeGenFile(t, path, buf.Bytes())
}

func writeGenFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Benchmark pages: a news-portal homepage of roughly the requested size,
// with navigation, channel blocks of article links, inline styles and
// scripts (some holding filing numbers that must be ignored), a sidebar and
// the real footer with ICP and PSB badges at the very end, as on real
// portals. A fixed-seed PRNG keeps the output identical across runs.

var benchChannels = []string{"国内", "国际", "财经", "科技", "体育", "娱乐", "汽车", "房产", "教育", "健康", "文旅", "军事"}

var benchSubjects = []string{"国家统计局", "多地", "教育部", "中国气象局", "我国科研团队", "央行", "交通运输部", "文旅部",
	"工信部", "全国铁路", "各大高校", "新能源车企", "海关总署", "商务部", "国家医保局", "多家博物馆"}

var benchEvents = []string{"发布最新数据", "启动冬季供暖", "部署考试安全工作", "发布寒潮预警", "取得重大突破", "推出便民新举措",
	"调整运行图", "公布第三季度报告", "开展专项整治行动", "延长开放时间", "迎来客流高峰", "发布年度榜单"}

var benchTails = []string{"", "，专家解读", "（附图）", "：这些变化与你有关", "，多项指标创新高", "丨现场直击", "，网友热议", "——记者调查"}

func benchPage(target int) []byte {
	r := rand.New(rand.NewPCG(20261127, 44030502))
	var b strings.Builder
	b.WriteString(benchHead)
	b.WriteString(benchNav)
	id := 880000
	for block := 0; b.Len() < target-len(benchFooter)-600; block++ {
		ch := benchChannels[block%len(benchChannels)]
		fmt.Fprintf(&b, "<div class=\"channel\" id=\"ch%d\">\n<h2 class=\"ch-title\"><a href=\"/%s/\">%s</a><span class=\"more\"><a href=\"/%s/\">更多&gt;&gt;</a></span></h2>\n<ul class=\"news-list\">\n",
			block, benchSlug(block), ch, benchSlug(block))
		for i := 0; i < 12 && b.Len() < target-len(benchFooter)-600; i++ {
			id++
			title := benchSubjects[r.IntN(len(benchSubjects))] + benchEvents[r.IntN(len(benchEvents))] + benchTails[r.IntN(len(benchTails))]
			fmt.Fprintf(&b, "<li><span class=\"time\">11-%02d %02d:%02d</span><a href=\"/%s/2026-11-%02d/%d.html\" target=\"_blank\" title=\"%s\">%s</a>",
				1+r.IntN(27), r.IntN(24), r.IntN(60), benchSlug(block), 1+r.IntN(27), id, title, title)
			if r.IntN(4) == 0 {
				fmt.Fprintf(&b, "<img class=\"thumb\" src=\"//img.jinghua-online.cn/2026/11/%d_s.jpg\" alt=\"\" loading=\"lazy\">", id)
			}
			b.WriteString("</li>\n")
		}
		b.WriteString("</ul>\n</div>\n")
		if block%3 == 2 {
			fmt.Fprintf(&b, "<script>window.AD_SLOTS=window.AD_SLOTS||[];AD_SLOTS.push({id:\"slot-%d\",w:300,h:250,src:\"//ad.jinghua-online.cn/s?%d\",site:{icp:\"京ICP备2021029384号-1\",psb:\"11010502048217\"}});</script>\n", block, r.IntN(1_000_000))
		}
	}
	b.WriteString(benchFooter)
	return []byte(b.String())
}

func benchSlug(block int) string {
	slugs := []string{"china", "world", "finance", "tech", "sports", "ent", "auto", "house", "edu", "health", "travel", "mil"}
	return slugs[block%len(slugs)]
}

const benchHead = `<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta http-equiv="X-UA-Compatible" content="IE=edge">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>京华在线_新闻门户_京ICP备2021029384号-1</title>
<meta name="keywords" content="新闻,资讯,国内,国际,财经,科技,体育,娱乐">
<meta name="description" content="京华在线是综合性新闻门户网站，提供全天候新闻资讯服务。">
<link rel="stylesheet" href="//static.jinghua-online.cn/css/index.2026.11.css">
<style>
body{margin:0;font:14px/1.6 "PingFang SC","Microsoft YaHei",sans-serif;color:#222;background:#fff}
a{color:#222;text-decoration:none}a:hover{color:#c00}
.w1200{width:1200px;margin:0 auto}.topbar{background:#f5f5f5;height:32px;line-height:32px;font-size:12px}
.nav{background:#c00}.nav a{color:#fff;display:inline-block;padding:0 14px;line-height:40px;font-size:16px}
.channel{width:386px;float:left;margin:0 20px 20px 0}.channel:nth-child(3n){margin-right:0}
.ch-title{font-size:18px;border-bottom:2px solid #c00;margin:0 0 8px}.ch-title .more{float:right;font-size:12px}
.news-list{list-style:none;margin:0;padding:0}.news-list li{height:28px;overflow:hidden;white-space:nowrap;text-overflow:ellipsis}
.news-list .time{color:#999;font-size:12px;margin-right:6px}.thumb{display:none}
.footer{clear:both;border-top:1px solid #ddd;padding:20px 0;text-align:center;color:#666;font-size:12px;line-height:24px}
.footer img{vertical-align:middle}
</style>
<script>
var _hmt=_hmt||[];(function(){var hm=document.createElement("script");hm.src="https://hm.baidu.com/hm.js?3f1e8c0d9b2a7e6f4c5d8a1b2c3d4e5f";var s=document.getElementsByTagName("script")[0];s.parentNode.insertBefore(hm,s)})();
window.SITE_CONFIG={name:"京华在线",beian:{icp:"京ICP备2021029384号-1",police:"京公网安备11010502048217号",license:"京ICP证210473号"},cdn:"//static.jinghua-online.cn"};
</script>
</head>
<body>
`

const benchNav = `<div class="topbar"><div class="w1200"><span>2026年11月27日 星期五</span> <a href="/m/">手机版</a> <a href="/rss/">RSS订阅</a> <a href="/app/">客户端下载</a></div></div>
<div class="header w1200"><a class="logo" href="/"><img src="//static.jinghua-online.cn/img/logo.png" alt="京华在线" width="220" height="60"></a>
<form class="search" action="//search.jinghua-online.cn/" target="_blank"><input name="q" placeholder="搜索新闻"><button type="submit">搜索</button></form></div>
<div class="nav"><div class="w1200"><a href="/">首页</a><a href="/china/">国内</a><a href="/world/">国际</a><a href="/finance/">财经</a><a href="/tech/">科技</a><a href="/sports/">体育</a><a href="/ent/">娱乐</a><a href="/auto/">汽车</a><a href="/house/">房产</a><a href="/edu/">教育</a><a href="/health/">健康</a><a href="/travel/">文旅</a><a href="/mil/">军事</a></div></div>
<div class="w1200 main">
<div class="focus"><h1><a href="/china/2026-11-27/880000.html">国家统计局：10月份国民经济保持稳中有进发展态势</a></h1>
<p><a href="/china/2026-11-27/879998.html">全国铁路今冬明春运行图调整</a> <a href="/tech/2026-11-27/879997.html">我国成功发射新一代海洋观测卫星</a> <a href="/travel/2026-11-27/879996.html">冬季旅游产品供给持续丰富</a></p></div>
`

const benchFooter = `</div>
<div class="footer w1200">
<p><a href="/about/">关于我们</a> | <a href="/contact/">联系我们</a> | <a href="/ad/">广告服务</a> | <a href="/jobs/">招聘信息</a> | <a href="/copyright/">版权声明</a> | <a href="/sitemap/">网站地图</a></p>
<p>北京京华在线信息技术有限公司 版权所有 &copy; 2008-2026</p>
<p>增值电信业务经营许可证：京B2-20213856 &nbsp; 互联网新闻信息服务许可证：11120180008 &nbsp; 京网文〔2021〕3156-082号</p>
<p>京ICP证210473号 &nbsp; <a href="https://beian.miit.gov.cn/" target="_blank">京ICP备2021029384号-1</a> &nbsp; <a href="https://beian.mps.gov.cn/#/query/webSearch?code=11010502048217" rel="noreferrer" target="_blank"><img src="//static.jinghua-online.cn/img/备案图标.png" alt="" width="16">京公网安备11010502048217号</a></p>
<p>违法和不良信息举报电话：010-85712345 &nbsp; <a href="https://www.12377.cn/" target="_blank"><img src="//static.jinghua-online.cn/img/12377.png" alt="中国互联网举报中心"></a></p>
</div>
<script src="//static.jinghua-online.cn/js/index.2026.11.js" async></script>
</body>
</html>
`
