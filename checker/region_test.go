package checker

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// TestBuildMatchesParse makes every region of every fast-path page both
// ways, from the scan's table and by parsing its source, wherever the
// table holds the region's nodes: the trees must be the same, node for
// node and attribute for attribute, and so must the text nodes and
// images the document records for them.
func TestBuildMatchesParse(t *testing.T) {
	cases := fastPathCases(t)
	for _, bc := range benchCases(t) {
		cases["bench/"+bc.name] = corpusCase{name: bc.name, page: fuzzPage(bc.body, bc.contentType)}
	}
	built, parsedOnly := 0, 0
	for name, c := range cases {
		text := decode(c.page.Body, c.page.Header.Get("Content-Type")).text
		for _, r := range regionsOf(text) {
			dA, okA := scanPage(text)
			dB, okB := scanPage(text)
			if !okA || !okB || !dA.scan.tableHolds(r) {
				dA.release()
				dB.release()
				continue
			}
			fromTable := dA.scan.makeRegion(dA, r, true)
			parsed := dB.scan.makeRegion(dB, r, false)
			switch {
			case parsed && !fromTable:
				t.Errorf("%s: region %d parses but is not made from the table", name, r)
			case !parsed:
				parsedOnly++ // the fast path then left it to the full parse
			default:
				built++
				if d := sameRegion(dA, dB, r); d != "" {
					t.Errorf("%s: region %d made from the table differs from the parse: %s", name, r, d)
				}
			}
			dA.release()
			dB.release()
		}
	}
	if built < 10 {
		t.Errorf("compared %d regions made both ways, want more", built)
	}
	t.Logf("%d regions made both ways; %d the table makes but ParseFragment refuses", built, parsedOnly)
}

// regionsOf returns the regions prepare would make for a page, outermost
// first.
func regionsOf(text string) []int32 {
	d, ok := scanPage(text)
	if !ok {
		return nil
	}
	defer d.release()
	var rs []int32
	for _, buf := range []*textBuf{&d.vis, &d.hid} {
		for _, m := range buf.icpMatches() {
			rs = append(rs, d.scan.region(buf, buf.norm.orig(m.start), buf.norm.origEnd(m.end)))
		}
		for _, m := range buf.psbMatches() {
			rs = append(rs, d.scan.region(buf, buf.norm.orig(m.start), buf.norm.origEnd(m.end)))
		}
	}
	slices.Sort(rs)
	rs = slices.Compact(rs)
	if len(rs) > 0 && rs[0] < 0 {
		rs = rs[1:]
	}
	return rs
}

// sameRegion compares region r of two documents of the same page, "" when
// they agree.
func sameRegion(a, b *document, r int32) string {
	na, nb := a.scan.made[r].node, b.scan.made[r].node
	if d := sameTree(na, nb); d != "" {
		return d
	}
	var ra, rb strings.Builder
	if err := html.Render(&ra, na); err != nil {
		return err.Error()
	}
	if err := html.Render(&rb, nb); err != nil {
		return err.Error()
	}
	if ra.String() != rb.String() {
		return fmt.Sprintf("renders %q, want %q", ra.String(), rb.String())
	}
	e := &a.scan.elems[r]
	for o := e.text0; o < e.text1; o++ {
		ref := a.scan.texts[o]
		ta, tb := &a.vis, &b.vis
		if ref.hid {
			ta, tb = &a.hid, &b.hid
		}
		x, y := ta.node(int(ref.seg)), tb.node(int(ref.seg))
		if x == nil || y == nil || x.Data != y.Data {
			return fmt.Sprintf("text node %d: %v, want %v", o, x, y)
		}
	}
	for k := e.img0; k < e.img1; k++ {
		x, y := a.images[k].node, b.images[k].node
		if x == nil || y == nil || x.Data != y.Data {
			return fmt.Sprintf("image %d: %v, want %v", k, x, y)
		}
	}
	return ""
}

func sameTree(a, b *html.Node) string {
	if a.Type != b.Type || a.Data != b.Data || a.DataAtom != b.DataAtom || a.Namespace != b.Namespace {
		return fmt.Sprintf("node %d %q (%v) %q, want %d %q (%v) %q", a.Type, a.Data, a.DataAtom, a.Namespace, b.Type, b.Data, b.DataAtom, b.Namespace)
	}
	if !slices.Equal(a.Attr, b.Attr) {
		return fmt.Sprintf("<%s> attributes %v, want %v", a.Data, a.Attr, b.Attr)
	}
	ca, cb := a.FirstChild, b.FirstChild
	for ; ca != nil && cb != nil; ca, cb = ca.NextSibling, cb.NextSibling {
		if d := sameTree(ca, cb); d != "" {
			return d
		}
	}
	if ca != nil || cb != nil {
		return fmt.Sprintf("<%s> has a different number of children", a.Data)
	}
	return ""
}
