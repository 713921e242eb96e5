package pinauth

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/crypto/argon2"

	"github.com/pinauth/caddy-pinauth/pinauth/cache"
	"github.com/pinauth/caddy-pinauth/pinauth/config"
	"github.com/pinauth/caddy-pinauth/pinauth/hashing"
	"github.com/pinauth/caddy-pinauth/pinauth/identityheaders"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/tokens"
)

// benchEnv is a gateway with one logged-in account.
func benchEnv(b *testing.B, mutate ...func(*Config)) (*testEnv, response) {
	b.Helper()
	e := newTestEnv(b, mutate...)
	return e, e.loggedIn(testEmail)
}

// BenchmarkProtectedRequestCached measures the hot path: a request with a
// token verified before (cache hit), headers stripped and set, no network.
func BenchmarkProtectedRequestCached(b *testing.B) { benchProtectedCached(b) }

// BenchmarkProtectedRequestCachedHandle is BenchmarkProtectedRequestCached
// with an access-token handle (token_format uuid): the same cache hit, and
// the JWT minted for the handle put in Authorization.
func BenchmarkProtectedRequestCachedHandle(b *testing.B) { benchProtectedCached(b, withUUIDTokens) }

func benchProtectedCached(b *testing.B, mutate ...func(*Config)) {
	e, login := benchEnv(b, mutate...)
	tok := login.str("access_token")
	req := httptest.NewRequest("GET", "/app/data", nil)
	// The client's Authorization, restored before every request: a
	// handle's is replaced by the JWT minted for it.
	auth := []string{"Bearer " + tok}
	req.Header["Authorization"] = auth
	req.Header.Set("Accept", "text/html")
	req.Header.Set("User-Agent", "bench")
	w := httptest.NewRecorder()
	if _, ok := e.gw.Handle(w, req); !ok {
		b.Fatalf("warm-up request denied: %s", w.Body.String())
	}
	e.gw.cache.Wait()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req.Header["Authorization"] = auth
		if _, ok := e.gw.Handle(w, req); !ok {
			b.Fatal("denied")
		}
	}
}

// BenchmarkVerifyCachedEdDSA measures the cached verification alone: token
// cache hit, revocation check, profile cache hit; no headers.
func BenchmarkVerifyCachedEdDSA(b *testing.B) { benchVerifyCached(b, tokens.AlgEdDSA) }

// BenchmarkVerifyCachedES256 is BenchmarkVerifyCachedEdDSA for ES256.
func BenchmarkVerifyCachedES256(b *testing.B) { benchVerifyCached(b, tokens.AlgES256) }

// BenchmarkVerifyCachedRS256 is BenchmarkVerifyCachedEdDSA for RS256.
func BenchmarkVerifyCachedRS256(b *testing.B) { benchVerifyCached(b, tokens.AlgRS256) }

// BenchmarkVerifyCachedHS256 is BenchmarkVerifyCachedEdDSA for HS256.
func BenchmarkVerifyCachedHS256(b *testing.B) { benchVerifyCached(b, tokens.AlgHS256) }

// BenchmarkVerifyCachedHandle is BenchmarkVerifyCachedEdDSA for an
// access-token handle (token_format uuid): the warm path of a handle.
func BenchmarkVerifyCachedHandle(b *testing.B) { benchVerifyCached(b, tokens.AlgEdDSA, withUUIDTokens) }

func benchVerifyCached(b *testing.B, alg string, mutate ...func(*Config)) {
	e, login := benchEnv(b, append([]func(*Config){func(c *Config) { c.SigningAlg = alg }}, mutate...)...)
	tok := login.str("access_token")
	ctx := context.Background()
	if _, _, err := e.gw.authenticate(ctx, tok); err != nil {
		b.Fatal(err)
	}
	e.gw.cache.Wait()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := e.gw.authenticate(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}

// Each uncached verification is followed by its bare golang-jwt baseline,
// so the pair runs back to back (go test runs benchmarks in source order)
// and a ratio taken per run shares the machine's load.

// BenchmarkVerifyUncachedEdDSA measures a full verification (signature,
// claims, cached session state) with the token cache bypassed, for a
// token without the gateway MAC (one issued before it, or by a third
// party holding the key).
func BenchmarkVerifyUncachedEdDSA(b *testing.B) {
	_, priv, _ := ed25519.GenerateKey(nil)
	der, _ := x509.MarshalPKCS8PrivateKey(priv)
	withKey := func(c *Config) {
		c.SigningKey = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}))
	}
	benchVerifyUncachedOf(b, tokens.AlgEdDSA, func(tok string) string { return withoutGatewayMAC(b, tok, priv) }, withKey)
}

// BenchmarkVerifyUncachedEdDSAGatewayMAC is BenchmarkVerifyUncachedEdDSA
// for the same token as the gateway issues it, with its gateway MAC: the
// MAC and the signature's pin instead of the signature check (issue 22).
func BenchmarkVerifyUncachedEdDSAGatewayMAC(b *testing.B) { benchVerifyUncached(b, tokens.AlgEdDSA) }

