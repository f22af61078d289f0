package alerts

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/beianwatch/beianwatch/cases"
	"github.com/beianwatch/beianwatch/checker"
)

// Language chooses the language(s) of messages.
type Language string

// Languages. The zero Language means LanguageBoth.
const (
	LanguageZH   Language = "zh"
	LanguageEN   Language = "en"
	LanguageBoth Language = "both" // Chinese first, then English
)

// languages lists the single languages l stands for.
func (l Language) languages() []Language {
	switch l {
	case LanguageZH, LanguageEN:
		return []Language{l}
	default:
		return []Language{LanguageZH, LanguageEN}
	}
}

// Text is an alert rendered for people in one language.
type Text struct {
	Language Language `json:"language"`
	// Summary is one line saying what happened, without the status.
	Summary string `json:"summary"`
	// Details are further lines: the findings with their titles, the
	// error, severity, tags, times, other values and the link.
	Details []string `json:"details"`
}

// Render renders an alert in each language of lang (LanguageBoth gives
// Chinese, then English). The result depends only on the alert: times are
// shown in Beijing time, values in key order.
func Render(a Alert, lang Language) []Text {
	var out []Text
	for _, l := range lang.languages() {
		out = append(out, render(a, l))
	}
	return out
}

// phrase is one rule's summary, firing and resolved, in both languages.
// {name} is replaced by a placeholder value (see placeholders).
type phrase struct{ en, zh, enResolved, zhResolved string }

// phrases are the rules' summaries. Deadline and case wording follows the
// checker's catalog (公安备案, 公安备案标识) so messages and findings agree.
var phrases = map[string]phrase{
	RuleSiteFailing: {
		"{domain} fails the filing check", "{domain} 备案检查未通过",
		"{domain} passes the filing check again", "{domain} 备案检查已恢复通过"},
	RuleSiteUnreachable: {
		"{domain} cannot be checked", "{domain} 无法完成检查",
		"{domain} can be checked again", "{domain} 已恢复正常检查"},
	RuleDeadlineDueSoon: {
		"{domain}: the {deadline} is due on {due} ({days_left} days left)", "{domain}:{deadline}应于 {due} 前完成(剩余 {days_left} 天)",
		"{domain}: the {deadline} due on {due} is no longer pending", "{domain}:{deadline}({due} 到期)已不再待办"},
	RuleDeadlineMissed: {
		"{domain}: the {deadline} was due on {due} ({days_overdue} days ago)", "{domain}:{deadline}应于 {due} 前完成,已逾期 {days_overdue} 天",
		"{domain}: the {deadline} due on {due} is now done", "{domain}:{deadline}({due} 到期)现已完成"},
	RuleCaseOpened: {
		"{domain}: case {case} opened", "{domain}:工单 {case} 已创建",
		"{domain}: case {case} closed", "{domain}:工单 {case} 已关闭"},
	RuleCaseOverdue: {
		"{domain}: case {case} is overdue (due {due})", "{domain}:工单 {case} 已逾期(期限 {due})",
		"{domain}: case {case} is no longer overdue", "{domain}:工单 {case} 已不再逾期"},
	RuleCaseFixed: {
		"{domain}: case {case} is fixed", "{domain}:工单 {case} 已整改完成",
		"{domain}: case {case} is fixed", "{domain}:工单 {case} 已整改完成"},
	RuleCaseBlocked: {
		"{domain}: access suspended for case {case}", "{domain}:因工单 {case} 已暂停接入",
		"{domain}: access restored for case {case}", "{domain}:工单 {case} 已恢复接入"},
}

// deadlineNames name the deadlines in messages.
var deadlineNames = map[string][2]string{ // en, zh
	DeadlinePSBFiling: {"PSB filing", "公安备案"},
	DeadlineBadge:     {"PSB badge", "公安备案标识展示"},
}

// consumed are the values that summaries and fixed detail lines show;
// the others are listed as they are.
var consumed = map[string]bool{ValueDue: true, ValueDaysLeft: true, ValueConsecutiveFailures: true, ValueError: true, ValueReason: true,
	ValueProvisional: true}

var placeholder = regexp.MustCompile(`\{[a-z_]+\}`)

func render(a Alert, l Language) Text {
	zh := l == LanguageZH
	t := Text{Language: l, Summary: summary(a, zh)}
	pick := func(en, zh string) string {
		if l == LanguageZH {
			return zh
		}
		return en
	}
	if len(a.Codes) > 0 {
		t.Details = append(t.Details, pick("Findings:", "问题:"))
		for _, c := range a.Codes {
			t.Details = append(t.Details, "- "+c+pick(": ", ":")+codeTitle(c, zh))
		}
	}
	if v := a.Values[ValueError]; v != "" {
		t.Details = append(t.Details, pick("Error: ", "错误:")+v)
	}
	if v := a.Values[ValueConsecutiveFailures]; v != "" {
		t.Details = append(t.Details, pick("Failed checks in a row: ", "连续失败次数:")+v)
	}
	if v := a.Values[ValueReason]; v != "" {
		t.Details = append(t.Details, pick("Reason: ", "原因:")+v)
	}
	if years := provisionalYears(a.Values[ValueProvisional]); len(years) > 0 {
		t.Details = append(t.Details, pick("Deadline ", "期限")+pick(cases.ProvisionalNote(years), cases.ProvisionalNoteZH(years)))
	}
	if a.Severity != "" {
		t.Details = append(t.Details, pick("Severity: ", "级别:")+severityName(a.Severity, zh))
	}
	if len(a.Tags) > 0 {
		t.Details = append(t.Details, pick("Tags: ", "标签:")+strings.Join(a.Tags, ", "))
	}
	if !a.StartsAt.IsZero() {
		t.Details = append(t.Details, pick("Since: ", "开始时间:")+beijingTime(a.StartsAt, zh))
	}
	if a.Status == StatusResolved && !a.EndsAt.IsZero() {
		t.Details = append(t.Details, pick("Resolved: ", "恢复时间:")+beijingTime(a.EndsAt, zh))
	}
	for _, k := range slices.Sorted(maps.Keys(a.Values)) {
		if !consumed[k] && a.Values[k] != "" {
			t.Details = append(t.Details, k+pick(": ", ":")+a.Values[k])
		}
	}
	if a.GeneratorURL != "" {
		t.Details = append(t.Details, pick("Details: ", "详情:")+a.GeneratorURL)
	}
	return t
}

