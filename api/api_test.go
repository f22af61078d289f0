package api_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/xuri/excelize/v2"

	"github.com/beianwatch/beianwatch/cases"
	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/crawler"
	"github.com/beianwatch/beianwatch/daemon"
	"github.com/beianwatch/beianwatch/internal/pgtest"
	"github.com/beianwatch/beianwatch/keyring"
	"github.com/beianwatch/beianwatch/registry"
	"github.com/beianwatch/beianwatch/sitefile"
)

// env is a daemon serving the API on loopback over a registry of its
// own, with a token for each scope, and a test site it can fetch.
type env struct {
	t      testing.TB
	base   string
	client *http.Client
	v      *validator
	st     *registry.Store
	tokens map[string]string // "read", …, "admin", "expired", "limited" → secret
	fetch  crawler.FetchConfig
	ids    map[string]int64 // domain → site id
}

func newEnv(t testing.TB, dsn string) *env {
	t.Helper()
	page, err := os.ReadFile("testdata/compliant.html")
	if err != nil {
		t.Fatal(err)
	}
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	}))
	t.Cleanup(site.Close)
	_, port, _ := strings.Cut(strings.TrimPrefix(site.URL, "http://127.0.0.1"), ":")
	rule, err := crawler.ParseResolve("*.example.test:127.0.0.1:" + port)
	if err != nil {
		t.Fatal(err)
	}
	key, err := keyring.Generate("k1")
	if err != nil {
		t.Fatal(err)
	}
	keys := keyring.New(key)
	opts := daemon.DefaultOptions()
	opts.DSN, opts.Listen, opts.Keys = dsn, "127.0.0.1:0", keys
	opts.Fetch.AllowCIDRs = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	opts.Fetch.Resolve = []crawler.ResolveRule{rule}
	opts.Fetch.Timeout = 5 * time.Second
	opts.LeaseTTL = time.Minute
	opts.API.CheckRate, opts.API.CheckBurst = 0.001, 8
	opts.API.MaxBody = 64 << 10
	opts.Logger, opts.Metrics = slogDiscard(), prometheus.NewRegistry()
	d, err := daemon.New(context.Background(), opts)
	if err != nil {
		t.Fatalf("daemon.New: %v", err)
	}
	t.Cleanup(func() { d.Close() })
	st, err := registry.Open(context.Background(), dsn, nil, prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	st.SetKeys(keys)
	e := &env{t: t, base: "http://" + d.Addr().String(), st: st, tokens: map[string]string{}, ids: map[string]int64{},
		fetch: opts.Fetch}
	e.v = newValidator(t)
	e.client = &http.Client{Transport: e.v}
	for _, name := range []string{"read", "write", "cases", "probe", "admin", "limited", "editor"} {
		scopes := []string{name}
		switch name {
		case "limited":
			scopes = []string{"write"}
		case "editor":
			scopes = []string{"read", "write"}
		}
		secret, _, err := st.CreateToken(context.Background(), name, scopes, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		e.tokens[name] = secret
	}
	secret, _, err := st.CreateToken(context.Background(), "expired", []string{"admin"}, time.Now().Add(-time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	e.tokens["expired"] = secret
	e.tokens["wrong"] = "bw_" + strings.Repeat("A", 43)
	return e
}

// do sends a request (body: a string, or a value sent as JSON) with the
// token named, and returns the status and body.
func (e *env) do(ctx context.Context, method, path, token string, body any) (int, []byte, http.Header) {
	e.t.Helper()
	var r io.Reader
	ctype := ""
	switch b := body.(type) {
	case nil:
	case string:
		r, ctype = strings.NewReader(b), "application/json"
	case csvBody:
		r, ctype = strings.NewReader(string(b)), "text/csv"
	case xlsxBody:
		r, ctype = bytes.NewReader(b), sitefile.MediaTypeXLSX
	default:
		j, _ := json.Marshal(b)
		r, ctype = bytes.NewReader(j), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, method, e.base+path, r)
	if err != nil {
		e.t.Fatal(err)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	if s, ok := e.tokens[token]; ok {
		req.Header.Set("Authorization", "Bearer "+s)
	}
	resp, err := e.client.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, b, resp.Header
}

type csvBody string

// xlsxBody is an Excel workbook sent as a request body.
type xlsxBody []byte

// workbook is the CSV text csv as an Excel workbook: its lines are the
// first sheet's rows, as a person would type them.
func workbook(t *testing.T, csvText string) xlsxBody {
	t.Helper()
	rows, err := csv.NewReader(strings.NewReader(csvText)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	f := excelize.NewFile()
	defer f.Close()
	for i, row := range rows {
		for j, v := range row {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			if err := f.SetCellStr("Sheet1", cell, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// must sends a valid request and wants the status.
func (e *env) must(status int, method, path, token string, body any) []byte {
	e.t.Helper()
	got, b, _ := e.do(context.Background(), method, path, token, body)
	if got != status {
		e.t.Fatalf("%s %s as %s = %d %s, want %d", method, path, token, got, b, status)
	}
	return b
}

// errorCode is the code of an error body.
func errorCode(b []byte) string {
	var v struct{ Error struct{ Code string } }
	json.Unmarshal(b, &v)
	return v.Error.Code
}

func siteJSON(domain, icp string) map[string]any {
	return map[string]any{
		"domains": domain, "site_name": "示例", "icp_number": icp, "icp_approved_on": "2021-06-01", "launched_on": "2021-06-02",
		"psb_number": "11010502045678", "psb_filed_on": "2021-06-20", "psb_approved_on": "2021-07-01",
		"customer_id": "c-1", "operator_type": "personal", "operator_name": "张三",
		"contact_name": "张三", "contact_phone": "13812345678", "contact_email": "z@example.cn", "tags": []string{"vip"},
	}
}

// TestAPI runs the API's suite on both engines; every request and
// response is validated against the OpenAPI document, and at the end
// every operation must have been answered 2xx at least once.
func TestAPI(t *testing.T) {
	pgtest.ForEachEngine(t, func(t *testing.T, dsn string) {
		e := newEnv(t, dsn)
		e.seed()
		run := func(name string, f func(t *testing.T)) {
			t.Run(name, func(t *testing.T) {
				parent := e.t
				e.t = t // so that must's Fatal ends this subtest only
				defer func() { e.t = parent }()
				f(t)
			})
		}
		run("sites", e.testSites)
		run("personal", e.testPersonal)
		run("verbatim", e.testVerbatim)
		run("import", e.testImport)
		run("export", e.testExport)
		run("checks", e.testChecks)
		run("cases", e.testCases)
		run("confirm", e.testConfirm)
		run("case pages", e.testCasePages)
		run("bad input", e.testBadInput)
		run("authorization", e.testAuthorization)
		run("audit", e.testAudit)
		if u := e.v.unreached(); len(u) > 0 {
			t.Errorf("operations never answered 2xx: %v", u)
		}
		t.Logf("%d requests validated against the OpenAPI document", e.v.n)
	})
}

// seed creates ten sites through the API: a.example.test … j.example.test.
func (e *env) seed() {
	for i := range 10 {
		d := fmt.Sprintf("%c.example.test", 'a'+i)
		var s struct{ ID int64 }
		// a.example.test carries the numbers the test page shows.
		icp := fmt.Sprintf("京ICP备20210345%02d号-1", 10+i)
		if i == 0 {
			icp = "京ICP备2021034567号-1"
		}
		json.Unmarshal(e.must(http.StatusCreated, "POST", "/api/v1/sites", "write", siteJSON(d, icp)), &s)
		e.ids[d] = s.ID
	}
}

type sitePage struct {
	Sites []struct {
		ID           int64
		Domains      []string
		ContactPhone *string `json:"contact_phone"`
		OperatorName *string `json:"operator_name"`
		SiteName     string  `json:"site_name"`
	}
	NextCursor *string `json:"next_cursor"`
}

func (e *env) pages(path, token string) ([]string, int) {
	e.t.Helper()
	var got []string
	cursor, n := "", 0
	for {
		p := path
		if cursor != "" {
			p += "&cursor=" + url.QueryEscape(cursor)
		}
		var page sitePage
		json.Unmarshal(e.must(http.StatusOK, "GET", p, token, nil), &page)
		n++
		for _, s := range page.Sites {
			got = append(got, s.Domains[0])
		}
		if page.NextCursor == nil || n > 20 {
			return got, n
		}
		cursor = *page.NextCursor
	}
}

func (e *env) testSites(t *testing.T) {
	got, pages := e.pages("/api/v1/sites?limit=3", "read")
	if len(got) != 10 || pages != 4 {
		t.Errorf("all sites in pages of 3: %v in %d pages, want 10 in 4", got, pages)
	}
	got, _ = e.pages("/api/v1/sites?limit=2&q=C.EXAMPLE", "read")
	if diff := cmp.Diff([]string{"c.example.test"}, got); diff != "" {
		t.Errorf("prefix filter (-want +got):\n%s", diff)
	}
	got, _ = e.pages("/api/v1/sites?customer_id=c-1&tag=vip&verdict=unchecked&limit=500", "read")
	if len(got) != 10 {
		t.Errorf("customer, tag and verdict filters: %d sites, want 10", len(got))
	}
	got, _ = e.pages("/api/v1/sites?deadline=due_soon&due_within=30&limit=5", "read")
	if len(got) != 0 {
		t.Errorf("due_soon: %v, want none (every deadline met or unknown)", got)
	}
	// A cursor is bound to its filter and signed.
	var page sitePage
	json.Unmarshal(e.must(http.StatusOK, "GET", "/api/v1/sites?limit=3", "read", nil), &page)
	c := *page.NextCursor
	payload, mac, _ := strings.Cut(c, ".")
	for name, bad := range map[string]string{
		"other filter": "", "edited": payload[:2] + "X" + payload[3:] + "." + mac, "no mac": payload,
		"garbage": "%%%", "forged": "eyJhIjo1fQ." + mac, "empty mac": payload + ".",
	} {
		path := "/api/v1/sites?limit=3&cursor=" + url.QueryEscape(bad)
		if name == "other filter" {
			path = "/api/v1/sites?limit=3&verdict=fail&cursor=" + url.QueryEscape(c)
		}
		code, b, _ := e.do(context.Background(), "GET", path, "read", nil)
		if code != http.StatusBadRequest || errorCode(b) != "bad_cursor" {
			t.Errorf("%s cursor: %d %s, want 400 bad_cursor", name, code, b)
		}
	}
	// One site, updated, retired.
	id := e.ids["b.example.test"]
	e.must(http.StatusOK, "GET", fmt.Sprintf("/api/v1/sites/%d", id), "read", nil)
	upd := siteJSON("b.example.test", "京ICP备2021034511号-1")
	upd["site_name"] = "改名"
	var s struct {
		SiteName string `json:"site_name"`
	}
	json.Unmarshal(e.must(http.StatusOK, "PUT", fmt.Sprintf("/api/v1/sites/%d", id), "write", upd), &s)
	if s.SiteName != "改名" {
		t.Errorf("after PUT, site_name = %q", s.SiteName)
	}
	other := siteJSON("zz.example.test", "京ICP备2021039999号-1")
	if code, b, _ := e.do(context.Background(), "PUT", fmt.Sprintf("/api/v1/sites/%d", id), "write", other); code != http.StatusConflict {
		t.Errorf("PUT keeping none of the domains: %d %s, want 409", code, b)
	}
	e.must(http.StatusNoContent, "DELETE", fmt.Sprintf("/api/v1/sites/%d", e.ids["j.example.test"]), "write", nil)
	got, _ = e.pages("/api/v1/sites?limit=500", "read")
	if len(got) != 9 {
		t.Errorf("after retiring one: %d active sites, want 9", len(got))
	}
	got, _ = e.pages("/api/v1/sites?limit=500&include_retired=true", "read")
	if len(got) != 10 {
		t.Errorf("with include_retired: %d sites, want 10", len(got))
	}
	e.must(http.StatusNotFound, "GET", "/api/v1/sites/999999", "read", nil)
}

func (e *env) testPersonal(t *testing.T) {
	path := fmt.Sprintf("/api/v1/sites/%d", e.ids["a.example.test"])
	for _, tc := range []struct {
		token, query string
		status       int
		shown        bool
	}{
		{"read", "", 200, false},
		{"read", "?include_personal=true", 403, false},
		{"cases", "?include_personal=true", 403, false},
		{"write", "", 403, false}, // write alone does not read
		{"editor", "", 200, false},
		{"editor", "?include_personal=true", 200, true},
		{"admin", "", 200, true},
	} {
		code, b, _ := e.do(context.Background(), "GET", path+tc.query, tc.token, nil)
		var s struct {
			ContactPhone *string `json:"contact_phone"`
			OperatorName *string `json:"operator_name"`
		}
		json.Unmarshal(b, &s)
		shown := s.ContactPhone != nil && *s.ContactPhone == "13812345678" && s.OperatorName != nil
		if code != tc.status || shown != tc.shown || (!tc.shown && bytes.Contains(b, []byte("13812345678"))) {
			t.Errorf("%s%s as %s: %d, personal shown %v; want %d, %v", path, tc.query, tc.token, code, shown, tc.status, tc.shown)
		}
	}
}

// testVerbatim: SQL and HTML in every string field are stored and
// returned as given, never run or escaped.
func (e *env) testVerbatim(t *testing.T) {
	hostile := `<script>alert(1)</script>'; DROP TABLE sites; --`
	s := siteJSON("x.example.test", "京ICP备2021034599号-1")
	for _, k := range []string{"site_name", "customer_id", "access_provider", "registrar", "contact_name", "operator_name"} {
		s[k] = hostile + k
	}
	// No ';' in a tag: import's lists are ';'-separated.
	tag := `<b onmouseover="x()">t</b>' OR '1'='1`
	s["tags"] = []string{tag}
	var got map[string]any
	json.Unmarshal(e.must(http.StatusCreated, "POST", "/api/v1/sites?include_personal=true", "write", s), &got)
	id := int64(got["id"].(float64))
	json.Unmarshal(e.must(http.StatusOK, "GET", fmt.Sprintf("/api/v1/sites/%d", id), "admin", nil), &got)
	for _, k := range []string{"site_name", "customer_id", "access_provider", "registrar", "contact_name", "operator_name"} {
		if got[k] != hostile+k {
			t.Errorf("%s = %q, want %q", k, got[k], hostile+k)
		}
	}
	raw := e.must(http.StatusOK, "GET", "/api/v1/sites?limit=500&tag="+url.QueryEscape(tag), "read", nil)
	if !bytes.Contains(raw, []byte(`"tags":["<b onmouseover=\"x()\">t</b>' OR '1'='1"]`)) {
		t.Errorf("tag filter with SQL and HTML: %s", raw)
	}
	e.must(http.StatusOK, "GET", "/api/v1/sites?q="+url.QueryEscape("' OR 1=1 --"), "read", nil)
}

// importReply is what testImport reads of an import's answer.
type importReply struct {
	DryRun                    bool `json:"dry_run"`
	Imported                  bool
	Valid, Inserted, Rejected int
	Errors                    []struct {
		Line            int
		Column, Message string
	}
}

func (e *env) testImport(t *testing.T) {
	good := "domains,site_name,icp_number\nk.example.test,K,京ICP备2021034610号-1\nl.example.test,L,京ICP备2021034611号-1\n"
	bad := good + "m.example.test,M,not-a-number\n"
	var rep importReply
	json.Unmarshal(e.must(http.StatusOK, "POST", "/api/v1/sites/import?dry_run=true", "write", csvBody(good)), &rep)
	if !rep.DryRun || rep.Imported || rep.Valid != 2 {
		t.Errorf("dry run: %+v", rep)
	}
	json.Unmarshal(e.must(http.StatusUnprocessableEntity, "POST", "/api/v1/sites/import", "write", csvBody(bad)), &rep)
	if rep.Imported || rep.Rejected != 1 || len(rep.Errors) != 1 || rep.Errors[0].Line != 4 || rep.Errors[0].Column != "icp_number" {
		t.Errorf("bad row: %+v", rep)
	}
	json.Unmarshal(e.must(http.StatusOK, "POST", "/api/v1/sites/import?partial=true", "write", csvBody(bad)), &rep)
	if !rep.Imported || rep.Inserted != 2 || rep.Rejected != 1 {
		t.Errorf("partial: %+v", rep)
	}
	json.Unmarshal(e.must(http.StatusOK, "POST", "/api/v1/sites/import", "write", `[{"domains":"n.example.test","icp_number":"京ICP备2021034612号-1"}]`), &rep)
	if !rep.Imported || rep.Inserted != 1 {
		t.Errorf("JSON import: %+v", rep)
	}
	// A row whose domains belong to two registered sites: the registry
	// refuses it; all or nothing writes nothing, partial the other rows.
	conflict := "domains\nk.example.test;l.example.test\no.example.test\n"
	rep.Errors = nil
	json.Unmarshal(e.must(http.StatusUnprocessableEntity, "POST", "/api/v1/sites/import", "write", csvBody(conflict)), &rep)
	if rep.Imported || rep.Rejected != 1 || len(rep.Errors) != 1 || rep.Errors[0].Line != 2 || rep.Errors[0].Column != "domains" {
		t.Errorf("conflict, all or nothing: %+v", rep)
	}
	rep.Errors = nil
	json.Unmarshal(e.must(http.StatusOK, "POST", "/api/v1/sites/import?partial=true", "write", csvBody(conflict)), &rep)
	if !rep.Imported || rep.Inserted != 1 || rep.Rejected != 1 || len(rep.Errors) != 1 || rep.Errors[0].Line != 2 {
		t.Errorf("conflict, partial: %+v", rep)
	}

	// An Excel workbook, as import reads one: its row numbers are the
	// lines of the errors.
	book := "domains,site_name,icp_number\nx1.example.test,X1,京ICP备2021034620号-1\nx2.example.test,X2,京ICP备2021034621号-1\n"
	rep = importReply{}
	json.Unmarshal(e.must(http.StatusOK, "POST", "/api/v1/sites/import?dry_run=true", "write", workbook(t, book)), &rep)
	if !rep.DryRun || rep.Imported || rep.Valid != 2 {
		t.Errorf("workbook, dry run: %+v", rep)
	}
	json.Unmarshal(e.must(http.StatusUnprocessableEntity, "POST", "/api/v1/sites/import", "write", workbook(t, book+"x3.example.test,X3,not-a-number\n")), &rep)
	if rep.Imported || rep.Rejected != 1 || len(rep.Errors) != 1 || rep.Errors[0].Line != 4 || rep.Errors[0].Column != "icp_number" {
		t.Errorf("workbook, bad row: %+v", rep)
	}
	rep = importReply{}
	json.Unmarshal(e.must(http.StatusOK, "POST", "/api/v1/sites/import", "write", workbook(t, book)), &rep)
	if !rep.Imported || rep.Inserted != 2 {
		t.Errorf("workbook import: %+v", rep)
	}
	if b := e.must(http.StatusUnprocessableEntity, "POST", "/api/v1/sites/import", "write", xlsxBody("domains\nnot.a.workbook\n")); errorCode(b) != "invalid_file" ||
		!bytes.Contains(b, []byte(`"not an Excel workbook (.xlsx)`)) {
		t.Errorf("a CSV sent as a workbook: %s, want invalid_file, not an Excel workbook", b)
	}
	if b := e.must(http.StatusUnprocessableEntity, "POST", "/api/v1/sites/import", "write", csvBody("domians\nx.example.test\n")); errorCode(b) != "invalid_file" ||
		!bytes.Contains(b, []byte(`"line 1: `)) {
		t.Errorf("a CSV with a misspelt column: %s, want invalid_file at line 1", b)
	}
}

// testExport: the downloads are what `beianwatch export` writes (the
// same sitefile.Export), masked unless the token may see personal data.
func (e *env) testExport(t *testing.T) {
	csv := e.must(http.StatusOK, "GET", "/api/v1/export?with_results=true", "read", nil)
	var want bytes.Buffer
	opts := sitefile.WriteOptions{Format: sitefile.FormatCSV, WithResults: true, Now: time.Now()}
	if _, err := sitefile.Export(context.Background(), e.st, &want, opts); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want.String(), string(csv)); diff != "" {
		t.Errorf("API export differs from sitefile.Export's (-export +api):\n%s", diff)
	}
	if bytes.Contains(csv, []byte("13812345678")) || !bytes.Contains(csv, []byte("138****5678")) {
		t.Errorf("read export: personal data not masked")
	}
	js := e.must(http.StatusOK, "GET", "/api/v1/export?format=json&include_personal=true", "editor", nil)
	if !bytes.Contains(js, []byte("13812345678")) {
		t.Errorf("editor export with include_personal: no contact phone")
	}
	e.must(http.StatusForbidden, "GET", "/api/v1/export?include_personal=true", "read", nil)

	// The workbook holds the same sites as the JSON export.
	book := e.must(http.StatusOK, "GET", "/api/v1/export?format=xlsx&include_personal=true", "editor", nil)
	var sites []map[string]any
	if err := json.Unmarshal(e.must(http.StatusOK, "GET", "/api/v1/export?format=json", "read", nil), &sites); err != nil {
		t.Fatal(err)
	}
	rows, bad, err := sitefile.Read(bytes.NewReader(book), "export.xlsx", sitefile.ReadOptions{})
	if err != nil || len(bad) > 0 || len(rows) != len(sites) || len(rows) == 0 {
		t.Errorf("xlsx export read back: %d rows, %v, %v; want the JSON export's %d sites", len(rows), bad, err, len(sites))
	}
}

// testChecks: POST /api/v1/checks answers what `beianwatch check --json`
// prints (the same pipeline, encoded the same way), stores the result of
// a registered site, refuses private addresses, and is rate limited.
func (e *env) testChecks(t *testing.T) {
	b := e.must(http.StatusOK, "POST", "/api/v1/checks", "write", map[string]any{"target": "a.example.test"})
	var rep checker.Report
	json.Unmarshal(b, &rep)
	if rep.Verdict != checker.VerdictPass {
		t.Errorf("check of a compliant registered site: %s", b)
	}
	// What `beianwatch check --json` prints: the pipeline's report through
	// a json.Encoder without HTML escaping.
	f, err := crawler.NewFetcher(e.fetch)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	site, state, err := e.st.SiteByDomain(context.Background(), "a.example.test")
	if err != nil {
		t.Fatal(err)
	}
	o, _ := crawler.Pipeline{Fetch: f.Fetch}.Run(context.Background(), crawler.Job{Target: "a.example.test", Want: site.Expect(state)})
	var want bytes.Buffer
	enc := json.NewEncoder(&want)
	enc.SetEscapeHTML(false)
	enc.Encode(o.Report)
	norm := func(s []byte) string {
		var m map[string]any
		json.Unmarshal(s, &m)
		delete(m, "checked_at")
		out, _ := json.Marshal(m)
		return string(out)
	}
	if diff := cmp.Diff(norm(want.Bytes()), norm(b)); diff != "" {
		t.Errorf("API report differs from check --json's (-check +api):\n%s", diff)
	}
	if bytes.Contains(b, []byte(`\u003c`)) {
		t.Errorf("HTML escaped in the report, unlike check --json")
	}
	var results struct {
		Results []struct {
			ID      int64
			Verdict string
		}
	}
	json.Unmarshal(e.must(http.StatusOK, "GET", fmt.Sprintf("/api/v1/sites/%d/results", e.ids["a.example.test"]), "read", nil), &results)
	if len(results.Results) != 1 || results.Results[0].Verdict != "pass" {
		t.Fatalf("stored results: %+v, want the check's pass", results)
	}
	e.must(http.StatusOK, "GET", fmt.Sprintf("/api/v1/results/%d", results.Results[0].ID), "read", nil)
	// Paging the history: one more entry (a failing check), two pages.
	e.must(http.StatusOK, "POST", "/api/v1/checks", "admin", map[string]any{"target": "a.example.test", "expect_icp": "京ICP备2099999999号-1"})
	var p1 struct {
		Results    []struct{ ID int64 }
		NextCursor *string `json:"next_cursor"`
	}
	json.Unmarshal(e.must(http.StatusOK, "GET", fmt.Sprintf("/api/v1/sites/%d/results?limit=1", e.ids["a.example.test"]), "read", nil), &p1)
	if p1.NextCursor == nil {
		t.Fatalf("results page 1: no next cursor")
	}
	var p2 struct{ Results []struct{ ID int64 } }
	json.Unmarshal(e.must(http.StatusOK, "GET", fmt.Sprintf("/api/v1/sites/%d/results?limit=1&cursor=%s", e.ids["a.example.test"], url.QueryEscape(*p1.NextCursor)), "read", nil), &p2)
	if len(p2.Results) != 1 || p2.Results[0].ID != results.Results[0].ID {
		t.Errorf("results page 2: %+v, want the first check's entry %d", p2, results.Results[0].ID)
	}
	// Private, link-local and metadata addresses are refused by the
	// connection-safety rule: a report with the verdict error.
	for _, target := range []string{"http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/", "http://[::1]/", "http://127.0.0.2/"} {
		b := e.must(http.StatusOK, "POST", "/api/v1/checks", "admin", map[string]any{"target": target})
		json.Unmarshal(b, &rep)
		if rep.Verdict != checker.VerdictError || !strings.Contains(rep.Error, "address") {
			t.Errorf("check of %s: %s, want refused", target, b)
		}
	}
	// The limited token has a burst of 8, then waits.
	for i := range 9 {
		code, b, h := e.do(context.Background(), "POST", "/api/v1/checks", "limited", map[string]any{"target": "http://10.0.0.1/"})
		switch {
		case i < 8 && code != http.StatusOK:
			t.Errorf("check %d of the limited token: %d %s", i, code, b)
		case i == 8 && (code != http.StatusTooManyRequests || h.Get("Retry-After") == ""):
			t.Errorf("check 9 of the limited token: %d (Retry-After %q), want 429 with Retry-After", code, h.Get("Retry-After"))
		}
	}
}

// testCases: every `case` operation through the API, with its history.
func (e *env) testCases(t *testing.T) {
	type caseOut struct {
		Case struct {
			ID       int64
			State    string
			Deadline *string
		}
		History []struct{ From, To, Actor, Reason string }
		Note    string
	}
	var c struct {
		ID       int64
		State    string
		Deadline *string
	}
	json.Unmarshal(e.must(http.StatusCreated, "POST", "/api/v1/cases", "cases", map[string]any{
		"kind": "takedown", "domain": "a.example.test", "urls": []string{"http://a.example.test/x"}, "category": "gambling",
		"evidence": []string{"澳门赌场"}, "reporter": "网安", "deadline": "24h"}), &c)
	if c.State != "open" || c.Deadline == nil {
		t.Errorf("opened takedown: %+v", c)
	}
	tk := fmt.Sprintf("/api/v1/cases/%d", c.ID)
	var out caseOut
	json.Unmarshal(e.must(http.StatusOK, "POST", tk+"/notify", "cases", map[string]any{}), &out)
	if out.Case.State != "notified" || !strings.Contains(out.Note, "NOT delivered") {
		t.Errorf("notify: %+v", out)
	}
	json.Unmarshal(e.must(http.StatusOK, "POST", tk+"/block", "cases", map[string]any{"level": "url", "reason": "no answer"}), &out)
	if out.Case.State != "blocked" {
		t.Errorf("block: %+v", out)
	}
	code, b, _ := e.do(context.Background(), "POST", tk+"/close", "cases", map[string]any{})
	if code != http.StatusConflict {
		t.Errorf("closing a block without a reason: %d %s, want 409", code, b)
	}
	json.Unmarshal(e.must(http.StatusOK, "POST", tk+"/close", "cases", map[string]any{"reason": "removed"}), &out)
	json.Unmarshal(e.must(http.StatusOK, "GET", tk, "cases", nil), &out)
	var moves []string
	for _, h := range out.History {
		moves = append(moves, h.From+">"+h.To+" "+h.Actor)
	}
	want := []string{">open api:cases", "open>notified api:cases", "notified>blocked api:cases", "blocked>closed api:cases"}
	if diff := cmp.Diff(want, moves); diff != "" {
		t.Errorf("history (-want +got):\n%s", diff)
	}
	// A rectification: extended once, then dismissed (with a reason).
	json.Unmarshal(e.must(http.StatusCreated, "POST", "/api/v1/cases", "cases", map[string]any{"kind": "rectification", "domain": "b.example.test", "codes": []string{"PSB_MISSING"}}), &c)
	rc := fmt.Sprintf("/api/v1/cases/%d", c.ID)
	e.must(http.StatusOK, "POST", rc+"/notify", "cases", map[string]any{})
	e.must(http.StatusOK, "POST", rc+"/extend", "cases", map[string]any{"days": 3, "reason": "asked"})
	if code, b, _ := e.do(context.Background(), "POST", rc+"/extend", "cases", map[string]any{"days": 3}); code != http.StatusConflict {
		t.Errorf("second extension: %d %s, want 409", code, b)
	}
	if code, b, _ := e.do(deliberatelyInvalid(context.Background()), "POST", rc+"/dismiss", "cases", map[string]any{"days": -1}); code != http.StatusBadRequest {
		t.Errorf("dismiss without a reason: %d %s, want 400", code, b)
	}
	e.must(http.StatusOK, "POST", rc+"/dismiss", "cases", map[string]any{"reason": "false report"})
	// A suspected takedown, confirmed.
	json.Unmarshal(e.must(http.StatusCreated, "POST", "/api/v1/cases", "cases", map[string]any{"kind": "takedown", "domain": "c.example.test",
		"urls": []string{"http://c.example.test/y"}, "category": "fraud", "evidence": []string{"骗"}, "suspected": true}), &c)
	if c.State != "suspected" || c.Deadline != nil {
		t.Errorf("suspected: %+v", c)
	}
	json.Unmarshal(e.must(http.StatusOK, "POST", fmt.Sprintf("/api/v1/cases/%d/confirm", c.ID), "cases", map[string]any{}), &out)
	if out.Case.State != "open" || out.Case.Deadline == nil {
		t.Errorf("confirmed: %+v", out.Case)
	}
	var list struct{ Cases []struct{ ID int64 } }
	json.Unmarshal(e.must(http.StatusOK, "GET", "/api/v1/cases?kind=takedown&limit=10", "cases", nil), &list)
	if len(list.Cases) != 2 {
		t.Errorf("takedowns listed: %d, want 2", len(list.Cases))
	}
	for _, tc := range []struct {
		name   string
		body   map[string]any
		status int
	}{
		{"unknown domain", map[string]any{"kind": "takedown", "domain": "nowhere.test", "urls": []string{"http://nowhere.test/"}, "category": "fraud", "evidence": []string{"x"}}, 404},
		{"URL on another site", map[string]any{"kind": "takedown", "domain": "a.example.test", "urls": []string{"http://b.example.test/"}, "category": "fraud", "evidence": []string{"x"}}, 400},
		{"rectification without codes", map[string]any{"kind": "rectification", "domain": "a.example.test"}, 400},
		{"bad deadline", map[string]any{"kind": "rectification", "domain": "a.example.test", "codes": []string{"PSB_MISSING"}, "deadline": "soon"}, 400},
	} {
		if code, b, _ := e.do(context.Background(), "POST", "/api/v1/cases", "cases", tc.body); code != tc.status {
			t.Errorf("%s: %d %s, want %d", tc.name, code, b, tc.status)
		}
	}
	e.must(http.StatusNotFound, "GET", "/api/v1/cases/99999", "cases", nil)
}

// testConfirm: the API's confirm is `case confirm`'s and the console's
// (cases.Confirm), so equal cases confirmed through the API and through
// cases.Confirm at the same instant end equal, history included.
func (e *env) testConfirm(t *testing.T) {
	ctx := context.Background()
	open := func() int64 {
		var c struct{ ID int64 }
		json.Unmarshal(e.must(http.StatusCreated, "POST", "/api/v1/cases", "cases", map[string]any{"kind": "takedown", "domain": "e.example.test",
			"urls": []string{"http://e.example.test/z"}, "category": "fraud", "evidence": []string{"骗"}, "suspected": true}), &c)
		return c.ID
	}
	policy := daemon.DefaultOptions()
	viaAPI, direct := open(), open()
	var out struct {
		History []struct{ At time.Time }
	}
	json.Unmarshal(e.must(http.StatusOK, "POST", fmt.Sprintf("/api/v1/cases/%d/confirm", viaAPI), "cases", map[string]any{"reason": "seen"}), &out)
	at := out.History[len(out.History)-1].At
	if _, _, err := cases.Confirm(ctx, e.st, direct, policy.Cases, policy.Calendar, at, "api:cases", "seen"); err != nil {
		t.Fatalf("cases.Confirm: %v", err)
	}
	a, err := e.st.Case(ctx, viaAPI)
	if err != nil {
		t.Fatal(err)
	}
	b, err := e.st.Case(ctx, direct)
	if err != nil {
		t.Fatal(err)
	}
	if a.State != cases.Open || a.Deadline.IsZero() {
		t.Errorf("confirmed through the API: %s, deadline %v; want open with a deadline", a.State, a.Deadline)
	}
	if diff := cmp.Diff(b, a, cmpopts.IgnoreFields(cases.Case{}, "ID", "CreatedAt")); diff != "" {
		t.Errorf("the API's confirm differs from cases.Confirm (-direct +api):\n%s", diff)
	}
	ha, _ := e.st.CaseHistory(ctx, viaAPI)
	hb, _ := e.st.CaseHistory(ctx, direct)
	if diff := cmp.Diff(hb[1:], ha[1:]); len(ha) != 2 || diff != "" {
		t.Errorf("history after confirm, %d entries (-direct +api):\n%s", len(ha), diff)
	}
	// Confirmed once, there is nothing left to confirm either way.
	if code, b, _ := e.do(ctx, "POST", fmt.Sprintf("/api/v1/cases/%d/confirm", viaAPI), "cases", map[string]any{}); code != http.StatusConflict {
		t.Errorf("confirmed twice through the API: %d %s, want 409", code, b)
	}
	if _, _, err := cases.Confirm(ctx, e.st, direct, policy.Cases, policy.Calendar, at, "api:cases", ""); !errors.Is(err, cases.ErrNothingToConfirm) {
		t.Errorf("confirmed twice by cases.Confirm: %v, want ErrNothingToConfirm", err)
	}
}

// testCasePages: the case list a page at a time, each case once, in
// the order of one long page, filters kept across pages.
func (e *env) testCasePages(t *testing.T) {
	list := func(path string) (ids []int64, pages int) {
		cursor := ""
		for pages < 50 {
			p := path
			if cursor != "" {
				p += "&cursor=" + url.QueryEscape(cursor)
			}
			var page struct {
				Cases      []struct{ ID int64 }
				NextCursor *string `json:"next_cursor"`
			}
			json.Unmarshal(e.must(http.StatusOK, "GET", p, "cases", nil), &page)
			pages++
			for _, c := range page.Cases {
				ids = append(ids, c.ID)
			}
			if page.NextCursor == nil {
				break
			}
			cursor = *page.NextCursor
		}
		return ids, pages
	}
	for _, filter := range []string{"", "&kind=takedown", "&active=true"} {
		all, pages := list("/api/v1/cases?limit=500" + filter)
		if len(all) < 3 || pages != 1 {
			t.Fatalf("cases%s in one page: %d cases in %d pages, want 3 or more in 1", filter, len(all), pages)
		}
		got, pages := list("/api/v1/cases?limit=2" + filter)
		if diff := cmp.Diff(all, got); diff != "" {
			t.Errorf("cases%s two at a time (-one page +pages):\n%s", filter, diff)
		}
		if want := (len(all) + 1) / 2; pages != want {
			t.Errorf("cases%s two at a time: %d pages, want %d", filter, pages, want)
		}
	}
	var page struct {
		NextCursor *string `json:"next_cursor"`
	}
	json.Unmarshal(e.must(http.StatusOK, "GET", "/api/v1/cases?limit=1&kind=takedown", "cases", nil), &page)
	if page.NextCursor == nil {
		t.Fatal("no next_cursor after the first of several takedowns")
	}
	for name, path := range map[string]string{
		"under another filter": "/api/v1/cases?limit=1&kind=rectification&cursor=" + url.QueryEscape(*page.NextCursor),
		"altered":              "/api/v1/cases?limit=1&kind=takedown&cursor=" + url.QueryEscape("e30."+*page.NextCursor),
	} {
		if code, b, _ := e.do(context.Background(), "GET", path, "cases", nil); code != http.StatusBadRequest || errorCode(b) != "bad_cursor" {
			t.Errorf("a cursor %s: %d %s, want 400 bad_cursor", name, code, b)
		}
	}
}

func (e *env) testBadInput(t *testing.T) {
	bad := deliberatelyInvalid(context.Background())
	big := `{"target":"` + strings.Repeat("a", 70<<10) + `"}`
	for _, tc := range []struct {
		name, method, path string
		body               any
		status             int
		code               string
		docAccepts         bool // the OpenAPI document cannot say it
	}{
		{"malformed JSON", "POST", "/api/v1/checks", `{"target":`, 400, "malformed_json", false},
		{"not JSON", "POST", "/api/v1/checks", `target=a`, 400, "malformed_json", false},
		{"wrong type", "POST", "/api/v1/checks", `{"target": 42}`, 400, "wrong_type", false},
		{"unknown field", "POST", "/api/v1/checks", `{"target": "a.example.test", "expect_icpp": "x"}`, 400, "unknown_field", false},
		{"two values", "POST", "/api/v1/checks", `{"target": "a.example.test"} {}`, 400, "malformed_json", true},
		{"empty target", "POST", "/api/v1/checks", `{"target": ""}`, 400, "bad_target", false},
		{"oversized", "POST", "/api/v1/checks", big, 413, "too_large", false},
		{"site not an object", "POST", "/api/v1/sites", `[1]`, 400, "malformed_json", false},
		{"site unknown field", "POST", "/api/v1/sites", `{"domains": "o.example.test", "colour": "red"}`, 422, "invalid_site", false},
		{"site wrong type", "POST", "/api/v1/sites", `{"domains": {"a": 1}}`, 422, "invalid_site", false},
		{"site oversized", "POST", "/api/v1/sites", `{"domains": "` + strings.Repeat("a", 70<<10) + `"}`, 413, "too_large", true},
		{"bad verdict", "GET", "/api/v1/sites?verdict=maybe", nil, 400, "bad_parameter", false},
		{"bad limit", "GET", "/api/v1/sites?limit=0", nil, 400, "bad_parameter", false},
		{"bad due_within", "GET", "/api/v1/sites?deadline=overdue&due_within=-1", nil, 400, "bad_parameter", false},
		{"bad id", "GET", "/api/v1/sites/abc", nil, 404, "not_found", false},
	} {
		ctx := bad
		if tc.docAccepts {
			ctx = context.Background()
		}
		code, b, _ := e.do(ctx, tc.method, tc.path, "admin", tc.body)
		if code != tc.status || errorCode(b) != tc.code {
			t.Errorf("%s: %d %s, want %d %s", tc.name, code, b, tc.status, tc.code)
		}
	}
	// Invalid dates in a check's expectations are refused as import
	// refuses them; the JSON itself is well formed.
	code, b, _ := e.do(context.Background(), "POST", "/api/v1/checks", "admin", map[string]any{"target": "a.example.test", "launched_on": "2021-02-30"})
	if code != 400 || errorCode(b) != "bad_expectation" {
		t.Errorf("impossible date: %d %s, want 400 bad_expectation", code, b)
	}
	// Personal data never reaches the error bodies.
	code, b, _ = e.do(context.Background(), "POST", "/api/v1/sites", "admin", map[string]any{"domains": "p.example.test", "contact_phone": "13812345678", "contact_email": "nobody-at-example"})
	if code != 422 || bytes.Contains(b, []byte("13812345678")) || bytes.Contains(b, []byte("nobody-at-example")) {
		t.Errorf("invalid contact: %d %s", code, b)
	}
}

// testAuthorization: every endpoint × no token, a wrong one, an expired
// one and each scope.
func (e *env) testAuthorization(t *testing.T) {
	id := e.ids["c.example.test"]
	var results struct{ Results []struct{ ID int64 } }
	json.Unmarshal(e.must(http.StatusOK, "GET", fmt.Sprintf("/api/v1/sites/%d/results", e.ids["a.example.test"]), "admin", nil), &results)
	endpoints := []struct {
		method, path string
		body         any
		scope        string
	}{
		{"GET", "/api/v1/sites", nil, "read"},
		{"POST", "/api/v1/sites", siteJSON("c.example.test", "京ICP备2021034512号-1"), "write"},
		{"POST", "/api/v1/sites/import?dry_run=true", csvBody("domains\nq.example.test\n"), "write"},
		{"GET", fmt.Sprintf("/api/v1/sites/%d", id), nil, "read"},
		{"PUT", fmt.Sprintf("/api/v1/sites/%d", id), siteJSON("c.example.test", "京ICP备2021034512号-1"), "write"},
		{"DELETE", fmt.Sprintf("/api/v1/sites/%d", e.ids["i.example.test"]), nil, "write"},
		{"GET", fmt.Sprintf("/api/v1/sites/%d/results", id), nil, "read"},
		{"GET", fmt.Sprintf("/api/v1/results/%d", results.Results[0].ID), nil, "read"},
		{"POST", "/api/v1/checks", map[string]any{"target": "http://10.0.0.1/"}, "write"},
		{"GET", "/api/v1/export", nil, "read"},
		{"GET", "/api/v1/cases", nil, "cases"},
		{"POST", "/api/v1/cases", map[string]any{"kind": "takedown", "domain": "d.example.test", "urls": []string{"http://d.example.test/x"}, "category": "fraud", "evidence": []string{"骗"}}, "cases"},
		{"GET", "/api/v1/cases/1", nil, "cases"},
		{"POST", "/api/v1/cases/1/notify", map[string]any{}, "cases"},
		{"GET", "/api/v1/audit", nil, "admin"},
	}
	for _, ep := range endpoints {
		for _, token := range []string{"", "wrong", "expired", "read", "write", "cases", "probe", "admin"} {
			code, b, _ := e.do(context.Background(), ep.method, ep.path, token, ep.body)
			// Allowed: anything but 401, 403 and 5xx (a case move may be
			// refused, 409, once an earlier token made it).
			want := "allowed"
			switch {
			case token == "" || token == "wrong" || token == "expired":
				want = "401"
			case token != ep.scope && token != "admin":
				want = "403"
			}
			ok := (want == "allowed" && code != 401 && code != 403 && code < 500) || fmt.Sprint(code) == want
			if !ok {
				t.Errorf("%s %s as %q: %d %.200s, want %s", ep.method, ep.path, token, code, b, want)
			}
		}
	}
	e.must(http.StatusOK, "GET", "/api/v1/openapi.json", "", nil)
}

func (e *env) testAudit(t *testing.T) {
	var page struct {
		Entries []struct{ Token, Action, Object, Source string }
	}
	json.Unmarshal(e.must(http.StatusOK, "GET", "/api/v1/audit?limit=500", "admin", nil), &page)
	seen := map[string]bool{}
	for _, en := range page.Entries {
		seen[en.Token+" "+en.Action] = true
		if en.Source != "127.0.0.1" {
			t.Errorf("audit entry %+v: source, want 127.0.0.1", en)
		}
	}
	for _, want := range []string{"write site.create", "write site.update", "write site.retire", "write site.import", "write check.store", "admin check.store"} {
		if !seen[want] {
			t.Errorf("audit log lacks %q: %v", want, seen)
		}
	}
	raw, _ := json.Marshal(page)
	if bytes.Contains(raw, []byte("13812345678")) || bytes.Contains(raw, []byte("张三")) {
		t.Errorf("personal data in the audit log")
	}
}