// BenchmarkBareJWTEdDSA is golang-jwt's own cost for the same token: the
// baseline for BenchmarkVerifyUncachedEdDSA.
func BenchmarkBareJWTEdDSA(b *testing.B) { benchBareJWT(b, tokens.AlgEdDSA) }

// BenchmarkVerifyUncachedES256 is BenchmarkVerifyUncachedEdDSA for ES256.
func BenchmarkVerifyUncachedES256(b *testing.B) { benchVerifyUncached(b, tokens.AlgES256) }

// BenchmarkBareJWTES256 is the baseline for BenchmarkVerifyUncachedES256.
func BenchmarkBareJWTES256(b *testing.B) { benchBareJWT(b, tokens.AlgES256) }

// BenchmarkVerifyUncachedRS256 is BenchmarkVerifyUncachedEdDSA for RS256.
func BenchmarkVerifyUncachedRS256(b *testing.B) { benchVerifyUncached(b, tokens.AlgRS256) }

// BenchmarkBareJWTRS256 is the baseline for BenchmarkVerifyUncachedRS256.
func BenchmarkBareJWTRS256(b *testing.B) { benchBareJWT(b, tokens.AlgRS256) }

// BenchmarkVerifyUncachedHS256 is BenchmarkVerifyUncachedEdDSA for HS256.
func BenchmarkVerifyUncachedHS256(b *testing.B) { benchVerifyUncached(b, tokens.AlgHS256) }

// BenchmarkBareJWTHS256 is the baseline for BenchmarkVerifyUncachedHS256.
func BenchmarkBareJWTHS256(b *testing.B) { benchBareJWT(b, tokens.AlgHS256) }

// BenchmarkVerifyUncachedHandle is BenchmarkVerifyUncachedEdDSA for an
// access-token handle: one store lookup of the handle (SQLite) and the
// EdDSA signature of the JWT minted for it, with the session state cached.
func BenchmarkVerifyUncachedHandle(b *testing.B) {
	benchVerifyUncached(b, tokens.AlgEdDSA, withUUIDTokens)
}

// BenchmarkVerifyUncachedFirstUseEdDSA measures the first use of a JWT on
// a node whose caches hold nothing: the signature check, the session and
// the account read from the store (SQLite), and all three cached.
func BenchmarkVerifyUncachedFirstUseEdDSA(b *testing.B) { benchFirstUse(b) }

// BenchmarkVerifyUncachedFirstUseHandle is BenchmarkVerifyUncachedFirstUseEdDSA
// for an access-token handle: the handle, the session and the account read
// from the store, the JWT for upstream signed, all cached.
func BenchmarkVerifyUncachedFirstUseHandle(b *testing.B) { benchFirstUse(b, withUUIDTokens) }

func benchFirstUse(b *testing.B, mutate ...func(*Config)) {
	e, login := benchEnv(b, mutate...)
	tok := login.str("access_token")
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		// A new cache generation: every cached token, session and
		// profile is a miss, as on a node that just started.
		e.gw.cache.Reset()
		if _, _, err := e.gw.authenticate(ctx, tok); err != nil {
			b.Fatal(err)
		}
	}
}

func benchVerifyUncached(b *testing.B, alg string, mutate ...func(*Config)) {
	benchVerifyUncachedOf(b, alg, func(tok string) string { return tok }, mutate...)
}

// benchVerifyUncachedOf is benchVerifyUncached for the token of(the
// logged-in account's access token).
func benchVerifyUncachedOf(b *testing.B, alg string, of func(string) string, mutate ...func(*Config)) {
	e, login := benchEnv(b, append([]func(*Config){func(c *Config) { c.SigningAlg = alg }}, mutate...)...)
	tok := of(login.str("access_token"))
	ctx := context.Background()
	now := e.gw.now()
	if _, err := e.gw.verifyUncached(ctx, tok, now); err != nil {
		b.Fatal(err)
	}
	e.gw.cache.Wait()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := e.gw.verifyUncached(ctx, tok, now); err != nil {
			b.Fatal(err)
		}
	}
}

