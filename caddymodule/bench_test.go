package caddymodule

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// BenchmarkServeHTTPCached measures the adapter's part of a protected
// request whose token was verified before: the core's Handle plus the
// identity placeholders, with a fresh replacer per request as Caddy gives
// each request.
func BenchmarkServeHTTPCached(b *testing.B) {
	h := testHandler(filepath.Join(b.TempDir(), "pinauth.db"))
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	defer cancel()
	if err := h.Provision(ctx); err != nil {
		b.Fatal(err)
	}
	defer h.Cleanup()
	api := func(target, body string) map[string]any {
		rec := httptest.NewRecorder()
		if err := h.ServeHTTP(rec, caddyRequest(http.MethodPost, target, strings.NewReader(body)), nil); err != nil || rec.Code != http.StatusOK {
			b.Fatalf("POST %s: %v %d %s", target, err, rec.Code, rec.Body)
		}
		var out map[string]any
		_ = json.Unmarshal(rec.Body.Bytes(), &out)
		return out
	}
	api("/identity/v2/manage/account?apikey="+testAPIKey+"&apisecret="+testAPISecret,
		`{"Email":[{"Type":"Primary","Value":"alice@example.com"}],"Password":"correct horse 9","FirstName":"Alice","Roles":["user"]}`)
	token, _ := api("/identity/v2/auth/login?apikey="+testAPIKey, `{"email":"alice@example.com","password":"correct horse 9"}`)["access_token"].(string)
	req := caddyRequest(http.MethodGet, "/app", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	reached := false
	next := caddyhttp.HandlerFunc(func(http.ResponseWriter, *http.Request) error { reached = true; return nil })
	w := httptest.NewRecorder()
	for range 2 { // the second request is a cache hit
		if err := h.ServeHTTP(w, req, next); err != nil || !reached {
			b.Fatalf("warm-up request not passed on: %v", err)
		}
	}
	base := req.Context()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		r := req.WithContext(context.WithValue(base, caddy.ReplacerCtxKey, caddy.NewReplacer()))
		if err := h.ServeHTTP(w, r, next); err != nil {
			b.Fatal(err)
		}
	}
}
