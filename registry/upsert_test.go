package registry

import (
	"context"
	"errors"
	"net/netip"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// with returns the site changed by fn.
func with(s Site, fn func(*Site)) Site {
	fn(&s)
	return s
}

// ignoreIdentity compares sites by content.
var ignoreIdentity = cmpopts.IgnoreFields(Site{}, "ID", "CreatedAt", "UpdatedAt")

// cmpAddr compares netip.Addr by value.
var cmpAddr = cmp.Comparer(func(a, b netip.Addr) bool { return a == b })

func TestUpsertSites(t *testing.T) {
	a, b := exampleSite(1), exampleSite(2)
	active := func(s Site) Site { s.Active = true; return s }
	tests := []struct {
		name   string
		before []Site // imported first
		batch  []Site
		want   ImportStats
		// stored is every site afterwards, in id order.
		stored []Site
	}{{
		name:   "insert",
		batch:  []Site{a, b},
		want:   ImportStats{Inserted: 2},
		stored: []Site{active(a), active(b)},
	}, {
		name:   "same again is unchanged",
		before: []Site{a, b},
		batch:  []Site{b, a},
		want:   ImportStats{Unchanged: 2},
		stored: []Site{active(a), active(b)},
	}, {
		name:   "changed field updates",
		before: []Site{a, b},
		batch:  []Site{with(a, func(s *Site) { s.Name = "新名字"; s.Tags = nil }), b},
		want:   ImportStats{Updated: 1, Unchanged: 1},
		stored: []Site{active(with(a, func(s *Site) { s.Name = "新名字"; s.Tags = nil })), active(b)},
	}, {
		name:   "changed contact updates",
		before: []Site{a},
		batch:  []Site{with(a, func(s *Site) { s.Contact.Phone = "13900000000" })},
		want:   ImportStats{Updated: 1},
		stored: []Site{active(with(a, func(s *Site) { s.Contact.Phone = "13900000000" }))},
	}, {
		name:   "match by ICP site number replaces domains and IPs",
		before: []Site{a},
		batch:  []Site{with(a, func(s *Site) { s.Domains = domains("new.example.cn", "www.new.example.cn"); s.IPs = nil })},
		want:   ImportStats{Updated: 1},
		stored: []Site{active(with(a, func(s *Site) { s.Domains = domains("new.example.cn", "www.new.example.cn"); s.IPs = nil }))},
	}, {
		name:   "match by any domain, ICP number changed",
		before: []Site{with(a, func(s *Site) { s.Domains = domains("one.example.cn", "two.example.cn") })},
		batch:  []Site{with(a, func(s *Site) { s.Domains = domains("TWO.example.cn"); s.ICPNumber = "京ICP备2022000001号-2" })},
		want:   ImportStats{Updated: 1},
		stored: []Site{active(with(a, func(s *Site) { s.Domains = domains("two.example.cn"); s.ICPNumber = "京ICP备2022000001号-2" }))},
	}, {
		name:   "entity ICP number matches nothing",
		before: []Site{with(a, func(s *Site) { s.ICPNumber = "粤ICP备20034331号" })},
		batch:  []Site{with(b, func(s *Site) { s.ICPNumber = "粤ICP备20034331号" })},
		want:   ImportStats{Inserted: 1},
		stored: []Site{
			active(with(a, func(s *Site) { s.ICPNumber = "粤ICP备20034331号" })),
			active(with(b, func(s *Site) { s.ICPNumber = "粤ICP备20034331号" })),
		},
	}, {
		name:   "IDN in either form",
		before: []Site{with(a, func(s *Site) { s.Domains = []Domain{{Unicode: "中文.中国"}} })},
		batch:  []Site{with(a, func(s *Site) { s.Domains = []Domain{{ASCII: "XN--FIQ228C.xn--fiqs8s"}} })},
		want:   ImportStats{Unchanged: 1},
		stored: []Site{active(with(a, func(s *Site) {
			s.Domains = []Domain{{Unicode: "中文.中国", ASCII: "xn--fiq228c.xn--fiqs8s"}}
		}))},
	}, {
		name:   "empty lists equal nil",
		before: []Site{with(a, func(s *Site) { s.Tags, s.IPs = nil, nil })},
		batch:  []Site{with(a, func(s *Site) { s.Tags, s.IPs = []string{}, []netip.Addr{} })},
		want:   ImportStats{Unchanged: 1},
		stored: []Site{active(with(a, func(s *Site) { s.Tags, s.IPs = nil, nil }))},
	}, {
		name:   "no operator, no contact",
		batch:  []Site{with(a, func(s *Site) { s.Operator, s.Contact = Operator{}, Contact{} })},
		want:   ImportStats{Inserted: 1},
		stored: []Site{active(with(a, func(s *Site) { s.Operator, s.Contact = Operator{}, Contact{} }))},
	}, {
		name:   "domain moves from an updated site to a new one",
		before: []Site{with(a, func(s *Site) { s.Domains = domains("a.example.cn", "b.example.cn") })},
		batch: []Site{
			with(a, func(s *Site) { s.Domains = domains("a.example.cn") }),
			with(b, func(s *Site) { s.Domains = domains("c.example.cn") }),
		},
		want: ImportStats{Updated: 1, Inserted: 1},
		stored: []Site{
			active(with(a, func(s *Site) { s.Domains = domains("a.example.cn") })),
			active(with(b, func(s *Site) { s.Domains = domains("c.example.cn") })),
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachEngine(t, func(t *testing.T, dsn string) {
				s := mustOpenStore(t, dsn)
				mustUpsert(t, s, tt.before...)
				got, err := s.UpsertSites(context.Background(), tt.batch)
				if err != nil {
					t.Fatalf("UpsertSites: %v", err)
				}
				if got != tt.want {
					t.Errorf("UpsertSites = %+v, want %+v", got, tt.want)
				}
				sites, _ := allSites(t, s)
				if diff := cmp.Diff(tt.stored, derefAll(sites), ignoreIdentity, cmpAddr); diff != "" {
					t.Errorf("stored sites (-want +got):\n%s", diff)
				}
			})
		})
	}
}

func derefAll(ss []*Site) []Site {
	out := make([]Site, len(ss))
	for i, s := range ss {
		out[i] = *s
	}
	return out
}

// An update keeps the site's id, creation time, state and history.
func TestUpsertKeepsIdentity(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := mustOpenStore(t, dsn)
		mustUpsert(t, s, exampleSite(1))
		before, st := mustSite(t, s, "site1.example.cn")
		if !before.CreatedAt.Equal(testNow) || !st.NextCheckAt.Equal(testNow) || st.Verdict != VerdictUnchecked {
			t.Errorf("new site: CreatedAt %v, NextCheckAt %v, Verdict %q; want %v, %v, unchecked",
				before.CreatedAt, st.NextCheckAt, st.Verdict, testNow, testNow)
		}
		checked := testNow.Add(time.Hour)
		saveResult(t, s, Result{SiteID: before.ID, CheckedAt: checked, HTTPStatus: 200, Verdict: "pass"}, true)

		later := testNow.Add(48 * time.Hour)
		s.now = func() time.Time { return later }
		mustUpsert(t, s, with(exampleSite(1), func(s *Site) { s.Name = "改名" }))
		after, st2 := mustSite(t, s, "site1.example.cn")
		if after.ID != before.ID || !after.CreatedAt.Equal(before.CreatedAt) || !after.UpdatedAt.Equal(later) {
			t.Errorf("updated site: ID %d, CreatedAt %v, UpdatedAt %v; want %d, %v, %v",
				after.ID, after.CreatedAt, after.UpdatedAt, before.ID, before.CreatedAt, later)
		}
		if st2.Verdict != "pass" || !st2.LastCheckAt.Equal(checked) || !st2.BadgeShown {
			t.Errorf("updated site's state = %+v, want the check's", st2)
		}
		if rs, err := s.Results(ctx, after.ID, 0); err != nil || len(rs) != 1 {
			t.Errorf("Results = %d results, %v; want 1", len(rs), err)
		}
	})
}

