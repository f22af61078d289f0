package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/beianwatch/beianwatch/internal/pgtest"
	"github.com/beianwatch/beianwatch/keyring"
)

// personalSite is exampleSite(n) run by a person, with personal values
// that appear nowhere else in the registry.
func personalSite(n int) Site {
	return with(exampleSite(n), func(s *Site) {
		s.Operator = Operator{Type: OperatorPersonal, Name: fmt.Sprintf("欧阳明%d", n)}
		s.Contact = Contact{Name: fmt.Sprintf("司马晓%d", n), Phone: fmt.Sprintf("139%08d", 7000000+n),
			Email: fmt.Sprintf("sima.xiao%d@private.example", n)}
	})
}

func personalValues(s Site) []string {
	return []string{s.Operator.Name, s.Contact.Name, s.Contact.Phone, s.Contact.Email}
}

// TestPersonalDataEncryptedAtRest: after an import, neither the SQLite
// files nor a pg_dump of the PostgreSQL schema hold a personal value in
// clear, and the values read back.
func TestPersonalDataEncryptedAtRest(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dsn string) {
		s := mustOpenStore(t, dsn)
		sites := []Site{personalSite(1), personalSite(2)}
		mustUpsert(t, s, sites...)
		got, _ := mustSite(t, s, "site1.example.cn")
		if got.Contact != sites[0].Contact || got.Operator != sites[0].Operator {
			t.Errorf("read back %+v %+v, want %+v %+v", got.Contact, got.Operator, sites[0].Contact, sites[0].Operator)
		}
		var raw []byte
		if path, ok := strings.CutPrefix(dsn, "sqlite://"); ok {
			s.Close() // checkpoint the WAL; the -wal file is read too, should it remain
			for _, f := range []string{path, path + "-wal"} {
				b, err := os.ReadFile(f)
				if err != nil && !errors.Is(err, os.ErrNotExist) {
					t.Fatal(err)
				}
				raw = append(raw, b...)
			}
		} else {
			raw = pgDump(t, dsn)
		}
		if len(raw) == 0 {
			t.Fatal("nothing read from the database")
		}
		for _, site := range sites {
			for _, v := range personalValues(site) {
				if bytes.Contains(raw, []byte(v)) {
					t.Errorf("the stored database holds %q in clear", v)
				}
			}
		}
		if !bytes.Contains(raw, []byte("v1:test1:")) {
			t.Error("no envelope under key test1 in the database")
		}
	})
}

// pgDump dumps the schema dsn's search_path names, data included.
func pgDump(t *testing.T, dsn string) []byte {
	t.Helper()
	bin, err := exec.LookPath("pg_dump")
	if err != nil {
		matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_dump")
		if len(matches) == 0 {
			t.Skip("no pg_dump")
		}
		bin = matches[len(matches)-1]
	}
	u, err := url.Parse(dsn)
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	schema := q.Get("search_path")
	q.Del("search_path")
	q.Del("application_name")
	u.RawQuery = q.Encode()
	out, err := exec.Command(bin, "--schema="+schema, "--no-owner", u.String()).Output()
	if err != nil {
		t.Fatalf("pg_dump: %v", err)
	}
	if !bytes.Contains(out, []byte("CREATE TABLE "+schema+".contacts")) {
		t.Fatalf("pg_dump holds no contacts table:\n%.2000s", out)
	}
	return out
}

