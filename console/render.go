package console

import (
	"bytes"
	"fmt"
	"github.com/beianwatch/beianwatch/auth"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/text/language"

	"github.com/beianwatch/beianwatch/checker"
)

// pageNames are the templates, each with the layout.
var pageNames = []string{"login", "error", "overview", "sites", "site", "cases", "case", "import"}

func parsePages() (map[string]*template.Template, error) {
	pages := map[string]*template.Template{}
	for _, name := range pageNames {
		t, err := template.New(name).Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("console: template %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

var funcs = template.FuncMap{
	"t":    translate,
	"date": func(t time.Time) string { return formatTime(t, "2006-01-02") },
	"time": func(t time.Time) string { return formatTime(t, "2006-01-02 15:04") },
	"day": func(d checker.Date) string {
		if d.IsZero() {
			return "—"
		}
		return d.String()
	},
	"join":   strings.Join,
	"source": highlight,
	"query":  func(v url.Values) template.URL { return template.URL(v.Encode()) },
	"list":   func(s ...string) []string { return s },
}

// formatTime shows t in China Standard Time, the team's clock.
func formatTime(t time.Time, layout string) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(checker.CST).Format(layout)
}

// page is what the layout renders: the page's own data in Data.
type page struct {
	Lang string
	// User is nil on the login and error pages before a login.
	User *userView
	Nav  string
	// LangURL is the page in the other language.
	LangURL string
	Data    any
}

type userView struct {
	Name  string
	CSRF  string
	Read  bool
	Write bool
	Cases bool
	Admin bool
}

func viewOf(u *user) *userView {
	if u == nil {
		return nil
	}
	return &userView{Name: u.Name, CSRF: u.csrf, Read: u.can(auth.Read), Write: u.can(auth.Write),
		Cases: u.can(auth.Cases), Admin: u.can(auth.Admin)}
}

// render writes a page. It renders into a buffer first, so that a
// template error becomes a 500 rather than half a page.
func (c *Console) render(w http.ResponseWriter, r *http.Request, u *user, status int, name string, data any) {
	lang := c.lang(w, r)
	q := r.URL.Query()
	q.Set("lang", map[string]string{"zh": "en", "en": "zh"}[lang])
	other := r.URL.Path + "?" + q.Encode()
	if r.Method != http.MethodGet {
		other = Prefix + "?lang=" + q.Get("lang")
	}
	var buf bytes.Buffer
	err := c.pages[name].ExecuteTemplate(&buf, "layout", page{Lang: lang, User: viewOf(u), Nav: name, LangURL: other, Data: data})
	if err != nil {
		c.o.Logger.Error("render page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Content-Language", lang)
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// fail answers with an error page whose message is the key's.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, u *user, status int, key string) {
	c.render(w, r, u, status, "error", errorPage{Status: status, Key: key})
}

// failText answers with an error page carrying a message of its own (a
// rule's refusal, in English).
func (c *Console) failText(w http.ResponseWriter, r *http.Request, u *user, status int, key, detail string) {
	c.render(w, r, u, status, "error", errorPage{Status: status, Key: key, Detail: detail})
}

type errorPage struct {
	Status int
	Key    string
	Detail string
}

var matcher = language.NewMatcher([]language.Tag{language.Chinese, language.English})

// lang is the page's language: ?lang= (remembered in a cookie), else the
// cookie, else the browser's Accept-Language, Chinese first for browsers
// that list it first, English otherwise.
func (c *Console) lang(w http.ResponseWriter, r *http.Request) string {
	if l := r.URL.Query().Get("lang"); l == "zh" || l == "en" {
		http.SetCookie(w, &http.Cookie{Name: langCookie, Value: l, Path: Prefix, MaxAge: 365 * 24 * 3600,
			SameSite: http.SameSiteStrictMode, HttpOnly: true, Secure: r.TLS != nil})
		return l
	}
	if ck, err := r.Cookie(langCookie); err == nil && (ck.Value == "zh" || ck.Value == "en") {
		return ck.Value
	}
	return langOf(r.Header.Get("Accept-Language"))
}

// langOf is the language an Accept-Language header prefers.
func langOf(accept string) string {
	tags, _, err := language.ParseAcceptLanguage(accept)
	if err != nil || len(tags) == 0 {
		return "en"
	}
	_, i, _ := matcher.Match(tags...)
	if i == 0 {
		return "zh"
	}
	return "en"
}