// Importing a retired site brings it back, due at once.
func TestUpsertReactivates(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dsn string) {
		s := mustOpenStore(t, dsn)
		mustUpsert(t, s, exampleSite(1))
		if err := s.RetireSite(context.Background(), "site1.example.cn"); err != nil {
			t.Fatal(err)
		}
		later := testNow.Add(time.Hour)
		s.now = func() time.Time { return later }
		if st := mustUpsert(t, s, exampleSite(1)); st.Updated != 1 {
			t.Errorf("UpsertSites of a retired site = %+v, want 1 updated", st)
		}
		si, st := mustSite(t, s, "site1.example.cn")
		if !si.Active || !st.NextCheckAt.Equal(later) {
			t.Errorf("re-imported site: Active %v, NextCheckAt %v; want true, %v", si.Active, st.NextCheckAt, later)
		}
	})
}

func TestUpsertConflicts(t *testing.T) {
	a, b, c := exampleSite(1), exampleSite(2), exampleSite(3)
	tests := []struct {
		name       string
		before     []Site
		batch      []Site
		wantIndex  int
		wantDomain string
	}{{
		name:       "domain listed by two sites of the batch",
		batch:      []Site{a, b, with(c, func(s *Site) { s.Domains = domains("c.example.cn", "SITE1.example.cn") })},
		wantIndex:  2,
		wantDomain: "site1.example.cn",
	}, {
		name:       "domain listed twice by one site",
		batch:      []Site{with(a, func(s *Site) { s.Domains = domains("a.example.cn", "A.example.cn.") })},
		wantIndex:  0,
		wantDomain: "a.example.cn",
	}, {
		name:       "IDN listed in both forms",
		batch:      []Site{with(a, func(s *Site) { s.Domains = domains("中文.中国") }), with(b, func(s *Site) { s.Domains = domains("xn--fiq228c.xn--fiqs8s") })},
		wantIndex:  1,
		wantDomain: "xn--fiq228c.xn--fiqs8s",
	}, {
		name:       "domains match two registered sites",
		before:     []Site{a, b},
		batch:      []Site{c, with(c, func(s *Site) { s.ICPNumber = ""; s.Domains = domains("site1.example.cn", "site2.example.cn") })},
		wantIndex:  1,
		wantDomain: "site2.example.cn",
	}, {
		name:       "domain and ICP number match different sites",
		before:     []Site{a, b},
		batch:      []Site{with(a, func(s *Site) { s.Domains = domains("site2.example.cn") })},
		wantIndex:  0,
		wantDomain: "site2.example.cn",
	}, {
		name:       "two sites match one registered site",
		before:     []Site{a},
		batch:      []Site{with(b, func(s *Site) { s.Domains = domains("site1.example.cn") }), with(a, func(s *Site) { s.Domains = domains("x.example.cn") })},
		wantIndex:  1,
		wantDomain: "x.example.cn",
	}, {
		name:       "ICP site number twice in the batch",
		batch:      []Site{a, with(b, func(s *Site) { s.ICPNumber = a.ICPNumber })},
		wantIndex:  1,
		wantDomain: "site2.example.cn",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			forEachEngine(t, func(t *testing.T, dsn string) {
				s := mustOpenStore(t, dsn)
				mustUpsert(t, s, tt.before...)
				beforeSites, beforeStates := allSites(t, s)

				_, err := s.UpsertSites(context.Background(), tt.batch)
				ce, ok := errors.AsType[*ConflictError](err)
				if !ok {
					t.Fatalf("UpsertSites = %v, want a *ConflictError", err)
				}
				if ce.Index != tt.wantIndex || ce.Domain != tt.wantDomain {
					t.Errorf("ConflictError{Index: %d, Domain: %q} (%v), want {%d, %q}", ce.Index, ce.Domain, err, tt.wantIndex, tt.wantDomain)
				}
				afterSites, afterStates := allSites(t, s)
				if diff := cmp.Diff(beforeSites, afterSites, cmpAddr); diff != "" {
					t.Errorf("sites changed by a failed UpsertSites (-before +after):\n%s", diff)
				}
				if diff := cmp.Diff(beforeStates, afterStates); diff != "" {
					t.Errorf("states changed by a failed UpsertSites (-before +after):\n%s", diff)
				}

				// What --partial does: drop the site and import the rest.
				rest := append(append([]Site{}, tt.batch[:ce.Index]...), tt.batch[ce.Index+1:]...)
				if _, err := s.UpsertSites(context.Background(), rest); err != nil {
					var again *ConflictError
					if !errors.As(err, &again) {
						t.Errorf("UpsertSites without site %d: %v", ce.Index, err)
					}
				}
			})
		})
	}
}

func TestUpsertRejectsBadDomains(t *testing.T) {
	forEachEngine(t, func(t *testing.T, dsn string) {
		s := mustOpenStore(t, dsn)
		for _, ds := range [][]Domain{nil, {{Unicode: "bad domain.cn"}}, {{}}} {
			site := with(exampleSite(1), func(s *Site) { s.Domains = ds })
			if _, err := s.UpsertSites(context.Background(), []Site{site}); err == nil {
				t.Errorf("UpsertSites(domains %q): no error, want one", ds)
			}
		}
		if sites, _ := allSites(t, s); len(sites) != 0 {
			t.Errorf("%d sites stored, want none", len(sites))
		}
	})
}
