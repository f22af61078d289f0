package farm

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/beianwatch/beianwatch/checker"
)

// Defect is what is wrong with a site's footer, by construction.
type Defect int

// Defects. The first two are compliant; every other one fails.
const (
	Compliant Defect = iota
	// Young is a site launched ten days ago, with no PSB filing yet: not
	// due, so it passes (PSB_MISSING and PSB_FILING_DUE_SOON are info).
	Young
	ICPMissing      // no ICP number at all
	ICPHidden       // the ICP number sits in a display:none block
	ICPPlaceholder  // 京ICP备12345678号, copied from a template
	PSBNotLinked    // badge and number, but no link to the PSB query page
	PSBCodeMismatch // the PSB link carries another site's code
	PSBMissing      // no PSB number and no badge, long after the deadline
)

var defectNames = [...]string{"compliant", "young", "icp_missing", "icp_hidden", "icp_placeholder",
	"psb_not_linked", "psb_code_mismatch", "psb_missing"}

func (d Defect) String() string { return defectNames[d] }

// wantErrors are the error-severity finding codes each defect produces
// against the registry's own numbers and dates, sorted.
var wantErrors = [...][]string{
	Compliant:      nil,
	Young:          nil,
	ICPMissing:     {checker.CodeICPMissing},
	ICPHidden:      {checker.CodeICPMissing},
	ICPPlaceholder: {checker.CodeICPMismatch, checker.CodeICPPlaceholder},
	// A badge missing a part is no badge: its clock is overdue too.
	PSBNotLinked:    {checker.CodeBadgeOverdue, checker.CodePSBNotLinked},
	PSBCodeMismatch: {checker.CodeBadgeOverdue, checker.CodePSBLinkCodeMismatch},
	PSBMissing:      {checker.CodeBadgeOverdue, checker.CodePSBMissing},
}

// Redirect is how a site answers its check URL.
type Redirect int

// Redirects.
const (
	NoRedirect Redirect = iota
	ToIndex             // / answers 301 to /index.html
	ToWWW               // http://siteN.farm.test/ answers 301 to http://www.siteN.farm.test/
)

// Behavior makes a site hostile. Hostile sites are the ones listed in
// Config.Hostile, numbered after the Config.Sites normal ones.
type Behavior int

// Behaviors.
const (
	Normal       Behavior = iota
	EndlessBody           // 200, then HTML forever
	SlowDrip              // 200, then one byte a second
	RedirectLoop          // / → /loop → /
	GzipBomb              // 10 GiB of zeros, gzip-encoded on the fly (about 10 MiB on the wire)
	TLSHang               // an https:// URL whose server accepts and never answers
	ConnReset             // the connection is reset (RST) once the request is read
)

var behaviorNames = [...]string{"normal", "endless_body", "slow_drip", "redirect_loop", "gzip_bomb", "tls_hang", "conn_reset"}

func (b Behavior) String() string { return behaviorNames[b] }

// Behaviors lists every hostile behavior.
func Behaviors() []Behavior {
	return []Behavior{EndlessBody, SlowDrip, RedirectLoop, GzipBomb, TLSHang, ConnReset}
}

// wantReasons are the crawler.Reason values a hostile site must end in.
var wantReasons = [...]string{
	EndlessBody:  "too_large",
	SlowDrip:     "timeout",
	RedirectLoop: "redirect_loop",
	GzipBomb:     "too_large",
	TLSHang:      "timeout",
	ConnReset:    "connection",
}

// Site is one site of the farm, with what a correct check must conclude
// about it. Everything is derived from the farm's seed and the site's
// index, so the farm stores nothing per site.
type Site struct {
	Index int
	// Host is site000042.farm.test; a ToWWW site lists www.Host too.
	Host    string
	Name    string
	Company string
	// ICP and PSB are the filing's numbers as the registry holds them: the
	// canonical ICP number and the PSB digits ("" for a Young site).
	ICP, PSB                                     string
	ICPApproved, Launched, PSBFiled, PSBApproved checker.Date
	Defect                                       Defect
	// Charset is "utf-8" or "gbk"; CharsetHeader says it is also in the
	// Content-Type header (else only in <meta>).
	Charset       string
	CharsetHeader bool
	Redirect      Redirect
	Behavior      Behavior
	// Large says the page is a large one, sent slowly (Config.LargeEvery).
	Large bool
	// URL is the check URL, as the CSV gives it.
	URL string

	// WantVerdict, WantErrors and WantReason are the known answer: the
	// verdict, the sorted error-severity finding codes, and for a hostile
	// site the crawler.Reason its fetch fails with.
	WantVerdict checker.Verdict
	WantErrors  []string
	WantReason  string

	prov     province
	shop     bool
	template int
	layout   int // footer layout, 0 or 1
}

