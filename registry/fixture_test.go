package registry

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/beianwatch/beianwatch/checker"
)

func date(y, m, d int) checker.Date { return checker.Date{Year: y, Month: time.Month(m), Day: d} }

// exampleSite is site n of a made-up hosting provider, with every field
// set and valid numbers: domain siteN.example.cn, ICP 京ICP备2021NNNNNN号-1.
func exampleSite(n int) Site {
	return Site{
		Name:           fmt.Sprintf("示例站点%d", n),
		ICPNumber:      fmt.Sprintf("京ICP备2021%06d号-1", n),
		ICPApprovedOn:  date(2026, 3, 1),
		LaunchedOn:     date(2026, 3, 2),
		PSBNumber:      fmt.Sprintf("110105020%05d", n),
		PSBFiledOn:     date(2026, 3, 20),
		PSBApprovedOn:  date(2026, 4, 10),
		CustomerID:     fmt.Sprintf("cust-%d", n%97),
		AccessProvider: "示例云",
		Registrar:      "示例注册商",
		Interactive:    n%3 == 0,
		Languages:      []string{"zh-CN"},
		Tags:           []string{fmt.Sprintf("batch-%d", n%10)},
		Operator: Operator{
			Type:    OperatorOrganization,
			Name:    fmt.Sprintf("北京示例科技有限公司%d", n%500),
			OrgCode: fmt.Sprintf("91110105MA%08d", n%500),
		},
		Contact: Contact{
			Name:  "张三",
			Phone: fmt.Sprintf("138%08d", n),
			Email: fmt.Sprintf("ops%d@example.com", n),
		},
		Domains: domains(fmt.Sprintf("site%d.example.cn", n)),
		IPs:     []netip.Addr{netip.AddrFrom4([4]byte{203, 0, 113, byte(n)})},
	}
}
