package tests

import (
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// withSigningKey makes the site sign with an Ed25519 key the test holds,
// given as a {file.…} placeholder, so the test can mint tokens whose
// signatures are right and whose claims are wrong.
func withSigningKey(t *testing.T, key ed25519.PrivateKey) func(*siteConfig) {
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "signing.pem")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return func(s *siteConfig) { s.Extra += "\n\t\tsigning_key {file." + path + "}" }
}

func TestSecurityTokensWithAWrongAlgorithmKeyClaimOrTenantAreRefused(t *testing.T) {
	t.Parallel()
	_, key, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	g := startGateway(t, withOtherTenant, withSigningKey(t, key))
	login, uid := g.loggedIn()
	real := login.str("access_token")
	header, claims, _, _ := decodeJWT(t, real)
	// The test signs as a holder of the signing key, who can also derive
	// the gateway MAC key (issue 22): every case runs without the MAC
	// (the signature path, as a token issued before it) and with a valid
	// MAC over what it signs (the MAC path), so neither skips a check.
	if header["pmac"] == nil {
		t.Fatalf("the gateway's token carries no MAC: %v", header)
	}
	delete(header, "pmac")
	der, _ := x509.MarshalPKCS8PrivateKey(key)
	macKey, err := hkdf.Key(sha256.New, der, nil, "pinauth gateway token mac v1", 32)
	if err != nil {
		t.Fatal(err)
	}
	edit := func(m map[string]any, kv ...any) map[string]any {
		c := maps.Clone(m)
		for i := 0; i+1 < len(kv); i += 2 {
			if kv[i+1] == nil {
				delete(c, kv[i].(string))
			} else {
				c[kv[i].(string)] = kv[i+1]
			}
		}
		return c
	}
	now := time.Now().Unix()
	public := key.Public().(ed25519.PublicKey)
	for _, withMAC := range []bool{false, true} {
		signed := func(h, c map[string]any) string {
			if withMAC {
				payload, _ := json.Marshal(c)
				kid, _ := h["kid"].(string)
				m := hmac.New(sha256.New, macKey)
				m.Write([]byte(kid + "." + b64.EncodeToString(payload)))
				h = edit(h, "pmac", b64.EncodeToString(m.Sum(nil)))
			}
			return signJWT(t, h, c, func(b []byte) []byte { return ed25519.Sign(key, b) })
		}
		pass := map[bool]string{false: "signature: ", true: "gateway MAC: "}[withMAC]
		// The control: the test's own signature over the real claims
		// passes, so every refusal below is about what was changed.
		if r := g.protected("/app", signed(header, claims)); r.status != 200 {
			t.Fatalf("%sa token the test signed with the right key and claims: %d %s", pass, r.status, r.raw)
		}
		securityTokenCases(t, g, pass, real, header, claims, signed, edit, public, now)
	}
	securityTokenTenantCases(t, g, login, uid)
}

// securityTokenCases are the forged tokens of
// TestSecurityTokensWithAWrongAlgorithmKeyClaimOrTenantAreRefused, signed
// by signed.
func securityTokenCases(t *testing.T, g *gateway, pass, real string, header, claims map[string]any,
	signed func(h, c map[string]any) string, edit func(map[string]any, ...any) map[string]any,
	public ed25519.PublicKey, now int64) {
	for _, c := range []struct {
		name, token string
		code        int
	}{
		{"alg none", signJWT(t, edit(header, "alg", "none"), claims, nil), 905},
		{"alg None without a signature part", strings.TrimSuffix(signJWT(t, edit(header, "alg", "None"), claims, nil), "."), 905},
		{"HS256 keyed with the published public key", signJWT(t, edit(header, "alg", "HS256"), claims, func(b []byte) []byte {
			m := hmac.New(sha256.New, public)
			m.Write(b)
			return m.Sum(nil)
		}), 905},
		{"wrong aud", signed(header, edit(claims, "aud", []string{"someone-else"})), 905},
		{"aud of two tenants", signed(header, edit(claims, "aud", []string{tenantName, otherTenant})), 905},
		{"wrong iss", signed(header, edit(claims, "iss", "https://evil.example")), 905},
		{"no iss", signed(header, edit(claims, "iss", nil)), 905},
		{"expired", signed(header, edit(claims, "exp", now-60, "iat", now-1000)), 906},
		{"no exp", signed(header, edit(claims, "exp", nil)), 905},
		{"not yet valid (nbf)", signed(header, edit(claims, "nbf", now+3600)), 905},
		{"issued in the future (iat)", signed(header, edit(claims, "iat", now+3600)), 905},
		{"kid pointing at nothing", signed(edit(header, "kid", "no-such-key"), claims), 905},
		{"no kid", signed(edit(header, "kid", nil), claims), 905},
		{"another account's sub", signed(header, edit(claims, "sub", "0123456789abcdef0123456789abcdef")), 905},
		{"an unknown session", signed(header, edit(claims, "sid", "00000000-0000-4000-8000-000000000000")), 905},
		{"a real token's signature on changed claims", func() string {
			parts := strings.Split(real, ".")
			other := strings.Split(signJWT(t, header, edit(claims, "sub", "x"), nil), ".")
			return parts[0] + "." + other[1] + "." + parts[2]
		}(), 905},
	} {
		t.Run(pass+c.name, func(t *testing.T) {
			g := g.in(t)
			r := g.protected("/app", c.token)
			r.wantError(t, 401, c.code)
			if a := r.header.Get("WWW-Authenticate"); !strings.HasPrefix(a, "Bearer") {
				t.Errorf("WWW-Authenticate = %q, want Bearer…", a)
			}
			// The API refuses them the same way (403 there).
			g.do("GET", apiPrefix+"/auth/access_token/validate?apikey="+apiKey, nil, withToken(c.token)...).wantError(t, 403, c.code)
		})
	}
}

