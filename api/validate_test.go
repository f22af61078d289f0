package api_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/legacy"

	"github.com/beianwatch/beianwatch/api"
	"github.com/beianwatch/beianwatch/sitefile"
)

// invalidKey marks a request the test makes wrong on purpose: the
// OpenAPI document must refuse it too.
type invalidKey struct{}

// deliberatelyInvalid returns ctx marking its request as one the
// document must refuse.
func deliberatelyInvalid(ctx context.Context) context.Context {
	return context.WithValue(ctx, invalidKey{}, true)
}

// validator is an http.RoundTripper that checks every request and
// response against the embedded OpenAPI document: a request the test did
// not mark invalid must validate, one it marked must not, and every
// response must be one the document lists, with its schema. It counts
// the operations answered 2xx, so the suite can say it reached them all.
type validator struct {
	t      testing.TB
	router routers.Router
	doc    *openapi3.T
	base   http.RoundTripper

	mu  sync.Mutex
	hit map[string]bool // operationId → answered 2xx
	n   int
}

// A workbook is a file to the validator, as application/octet-stream is.
func init() {
	openapi3filter.RegisterBodyDecoder(sitefile.MediaTypeXLSX, openapi3filter.FileBodyDecoder)
}

func newValidator(t testing.TB) *validator {
	t.Helper()
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(api.OpenAPI)
	if err != nil {
		t.Fatalf("load openapi.json: %v", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		t.Fatalf("openapi.json is not a valid OpenAPI 3 document: %v", err)
	}
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	return &validator{t: t, router: router, doc: doc, base: http.DefaultTransport, hit: map[string]bool{}}
}

func (v *validator) RoundTrip(req *http.Request) (*http.Response, error) {
	var body []byte
	if req.Body != nil {
		body, _ = io.ReadAll(req.Body)
		req.Body.Close()
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	route, params, err := v.router.FindRoute(req)
	if err != nil {
		v.t.Errorf("%s %s: not in the OpenAPI document: %v", req.Method, req.URL.Path, err)
		return v.base.RoundTrip(req)
	}
	opts := &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, IncludeResponseStatus: true, MultiError: true}
	in := &openapi3filter.RequestValidationInput{Request: req.Clone(req.Context()), PathParams: params, Route: route, Options: opts}
	in.Request.Body = io.NopCloser(bytes.NewReader(body))
	reqErr := openapi3filter.ValidateRequest(req.Context(), in)
	wantInvalid, _ := req.Context().Value(invalidKey{}).(bool)
	switch {
	case wantInvalid && reqErr == nil:
		v.t.Errorf("%s %s: the test made this request wrong on purpose, but the OpenAPI document accepts it", req.Method, req.URL)
	case !wantInvalid && reqErr != nil:
		v.t.Errorf("%s %s: request does not match the OpenAPI document: %v", req.Method, req.URL, reqErr)
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	resp, err := v.base.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	respBody, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(respBody))
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header, Options: opts}
	out.SetBodyBytes(respBody)
	if err := openapi3filter.ValidateResponse(req.Context(), out); err != nil {
		v.t.Errorf("%s %s: response %d does not match the OpenAPI document: %v\nbody: %.500s", req.Method, req.URL, resp.StatusCode, err, respBody)
	}
	v.mu.Lock()
	v.n++
	if resp.StatusCode/100 == 2 {
		v.hit[route.Operation.OperationID] = true
	}
	v.mu.Unlock()
	return resp, nil
}

// unreached lists the document's operations no request reached with a
// 2xx answer.
func (v *validator) unreached() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	var out []string
	for path, item := range v.doc.Paths.Map() {
		for method, op := range item.Operations() {
			if !v.hit[op.OperationID] {
				out = append(out, fmt.Sprintf("%s %s (%s)", method, path, op.OperationID))
			}
		}
	}
	return out
}

func slogDiscard() *slog.Logger { return slog.New(slog.DiscardHandler) }
