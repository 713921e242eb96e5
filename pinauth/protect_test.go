package pinauth

import (
	"crypto/ed25519"
	"crypto/rand"
	"net/http"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/pinauth/caddy-pinauth/pinauth/config"
)

func TestForgedIdentityHeadersNeverReachUpstream(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	login := e.loggedIn(testEmail)
	uid := login.body["Profile"].(map[string]any)["Uid"].(string)
	forged := []string{"X-Auth-Uid", "X-Auth_Uid", "x-auth-uid", "X.Auth.Uid", "X-AUTH-ROLES", "x_auth_tenant", "X-Auth-Extra"}

	for _, name := range forged {
		r := e.protected("", name, "attacker")
		if r.status != 401 || r.code() != 1060 || r.header.Get("WWW-Authenticate") == "" {
			t.Fatalf("no token with forged %s: want 401/1060 + WWW-Authenticate, got %d %s", name, r.status, r.raw)
		}
	}
	if n := len(e.upstream.calls()); n != 0 {
		t.Fatalf("upstream was called %d times without a token", n)
	}

	var hdr []string
	for _, name := range forged {
		hdr = append(hdr, name, "attacker")
	}
	if r := e.protected(login.str("access_token"), hdr...); r.status != 200 {
		t.Fatalf("valid token: %d %s", r.status, r.raw)
	}
	got := e.upstream.calls()[0]
	for name, vals := range got {
		for _, v := range vals {
			if v == "attacker" {
				t.Errorf("forged header %s reached upstream", name)
			}
		}
	}
	if got.Get("X-Auth-Uid") != uid {
		t.Errorf("X-Auth-Uid = %q, want %q", got.Get("X-Auth-Uid"), uid)
	}
}

func TestACustomHeaderPrefixIsStrippedInEverySpellingAndCarriesTheIdentity(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, func(c *Config) { c.HeaderPrefix = "X-User-" })
	login := e.loggedIn(testEmail)
	uid := uidOf(login)
	forged := []string{"X-User-Uid", "x-user-uid", "X_USER_UID", "X.User.Roles", "x-user_tenant", "X-User-Extra"}
	var hdr []string
	for _, name := range forged {
		hdr = append(hdr, name, "attacker")
	}
	if r := e.protected("", hdr...); r.status != 401 || r.code() != 1060 {
		t.Fatalf("forged headers without a token: want 401/1060, got %d %s", r.status, r.raw)
	}
	if n := len(e.upstream.calls()); n != 0 {
		t.Fatalf("the upstream was called %d times without a token", n)
	}
	if r := e.protected(login.str("access_token"), hdr...); r.status != 200 {
		t.Fatalf("valid token: %d %s", r.status, r.raw)
	}
	got := e.upstream.calls()[0]
	for name, vals := range got {
		for _, v := range vals {
			if v == "attacker" {
				t.Errorf("forged header %s reached the upstream", name)
			}
		}
	}
	if v := got.Values("X-User-Uid"); len(v) != 1 || v[0] != uid {
		t.Errorf("X-User-Uid = %q, want only %q", v, uid)
	}
	if v := got.Get("X-User-Roles"); v != "user,admin" {
		t.Errorf("X-User-Roles = %q", v)
	}
	if v := got.Get("X-Auth-Uid"); v != "" {
		t.Errorf("the default prefix was set too: X-Auth-Uid = %q", v)
	}
}

func TestBadAccessTokensAre401(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	login := e.loggedIn(testEmail)
	good := login.str("access_token")
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(good, claims); err != nil {
		t.Fatal(err)
	}
	kid := e.gw.tokens.Current().ID

	mutated := func(mut func(jwt.MapClaims)) jwt.MapClaims {
		c := jwt.MapClaims{}
		for k, v := range claims {
			c[k] = v
		}
		if mut != nil {
			mut(c)
		}
		return c
	}
	sign := func(method jwt.SigningMethod, key any, mut func(jwt.MapClaims)) string {
		tok := jwt.NewWithClaims(method, mutated(mut))
		tok.Header["kid"] = kid
		s, err := tok.SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	// signOwn signs with the gateway's own (EdDSA) key, naming it in kid.
	signOwn := func(mut func(jwt.MapClaims)) string {
		s, err := e.gw.tokens.Sign(mutated(mut))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	pub := e.gw.tokens.VerificationKey().(ed25519.PublicKey)

	cases := map[string]struct {
		token string
		code  int
	}{
		"alg none":              {sign(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, nil), 905},
		"signed by another key": {sign(jwt.SigningMethodEdDSA, otherKey, nil), 905},
		"HS256 with public key": {sign(jwt.SigningMethodHS256, []byte(pub), nil), 905},
		"wrong issuer":          {signOwn(func(c jwt.MapClaims) { c["iss"] = "https://evil" }), 905},
		"wrong audience":        {signOwn(func(c jwt.MapClaims) { c["aud"] = []string{"nope"} }), 905},
		"no exp":                {signOwn(func(c jwt.MapClaims) { delete(c, "exp") }), 905},
		"unknown session":       {signOwn(func(c jwt.MapClaims) { c["sid"] = "nope" }), 905},
		"expired":               {signOwn(func(c jwt.MapClaims) { c["exp"] = e.clock.Now().Add(-time.Minute).Unix() }), 906},
		"garbage":               {"not.a.jwt", 905},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			r := e.protected(tc.token)
			if r.status != 401 || r.code() != tc.code {
				t.Fatalf("want 401/%d, got %d %s", tc.code, r.status, r.raw)
			}
		})
	}
	if n := len(e.upstream.calls()); n != 0 {
		t.Fatalf("upstream called %d times with bad tokens", n)
	}
}

