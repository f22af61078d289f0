package auth

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestHas(t *testing.T) {
	for _, tc := range []struct {
		scopes []Scope
		want   Scope
		has    bool
	}{
		{[]Scope{Read}, Read, true},
		{[]Scope{Read}, Write, false},
		{[]Scope{Write, Cases}, Cases, true},
		{[]Scope{Admin}, Probe, true},
		{[]Scope{Admin}, Write, true},
		{nil, Read, false},
	} {
		if got := (Principal{Scopes: tc.scopes}).Has(tc.want); got != tc.has {
			t.Errorf("Principal%v.Has(%s) = %v, want %v", tc.scopes, tc.want, got, tc.has)
		}
	}
}

func TestParseScopes(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    string
		wantErr bool
	}{
		{"read", "[read]", false},
		{"read, cases,read", "[read cases]", false},
		{"admin", "[admin]", false},
		{"", "", true},
		{"read,", "", true},
		{"root", "", true},
		{"READ", "", true},
	} {
		got, err := ParseScopes(tc.in)
		if (err != nil) != tc.wantErr || (err == nil && fmt.Sprint(got) != tc.want) {
			t.Errorf("ParseScopes(%q) = %v, %v; want %s (error: %v)", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestMiddleware(t *testing.T) {
	v := VerifierFunc(func(_ context.Context, secret string) (Principal, error) {
		switch secret {
		case "bw_read":
			return Principal{Name: "reader", Scopes: []Scope{Read}}, nil
		case "bw_admin":
			return Principal{Name: "root", Scopes: []Scope{Admin}}, nil
		case "bw_old":
			return Principal{}, fmt.Errorf("verify: %w", ErrExpired)
		case "bw_broken":
			return Principal{}, fmt.Errorf("database down")
		}
		return Principal{}, fmt.Errorf("verify: %w", ErrUnknown)
	})
	h := Middleware(v, nil, Require(Write, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, _ := FromContext(r.Context())
		fmt.Fprint(w, p.Name)
	})))
	srv := httptest.NewServer(h)
	defer srv.Close()
	for _, tc := range []struct {
		header string
		status int
		code   string
	}{
		{"", 401, CodeUnauthorized},
		{"Bearer", 401, CodeUnauthorized},
		{"Bearer ", 401, CodeUnauthorized},
		{"Basic dXNlcjpwYXNz", 401, CodeUnauthorized},
		{"Bearer bw_wrong", 401, CodeUnauthorized},
		{"Bearer bw_old", 401, CodeUnauthorized},
		{"Bearer bw_read", 403, CodeForbidden},
		{"Bearer bw_broken", 500, CodeInternal},
		{"bearer bw_admin", 200, ""},
	} {
		req, _ := http.NewRequest("GET", srv.URL, nil)
		if tc.header != "" {
			req.Header.Set("Authorization", tc.header)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Error struct{ Code, Message string }
		}
		if tc.status != 200 {
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Errorf("%q: body: %v", tc.header, err)
			}
		}
		resp.Body.Close()
		if resp.StatusCode != tc.status || body.Error.Code != tc.code {
			t.Errorf("%q: %d %q, want %d %q", tc.header, resp.StatusCode, body.Error.Code, tc.status, tc.code)
		}
		if tc.status == 401 && resp.Header.Get("WWW-Authenticate") == "" {
			t.Errorf("%q: 401 without WWW-Authenticate", tc.header)
		}
	}
}