// province is what the numbers need from a province: the ICP and PSB
// abbreviation, and the first six PSB digits (province and district).
type province struct {
	abbr     string
	district string
	entity   bool // shows the entity ICP number, without -N (Guangdong)
}

var provinces = []province{
	{"京", "110105", false}, {"沪", "310115", false}, {"浙", "330106", false},
	{"苏", "320102", false}, {"粤", "440305", true}, {"川", "510104", false},
	{"鄂", "420106", false}, {"鲁", "370202", false}, {"闽", "350203", false},
}

// hostPrefix and hostSuffix frame a site's host name around its index.
const (
	hostPrefix = "site"
	hostSuffix = ".farm.test"
)

// HostName is the host name of site i.
func HostName(i int) string { return fmt.Sprintf("%s%06d%s", hostPrefix, i, hostSuffix) }

// Index returns the number of the site a host name (or its www. form)
// names; false if it names none.
func Index(host string) (int, bool) {
	i, _, ok := siteIndex(strings.ToLower(host))
	return i, ok
}

// siteIndex parses a host name (with or without www.) into a site index.
func siteIndex(host string) (i int, www bool, ok bool) {
	host, www = strings.CutPrefix(host, "www.")
	digits, ok := strings.CutPrefix(host, hostPrefix)
	if !ok {
		return 0, false, false
	}
	digits, ok = strings.CutSuffix(digits, hostSuffix)
	if !ok || len(digits) != 6 {
		return 0, false, false
	}
	i, err := strconv.Atoi(digits)
	return i, www, err == nil
}

// site derives site i (1-based). The caller checks the range.
func (f *Farm) site(i int) Site {
	r := rand.New(rand.NewPCG(f.cfg.Seed, uint64(i)))
	s := Site{Index: i, Host: HostName(i), template: r.IntN(len(f.templates)), layout: r.IntN(2)}
	s.prov = provinces[r.IntN(len(provinces))]
	s.shop = f.templates[s.template].shop
	s.Name, s.Company = siteNames(r, s.prov, s.shop)
	s.Defect = pickDefect(r.IntN(1000))
	s.Charset, s.CharsetHeader = "utf-8", r.IntN(4) > 0
	if r.IntN(100) < 15 {
		s.Charset, s.CharsetHeader = "gbk", r.IntN(2) == 0
	}
	if n := r.IntN(100); n < 10 {
		s.Redirect = ToIndex + Redirect(n%2)
	}
	s.Large = f.cfg.LargeEvery > 0 && i%f.cfg.LargeEvery == 0 && i <= f.cfg.Sites
	if h := i - f.cfg.Sites; h > 0 {
		s.Behavior = f.cfg.Hostile[h-1]
		s.Defect, s.Redirect = Compliant, NoRedirect
	}
	f.numbers(r, &s)
	s.URL = "http://" + s.Host + "/"
	if s.Behavior == TLSHang {
		s.URL = "https://" + s.Host + "/"
	}
	s.WantVerdict, s.WantErrors = checker.VerdictPass, wantErrors[s.Defect]
	if len(s.WantErrors) > 0 {
		s.WantVerdict = checker.VerdictFail
	}
	if s.Behavior != Normal {
		s.WantVerdict, s.WantErrors, s.WantReason = checker.VerdictError, nil, wantReasons[s.Behavior]
	}
	return s
}

// pickDefect maps a number below 1000 to a defect: a fifth of the sites
// fail, in six equal shares, and 4% are young.
func pickDefect(n int) Defect {
	switch {
	case n < 200:
		return ICPMissing + Defect(n*6/200)
	case n < 240:
		return Young
	}
	return Compliant
}

