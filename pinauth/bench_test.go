package pinauth

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/golang-jwt/jwt/v5"
	"golang.org/x/crypto/argon2"
)

// benchEnv is a gateway with one logged-in account.
func benchEnv(b *testing.B, mutate ...func(*Config)) (*testEnv, response) {
	b.Helper()
	e := newTestEnv(b, mutate...)
	return e, e.loggedIn(testEmail)
}

// BenchmarkProtectedRequestCached measures the hot path: a request with a
// token verified before (cache hit), headers stripped and set, no network.
func BenchmarkProtectedRequestCached(b *testing.B) {
	e, login := benchEnv(b)
	tok := login.str("access_token")
	req := httptest.NewRequest("GET", "/app/data", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Accept", "text/html")
	req.Header.Set("User-Agent", "bench")
	w := httptest.NewRecorder()
	if _, ok := e.gw.Handle(w, req); !ok {
		b.Fatalf("warm-up request denied: %s", w.Body.String())
	}
	e.gw.cache.tokens.Wait()
	e.gw.cache.profiles.Wait()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, ok := e.gw.Handle(w, req); !ok {
			b.Fatal("denied")
		}
	}
}

// BenchmarkVerifyUncachedEdDSA measures a full verification (signature,
// claims, cached session state) with the token cache bypassed.
func BenchmarkVerifyUncachedEdDSA(b *testing.B) {
	e, login := benchEnv(b)
	tok := login.str("access_token")
	ctx := context.Background()
	now := e.gw.now()
	if _, err := e.gw.verifyUncached(ctx, tok, now); err != nil {
		b.Fatal(err)
	}
	e.gw.cache.sessions.Wait()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := e.gw.verifyUncached(ctx, tok, now); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBareJWTEdDSA is golang-jwt's own cost for the same token: the
// baseline for BenchmarkVerifyUncachedEdDSA.
func BenchmarkBareJWTEdDSA(b *testing.B) {
	e, login := benchEnv(b)
	tok := login.str("access_token")
	pub := e.gw.keys.Load().current.public
	p := jwt.NewParser(jwt.WithValidMethods([]string{"EdDSA"}), jwt.WithTimeFunc(e.gw.now))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := p.ParseWithClaims(tok, &jwt.RegisteredClaims{}, func(*jwt.Token) (any, error) { return pub, nil }); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPINLogin measures a whole PIN login (parse, token lookup,
// lockout bookkeeping, argon2id at the default parameters, grant, commit).
func BenchmarkPINLogin(b *testing.B) {
	e, login := benchEnv(b, func(c *Config) { c.Hash = DefaultHashParams })
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
	p := DefaultHashParams
	salt := randomBytes(hashSaltLen)
	for b.Loop() {
		argon2.IDKey([]byte("4821"), salt, p.Time, p.MemoryKiB, p.Threads, hashKeyLen)
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
		if _, err := e.gw.captchaGate(context.Background(), c, nil); err != nil {
			b.Fatal(err)
		}
	}
}
