package farm

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/beianwatch/beianwatch/checker"
	"github.com/beianwatch/beianwatch/sitefile"
)

// startFarm starts a farm, closed when the test ends.
func startFarm(t testing.TB, cfg Config) *Farm {
	t.Helper()
	f := New(cfg)
	if err := f.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// client reaches every farm host at the farm's address. Compression is
// left to the test, like a crawler that caps the decoded size.
func client(f *Farm) *http.Client {
	d := &net.Dialer{Timeout: 5 * time.Second}
	return &http.Client{
		Timeout: 10 * time.Second,
		Transport: &http.Transport{
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				return d.DialContext(ctx, network, f.Addr())
			},
			DisableCompression: true,
		},
	}
}

// fetch gets a page as the crawler would hand it to the checker.
func fetch(t testing.TB, c *http.Client, rawURL string) checker.Page {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, rawURL, nil)
	req.Header.Set("Accept-Encoding", "gzip")
	var redirects []*url.URL
	c.CheckRedirect = func(r *http.Request, via []*http.Request) error {
		redirects = append(redirects, via[len(via)-1].URL)
		return nil
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", rawURL, err)
	}
	defer resp.Body.Close()
	var body io.Reader = resp.Body
	if resp.Header.Get("Content-Encoding") == "gzip" {
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			t.Fatalf("GET %s: %v", rawURL, err)
		}
		body = zr
	}
	b, err := io.ReadAll(body)
	if err != nil {
		t.Fatalf("GET %s: %v", rawURL, err)
	}
	return checker.Page{Target: rawURL, URL: resp.Request.URL, Redirects: redirects, Status: resp.StatusCode,
		Header: resp.Header, Body: b, FetchedAt: time.Now()}
}

// expect is what the registry would expect of the site (registry.Site.Expect
// for a site never checked).
func expect(s Site) checker.Expect {
	return checker.Expect{ICP: s.ICP, PSB: s.PSB, Registered: true, Launched: s.Launched,
		PSBFiled: s.PSBFiled, PSBApproved: s.PSBApproved}
}

func errorCodes(r checker.Report) []string {
	var out []string
	for _, f := range r.Findings {
		if f.Severity == checker.SeverityError {
			out = append(out, f.Code)
		}
	}
	slices.Sort(out)
	return out
}

// TestKnownAnswers checks the farm's known answers against the checker on
// one site of every kind the farm makes: each defect, charset, charset
// placement, redirect and footer layout (the templates come along).
func TestKnownAnswers(t *testing.T) {
	const sites, kinds = 500_000, 8 * 2 * 2 * 3 * 2
	f := startFarm(t, Config{Sites: sites, Seed: 1, Gzip: true})
	c := client(f)
	seen, templates := map[string]bool{}, map[int]bool{}
	for i := 1; i <= sites && len(seen) < kinds; i++ {
		s := f.Site(i)
		kind := fmt.Sprintf("%v/%s/%v/%d/%d", s.Defect, s.Charset, s.CharsetHeader, s.Redirect, s.layout)
		if seen[kind] {
			continue
		}
		seen[kind], templates[s.template] = true, true
		t.Run(kind, func(t *testing.T) {
			p := fetch(t, c, s.URL)
			r := checker.Check(p, expect(s))
			if r.Verdict != s.WantVerdict || !slices.Equal(errorCodes(r), s.WantErrors) {
				t.Errorf("site %d (%s): verdict %s, errors %v; want %s, %v\nfindings: %+v",
					i, s.Host, r.Verdict, errorCodes(r), s.WantVerdict, s.WantErrors, r.Findings)
			}
			if s.Charset == "gbk" && r.Encoding != "gbk" {
				t.Errorf("site %d: encoding %q, want gbk", i, r.Encoding)
			}
			if n := len(p.Body); s.Charset == "utf-8" && (n < 55_000 || n > 65_000) {
				t.Errorf("site %d: page of %d bytes, want about 60 KB", i, n)
			}
			if got, want := len(p.Redirects) > 0, s.Redirect != NoRedirect; got != want {
				t.Errorf("site %d: redirected %v, want %v", i, got, want)
			}
		})
	}
	if len(seen) != kinds || len(templates) != len(f.templates) {
		t.Errorf("%d kinds of site and %d templates among %d sites, want %d and %d", len(seen), len(templates), sites, kinds, len(f.templates))
	}
}

