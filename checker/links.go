package checker

import (
	"net/url"
	"regexp"
	"strings"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"
)

// ICP link targets.
const (
	miitCurrent  = "current"
	miitOutdated = "outdated"
	miitOther    = "other"
)

// miitHosts are the MIIT filing system's hosts; all but the first are
// retired (domain.md §4) and flagged as outdated, not missing.
var miitHosts = map[string]string{
	"beian.miit.gov.cn":     miitCurrent,
	"www.beian.miit.gov.cn": miitOutdated,
	"miitbeian.gov.cn":      miitOutdated,
	"www.miitbeian.gov.cn":  miitOutdated,
	"miibeian.gov.cn":       miitOutdated,
	"www.miibeian.gov.cn":   miitOutdated,
}

// onclickURL finds a URL opened by script: onclick="window.open('…')".
var onclickURL = regexp.MustCompile(`https?://[^'"\s)]+`)

// scriptNav finds the URL a script attribute sends the visitor to:
// window.open('…'), location.href='…', window.location='…',
// location.assign('…') or location.replace('…').
var scriptNav = regexp.MustCompile(`(?i)(?:\bopen\s*\(|\blocation(?:\.href)?\s*=|\blocation\.(?:assign|replace)\s*\()\s*['"]([^'"]+)['"]`)

// scriptURL returns the URL an onclick attribute navigates to, "" if none.
func scriptURL(onclick string) string {
	if onclick == "" || !containsFoldASCII(onclick, "open") && !containsFoldASCII(onclick, "location") {
		return ""
	}
	if m := scriptNav.FindStringSubmatch(onclick); m != nil {
		return strings.TrimSpace(m[1])
	}
	return ""
}

// linkHref returns where a link takes the visitor: its href, or, when the
// href goes nowhere (javascript:, #, empty), the URL its onclick opens.
// Any other element (a <span> or <div> with an onclick) takes the visitor
// where its onclick navigates.
func linkHref(a *html.Node) string {
	if a.DataAtom != atom.A {
		return scriptURL(attr(a, "onclick"))
	}
	href := strings.TrimSpace(attr(a, "href"))
	l := strings.ToLower(href)
	if href == "" || href == "#" || strings.HasPrefix(l, "javascript:") {
		if u := scriptURL(attr(a, "onclick")); u != "" {
			return u
		}
		if u := onclickURL.FindString(attr(a, "onclick")); u != "" {
			return u
		}
	}
	return href
}

// isScriptLink reports an element other than <a> whose onclick navigates:
// to a visitor it is a link.
func isScriptLink(n *html.Node) bool {
	return n.Type == html.ElementNode && n.DataAtom != atom.A && scriptURL(attr(n, "onclick")) != ""
}

// closestLink returns the link around n (n included): the closest <a>,
// or an element whose onclick navigates; nil if none.
func closestLink(n *html.Node) *html.Node {
	for ; n != nil; n = n.Parent {
		if n.Type == html.ElementNode && (n.DataAtom == atom.A || isScriptLink(n)) {
			return n
		}
	}
	return nil
}

// parseHref parses an href the way a browser follows it.
func parseHref(href string, base *url.URL) *url.URL {
	href = strings.TrimSpace(href)
	if href == "" {
		return nil
	}
	u, err := url.Parse(href)
	if err != nil {
		return nil
	}
	if base != nil {
		u = base.ResolveReference(u)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil
	}
	return u
}

// miitTarget classifies where an ICP number's link goes.
func miitTarget(href string, base *url.URL) string {
	u := parseHref(href, base)
	if u == nil {
		return miitOther
	}
	if t, ok := miitHosts[strings.ToLower(u.Hostname())]; ok {
		return t
	}
	return miitOther
}

// psbCode matches the code in both PSB link styles, wherever the query
// sits (the new platform keeps it in the URL fragment).
var psbCode = regexp.MustCompile(`(?i)[?&](?:code|recordcode)=\s*([0-9]*)`)

// psbTarget classifies a PSB link: its style and the code it carries.
func psbTarget(href string, base *url.URL) (style, code string) {
	u := parseHref(href, base)
	if u == nil {
		return LinkOther, ""
	}
	switch h := strings.ToLower(u.Hostname()); {
	case h == "beian.mps.gov.cn" && strings.Contains(strings.ToLower(href), "query"):
		// The query page (its route sits in the fragment); the bare home
		// page is not where a visitor can look the number up.
		style = LinkMPS
	case (h == "www.beian.gov.cn" || h == "beian.gov.cn") && strings.Contains(strings.ToLower(u.Path), "registersysteminfo"):
		style = LinkLegacy
	default:
		return LinkOther, ""
	}
	if m := psbCode.FindStringSubmatch(href); m != nil {
		code = m[1]
	}
	return style, code
}

// isPSBLink reports an <a> pointing at either PSB query page.
func isPSBLink(base *url.URL) func(*html.Node) bool {
	return func(n *html.Node) bool {
		if n.DataAtom != atom.A && !isScriptLink(n) {
			return false
		}
		s, _ := psbTarget(linkHref(n), base)
		return s != LinkOther
	}
}

// badgeWords mark an image as a filing badge by its name or text.
var badgeWords = []string{"备案", "公安", "公网安", "网安", "beian", "gongan", "police", "ghs", "gaba", "ga_icon",
	"filing", "record", "wangan", "logo01.dd7ff50e"}

func isBadgeImage(n *html.Node) bool {
	if !isImage(n) {
		return false
	}
	s := strings.ToLower(attr(n, "src") + " " + attr(n, "alt") + " " + attr(n, "title") + " " + attr(n, "class") + " " + attr(n, "style"))
	for _, w := range badgeWords {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// attrOf returns the value of key among attrs, "" when absent.
func attrOf(attrs []html.Attribute, key string) string {
	for _, a := range attrs {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}