// withoutGatewayMAC is tok without its gateway MAC, signed again by priv
// (the gateway's signing_key): the token as it was issued before the MAC.
func withoutGatewayMAC(b *testing.B, tok string, priv ed25519.PrivateKey) string {
	parts := strings.Split(tok, ".")
	raw, _ := base64.RawURLEncoding.DecodeString(parts[0])
	var h map[string]any
	if err := json.Unmarshal(raw, &h); err != nil || h["pmac"] == nil {
		b.Fatalf("the gateway's token carries no MAC: %v %v", h, err)
	}
	delete(h, "pmac")
	raw, _ = json.Marshal(h)
	signing := base64.RawURLEncoding.EncodeToString(raw) + "." + parts[1]
	sig, err := jwt.SigningMethodEdDSA.Sign(signing, priv)
	if err != nil {
		b.Fatal(err)
	}
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func benchBareJWT(b *testing.B, alg string) {
	e, login := benchEnv(b, func(c *Config) { c.SigningAlg = alg })
	tok := login.str("access_token")
	pub := e.gw.tokens.VerificationKey()
	p := jwt.NewParser(jwt.WithValidMethods([]string{alg}), jwt.WithTimeFunc(e.gw.now))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := p.ParseWithClaims(tok, &jwt.RegisteredClaims{}, func(*jwt.Token) (any, error) { return pub, nil }); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkHeaderRewrite measures the header work of a protected request
// whose client forged every identity header: strip them all, then set the
// real ones (each iteration strips what the previous one set).
func BenchmarkHeaderRewrite(b *testing.B) {
	h, err := identityheaders.New(config.DefaultHeaderPrefix, "")
	if err != nil {
		b.Fatal(err)
	}
	a := store.Account{
		Tenant: "demo", UID: "0123456789abcdef0123456789abcdef", Username: "alice",
		Emails: []store.Email{{Type: "Primary", Value: testEmail}},
		Roles:  []string{"user", "admin"},
		Profile: map[string]json.RawMessage{
			"FirstName": json.RawMessage(`"Alice"`), "LastName": json.RawMessage(`"Smith"`),
		},
	}
	p := cache.NewProfile(a)
	sid := []string{"5a3c1e0e-8a4b-4c55-9d3e-1f2a3b4c5d6e"}
	hdr := http.Header{
		"Accept":          {"text/html"},
		"Accept-Encoding": {"gzip"},
		"User-Agent":      {"bench"},
		"Authorization":   {"Bearer x"},
		"Cookie":          {"a=b"},
	}
	h.Set(hdr, &p.Headers, sid)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		h.Strip(hdr)
		h.Set(hdr, &p.Headers, sid)
	}
}

// BenchmarkProfileEncode measures rendering an account as the
// LoginRadius profile JSON that login and account responses carry.
func BenchmarkProfileEncode(b *testing.B) {
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	a := store.Account{
		Tenant: "demo", UID: "0123456789abcdef0123456789abcdef", Username: "alice",
		Emails:       []store.Email{{Type: "Primary", Value: testEmail}},
		Roles:        []string{"user", "admin"},
		Active:       true,
		NoOfLogins:   42,
		LastLoginAt:  now,
		CreatedAt:    now,
		ModifiedAt:   now,
		PINChangedAt: now,
		Profile: map[string]json.RawMessage{
			"FirstName": json.RawMessage(`"Alice"`), "LastName": json.RawMessage(`"Smith"`),
			"CustomFields": json.RawMessage(`{"plan":"gold","team":"blue"}`),
		},
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(lrprofile.View(&a, store.Attempts{}, now)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPINLogin measures a whole PIN login (parse, token lookup,
// lockout bookkeeping, argon2id at the default parameters, grant, commit).
func BenchmarkPINLogin(b *testing.B) {
	e, login := benchEnv(b, func(c *Config) { c.Hash = hashing.DefaultParams })
	body := []byte(`{"pin":"` + testPIN + `"}`)
	url := "/identity/v2/auth/login/pin?apikey=" + testKey + "&session_token=" + login.str("session_token")
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		req := httptest.NewRequest("POST", url, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		e.gw.Handle(w, req)
		if w.Code != http.StatusOK {
			b.Fatalf("PIN login: %d %s", w.Code, w.Body.String())
		}
	}
}

// BenchmarkArgon2idDefault is the hashing bound for BenchmarkPINLogin: one
// bare argon2id at the default parameters.
func BenchmarkArgon2idDefault(b *testing.B) {
	p := hashing.DefaultParams
	salt := secret.Bytes(hashing.SaltLen)
	for b.Loop() {
		argon2.IDKey([]byte("4821"), salt, p.Time, p.MemoryKiB, p.Threads, hashing.KeyLen)
	}
}

// BenchmarkCredentialGate measures what the brute-force gate adds to every
// credential check before the store and the hash: the per-IP rate limit
// and the captcha policy (none configured).
func BenchmarkCredentialGate(b *testing.B) {
	e, _ := benchEnv(b)
	c := &call{clientIP: "203.0.113.7", now: e.gw.now(), tenant: &e.gw.cfg.Tenants[0]}
	b.ReportAllocs()
	for b.Loop() {
		c.guard = callGuard{}
		if err := e.gw.limitClient(c); err != nil {
			b.Fatal(err)
		}
		e.gw.unlimitClient(c) // keep the client under its budget
		if _, err := e.gw.captchaGate(context.Background(), c, store.AccountRef{}); err != nil {
			b.Fatal(err)
		}
	}
}