// summary fills the rule's phrase. A value the alert lacks shows as "?",
// so a missing value is visible rather than silently dropped.
func summary(a Alert, zh bool) string {
	p, ok := phrases[a.Rule]
	if !ok {
		p = phrase{"{domain}: " + a.Rule, "{domain}:" + a.Rule, "{domain}: " + a.Rule, "{domain}:" + a.Rule}
	}
	tmpl := p.en
	switch {
	case zh && a.Status == StatusResolved:
		tmpl = p.zhResolved
	case zh:
		tmpl = p.zh
	case a.Status == StatusResolved:
		tmpl = p.enResolved
	}
	return placeholder.ReplaceAllStringFunc(tmpl, func(m string) string {
		if v := placeholderValue(a, m[1:len(m)-1], zh); v != "" {
			return v
		}
		return "?"
	})
}

func placeholderValue(a Alert, name string, zh bool) string {
	switch name {
	case "domain":
		return a.Domain
	case "case":
		return a.Labels[LabelCase]
	case "deadline":
		d := a.Labels[LabelDeadline]
		if n, ok := deadlineNames[d]; ok {
			if zh {
				return n[1]
			}
			return n[0]
		}
		return d
	case "days_overdue":
		if v := a.Values[ValueDaysLeft]; strings.HasPrefix(v, "-") {
			return v[1:]
		}
		return a.Values[ValueDaysLeft]
	default:
		return a.Values[name]
	}
}

// provisionalYears reads ValueProvisional; what is not a year is left out.
func provisionalYears(v string) []int {
	var years []int
	for _, f := range strings.Split(v, ",") {
		if y, err := strconv.Atoi(strings.TrimSpace(f)); err == nil {
			years = append(years, y)
		}
	}
	return years
}

func severityName(s Severity, zh bool) string {
	if !zh {
		return string(s)
	}
	switch s {
	case SeverityCritical:
		return "严重"
	case SeverityWarning:
		return "警告"
	case SeverityInfo:
		return "提示"
	}
	return string(s)
}

func beijingTime(t time.Time, zh bool) string {
	s := t.In(checker.CST).Format("2006-01-02 15:04")
	if zh {
		return s + "(北京时间)"
	}
	return s + " (Beijing time)"
}

// statusWord marks a message firing or resolved, for chat robots.
func statusWord(s Status, l Language) string {
	switch {
	case l == LanguageZH && s == StatusResolved:
		return "[已恢复]"
	case l == LanguageZH:
		return "[告警]"
	case s == StatusResolved:
		return "[RESOLVED]"
	default:
		return "[FIRING]"
	}
}

// title is a finding code's title in both languages.
type title struct{ en, zh string }

// codeTitles are the titles of the checker's codes, from its catalog.
var codeTitles = sync.OnceValue(func() map[string]title {
	m := make(map[string]title)
	for _, c := range checker.Codes() {
		m[c.Code] = title{en: c.Title, zh: c.TitleZH}
	}
	return m
})

// codeTitle returns a code's title, or "" for a code the checker does
// not know (an old code stored before a rename would be a bug, but the
// alert must still go out).
func codeTitle(code string, zh bool) string {
	t, ok := codeTitles()[code]
	switch {
	case !ok:
		return code
	case zh:
		return t.zh
	default:
		return t.en
	}
}

// plain renders alerts as plain text: per alert and language, the status,
// the summary and the details, one a line; alerts apart by a blank line.
func plain(alerts []Alert, lang Language) string {
	var b strings.Builder
	for i, a := range alerts {
		for j, t := range Render(a, lang) {
			if i > 0 || j > 0 {
				b.WriteString("\n")
			}
			fmt.Fprintf(&b, "%s %s\n", statusWord(a.Status, t.Language), t.Summary)
			for _, d := range t.Details {
				b.WriteString(d + "\n")
			}
		}
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// markdown renders alerts as the robots' markdown: a heading per alert
// and language, details as paragraphs (both robots need a blank line to
// break a line), a rule between alerts.
func markdown(alerts []Alert, lang Language) string {
	var b strings.Builder
	for i, a := range alerts {
		if i > 0 {
			b.WriteString("\n\n---\n\n")
		}
		for j, t := range Render(a, lang) {
			if j > 0 {
				b.WriteString("\n\n")
			}
			fmt.Fprintf(&b, "#### %s %s", statusWord(a.Status, t.Language), t.Summary)
			for _, d := range t.Details {
				b.WriteString("\n\n" + d)
			}
		}
	}
	return b.String()
}

// heading is a one-line title for a batch: the first alert's status and
// summary in the first language, and how many more alerts follow.
func heading(alerts []Alert, lang Language) string {
	if len(alerts) == 0 {
		return ""
	}
	l := lang.languages()[0]
	s := statusWord(alerts[0].Status, l) + " " + summary(alerts[0], l == LanguageZH)
	if n := len(alerts) - 1; n > 0 {
		if l == LanguageZH {
			s += fmt.Sprintf(" 等 %d 条", len(alerts))
		} else {
			s += fmt.Sprintf(" (+%d more)", n)
		}
	}
	return s
}