// TestWrongKey: a key file without the registry's key, or with another
// key under its id, is a clear error at CheckKeys and on every read, and
// an import with it changes nothing.
func TestWrongKey(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := mustOpenStore(t, dsn)
		want := personalSite(1)
		mustUpsert(t, s, want)
		for _, tt := range []struct {
			name string
			keys *keyring.Keyring
			err  error
			// rotateErr: rows already under the newest key id are not
			// visited, so the same id with another key rotates nothing.
			rotateErr error
		}{
			{"other id", keyring.New(mustKey("other")), keyring.ErrUnknownKey, keyring.ErrUnknownKey},
			{"same id, other key", keyring.New(mustKey("test1")), keyring.ErrWrongKey, nil},
		} {
			t.Run(tt.name, func(t *testing.T) {
				w := openStore(t, dsn)
				w.SetKeys(tt.keys)
				if err := w.CheckKeys(ctx); !errors.Is(err, tt.err) {
					t.Errorf("CheckKeys = %v, want %v", err, tt.err)
				}
				if _, _, err := w.SiteByDomain(ctx, "site1.example.cn"); !errors.Is(err, tt.err) {
					t.Errorf("SiteByDomain = %v, want %v", err, tt.err)
				}
				changed := with(want, func(s *Site) { s.Name = "改名" })
				if _, err := w.UpsertSites(ctx, []Site{changed}); !errors.Is(err, tt.err) {
					t.Errorf("UpsertSites = %v, want %v", err, tt.err)
				}
				if _, err := w.RotateKeys(ctx); !errors.Is(err, tt.rotateErr) {
					t.Errorf("RotateKeys = %v, want %v", err, tt.rotateErr)
				}
				got, _ := mustSite(t, s, "site1.example.cn")
				if got.Name != want.Name || got.Contact != want.Contact || got.Operator != want.Operator {
					t.Errorf("after the wrong key: %q %+v %+v, want it unchanged", got.Name, got.Contact, got.Operator)
				}
			})
		}
	})
}

// TestRotateInterrupted: a rotation cancelled half-way and run again
// leaves every row under the new key, readable with it alone.
func TestRotateInterrupted(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dsn string) {
		s := mustOpenStore(t, dsn)
		var sites []Site
		for n := 1; n <= 12; n++ {
			sites = append(sites, personalSite(n))
		}
		mustUpsert(t, s, sites...)
		key2 := mustKey("test2")
		both := keyring.New(testKey1, key2)
		s.SetKeys(both)

		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		n := 0
		s.rotated = func() {
			if n++; n == 7 {
				cancel()
			}
		}
		st, err := s.RotateKeys(ctx)
		if !errors.Is(err, context.Canceled) || st.Contacts != 7 {
			t.Fatalf("RotateKeys cancelled after 7 rows = %+v, %v; want 7 contacts and context.Canceled", st, err)
		}
		// Half-way, search and reads work with both keys.
		assertSearch(t, s, sites[0].Contact.Phone, "site1.example.cn")
		assertSearch(t, s, sites[11].Contact.Phone, "site12.example.cn")

		s.rotated = nil
		st, err = s.RotateKeys(context.Background())
		if err != nil || st.Contacts != 5 || st.Operators != 12 {
			t.Fatalf("RotateKeys resumed = %+v, %v; want 5 contacts and 12 operators", st, err)
		}
		if st, err := s.RotateKeys(context.Background()); err != nil || st != (RotateStats{}) {
			t.Errorf("RotateKeys again = %+v, %v; want nothing to do", st, err)
		}
		s.SetKeys(keyring.New(key2))
		if err := s.CheckKeys(context.Background()); err != nil {
			t.Fatalf("CheckKeys with the new key alone: %v", err)
		}
		got, _ := allSites(t, s)
		if len(got) != len(sites) {
			t.Fatalf("%d sites, want %d", len(got), len(sites))
		}
		for i, g := range got {
			if g.Contact != sites[i].Contact || g.Operator != sites[i].Operator {
				t.Errorf("site %d after rotation: %+v %+v, want %+v %+v", i, g.Contact, g.Operator, sites[i].Contact, sites[i].Operator)
			}
		}
		assertSearch(t, s, sites[3].Contact.Phone, "site4.example.cn")
		// An import after rotation finds the rotated rows, and adds none.
		mustUpsert(t, s, with(sites[0], func(s *Site) { s.Name = "改名" }))
		var rows int
		if err := s.db.Get(&rows, "SELECT COUNT(*) FROM contacts"); err != nil || rows != len(sites) {
			t.Errorf("%d contact rows after re-import (%v), want %d", rows, err, len(sites))
		}
	})
}

func assertSearch(t *testing.T, s *Store, phone, want string) {
	t.Helper()
	var got []string
	err := s.ListSites(context.Background(), SiteFilter{ContactPhone: phone}, func(si *Site, _ *State) error {
		got = append(got, si.Domains[0].ASCII)
		return nil
	})
	if err != nil || len(got) != 1 || got[0] != want {
		t.Errorf("ListSites(ContactPhone %q) = %v, %v; want [%s]", phone, got, err, want)
	}
}