func TestAccessTokenExpiresOnTheInjectedClock(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	tok := e.loggedIn(testEmail).str("access_token")
	if r := e.protected(tok); r.status != 200 {
		t.Fatalf("fresh token: %s", r.raw)
	}
	e.clock.Advance(config.DefaultAccessTTL)
	// The token is cached now; expiry must still be exact.
	if r := e.protected(tok); r.status != 401 || r.code() != 906 {
		t.Fatalf("expired cached token: want 401/906, got %d %s", r.status, r.raw)
	}
}

func TestAccessTokenInQueryIsForwardedAsBearer(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	tok := e.loggedIn(testEmail).str("access_token")
	r := e.do("GET", "/app?access_token="+tok, nil)
	if r.status != 200 {
		t.Fatalf("query token: %d %s", r.status, r.raw)
	}
	if got := e.upstream.calls()[0].Get("Authorization"); got != "Bearer "+tok {
		t.Fatalf("Authorization upstream = %q", got)
	}
}

func TestWithholdTokenKeepsTheTokenFromUpstream(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, func(c *Config) { c.WithholdToken = true })
	tok := e.loggedIn(testEmail).str("access_token")
	if r := e.protected(tok); r.status != 200 {
		t.Fatal(r.raw)
	}
	if got := e.upstream.calls()[0].Get("Authorization"); got != "" {
		t.Fatalf("Authorization reached upstream: %q", got)
	}
}

func TestPublicPathsPassWithoutTokenButStillStripHeaders(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, func(c *Config) { c.Public = []string{"/health", "/static/", "/docs*"} })
	for _, p := range []string{"/health", "/static/app.js", "/docs", "/docs/x"} {
		r := e.do("GET", p, nil, "X-Auth-Uid", "attacker")
		if r.status != 200 {
			t.Fatalf("public %s: %d", p, r.status)
		}
	}
	for _, p := range []string{"/healthz", "/static/../admin", "/admin"} {
		if r := e.do("GET", p, nil); r.status != 401 {
			t.Fatalf("%s should need a token, got %d", p, r.status)
		}
	}
	for _, h := range e.upstream.calls() {
		if h.Get("X-Auth-Uid") != "" {
			t.Fatal("forged header reached upstream on a public path")
		}
	}
}

func TestBlockingAnAccountStopsItsCachedTokens(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	login := e.loggedIn(testEmail)
	uid := login.body["Profile"].(map[string]any)["Uid"].(string)
	tok := login.str("access_token")
	if r := e.protected(tok); r.status != 200 {
		t.Fatal(r.raw)
	}
	r := e.do("PUT", "/identity/v2/manage/account/"+uid+"?apikey="+testKey+"&apisecret="+testSecret, map[string]any{"IsActive": false})
	if r.status != 200 || r.body["IsActive"] != false {
		t.Fatalf("block: %d %s", r.status, r.raw)
	}
	if r := e.protected(tok); r.status == 200 {
		t.Fatal("a blocked account's cached token still reached upstream")
	}
	if r := e.passwordLogin(testEmail, testPass); r.code() != 991 {
		t.Fatalf("blocked account password login: want 991, got %s", r.raw)
	}
}

func TestJWKSPublishesTheSigningKey(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	r := e.do(http.MethodGet, config.JWKSPath, nil)
	keys, _ := r.body["keys"].([]any)
	if r.status != 200 || len(keys) != 1 {
		t.Fatalf("JWKS: %d %s", r.status, r.raw)
	}
	k := keys[0].(map[string]any)
	if k["kty"] != "OKP" || k["crv"] != "Ed25519" || k["kid"] != e.gw.tokens.Current().ID || k["d"] != nil {
		t.Fatalf("JWK: %v", k)
	}
}