// TestLargePages checks the large pages: every LargeEvery-th site's, of
// about LargeSize bytes in UTF-8, sent plain or gzipped, with the
// verdict of the same site's normal page.
func TestLargePages(t *testing.T) {
	const size = 300_000
	for _, gz := range []bool{false, true} {
		f := startFarm(t, Config{Sites: 12, Seed: 3, Gzip: gz, LargeEvery: 4, LargeSize: size, LargePause: time.Microsecond})
		c := client(f)
		for i := 1; i <= 12; i++ {
			s := f.Site(i)
			if s.Large != (i%4 == 0) {
				t.Errorf("site %d large %v, want %v", i, s.Large, i%4 == 0)
			}
			p := fetch(t, c, s.URL)
			r := checker.Check(p, expect(s))
			if r.Verdict != s.WantVerdict || !slices.Equal(errorCodes(r), s.WantErrors) {
				t.Errorf("gzip %v, site %d (large %v): verdict %s, errors %v; want %s, %v", gz, i, s.Large, r.Verdict, errorCodes(r), s.WantVerdict, s.WantErrors)
			}
			if n := len(p.Body); s.Large && s.Charset == "utf-8" && (n < size-10_000 || n > size) {
				t.Errorf("gzip %v, site %d: large page of %d bytes, want about %d", gz, i, n, size)
			}
		}
	}
}

// TestShares checks the mix: a fifth failing, some GBK, some redirecting.
func TestShares(t *testing.T) {
	f := New(Config{Sites: 10_000, Seed: 7})
	var fail, gbk, redirect int
	for i := 1; i <= f.Len(); i++ {
		s := f.Site(i)
		if s.WantVerdict == checker.VerdictFail {
			fail++
		}
		if s.Charset == "gbk" {
			gbk++
		}
		if s.Redirect != NoRedirect {
			redirect++
		}
	}
	for _, c := range []struct {
		what      string
		n, lo, hi int
	}{{"failing", fail, 1800, 2200}, {"GBK", gbk, 1200, 1800}, {"redirecting", redirect, 800, 1200}} {
		if c.n < c.lo || c.n > c.hi {
			t.Errorf("%d of 10,000 sites %s, want %d to %d", c.n, c.what, c.lo, c.hi)
		}
	}
}

// TestDeterministic checks that a seed makes the same farm, page for page.
func TestDeterministic(t *testing.T) {
	now := func() time.Time { return time.Date(2026, 11, 27, 4, 0, 0, 0, time.UTC) }
	a := startFarm(t, Config{Sites: 50, Seed: 3, Now: now})
	b := startFarm(t, Config{Sites: 50, Seed: 3, Now: now})
	other := New(Config{Sites: 50, Seed: 4, Now: now})
	ca, cb := client(a), client(b)
	for _, i := range []int{1, 17, 50} {
		if diff := cmp.Diff(a.Site(i), b.Site(i), cmp.AllowUnexported(Site{}, province{})); diff != "" {
			t.Errorf("site %d differs between two farms of one seed (-a +b):\n%s", i, diff)
		}
		pa, pb := fetch(t, ca, a.Site(i).URL), fetch(t, cb, b.Site(i).URL)
		if !bytes.Equal(pa.Body, pb.Body) {
			t.Errorf("site %d: pages differ between two farms of one seed", i)
		}
	}
	if a.Site(1).ICP == other.Site(1).ICP && a.Site(1).Name == other.Site(1).Name {
		t.Errorf("seeds 3 and 4 made the same site 1")
	}
}

