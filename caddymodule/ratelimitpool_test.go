package caddymodule

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
)

// unknownLogin sends one password login for an unknown account through h and
// returns the status.
func unknownLogin(t *testing.T, h *Handler) int {
	t.Helper()
	rec := httptest.NewRecorder()
	req := caddyRequest(http.MethodPost, "/identity/v2/auth/login?apikey="+testAPIKey,
		strings.NewReader(`{"email":"nobody@example.com","password":"wrong password"}`))
	if err := h.ServeHTTP(rec, req, failNext(t)); err != nil {
		t.Fatal(err)
	}
	return rec.Code
}

func TestRateLimitCountsSurviveAReload(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "pinauth.db")
	limited := func() *Handler {
		h := testHandler(path)
		h.RateLimit = &RateLimit{Requests: 2, Window: caddy.Duration(time.Hour)}
		return h
	}
	oldCfg := limited()
	if err := oldCfg.Provision(testContext(t)); err != nil {
		t.Fatalf("Provision: %v", err)
	}
	for i := 0; i < 2; i++ {
		if code := unknownLogin(t, oldCfg); code != http.StatusUnauthorized {
			t.Fatalf("check %d: status %d, want 401", i+1, code)
		}
	}
	// The reload: the new config is provisioned, then the old cleaned up.
	newCfg := limited()
	if err := newCfg.Provision(testContext(t)); err != nil {
		t.Fatalf("Provision of the reloaded config: %v", err)
	}
	if err := oldCfg.Cleanup(); err != nil {
		t.Fatal(err)
	}
	if code := unknownLogin(t, newCfg); code != http.StatusTooManyRequests {
		t.Fatalf("first check after the reload: status %d, want 429 (the budget was spent before it)", code)
	}
	if err := newCfg.Cleanup(); err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(path)
	if refs, _ := rateLimiters.References("rate_limit:sqlite:" + abs); refs != 0 {
		t.Fatalf("limiter references after the last Cleanup = %d, want 0", refs)
	}
	// With no config left the state is dropped: a new start begins afresh.
	fresh := limited()
	if err := fresh.Provision(testContext(t)); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = fresh.Cleanup() })
	if code := unknownLogin(t, fresh); code != http.StatusUnauthorized {
		t.Fatalf("check after a full stop: status %d, want 401", code)
	}
}
