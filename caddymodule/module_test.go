package caddymodule

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

const (
	testAPIKey    = "test-api-key"
	testAPISecret = "test-api-secret-0123"
	testPepper    = "test-pepper-0123456789abcdef"
)

// testHandler is a valid config on a SQLite file at path, with hash costs
// cheap enough for unit tests.
func testHandler(path string) *Handler {
	return &Handler{
		Tenants: []Tenant{{
			Name:        "demo",
			APIKeys:     []string{testAPIKey},
			APISecret:   testAPISecret,
			PINRequired: ptr(false),
		}},
		Store:   &Store{Backend: "sqlite", Path: path},
		Peppers: []string{testPepper},
		Hash:    &Hash{Algorithm: "argon2id", Time: 1, MemoryKiB: 64, Threads: 1},
		Public:  []string{"/open"},
	}
}

func testContext(t *testing.T) caddy.Context {
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	t.Cleanup(cancel)
	return ctx
}

func storeRefs(t *testing.T, path string) int {
	t.Helper()
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	refs, _ := stores.References("sqlite:" + abs)
	return refs
}

func TestProvisionSharesOneStorePerPathAcrossReloads(t *testing.T) {
	t.Parallel()
	// A directory that does not exist yet, as Caddy's data directory on a
	// fresh machine.
	path := filepath.Join(t.TempDir(), "data", "pinauth.db")

	oldCfg := testHandler(path)
	if err := oldCfg.Provision(testContext(t)); err != nil {
		t.Fatalf("Provision: %v", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the database file was not created: %v", err)
	}
	if got := storeRefs(t, path); got != 1 {
		t.Fatalf("references after one Provision = %d, want 1", got)
	}

	// A reload provisions the new config before cleaning up the old one.
	newCfg := testHandler(path)
	if err := newCfg.Provision(testContext(t)); err != nil {
		t.Fatalf("Provision of the reloaded config: %v", err)
	}
	if got := storeRefs(t, path); got != 2 {
		t.Fatalf("references during the reload = %d, want 2 (one shared store)", got)
	}
	if err := oldCfg.Cleanup(); err != nil {
		t.Fatalf("Cleanup of the old config: %v", err)
	}
	if got := storeRefs(t, path); got != 1 {
		t.Fatalf("references after the old config's Cleanup = %d, want 1", got)
	}

	// caddyhttp's Stop starts the old servers' graceful shutdowns and
	// returns, so Cleanup can come while they still finish requests: the
	// old config must keep answering them (a reload under load met a nil
	// gateway here once).
	old := httptest.NewRecorder()
	if err := oldCfg.ServeHTTP(old, caddyRequest(http.MethodGet, "/.well-known/jwks.json", nil), failNext(t)); err != nil {
		t.Fatal(err)
	}
	if old.Code != http.StatusOK || !strings.Contains(old.Body.String(), `"keys"`) {
		t.Fatalf("JWKS from the old config after its Cleanup: %d %s", old.Code, old.Body)
	}

	// The surviving config still works against the store.
	rec := httptest.NewRecorder()
	req := caddyRequest(http.MethodGet, "/.well-known/jwks.json", nil)
	if err := newCfg.ServeHTTP(rec, req, failNext(t)); err != nil {
		t.Fatal(err)
	}
	if rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), `"keys"`) {
		t.Fatalf("JWKS after the old config's Cleanup: %d %s", rec.Code, rec.Body)
	}

	if err := newCfg.Cleanup(); err != nil {
		t.Fatalf("Cleanup: %v", err)
	}
	if got := storeRefs(t, path); got != 0 {
		t.Fatalf("references after the last Cleanup = %d, want 0", got)
	}
	if err := newCfg.Cleanup(); err != nil {
		t.Fatalf("second Cleanup: %v", err)
	}
}

func TestProvisionFailureInTheCoreReleasesTheStore(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "pinauth.db")
	h := testHandler(path)
	// Passes the adapter's checks, fails the core's: peppers need 16 bytes.
	h.Peppers = []string{"short-SECRET"}

	err := h.Provision(testContext(t))
	if err == nil {
		t.Fatal("Provision accepted a 12-byte pepper")
	}
	if !strings.Contains(err.Error(), "pepper") || strings.Contains(err.Error(), "SECRET") {
		t.Fatalf("error %q should name the pepper without echoing it", err)
	}
	// Caddy calls Cleanup after a failed Provision.
	if err := h.Cleanup(); err != nil {
		t.Fatalf("Cleanup after a failed Provision: %v", err)
	}
	if got := storeRefs(t, path); got != 0 {
		t.Fatalf("references after Cleanup = %d, want 0: the store leaked", got)
	}
}

func TestProvisionRejectsABadConfigBeforeOpeningTheStore(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "pinauth.db")
	h := testHandler(path)
	h.Tenants = nil

	if err := h.Provision(testContext(t)); err == nil || !strings.Contains(err.Error(), "tenant") {
		t.Fatalf("Provision error = %v, want one about the missing tenant", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatalf("a rejected config created the database file (stat: %v)", err)
	}
	if err := h.Cleanup(); err != nil {
		t.Fatalf("Cleanup after a rejected config: %v", err)
	}
}

