package checker

import "fmt"

// Finding codes. They are stable: the registry stores them, alerts route on
// them and dashboards count them. Never rename one; add a new one instead.
const (
	// Page and fetch.
	CodeHTTPErrorStatus    = "HTTP_ERROR_STATUS"
	CodeEncodingMismatch   = "ENCODING_MISMATCH"
	CodeEncodingUndeclared = "ENCODING_UNDECLARED"
	CodeEncodingGarbles    = "ENCODING_GARBLES_BADGE"
	CodeParsedPartially    = "PAGE_PARSED_PARTIALLY"
	CodeScriptRendered     = "PAGE_SCRIPT_RENDERED"
	CodeRedirectOffsite    = "REDIRECT_OFFSITE"
	CodeHTTPSFailed        = "HTTPS_FAILED"
	CodeAccessOutside      = "ACCESS_OUTSIDE_PROVIDER"
	CodeAccessNotFiled     = "ACCESS_IP_NOT_FILED"

	// ICP filing and licence numbers.
	CodeICPMissing         = "ICP_MISSING"
	CodeICPHidden          = "ICP_HIDDEN"
	CodeICPImageOnly       = "ICP_IMAGE_ONLY"
	CodeICPLicenseOnly     = "ICP_LICENSE_ONLY"
	CodeICPNotLinked       = "ICP_NOT_LINKED"
	CodeICPLinkWrong       = "ICP_LINK_WRONG"
	CodeICPLinkOutdated    = "ICP_LINK_OUTDATED"
	CodeICPMalformed       = "ICP_MALFORMED"
	CodeICPNonstandard     = "ICP_FORMAT_NONSTANDARD"
	CodeICPProvinceMissing = "ICP_PROVINCE_MISSING"
	CodeICPProvinceInvalid = "ICP_PROVINCE_INVALID"
	CodeICPPlaceholder     = "ICP_PLACEHOLDER"
	CodeICPLevelRule       = "ICP_LEVEL_RULE"
	CodeICPMismatch        = "ICP_MISMATCH"
	CodeICPNotInRegistry   = "ICP_NOT_IN_REGISTRY"
	CodeICPInProgress      = "ICP_IN_PROGRESS"

	// PSB (公安) numbers and badges.
	CodePSBMissing          = "PSB_MISSING"
	CodePSBHidden           = "PSB_HIDDEN"
	CodePSBImageOnly        = "PSB_IMAGE_ONLY"
	CodePSBNotLinked        = "PSB_NOT_LINKED"
	CodePSBLinkWrong        = "PSB_LINK_WRONG"
	CodePSBLinkLegacy       = "PSB_LINK_LEGACY"
	CodePSBLinkCodeMismatch = "PSB_LINK_CODE_MISMATCH"
	CodePSBNoIcon           = "PSB_NO_ICON"
	CodePSBLegacyFormat     = "PSB_LEGACY_FORMAT"
	CodePSBMalformed        = "PSB_MALFORMED"
	CodePSBProvinceMissing  = "PSB_PROVINCE_MISSING"
	CodePSBProvinceInvalid  = "PSB_PROVINCE_INVALID"
	CodePSBProvinceMismatch = "PSB_PROVINCE_MISMATCH"
	CodePSBPlaceholder      = "PSB_PLACEHOLDER"
	CodePSBMismatch         = "PSB_MISMATCH"
	CodePSBNotInRegistry    = "PSB_NOT_IN_REGISTRY"
	CodePSBInProgress       = "PSB_IN_PROGRESS"
	CodeProvincesDiffer     = "ICP_PSB_PROVINCE_DIFFER"

	// Deadlines.
	CodePSBFilingOverdue = "PSB_FILING_OVERDUE"
	CodePSBFilingLate    = "PSB_FILING_LATE"
	CodePSBFilingDueSoon = "PSB_FILING_DUE_SOON"
	CodeBadgeOverdue     = "BADGE_OVERDUE"
	CodeBadgeLate        = "BADGE_LATE"
	CodeBadgeDueSoon     = "BADGE_DUE_SOON"
)

// CodeInfo documents one finding code: its usual severity and its message
// templates (fmt verbs filled by the rule that raises it).
type CodeInfo struct {
	Code     string
	Severity Severity
	// Summary is a one-line description for documentation.
	Summary string
	En, Zh  string
	// Title and TitleZH name the finding in a few words, for alerts,
	// notices and dashboards.
	Title, TitleZH string
}