// TestSearchByContact: phones and emails are found by keyed hash, in
// their usual spellings, on both engines.
func TestSearchByContact(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dsn string) {
		s := mustOpenStore(t, dsn)
		a, b := personalSite(1), personalSite(2)
		b.Contact.Phone = "010-12345678"
		mustUpsert(t, s, a, b, exampleSite(3))
		for _, tt := range []struct {
			name string
			f    SiteFilter
			want []string
		}{
			{"mobile", SiteFilter{ContactPhone: a.Contact.Phone}, []string{"site1.example.cn"}},
			{"mobile +86 and dashes", SiteFilter{ContactPhone: "+86 139-0700-0001"}, []string{"site1.example.cn"}},
			{"landline", SiteFilter{ContactPhone: "01012345678"}, []string{"site2.example.cn"}},
			{"email any case", SiteFilter{ContactEmail: "SIMA.Xiao2@private.example"}, []string{"site2.example.cn"}},
			{"phone and email disagree", SiteFilter{ContactPhone: a.Contact.Phone, ContactEmail: b.Contact.Email}, nil},
			{"unknown", SiteFilter{ContactPhone: "13900000000"}, nil},
		} {
			t.Run(tt.name, func(t *testing.T) {
				var got []string
				err := s.ListSites(context.Background(), tt.f, func(si *Site, _ *State) error {
					got = append(got, si.Domains[0].ASCII)
					return nil
				})
				if err != nil || fmt.Sprint(got) != fmt.Sprint(tt.want) {
					t.Errorf("ListSites(%+v) = %v, %v; want %v", tt.f, got, err, tt.want)
				}
			})
		}
	})
}

// TestEncryptLegacy: rows stored in clear before 00009 (no key id) are
// encrypted by EncryptLegacy and read back the same.
func TestEncryptLegacy(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := mustOpenStore(t, dsn)
		want := personalSite(1)
		mustUpsert(t, s, want)
		// Put the row back as 00001 to 00008 stored it.
		_, err := s.db.Exec(s.db.Rebind(`UPDATE contacts SET name = ?, phone = ?, email = ?,
			key_id = NULL, lookup = NULL, phone_hash = NULL, email_hash = NULL`),
			want.Contact.Name, want.Contact.Phone, want.Contact.Email)
		if err == nil {
			_, err = s.db.Exec(s.db.Rebind(`UPDATE operators SET name = ?, key_id = NULL, lookup = NULL`), want.Operator.Name)
		}
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := mustSite(t, s, "site1.example.cn"); got.Contact != want.Contact {
			t.Errorf("legacy row reads %+v, want %+v", got.Contact, want.Contact)
		}
		st, err := s.EncryptLegacy(ctx)
		if err != nil || st != (RotateStats{Contacts: 1, Operators: 1}) {
			t.Fatalf("EncryptLegacy = %+v, %v; want 1 contact, 1 operator", st, err)
		}
		var plain int
		err = s.db.Get(&plain, s.db.Rebind("SELECT COUNT(*) FROM contacts WHERE key_id IS NULL OR phone = ?"), want.Contact.Phone)
		if err != nil || plain != 0 {
			t.Errorf("%d contacts still in clear (%v)", plain, err)
		}
		got, _ := mustSite(t, s, "site1.example.cn")
		if got.Contact != want.Contact || got.Operator != want.Operator {
			t.Errorf("after EncryptLegacy: %+v %+v, want %+v %+v", got.Contact, got.Operator, want.Contact, want.Operator)
		}
		assertSearch(t, s, want.Contact.Phone, "site1.example.cn")
	})
}

// TestNoKeys: a store without keys refuses personal data, naming no value.
func TestNoKeys(t *testing.T) {
	s, err := Open(context.Background(), pgtest.SQLiteDSN(t), nil, prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	site := personalSite(1)
	_, err = s.UpsertSites(context.Background(), []Site{site})
	if !errors.Is(err, ErrNoKey) {
		t.Fatalf("UpsertSites without keys = %v, want ErrNoKey", err)
	}
	for _, v := range personalValues(site) {
		if strings.Contains(err.Error(), v) {
			t.Errorf("error %q holds %q", err, v)
		}
	}
}
