package checker

import (
	"strings"
	"testing"
)

func TestFindPSBForms(t *testing.T) {
	tests := []struct {
		text, digits, issuer string
		noHao                bool
	}{
		{"浙公网安备 3301 0602 0123 45号", "33010602012345", "", false},
		{"浙公网安备 3301 0602 0123 45", "33010602012345", "", true},
		{"京公网安备 110105 020456 78 号", "11010502045678", "", false},
		{"京公网安备1101 2024 版权所有", "1101", "", true},
		{"京公网安备11010502045678 2024", "11010502045678", "", true},
		{"粤公网安备44xxxxxxxxxxxx号", "44XXXXXXXXXXXX", "", false},
		{"京公网安备xxxxx号", "XXXXX", "", false},
		{"京公网安备{$cfg_psb}号", "{$cfg_psb}", "", false},
		{"京公网安备号", "", "", false},
		{"北京市公安局海淀分局备案编号：11010818900", "11010818900", "北京市公安局海淀分局", true},
		{"北京市公安局海淀分局备案编号:110108189001号", "110108189001", "北京市公安局海淀分局", false},
		{"某某公司备案编号:11010818900", "", "", false},
		{"公安局备案编号:110108189001234", "", "", false},
	}
	for _, tt := range tests {
		ms := findPSB(normalize(tt.text).s)
		if tt.digits == "" && tt.issuer == "" && tt.text != "京公网安备号" {
			if len(ms) != 0 {
				t.Errorf("findPSB(%q) = %+v, want none", tt.text, ms)
			}
			continue
		}
		if len(ms) != 1 {
			t.Errorf("findPSB(%q) = %d matches, want 1", tt.text, len(ms))
			continue
		}
		if n := ms[0].num; n.Digits != tt.digits || n.Issuer != tt.issuer || n.NoHao != tt.noHao {
			t.Errorf("findPSB(%q) = %q %q %v, want %q %q %v", tt.text, n.Digits, n.Issuer, n.NoHao, tt.digits, tt.issuer, tt.noHao)
		}
	}
}

func TestFindICPPlaceholders(t *testing.T) {
	tests := []struct{ text, digits string }{
		{"京ICP备********号", "********"},
		{"京ICP备{$cfg_beian}号", "{$cfg_beian}"},
		{"ICP备案号:{{ site.icp }}", "{{ site.icp }}"},
		{"京ICP备${icp}号-1", "${icp}"},
		{"京ICP备{dede:global.cfg_beian/}", "{dede:global.cfg_beian/}"},
		{"京ICP备号", ""},
		{"京ICP备20210345号", "20210345"},
	}
	for _, tt := range tests {
		ms := findICP(normalize(tt.text).s)
		if len(ms) != 1 || ms[0].num.Digits != tt.digits {
			t.Errorf("findICP(%q) = %+v, want digits %q", tt.text, ms, tt.digits)
			continue
		}
		ps := ms[0].num.Problems(tt.text, 2026)
		placeholder := false
		for _, p := range ps {
			placeholder = placeholder || p.code == CodeICPPlaceholder
		}
		if want := tt.digits != "20210345"; placeholder != want {
			t.Errorf("findICP(%q): placeholder = %v, want %v", tt.text, placeholder, want)
		}
	}
}

func TestLegacyPSBProblems(t *testing.T) {
	n := PSBNumber{Digits: "11010818900", Issuer: "北京市公安局海淀分局"}
	ps := n.Problems(n.Canonical())
	if len(ps) != 1 || ps[0].code != CodePSBLegacyFormat {
		t.Errorf("Problems(%s) = %+v, want only %s", n.Canonical(), ps, CodePSBLegacyFormat)
	}
}

func TestScriptURL(t *testing.T) {
	tests := []struct{ onclick, want string }{
		{`window.open('https://beian.mps.gov.cn/#/query/webSearch?code=33010602012345')`, "https://beian.mps.gov.cn/#/query/webSearch?code=33010602012345"},
		{`location.href='https://beian.miit.gov.cn/'`, "https://beian.miit.gov.cn/"},
		{`window.location = "https://beian.miit.gov.cn/";return false`, "https://beian.miit.gov.cn/"},
		{`location.assign("/about")`, "/about"},
		{`document.location.replace('https://beian.miit.gov.cn/')`, "https://beian.miit.gov.cn/"},
		{`toggle(this)`, ""},
		{`if (location.href == 'x') go()`, ""},
	}
	for _, tt := range tests {
		if got := scriptURL(tt.onclick); got != tt.want {
			t.Errorf("scriptURL(%q) = %q, want %q", tt.onclick, got, tt.want)
		}
	}
}

func TestFindInProgress(t *testing.T) {
	tests := []struct{ text, icp, psb string }{
		{"京ICP备2021034567号-1 公网安备(备案中)", "", "公网安备(备案中)"},
		{"京ICP备2021034567号-1 京公网安备（审核中）", "", "京公网安备（审核中）"},
		{"ICP备案审核中 | 公安备案办理中", "ICP备案审核中", "公安备案办理中"},
		{"网站备案审核中", "备案审核中", ""},
		{"ICP备案号：备案中", "ICP备案号：备案中", ""},
		{"订单审核中 备案中心", "", ""},
	}
	for _, tt := range tests {
		var b textBuf
		b.addText(tt.text, notHidden, -1)
		b.finish(nil, nil)
		icp, psb := findInProgress(&b)
		var gi, gp string
		if icp != nil {
			gi = icp.text
		}
		if psb != nil {
			gp = psb.text
		}
		if gi != tt.icp || gp != tt.psb {
			t.Errorf("findInProgress(%q) = %q, %q, want %q, %q", tt.text, gi, gp, tt.icp, tt.psb)
		}
	}
}

func TestDecodeAsBrowser(t *testing.T) {
	// The page's own text is UTF-8 (a real page has far more of it than
	// the comment's few GBK bytes).
	footer := "<p>欢迎访问杭州某某网络科技有限公司官方网站</p><p>京ICP备2021034567号-1</p>"
	gbkComment := "<!--[if IE]><p>\xc7\xeb\xca\xb9\xd3\xc3\xd0\xc2\xe4\xaf\xc0\xc0\xc6\xf7</p><![endif]-->"
	utf16 := func(s string, be bool) []byte {
		var b []byte
		for _, r := range s {
			if be {
				b = append(b, byte(r>>8), byte(r))
			} else {
				b = append(b, byte(r), byte(r>>8))
			}
		}
		return b
	}
	tests := []struct {
		name, contentType string
		body              []byte
		encoding, text    string
	}{
		{"utf-8 with gbk comment", "text/html; charset=utf-8", []byte(gbkComment + footer), "utf-8", footer},
		{"utf-8 meta with gbk comment", "text/html", []byte(`<meta charset="utf-8">` + gbkComment + footer), "utf-8", footer},
		{"utf-16le by header", "text/html; charset=utf-16le", utf16(footer, false), "utf-16le", footer},
		{"utf-16be by header", "text/html; charset=utf-16be", utf16(footer, true), "utf-16be", footer},
		{"utf-16 header on utf-8", "text/html; charset=utf-16", []byte(footer), "utf-8", footer},
	}
	for _, tt := range tests {
		d := decode(tt.body, tt.contentType)
		if d.encoding != tt.encoding || !strings.Contains(d.text, tt.text) {
			t.Errorf("%s: decode = %s %q, want %s with %q", tt.name, d.encoding, d.text, tt.encoding, tt.text)
		}
	}
}