// catalog is the single table of finding codes. The table in
// docs/checker.md is generated from it (TestDocCodes keeps them in step).
var catalog = []CodeInfo{
	{CodeHTTPErrorStatus, SeverityError, "The page answered with an HTTP error status; it cannot be judged.",
		"the page answered HTTP %d", "页面返回 HTTP %d 错误", "HTTP error status", "页面返回 HTTP 错误"},
	{CodeEncodingMismatch, SeverityInfo, "The declared charset does not match the bytes; the page was decoded with the charset that fits.",
		"the page declares %s but is encoded as %s", "页面声明的编码为 %s,实际编码为 %s", "Declared charset is wrong", "声明的字符编码有误"},
	{CodeEncodingUndeclared, SeverityInfo, "A non-UTF-8 page declares no charset; browsers may show it garbled.",
		"the page declares no charset; it was read as %s", "页面未声明字符编码,按 %s 解析", "Charset not declared", "未声明字符编码"},
	{CodeEncodingGarbles, SeverityError, "The page's declared charset (which browsers follow) garbles a filing number: visitors see mojibake where the bytes spell the number.",
		"visitors see %q where the page means %q: it declares %s, which garbles the filing number", "访问者看到的是 %q,页面本意为 %q:页面声明的编码 %s 使备案号显示为乱码", "Charset garbles the filing number", "字符编码导致备案号乱码"},
	{CodeParsedPartially, SeverityInfo, "The HTML parser gave up on the page (more than 512 elements open at once); it was judged from a tree built from its tokens (nesting past 4,096 laid flat).",
		"the page could not be parsed in full (%s); it was judged from its tokens", "页面无法完整解析(%s),已按标记逐个判断", "Page parsed partially", "页面仅部分解析"},
	{CodeScriptRendered, SeverityWarning, "The page (or its footer) is drawn by JavaScript: a script shell with almost no text, or filing numbers present only in scripts. Not verifiable without rendering; verdict error.",
		"the page is rendered by JavaScript%s; its filing numbers cannot be verified statically", "页面由 JavaScript 渲染%s,无法静态核验备案号", "Page rendered by JavaScript", "页面由 JavaScript 渲染"},
	{CodeRedirectOffsite, SeverityWarning, "The target redirects to another registrable domain, whose filing is what visitors see.",
		"%s redirects to another domain: %s", "%s 跳转到其他域名:%s", "Redirects to another domain", "跳转到其他域名"},
	{CodeHTTPSFailed, SeverityInfo, "HTTPS failed, so the page was fetched over plain HTTP.",
		"HTTPS failed (%s); checked over HTTP", "HTTPS 访问失败(%s),已改用 HTTP 检查", "HTTPS failed", "HTTPS 访问失败"},

	{CodeAccessOutside, SeverityError, "The domain resolves outside the provider's own networks (--provider-ranges): the filing says it is hosted here, but it is served elsewhere.",
		"%s resolves to %s, outside the provider's networks", "%s 解析到 %s,不在接入商的网络内", "Served outside the provider's network", "不在接入商网络内提供服务"},
	{CodeAccessNotFiled, SeverityWarning, "The domain resolves to none of the IP addresses its filing names.",
		"%s resolves to %s, none of the filed addresses %s", "%s 解析到 %s,不是备案登记的 IP 地址 %s", "Resolves to an IP not in the filing", "解析地址不是备案 IP"},

	{CodeICPMissing, SeverityError, "No ICP filing number is visible on the page.",
		"no ICP filing number is visible on the page%s", "页面上没有可见的 ICP 备案号%s", "ICP number missing", "缺少 ICP 备案号"},
	{CodeICPHidden, SeverityInfo, "An ICP number is in the page but hidden from visitors.",
		"ICP number %s is hidden from visitors (%s)", "ICP 备案号 %s 对访问者不可见(%s)", "ICP number hidden", "ICP 备案号被隐藏"},
	{CodeICPImageOnly, SeverityWarning, "The ICP number appears only in an image; it needs a manual look.",
		"the ICP number appears only as an image (%s); check it by hand", "ICP 备案号仅以图片形式出现(%s),需人工核对", "ICP number only in an image", "ICP 备案号仅为图片"},
	{CodeICPLicenseOnly, SeverityInfo, "Only an ICP licence (ICP证/B2) is shown, no ICP filing number.",
		"only the ICP licence %s is shown, no ICP filing number", "仅显示经营许可证 %s,未显示 ICP 备案号", "Only an ICP licence shown", "仅显示经营许可证"},
	{CodeICPNotLinked, SeverityError, "The ICP number is not linked to the MIIT filing system (beian.miit.gov.cn).",
		"ICP number %s is not linked to https://beian.miit.gov.cn/", "ICP 备案号 %s 未链接到 https://beian.miit.gov.cn/", "ICP number not linked to MIIT", "ICP 备案号未链接工信部"},
	{CodeICPLinkWrong, SeverityError, "The ICP number is linked, but not to the MIIT filing system.",
		"ICP number %s links to %s instead of https://beian.miit.gov.cn/", "ICP 备案号 %s 链接到 %s,而非 https://beian.miit.gov.cn/", "ICP number linked to the wrong site", "ICP 备案号链接错误"},
	{CodeICPLinkOutdated, SeverityWarning, "The ICP link points at a retired MIIT host (miitbeian.gov.cn, miibeian.gov.cn, www.beian.miit.gov.cn).",
		"ICP number %s links to the retired host %s; use https://beian.miit.gov.cn/", "ICP 备案号 %s 链接到已停用的地址 %s,应改为 https://beian.miit.gov.cn/", "ICP link to a retired MIIT host", "ICP 备案号链接到已停用地址"},
	{CodeICPMalformed, SeverityError, "The ICP number does not have a valid shape (digit count, suffix).",
		"ICP number %q is malformed: %s", "ICP 备案号 %q 格式错误:%s", "ICP number malformed", "ICP 备案号格式错误"},
	{CodeICPNonstandard, SeverityInfo, "The ICP number is valid but written in a non-standard way (spaces, full-width digits, missing 号 …).",
		"ICP number is written as %q; the standard form is %s", "ICP 备案号写作 %q,规范写法为 %s", "ICP number written non-standard", "ICP 备案号写法不规范"},
	{CodeICPProvinceMissing, SeverityError, "The ICP number has no province abbreviation.",
		"ICP number %q has no province abbreviation", "ICP 备案号 %q 缺少省份简称", "ICP number lacks its province", "ICP 备案号缺少省份简称"},
	{CodeICPProvinceInvalid, SeverityError, "The ICP number's prefix is not a mainland province abbreviation (a vanity or fake number).",
		"%q is not a mainland province abbreviation in %q", "%q 不是大陆省级行政区简称(%q)", "ICP number has an invalid province", "ICP 备案号省份简称无效"},
	{CodeICPPlaceholder, SeverityError, "The ICP number is a placeholder: a well-known one copied from a template, a mask (ICP备********号), an unfilled template variable ({$cfg_beian}, {{ site.icp }}) or nothing before 号.",
		"ICP number %s is a template placeholder, not a real filing", "ICP 备案号 %s 是模板占位号码,不是真实备案", "ICP number is a template placeholder", "ICP 备案号为模板占位号"},
	{CodeICPLevelRule, SeverityWarning, "The page shows the entity number where the province expects the site number (-N), or the reverse.",
		"%s: %s", "%s:%s", "ICP entity/site number level wrong", "ICP 主体号与网站号使用不当"},
	{CodeICPMismatch, SeverityError, "The page shows a different ICP number from the registry's.",
		"the page shows ICP number %s, the filing is %s", "页面显示的 ICP 备案号为 %s,备案记录为 %s", "ICP number differs from the filing", "ICP 备案号与备案记录不符"},
	{CodeICPNotInRegistry, SeverityWarning, "The page shows an ICP number, but the registry holds none for the site.",
		"the page shows ICP number %s, but the registry has none for this site", "页面显示 ICP 备案号 %s,但登记库中没有该网站的 ICP 备案号", "ICP number not in the registry", "登记库无该 ICP 备案号"},
	{CodeICPInProgress, SeverityError, "The page says its ICP filing is in progress (备案审核中) instead of showing a number; a site may not be served before its ICP approval.",
		"the page says its ICP filing is in progress (%q) and shows no ICP number", "页面显示 ICP 备案审核中(%q),没有备案号", "ICP filing shown as in progress", "ICP 备案显示为审核中"},

	{CodePSBMissing, SeverityError, "No PSB (公安) filing number is visible (none, hidden, commented out, in <noscript>). Error unless the site's dates show the filing or badge window still open (then info, with the days left); see \"When a PSB part is due\".",
		"no PSB (公安) filing number is visible on the page%s", "页面上没有可见的公安备案号%s", "PSB number missing", "缺少公安备案号"},
	{CodePSBHidden, SeverityInfo, "A PSB number is in the page but hidden from visitors: info beside a visible copy; with no visible copy, error once the badge is due.",
		"PSB number %s is hidden from visitors (%s)", "公安备案号 %s 对访问者不可见(%s)", "PSB number hidden", "公安备案号被隐藏"},
	{CodePSBImageOnly, SeverityWarning, "The PSB badge appears only as an image with no text (needs a manual look): error once the badge is due, info inside its window.",
		"the PSB badge appears only as an image (%s); check it by hand", "公安备案标识仅以图片形式出现(%s),需人工核对", "PSB badge only in an image", "公安备案标识仅为图片"},
	{CodePSBNotLinked, SeverityError, "The PSB number is not linked to the PSB query page (info inside the badge's window).",
		"PSB number %s is not linked to the PSB query page", "公安备案号 %s 未链接到公安备案查询页面", "PSB number not linked", "公安备案号未链接查询页"},
	{CodePSBLinkWrong, SeverityError, "The PSB number is linked, but not to the PSB query page (info inside the badge's window).",
		"PSB number %s links to %s instead of the PSB query page", "公安备案号 %s 链接到 %s,而非公安备案查询页面", "PSB number linked to the wrong site", "公安备案号链接错误"},
	{CodePSBLinkLegacy, SeverityInfo, "The PSB badge links to the old platform (www.beian.gov.cn).",
		"PSB number %s links to the old platform www.beian.gov.cn", "公安备案号 %s 链接到旧平台 www.beian.gov.cn", "PSB link to the old platform", "公安备案号链接到旧平台"},
	{CodePSBLinkCodeMismatch, SeverityError, "The PSB link's code differs from the number displayed (info inside the badge's window).",
		"PSB number %s links to code %s", "公安备案号 %s 的链接指向备案编号 %s", "PSB link code differs", "公安备案链接编号不符"},
	{CodePSBNoIcon, SeverityWarning, "The PSB number has no badge icon in its link or badge block: error once the badge is due, info inside its window.",
		"PSB number %s has no badge icon", "公安备案号 %s 缺少备案图标", "PSB badge icon missing", "缺少公安备案图标"},
	{CodePSBLegacyFormat, SeverityWarning, "The PSB number has an old local format: 12 or 13 digits, or an issuing office + 备案编号 + 11–13 digits.",
		"PSB number %s has the old %d-digit local format", "公安备案号 %s 为旧的 %d 位地方格式", "PSB number in the old format", "公安备案号为旧格式"},
	{CodePSBMalformed, SeverityError, "The PSB number does not have 14 digits (nor a legacy 12 or 13).",
		"PSB number %q is malformed: %s", "公安备案号 %q 格式错误:%s", "PSB number malformed", "公安备案号格式错误"},
	{CodePSBProvinceMissing, SeverityWarning, "The PSB number has no province abbreviation.",
		"PSB number %q has no province abbreviation", "公安备案号 %q 缺少省份简称", "PSB number lacks its province", "公安备案号缺少省份简称"},
	{CodePSBProvinceInvalid, SeverityError, "The PSB number's prefix is not a province abbreviation.",
		"%q is not a province abbreviation in %q", "%q 不是省级行政区简称(%q)", "PSB number has an invalid province", "公安备案号省份简称无效"},
	{CodePSBProvinceMismatch, SeverityError, "The PSB number's first two digits do not belong to the province of its abbreviation.",
		"PSB number %s starts with %s (%s) but its abbreviation is %s (%s)", "公安备案号 %s 以 %s(%s)开头,但简称为 %s(%s)", "PSB number's province and digits differ", "公安备案号省份与编号不符"},
	{CodePSBPlaceholder, SeverityError, "The PSB number is a placeholder (a well-known one, a mask such as 44xxxxxxxxxxxx, an unfilled template variable, nothing before 号) or a number copied from another site.",
		"PSB number %s is a template placeholder or copied number", "公安备案号 %s 是模板占位号码或抄袭的号码", "PSB number is a placeholder or copied", "公安备案号为占位或抄袭号码"},
	{CodePSBMismatch, SeverityError, "The page shows a different PSB number from the registry's.",
		"the page shows PSB number %s, the filing is %s", "页面显示的公安备案号为 %s,备案记录为 %s", "PSB number differs from the filing", "公安备案号与备案记录不符"},
	{CodePSBNotInRegistry, SeverityWarning, "The page shows a PSB number, but the registry holds none for the site.",
		"the page shows PSB number %s, but the registry has none for this site", "页面显示公安备案号 %s,但登记库中没有该网站的公安备案号", "PSB number not in the registry", "登记库无该公安备案号"},
	{CodePSBInProgress, SeverityError, "The page says its PSB filing is in progress (公网安备(备案中)) instead of showing a number: error once the badge is due, info inside its window (see \"When a PSB part is due\").",
		"the page says its PSB filing is in progress (%q) and shows no PSB number", "页面显示公安备案办理中(%q),没有公安备案号", "PSB filing shown as in progress", "公安备案显示为办理中"},
	{CodeProvincesDiffer, SeverityWarning, "The ICP and PSB numbers name different provinces (legitimate for some operators).",
		"ICP number is from %s but PSB number is from %s", "ICP 备案省份为 %s,公安备案省份为 %s", "ICP and PSB provinces differ", "ICP 与公安备案省份不同"},

	{CodePSBFilingOverdue, SeverityError, "The PSB filing was due 30 days after launch and is missing.",
		"the PSB filing was due on %s (%d days ago)", "公安备案应于 %s 前完成(已逾期 %d 天)", "PSB filing overdue", "公安备案逾期未办"},
	{CodePSBFilingLate, SeverityWarning, "The PSB filing was made after its deadline.",
		"the PSB filing was due on %s and was made on %s", "公安备案应于 %s 前完成,实际于 %s 提交", "PSB filing made late", "公安备案逾期办理"},
	{CodePSBFilingDueSoon, SeverityInfo, "The PSB filing is due within 30 days of launch and not yet made.",
		"the PSB filing is due on %s (%d days left)", "公安备案应于 %s 前完成(剩余 %d 天)", "PSB filing due soon", "公安备案即将到期"},
	{CodeBadgeOverdue, SeverityError, "The PSB badge was due on the site 30 days after PSB approval and is missing or incomplete (no icon, no link, or a link with another code).",
		"the PSB badge was due on %s (%d days ago)", "公安备案标识应于 %s 前展示(已逾期 %d 天)", "PSB badge overdue", "公安备案标识逾期未展示"},
	{CodeBadgeLate, SeverityWarning, "The PSB badge went up after its deadline (our checks saw it missing then).",
		"the PSB badge was due on %s and was still missing on %s", "公安备案标识应于 %s 前展示,%s 仍未展示", "PSB badge shown late", "公安备案标识逾期展示"},
	{CodeBadgeDueSoon, SeverityInfo, "The PSB badge is due within 30 days of PSB approval and not yet shown.",
		"the PSB badge is due on %s (%d days left)", "公安备案标识应于 %s 前展示(剩余 %d 天)", "PSB badge due soon", "公安备案标识即将到期"},
}

