package registry

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/beianwatch/beianwatch/internal/pgtest"
)

// BenchmarkUpsertSites100k imports 100,000 generated sites (each with a
// domain or two, an IP or two, an operator and a contact) into an empty
// registry in one UpsertSites call, and reports sites/s.
//
//	go test -run '^$' -bench UpsertSites100k -benchtime 1x ./registry
func BenchmarkUpsertSites100k(b *testing.B) {
	const n = 100_000
	sites := generateSites(n)
	b.Run("sqlite", func(b *testing.B) { benchUpsert(b, sites, func() string { return pgtest.SQLiteDSN(b) }) })
	b.Run("postgres", func(b *testing.B) { benchUpsert(b, sites, func() string { return pgtest.SchemaDSN(b) }) })
}

// BenchmarkReimportSites100k imports the same 100,000 sites again: the
// daily re-import of an unchanged customer list, all matched and compared.
func BenchmarkReimportSites100k(b *testing.B) {
	const n = 100_000
	sites := generateSites(n)
	b.Run("sqlite", func(b *testing.B) { benchReimport(b, sites, pgtest.SQLiteDSN(b)) })
	b.Run("postgres", func(b *testing.B) { benchReimport(b, sites, pgtest.SchemaDSN(b)) })
}

func benchUpsert(b *testing.B, sites []Site, dsn func() string) {
	var elapsed time.Duration
	for b.Loop() {
		b.StopTimer()
		s := mustOpenStore(b, dsn())
		b.StartTimer()
		start := time.Now()
		st := mustUpsert(b, s, sites...)
		elapsed += time.Since(start)
		if st.Inserted != len(sites) {
			b.Fatalf("UpsertSites = %+v, want %d inserted", st, len(sites))
		}
	}
	b.ReportMetric(float64(len(sites)*b.N)/elapsed.Seconds(), "sites/s")
}

func benchReimport(b *testing.B, sites []Site, dsn string) {
	s := mustOpenStore(b, dsn)
	mustUpsert(b, s, sites...)
	start := time.Now()
	for b.Loop() {
		if st := mustUpsert(b, s, sites...); st.Unchanged != len(sites) {
			b.Fatalf("UpsertSites = %+v, want %d unchanged", st, len(sites))
		}
	}
	b.ReportMetric(float64(len(sites)*b.N)/time.Since(start).Seconds(), "sites/s")
}

// generateSites makes n distinct sites with valid numbers and realistic
// fields: every tenth has a www. twin domain and a second IP, every
// hundredth an IDN domain, operators and contacts repeat as customers own
// several sites.
func generateSites(n int) []Site {
	sites := make([]Site, n)
	for i := range sites {
		s := exampleSite(i)
		s.Contact.Name = fmt.Sprintf("联系人%d", i%5000)
		s.Operator.Name = fmt.Sprintf("北京示例科技有限公司%d", i%20000)
		s.Operator.OrgCode = fmt.Sprintf("91110105MA%08d", i%20000)
		s.IPs = []netip.Addr{netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})}
		if i%10 == 0 {
			s.Domains = append(s.Domains, Domain{Unicode: "www." + s.Domains[0].Unicode, ASCII: "www." + s.Domains[0].ASCII})
			s.IPs = append(s.IPs, netip.AddrFrom4([4]byte{172, 16, byte(i >> 8), byte(i)}))
		}
		if i%100 == 0 {
			s.Domains = domains(fmt.Sprintf("示例%d.中国", i))
		}
		sites[i] = s
	}
	return sites
}
