package checker

import (
	"bytes"
	"encoding/json"
	"reflect"
	"slices"
	"testing"
	"unsafe"
)

func TestWithin(t *testing.T) {
	src := "<a href=/x>京ICP备2021034567号-1</a>"
	for _, tc := range []struct {
		name string
		s    string
		want bool
	}{
		{"whole", src, true},
		{"start", src[:2], true},
		{"middle", src[9:10], true},
		{"last byte", src[len(src)-1:], true},
		{"empty", src[3:3], false},
		{"copy", string([]byte(src)), false},
		{"other", "京ICP备2021034567号-1", false},
	} {
		if got := within(tc.s, src); got != tc.want {
			t.Errorf("%s: within(%q, src) = %v, want %v", tc.name, tc.s, got, tc.want)
		}
	}
	// A string right after src's memory is not inside it.
	buf := "abcdef"
	if within(buf[3:], buf[:3]) {
		t.Errorf("within(buf[3:], buf[:3]) = true, want false")
	}
}

func TestDetach(t *testing.T) {
	src := "<p><a href=https://beian.miit.gov.cn/>京ICP备2021034567号-1</a></p>"
	r := Report{
		ICP:      []ICP{{Text: src[38:62], LinkURL: src[12:37], Kind: KindFiling}},
		PSB:      []PSB{{LinkCode: src[3:5]}},
		Findings: []Finding{{Code: CodeICPNotLinked, Path: src[1:2], Message: "m"}},
		Error:    src[:3],
	}
	want := Report{
		ICP:      []ICP{{Text: src[38:62], LinkURL: src[12:37], Kind: KindFiling}},
		PSB:      []PSB{{LinkCode: src[3:5]}},
		Findings: []Finding{{Code: CodeICPNotLinked, Path: src[1:2], Message: "m"}},
		Error:    src[:3],
	}
	detach(&r, src)
	if !reflect.DeepEqual(r, want) {
		t.Fatalf("detach changed the report: %+v, want %+v", r, want)
	}
	if s, ok := sharedString(r, src); ok {
		t.Errorf("after detach, %q still shares the page's memory", s)
	}
	if r.ICP[0].Kind != KindFiling || unsafe.StringData(r.ICP[0].Kind) != unsafe.StringData(KindFiling) {
		t.Errorf("detach copied a string that was not the page's")
	}
}

// TestReportOwnsMemory checks that no string of a report shares memory
// with the page's body: the fast path reads a UTF-8 body in place, and the
// caller may reuse the body once Check returns.
func TestReportOwnsMemory(t *testing.T) {
	cases := fastPathCases(t)
	for _, bc := range benchCases(t) {
		cases["bench/"+bc.name] = corpusCase{name: bc.name, page: fuzzPage(bc.body, bc.contentType)}
	}
	fast := 0
	for name, c := range cases {
		body := unsafe.String(unsafe.SliceData(c.page.Body), len(c.page.Body))
		r, text := CheckText(c.page, c.want)
		if s, ok := sharedString(r, body); ok {
			t.Errorf("%s: report string %q shares the body's memory", name, s)
		}
		if within(text, body) {
			t.Errorf("%s: the rendered text shares the body's memory", name)
		}
		if _, ok := checkPath(c.page, c.want, false); ok {
			fast++
		}
	}
	if fast < len(cases)/2 {
		t.Errorf("the fast path judged %d of %d pages, want most", fast, len(cases))
	}
}

// sharedString returns a string held anywhere in v that starts inside
// src's memory.
func sharedString(v any, src string) (string, bool) {
	var walk func(reflect.Value) (string, bool)
	walk = func(v reflect.Value) (string, bool) {
		switch v.Kind() {
		case reflect.String:
			if s := v.String(); within(s, src) {
				return s, true
			}
		case reflect.Struct:
			for i := range v.NumField() {
				if s, ok := walk(v.Field(i)); ok {
					return s, true
				}
			}
		case reflect.Slice, reflect.Array:
			for i := range v.Len() {
				if s, ok := walk(v.Index(i)); ok {
					return s, true
				}
			}
		case reflect.Pointer, reflect.Interface:
			if !v.IsNil() {
				return walk(v.Elem())
			}
		}
		return "", false
	}
	return walk(reflect.ValueOf(v))
}

// TestReportSurvivesPoolReuse checks reports against the pooled memory
// the fast path works in: a report must read the same after later checks
// have reused that memory for other pages.
func TestReportSurvivesPoolReuse(t *testing.T) {
	cases := fastPathCases(t)
	for _, bc := range benchCases(t) {
		cases["bench/"+bc.name] = corpusCase{name: bc.name, page: fuzzPage(bc.body, bc.contentType)}
	}
	var names []string
	for name := range cases {
		names = append(names, name)
	}
	slices.Sort(names)
	type kept struct {
		name string
		r    Report
		want []byte
	}
	var reports []kept
	for _, name := range names {
		c := cases[name]
		r := Check(c.page, c.want)
		want, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		reports = append(reports, kept{name, r, want})
	}
	for _, k := range reports {
		got, err := json.Marshal(k.r)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, k.want) {
			t.Errorf("%s: the report changed after later checks:\n got %s\nwant %s", k.name, got, k.want)
		}
	}
}