// numbers fills the filing: numbers unique per site (the index is mapped
// through a bijection of the 6-digit range), dates in order and in time.
func (f *Farm) numbers(r *rand.Rand, s *Site) {
	seq := (s.Index*7907 + 4409) % 1_000_000
	if seq%1000 == 0 {
		seq++ // never a run of zeros, which reads as a placeholder
	}
	year := 2012 + r.IntN(13)
	s.ICPApproved = checker.Date{Year: year, Month: time.Month(1 + r.IntN(12)), Day: 1 + r.IntN(28)}
	s.Launched = s.ICPApproved.AddDays(r.IntN(60))
	if s.Defect == Young {
		s.Launched = checker.DateOf(f.cfg.Now()).AddDays(-10)
		s.ICPApproved = s.Launched.AddDays(-5)
		year = s.ICPApproved.Year
	}
	s.ICP = fmt.Sprintf("%sICP备%d%06d号", s.prov.abbr, year, seq)
	if !s.prov.entity {
		s.ICP += "-1"
	}
	if s.Defect == Young {
		return
	}
	s.PSBFiled = s.Launched.AddDays(1 + r.IntN(25))
	s.PSBApproved = s.PSBFiled.AddDays(5 + r.IntN(20))
	s.PSB = fmt.Sprintf("%s%02d%06d", s.prov.district, r.IntN(100), seq)
}

// wrongPSB is another site's code: the last digit changed.
func wrongPSB(psb string) string {
	b := []byte(psb)
	b[len(b)-1] = '0' + (b[len(b)-1]-'0'+1)%10
	return string(b)
}

var (
	nameHeads  = []string{"华夏", "云帆", "锦程", "星河", "瑞丰", "金桥", "远景", "青禾", "博雅", "天和", "明德", "长风", "嘉禾", "启航", "安泰", "鸿运"}
	newsTails  = []string{"新闻网", "资讯网", "在线", "日报网", "信息港", "生活网"}
	shopTails  = []string{"商城", "优选", "购物网", "好物", "特卖网", "家居馆"}
	cityByAbbr = map[string]string{"京": "北京", "沪": "上海", "浙": "杭州", "苏": "南京", "粤": "深圳", "川": "成都", "鄂": "武汉", "鲁": "青岛", "闽": "厦门"}
)

// siteNames makes a site name and its operator's company name.
func siteNames(r *rand.Rand, p province, shop bool) (name, company string) {
	head := nameHeads[r.IntN(len(nameHeads))] + nameHeads[r.IntN(len(nameHeads))][:3]
	tails := newsTails
	if shop {
		tails = shopTails
	}
	name = head + tails[r.IntN(len(tails))]
	company = cityByAbbr[p.abbr] + head + []string{"信息技术", "网络科技", "电子商务", "文化传媒"}[r.IntN(4)] + "有限公司"
	return name, company
}

// Site returns site i, counting from 1 up to Len.
func (f *Farm) Site(i int) Site {
	if i < 1 || i > f.Len() {
		panic(fmt.Sprintf("farm: no site %d (1…%d)", i, f.Len()))
	}
	return f.site(i)
}

// Len is the number of sites, hostile ones included.
func (f *Farm) Len() int { return f.cfg.Sites + len(f.cfg.Hostile) }

// Sites returns every site, in index order. It derives each one: for many
// sites, prefer Site in a loop.
func (f *Farm) Sites() []Site {
	out := make([]Site, 0, f.Len())
	for i := 1; i <= f.Len(); i++ {
		out = append(out, f.site(i))
	}
	return out
}

// Domains are the host names the site answers to, the primary first.
func (s Site) Domains() []string {
	if s.Redirect == ToWWW {
		return []string{s.Host, "www." + s.Host}
	}
	return []string{s.Host}
}

// icpShown is the ICP number the footer displays.
func (s Site) icpShown() string {
	if s.Defect == ICPPlaceholder {
		return s.prov.abbr + "ICP备12345678号"
	}
	return s.ICP
}