// Codes returns the catalog of finding codes, in documentation order.
func Codes() []CodeInfo {
	return append([]CodeInfo(nil), catalog...)
}

// codeIndex finds a code's catalog entry.
var codeIndex = func() map[string]CodeInfo {
	m := make(map[string]CodeInfo, len(catalog))
	for _, c := range catalog {
		m[c.Code] = c
	}
	return m
}()

// newFinding fills a finding's messages from the catalog. An argument
// that has a Chinese form (a zhArg: problem details, hiding reasons,
// province names) shows it in MessageZH, so that the Chinese message is
// Chinese throughout.
func newFinding(code string, args ...any) Finding {
	c, ok := codeIndex[code]
	if !ok {
		panic("checker: unknown finding code " + code)
	}
	return Finding{
		Code:      code,
		Severity:  c.Severity,
		Message:   fmt.Sprintf(c.En, args...),
		MessageZH: fmt.Sprintf(c.Zh, zhArgs(args)...),
	}
}

// zhArg is a message argument with a Chinese form; fmt prints its
// English form through String.
type zhArg interface {
	fmt.Stringer
	zh() string
}

// biText is a message detail in English and Chinese.
type biText struct{ en, zhText string }

func (b biText) String() string { return b.en }
func (b biText) zh() string     { return b.zhText }

// zhArgs returns args with each zhArg replaced by its Chinese form; args
// itself when none has one (most findings: numbers and URLs).
func zhArgs(args []any) []any {
	var out []any
	for i, a := range args {
		z, ok := a.(zhArg)
		if !ok {
			continue
		}
		if out == nil {
			out = append([]any(nil), args...)
		}
		out[i] = z.zh()
	}
	if out == nil {
		return args
	}
	return out
}
