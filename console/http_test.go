package console_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"html"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
)

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// client is a browser without one: a cookie jar and no redirects
// followed, so that each answer can be looked at.
type client struct {
	t    *testing.T
	base string
	hc   *http.Client
}

func newClient(t *testing.T, base string) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, base: base, hc: &http.Client{Jar: jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (c *client) do(method, path string, form url.Values) (*http.Response, string) {
	c.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// csrf is the CSRF token of the page at path.
func (c *client) csrf(path string) string {
	c.t.Helper()
	_, body := c.do("GET", path, nil)
	m := csrfRE.FindStringSubmatch(body)
	if m == nil {
		c.t.Fatalf("GET %s: no CSRF token in the page", path)
	}
	return m[1]
}

// login logs in with the token and returns the login's answer.
func (c *client) login(secret string) *http.Response {
	c.t.Helper()
	resp, _ := c.do("POST", "/ui/login", url.Values{"csrf": {c.csrf("/ui/login")}, "token": {secret}})
	return resp
}

func TestLoginSessionAndCSRF(t *testing.T) {
	e := startEnv(t)
	e.pages.set("/evil", footerPage("闽ICP备17023814号-8", `<img src=x onerror="alert(2)">`))
	ids := e.register(t, site(t, "evil.example.cn", `<script>alert("name")</script>`, "闽ICP备17023814号-3", e.pages.url("/evil")))
	if err := e.d.CheckSite(context.Background(), ids[0]); err != nil {
		t.Fatal(err)
	}
	admin, viewer := e.token(t, "ops", "admin"), e.token(t, "viewer", "read")
	sitePath := "/ui/sites/" + strconv.FormatInt(ids[0], 10)

	c := newClient(t, e.base)
	resp, _ := c.do("GET", "/ui/login", nil)
	for h, want := range map[string]string{
		"Content-Security-Policy": "frame-ancestors 'none'",
		"X-Content-Type-Options":  "nosniff",
	} {
		if got := resp.Header.Get(h); !strings.Contains(got, want) {
			t.Errorf("login page: %s = %q, want it to hold %q", h, got, want)
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP %q: want default-src 'none' and no unsafe-inline", csp)
	}
	if resp, _ := c.do("GET", "/ui/", nil); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/ui/login" {
		t.Errorf("GET /ui/ without a session = %d to %q, want 303 to /ui/login", resp.StatusCode, resp.Header.Get("Location"))
	}
	for _, tc := range []struct {
		name string
		form url.Values
		want int
	}{
		{"no CSRF token", url.Values{"token": {admin}}, http.StatusForbidden},
		{"wrong CSRF token", url.Values{"token": {admin}, "csrf": {"forged"}}, http.StatusForbidden},
		{"wrong API token", url.Values{"token": {"bw_wrong"}, "csrf": {c.csrf("/ui/login")}}, http.StatusUnauthorized},
	} {
		if resp, _ := c.do("POST", "/ui/login", tc.form); resp.StatusCode != tc.want {
			t.Errorf("login with %s = %d, want %d", tc.name, resp.StatusCode, tc.want)
		}
	}

	resp = c.login(admin)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login = %d, want 303", resp.StatusCode)
	}
	var session *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == "bw_session" {
			session = ck
		}
	}
	if session == nil || !session.HttpOnly || session.SameSite != http.SameSiteStrictMode || session.Path != "/ui/" {
		t.Fatalf("session cookie %+v: want HttpOnly, SameSite=Strict, Path=/ui/", session)
	}

	// Customer text is inert: escaped, never markup.
	_, body := c.do("GET", sitePath, nil)
	for _, bad := range []string{`<script>alert("name")`, `<img src=x onerror`} {
		if strings.Contains(body, bad) {
			t.Errorf("site page holds %q as markup", bad)
		}
	}
	for _, want := range []string{`&lt;script&gt;alert(&#34;name&#34;)&lt;/script&gt;`, `&lt;img src=`, ` onerror=`, `&#34;alert(2)&#34;`, "13812345678", `id="check-now"`} {
		if !strings.Contains(body, want) {
			t.Errorf("admin's site page lacks %q", want)
		}
	}

	check := sitePath + "/check"
	if resp, _ := c.do("POST", check, url.Values{}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST %s without CSRF = %d, want 403", check, resp.StatusCode)
	}
	if resp, _ := c.do("POST", check, url.Values{"csrf": {"x" + c.csrf(sitePath)}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("POST %s with a wrong CSRF token = %d, want 403", check, resp.StatusCode)
	}
	if resp, _ := c.do("POST", check, url.Values{"csrf": {c.csrf(sitePath)}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("POST %s = %d, want 303", check, resp.StatusCode)
	}

	// A read-only token: personal data masked, no buttons, POSTs refused.
	v := newClient(t, e.base)
	v.login(viewer)
	_, body = v.do("GET", sitePath, nil)
	for _, bad := range []string{"13812345678", "lisi@example.com", "张三丰", `id="check-now"`} {
		if strings.Contains(body, bad) {
			t.Errorf("read-only site page shows %q", bad)
		}
	}
	if !strings.Contains(body, "138****5678") {
		t.Errorf("read-only site page lacks the masked phone")
	}
	if resp, _ := v.do("POST", check, url.Values{"csrf": {v.csrf(sitePath)}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("read-only POST %s = %d, want 403", check, resp.StatusCode)
	}

	// Logout ends the session on the server: the old cookie opens nothing.
	old := session.Value
	if resp, _ := c.do("POST", "/ui/logout", url.Values{"csrf": {c.csrf("/ui/")}}); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("logout = %d, want 303", resp.StatusCode)
	}
	replay := newClient(t, e.base)
	u, _ := url.Parse(e.base + "/ui/")
	replay.hc.Jar.SetCookies(u, []*http.Cookie{{Name: "bw_session", Value: old, Path: "/ui/"}})
	if resp, _ := replay.do("GET", "/ui/", nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("GET with a logged-out session = %d, want 303 to the login", resp.StatusCode)
	}

	// Revoking the token ends its sessions.
	if err := e.st.RevokeToken(context.Background(), "viewer"); err != nil {
		t.Fatal(err)
	}
	if resp, _ := v.do("GET", "/ui/sites", nil); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("GET with a revoked token's session = %d, want 303 to the login", resp.StatusCode)
	}
}

// TestImportConflict: a row whose domains belong to two registered sites
// is reported at its line and left out; the other row goes in.
func TestImportConflict(t *testing.T) {
	e := startEnv(t)
	e.register(t, site(t, "one.example.cn", "一", "闽ICP备17023814号-1", ""), site(t, "two.example.cn", "二", "闽ICP备17023814号-2", ""))
	c := newClient(t, e.base)
	if resp := c.login(e.token(t, "ops", "write")); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login = %d, want 303", resp.StatusCode)
	}
	file := "domains\none.example.cn;two.example.cn\nthree.example.cn\n"
	resp, body := c.do("POST", "/ui/import", url.Values{"csrf": {c.csrf("/ui/import")}, "step": {"import"}, "name": {"sites.csv"},
		"encoding": {"utf-8"}, "content": {base64.StdEncoding.EncodeToString([]byte(file))}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="inserted">1<`) {
		t.Fatalf("import = %d, want 200 and 1 inserted:\n%s", resp.StatusCode, body)
	}
	if !strings.Contains(body, `<td class="num">2</td><td>two.example.cn</td><td><div class="error row-error">domains: `) {
		t.Errorf("import page lacks line 2's conflict:\n%s", body)
	}
	if n := strings.Count(body, `<td class="num">2</td>`); n != 1 {
		t.Errorf("line 2 listed %d times, want once (as refused):\n%s", n, body)
	}
	if _, _, err := e.st.SiteByDomain(context.Background(), "three.example.cn"); err != nil {
		t.Errorf("the other row: %v", err)
	}
}

// TestImportWorkbook: an Excel workbook goes through the same two steps as
// a CSV file, its row numbers as lines; the encoding chosen in the form
// (for text files) does not get in its way.
func TestImportWorkbook(t *testing.T) {
	e := startEnv(t)
	c := newClient(t, e.base)
	if resp := c.login(e.token(t, "ops", "write")); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("login = %d, want 303", resp.StatusCode)
	}
	f := excelize.NewFile()
	for i, row := range [][]string{{"domains", "site_name", "icp_number"},
		{"book.example.cn", "表格网站", "闽ICP备17023814号-8"}, {"bad.example.cn", "坏行", "not-a-number"}} {
		for j, v := range row {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			f.SetCellStr("Sheet1", cell, v)
		}
	}
	var book bytes.Buffer
	if err := f.Write(&book); err != nil {
		t.Fatal(err)
	}
	f.Close()

	// The dry run, uploaded as a browser does.
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("csrf", c.csrf("/ui/import"))
	mw.WriteField("step", "check")
	mw.WriteField("encoding", "gbk")
	fw, _ := mw.CreateFormFile("file", "sites.xlsx")
	fw.Write(book.Bytes())
	mw.Close()
	req, _ := http.NewRequest("POST", e.base+"/ui/import", &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := c.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || bytes.Contains(page, []byte(`id="file-error"`)) ||
		!bytes.Contains(page, []byte(`<td class="num">3</td><td>bad.example.cn</td><td><div class="error row-error">icp_number: `)) {
		t.Fatalf("dry run of a workbook = %d, want 200 and row 3 refused:\n%s", resp.StatusCode, page)
	}
	m := regexp.MustCompile(`name="content" value="([^"]+)"`).FindSubmatch(page)
	if m == nil {
		t.Fatalf("dry run page has no import form:\n%s", page)
	}

	// The import of its valid rows.
	r, done := c.do("POST", "/ui/import", url.Values{"csrf": {c.csrf("/ui/import")}, "step": {"import"}, "name": {"sites.xlsx"},
		"encoding": {""}, "content": {html.UnescapeString(string(m[1]))}})
	if r.StatusCode != http.StatusOK || !strings.Contains(done, `id="inserted">1<`) {
		t.Fatalf("import of a workbook = %d, want 200 and 1 inserted:\n%s", r.StatusCode, done)
	}
	if _, _, err := e.st.SiteByDomain(context.Background(), "book.example.cn"); err != nil {
		t.Errorf("the workbook's valid row: %v", err)
	}
}
