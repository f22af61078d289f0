package checker

// Province is one of the 31 mainland provincial units.
type Province struct {
	// Code is the GB/T 2260 two-digit code, which PSB numbers start with.
	Code   string
	Name   string // English
	NameZH string
	// ICPLevel says which ICP number the province's sites display:
	// "site" (with the -N suffix) or "entity" (without). Providers'
	// guides, not law, so a breach is only a warning (domain.md §2).
	ICPLevel string
}

// ICP number levels a province may require.
const (
	LevelSite   = "site"
	LevelEntity = "entity"
)

// provinces is keyed by code. Province rules live here as data, not as code
// branches.
var provinces = map[string]Province{
	"11": {"11", "Beijing", "北京", LevelSite},
	"12": {"12", "Tianjin", "天津", LevelSite},
	"13": {"13", "Hebei", "河北", LevelSite},
	"14": {"14", "Shanxi", "山西", LevelSite},
	"15": {"15", "Inner Mongolia", "内蒙古", LevelSite},
	"21": {"21", "Liaoning", "辽宁", LevelSite},
	"22": {"22", "Jilin", "吉林", LevelSite},
	"23": {"23", "Heilongjiang", "黑龙江", LevelSite},
	"31": {"31", "Shanghai", "上海", LevelSite},
	"32": {"32", "Jiangsu", "江苏", LevelSite},
	"33": {"33", "Zhejiang", "浙江", LevelSite},
	"34": {"34", "Anhui", "安徽", LevelSite},
	"35": {"35", "Fujian", "福建", LevelSite},
	"36": {"36", "Jiangxi", "江西", LevelSite},
	"37": {"37", "Shandong", "山东", LevelSite},
	"41": {"41", "Henan", "河南", LevelSite},
	"42": {"42", "Hubei", "湖北", LevelSite},
	"43": {"43", "Hunan", "湖南", LevelSite},
	"44": {"44", "Guangdong", "广东", LevelEntity},
	"45": {"45", "Guangxi", "广西", LevelSite},
	"46": {"46", "Hainan", "海南", LevelSite},
	"50": {"50", "Chongqing", "重庆", LevelSite},
	"51": {"51", "Sichuan", "四川", LevelSite},
	"52": {"52", "Guizhou", "贵州", LevelSite},
	"53": {"53", "Yunnan", "云南", LevelSite},
	"54": {"54", "Tibet", "西藏", LevelSite},
	"61": {"61", "Shaanxi", "陕西", LevelSite},
	"62": {"62", "Gansu", "甘肃", LevelSite},
	"63": {"63", "Qinghai", "青海", LevelSite},
	"64": {"64", "Ningxia", "宁夏", LevelSite},
	"65": {"65", "Xinjiang", "新疆", LevelSite},
}

// abbrev maps every abbreviation seen in filing numbers, old aliases
// included, to its province code. icp and psb say in which kind of number
// the abbreviation is legitimate (深 only ever prefixed old Shenzhen PSB
// numbers).
var abbrev = map[rune]struct {
	code     string
	icp, psb bool
}{
	'京': {"11", true, true}, '津': {"12", true, true}, '冀': {"13", true, true},
	'晋': {"14", true, true}, '蒙': {"15", true, true}, '辽': {"21", true, true},
	'吉': {"22", true, true}, '黑': {"23", true, true}, '沪': {"31", true, true},
	'苏': {"32", true, true}, '浙': {"33", true, true}, '皖': {"34", true, true},
	'闽': {"35", true, true}, '赣': {"36", true, true}, '鲁': {"37", true, true},
	'豫': {"41", true, true}, '鄂': {"42", true, true}, '湘': {"43", true, true},
	'粤': {"44", true, true}, '桂': {"45", true, true}, '琼': {"46", true, true},
	'渝': {"50", true, true}, '川': {"51", true, true}, '蜀': {"51", true, true},
	'贵': {"52", true, true}, '黔': {"52", true, true}, '云': {"53", true, true},
	'滇': {"53", true, true}, '藏': {"54", true, true}, '陕': {"61", true, true},
	'秦': {"61", true, true}, '甘': {"62", true, true}, '陇': {"62", true, true},
	'青': {"63", true, true}, '宁': {"64", true, true}, '新': {"65", true, true},
	'深': {"44", false, true},
}

// provinceOf returns the province an abbreviation names in an ICP (psb
// false) or PSB (psb true) number.
func provinceOf(r rune, psb bool) (Province, bool) {
	a, ok := abbrev[r]
	if !ok || (psb && !a.psb) || (!psb && !a.icp) {
		return Province{}, false
	}
	return provinces[a.code], true
}

// ProvinceByCode returns the province with a GB/T 2260 two-digit code.
func ProvinceByCode(code string) (Province, bool) {
	p, ok := provinces[code]
	return p, ok
}