func TestServeHTTPGatesRequestsAndSetsUserPlaceholders(t *testing.T) {
	t.Parallel()
	h := testHandler(filepath.Join(t.TempDir(), "pinauth.db"))
	if err := h.Provision(testContext(t)); err != nil {
		t.Fatalf("Provision: %v", err)
	}
	t.Cleanup(func() { _ = h.Cleanup() })

	// Create an account and log in through the API the handler serves.
	created := serveJSON(t, h, http.MethodPost,
		"/identity/v2/manage/account?apikey="+testAPIKey+"&apisecret="+testAPISecret,
		`{"Email":[{"Type":"Primary","Value":"alice@example.com"}],"Password":"correct horse 9",
		  "UserName":"alice","FirstName":"Alice","LastName":"Smith","Roles":["user","admin"]}`)
	uid, _ := created["Uid"].(string)
	if uid == "" {
		t.Fatalf("created account has no Uid: %v", created)
	}
	login := serveJSON(t, h, http.MethodPost, "/identity/v2/auth/login?apikey="+testAPIKey,
		`{"email":"alice@example.com","password":"correct horse 9"}`)
	token, _ := login["access_token"].(string)
	if token == "" {
		t.Fatalf("login returned no access_token: %v", login)
	}

	t.Run("valid token reaches next with placeholders and real headers", func(t *testing.T) {
		req := caddyRequest(http.MethodGet, "/app", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("X-Auth-Uid", "forged-uid")
		var called bool
		next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			called = true
			repl := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer)
			for placeholder, want := range map[string]string{
				"{http.auth.user.id}":       uid,
				"{http.auth.user.tenant}":   "demo",
				"{http.auth.user.email}":    "alice@example.com",
				"{http.auth.user.username}": "alice",
				"{http.auth.user.roles}":    "user,admin",
			} {
				if got := repl.ReplaceAll(placeholder, ""); got != want {
					t.Errorf("%s = %q, want %q", placeholder, got, want)
				}
			}
			if repl.ReplaceAll("{http.auth.user.session}", "") == "" {
				t.Error("{http.auth.user.session} is empty")
			}
			if got := r.Header.Values("X-Auth-Uid"); len(got) != 1 || got[0] != uid {
				t.Errorf("upstream X-Auth-Uid = %q, want only %q", got, uid)
			}
			return nil
		})
		if err := h.ServeHTTP(httptest.NewRecorder(), req, next); err != nil {
			t.Fatal(err)
		}
		if !called {
			t.Fatal("an authenticated request did not reach the next handler")
		}
	})

	t.Run("no token is answered by the gate", func(t *testing.T) {
		rec := httptest.NewRecorder()
		if err := h.ServeHTTP(rec, caddyRequest(http.MethodGet, "/app", nil), failNext(t)); err != nil {
			t.Fatal(err)
		}
		if rec.Code != http.StatusUnauthorized {
			t.Fatalf("status = %d, want 401", rec.Code)
		}
	})

	t.Run("public path passes anonymously without placeholders", func(t *testing.T) {
		req := caddyRequest(http.MethodGet, "/open", nil)
		req.Header.Set("X-Auth-Uid", "forged-uid")
		var called bool
		next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
			called = true
			repl := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer)
			if got := repl.ReplaceAll("{http.auth.user.id}", ""); got != "" {
				t.Errorf("{http.auth.user.id} = %q on an anonymous request", got)
			}
			if got := r.Header.Get("X-Auth-Uid"); got != "" {
				t.Errorf("forged X-Auth-Uid %q reached the upstream", got)
			}
			return nil
		})
		if err := h.ServeHTTP(httptest.NewRecorder(), req, next); err != nil {
			t.Fatal(err)
		}
		if !called {
			t.Fatal("a public request did not reach the next handler")
		}
	})
}

func TestClientIPPrefersCaddysClientIP(t *testing.T) {
	t.Parallel()
	req := caddyRequest(http.MethodGet, "/", nil)
	req.RemoteAddr = "10.0.0.1:4321"
	if got := clientIP(req); got != "203.0.113.7" {
		t.Errorf("clientIP with Caddy's client_ip = %q, want 203.0.113.7", got)
	}
	plain := httptest.NewRequest(http.MethodGet, "/", nil)
	plain.RemoteAddr = "10.0.0.1:4321"
	if got := clientIP(plain); got != "10.0.0.1" {
		t.Errorf("clientIP without Caddy's vars = %q, want 10.0.0.1", got)
	}
}

// caddyRequest builds a request with the context Caddy's server gives every
// request: a replacer and the vars table holding client_ip.
func caddyRequest(method, target string, body *strings.Reader) *http.Request {
	var req *http.Request
	if body == nil {
		req = httptest.NewRequest(method, target, nil)
	} else {
		req = httptest.NewRequest(method, target, body)
		req.Header.Set("Content-Type", "application/json")
	}
	ctx := context.WithValue(req.Context(), caddy.ReplacerCtxKey, caddy.NewReplacer())
	ctx = context.WithValue(ctx, caddyhttp.VarsCtxKey, map[string]any{
		caddyhttp.ClientIPVarKey: "203.0.113.7",
	})
	return req.WithContext(ctx)
}

// serveJSON sends an API call through the handler and decodes a 200 reply.
func serveJSON(t *testing.T, h *Handler, method, target, body string) map[string]any {
	t.Helper()
	rec := httptest.NewRecorder()
	if err := h.ServeHTTP(rec, caddyRequest(method, target, strings.NewReader(body)), failNext(t)); err != nil {
		t.Fatal(err)
	}
	if rec.Code != http.StatusOK {
		t.Fatalf("%s %s: status %d: %s", method, target, rec.Code, rec.Body)
	}
	var out map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	return out
}

// failNext is a next handler that must not be reached.
func failNext(t *testing.T) caddyhttp.Handler {
	return caddyhttp.HandlerFunc(func(http.ResponseWriter, *http.Request) error {
		t.Error("the request reached the next handler")
		return nil
	})
}