// securityTokenTenantCases are the cross-tenant cases of
// TestSecurityTokensWithAWrongAlgorithmKeyClaimOrTenantAreRefused.
func securityTokenTenantCases(t *testing.T, g *gateway, login response, uid string) {
	real := login.str("access_token")

	t.Run("tenant A's token with tenant B's API key", func(t *testing.T) {
		g := g.in(t)
		b := "?apikey=" + otherKey
		tok := withToken(real)
		for _, call := range []struct{ method, path, body string }{
			{"GET", "/auth/access_token/validate" + b, ""},
			{"GET", "/auth/access_token" + b, ""},
			{"GET", "/auth/account" + b, ""},
			{"PUT", "/auth/account" + b, `{"FirstName":"Mallory"}`},
			{"PUT", "/auth/pin/change" + b, `{"oldPIN":"` + pin + `","newPIN":"5830"}`},
			{"PUT", "/auth/account/reauth/pin" + b, `{"PIN":"` + pin + `"}`},
			{"GET", "/auth/securityquestion/accesstoken" + b, ""},
			{"GET", "/auth/access_token/invalidate" + b, ""},
			{"GET", "/auth/access_token/validate" + b + "&access_token=" + url.QueryEscape(real), ""},
		} {
			var body any
			if call.body != "" {
				body = call.body
			}
			g.do(call.method, apiPrefix+call.path, body, tok...).wantError(t, 403, 905)
		}
		// B's API secret does not manage A's accounts, nor spend A's
		// refresh token.
		g.do("GET", apiPrefix+"/manage/account/"+uid+"?apikey="+otherKey+"&apisecret="+otherSecret, nil).wantError(t, 403, 938)
		g.do("GET", apiPrefix+"/manage/account/access_token/refresh?apikey="+otherKey+"&apisecret="+otherSecret+
			"&refresh_token="+url.QueryEscape(login.str("refresh_token")), nil).wantError(t, 403, 1217)
		// A's secret with B's key is B's secret check: refused.
		g.do("GET", apiPrefix+"/manage/account/"+uid+"?apikey="+otherKey+"&apisecret="+apiSecret, nil).wantError(t, 401, 902)
		// Nothing happened to A: the token, the PIN and the name are as
		// they were.
		if r := g.protected("/app", real); r.status != 200 {
			t.Fatalf("A's token after the attempts: %d %s", r.status, r.raw)
		}
		if a := g.account(uid); a["FirstName"] != "Alice" {
			t.Fatalf("A's FirstName is %v", a["FirstName"])
		}
		if r := g.pinLogin(login.str("session_token"), pin); r.status != 200 {
			t.Fatalf("A's PIN after the attempts: %d %s", r.status, r.raw)
		}
	})
	// The two control tokens and the real one after the cross-tenant calls.
	if n := len(g.up.requests()); n != 3 {
		t.Fatalf("the upstream was called %d times; only the three genuine requests may reach it", n)
	}
}