// TestCSV checks that the import file is valid and says what the farm
// judges against.
func TestCSV(t *testing.T) {
	f := New(Config{Sites: 500, Hostile: Behaviors(), Seed: 5})
	var buf bytes.Buffer
	if err := f.CSV(&buf); err != nil {
		t.Fatal(err)
	}
	rows, errs, err := sitefile.Read(&buf, "farm.csv", sitefile.ReadOptions{Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range errs {
		t.Errorf("import: %v", e)
	}
	if len(rows) != f.Len() {
		t.Fatalf("import read %d rows, want %d", len(rows), f.Len())
	}
	for i, row := range rows {
		s := f.Site(i + 1)
		got := row.Site
		if got.ICPNumber != s.ICP || got.PSBNumber != s.PSB || got.CheckURL != s.URL ||
			got.LaunchedOn != s.Launched || got.PSBApprovedOn != s.PSBApproved || got.Domains[0].ASCII != s.Host {
			t.Errorf("row %d = %s %s %s %s; want %s %s %s %s", i+1, got.Domains[0].ASCII, got.ICPNumber, got.PSBNumber, got.CheckURL,
				s.Host, s.ICP, s.PSB, s.URL)
		}
		for _, w := range row.Warnings {
			t.Errorf("import warning: %v", w)
		}
	}
}

// TestHostile checks each hostile behavior on the wire.
func TestHostile(t *testing.T) {
	f := startFarm(t, Config{Sites: 2, Hostile: Behaviors(), Seed: 9, DripInterval: 20 * time.Millisecond})
	byBehavior := map[Behavior]Site{}
	for i := 3; i <= f.Len(); i++ {
		byBehavior[f.Site(i).Behavior] = f.Site(i)
	}
	c := client(f)
	get := func(s Site) *http.Response {
		t.Helper()
		resp, err := c.Get(s.URL)
		if err != nil {
			t.Fatalf("GET %s: %v", s.URL, err)
		}
		t.Cleanup(func() { resp.Body.Close() })
		return resp
	}

	t.Run("endless_body", func(t *testing.T) {
		n, err := io.CopyN(io.Discard, get(byBehavior[EndlessBody]).Body, 20<<20)
		if n != 20<<20 {
			t.Errorf("read %d bytes of an endless body: %v", n, err)
		}
	})
	t.Run("slow_drip", func(t *testing.T) {
		resp := get(byBehavior[SlowDrip])
		start := time.Now()
		b := make([]byte, 5)
		if _, err := io.ReadFull(resp.Body, b); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d < 60*time.Millisecond {
			t.Errorf("5 bytes in %v, want one per 20ms", d)
		}
	})
	t.Run("redirect_loop", func(t *testing.T) {
		_, err := c.Get(byBehavior[RedirectLoop].URL)
		if err == nil || !strings.Contains(err.Error(), "stopped after 10 redirects") {
			t.Errorf("GET of a redirect loop: %v", err)
		}
	})
	t.Run("gzip_bomb", func(t *testing.T) {
		resp := get(byBehavior[GzipBomb])
		zr, err := gzip.NewReader(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, 64<<10)
		var n int64
		for n < 64<<20 {
			k, err := zr.Read(buf)
			if bytes.ContainsFunc(buf[:k], func(r rune) bool { return r != 0 }) {
				t.Fatal("the bomb holds something else than zeros")
			}
			n += int64(k)
			if err != nil {
				t.Fatalf("inflated %d bytes: %v", n, err)
			}
		}
	})
	t.Run("tls_hang", func(t *testing.T) {
		s := byBehavior[TLSHang]
		addr := strings.TrimPrefix(f.Resolve()[1], s.Host+":")
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.Write([]byte("\x16\x03\x01\x00\x05hello"))
		conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
		_, err = conn.Read(make([]byte, 1))
		var ne net.Error
		if !errors.As(err, &ne) || !ne.Timeout() {
			t.Errorf("read from the hanging TLS server: %v, want a timeout", err)
		}
	})
	t.Run("conn_reset", func(t *testing.T) {
		_, err := c.Get(byBehavior[ConnReset].URL)
		if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, io.EOF) {
			t.Errorf("GET of a resetting site: %v, want connection reset", err)
		}
	})
}

// TestNoSuchSite checks that an unknown host is refused.
func TestNoSuchSite(t *testing.T) {
	f := startFarm(t, Config{Sites: 3})
	for _, host := range []string{"site000004.farm.test", "site000000.farm.test", "example.test", "site12.farm.test"} {
		resp, err := client(f).Get("http://" + host + "/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET http://%s/ = %d, want 404", host, resp.StatusCode)
		}
	}
}
