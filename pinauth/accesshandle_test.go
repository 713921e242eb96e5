package pinauth

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/pinauth/caddy-pinauth/pinauth/config"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/sqlite"
	"github.com/pinauth/caddy-pinauth/pinauth/tokens"
)

// withUUIDTokens makes every tenant hand out access-token handles.
func withUUIDTokens(c *Config) {
	for i := range c.Tenants {
		c.Tenants[i].TokenFormat = config.TokenFormatUUID
	}
}

// uuidRE is the canonical text form of a version-4 UUID, as Java's
// UUID.toString and .NET's Guid.ToString write it.
var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// upstreamJWT returns the bearer token of the upstream's last request,
// verified with the gateway's current public key, and its claims.
func (e *testEnv) upstreamJWT(t *testing.T) (string, jwt.MapClaims) {
	t.Helper()
	calls := e.upstream.calls()
	if len(calls) == 0 {
		t.Fatal("the upstream saw no request")
	}
	auth := calls[len(calls)-1].Values("Authorization")
	if len(auth) != 1 || !strings.HasPrefix(auth[0], "Bearer ") {
		t.Fatalf("upstream Authorization = %q, want one bearer token", auth)
	}
	raw := strings.TrimPrefix(auth[0], "Bearer ")
	claims := jwt.MapClaims{}
	pub := e.gw.tokens.VerificationKey()
	if _, err := jwt.ParseWithClaims(raw, claims, func(*jwt.Token) (any, error) { return pub, nil },
		jwt.WithValidMethods([]string{tokens.AlgEdDSA}), jwt.WithIssuer(testIssuer), jwt.WithAudience("demo"),
		jwt.WithExpirationRequired(), jwt.WithTimeFunc(e.clock.Now)); err != nil {
		t.Fatalf("the token forwarded upstream is not a valid JWT of the gateway: %v (%q)", err, raw)
	}
	return raw, claims
}

func TestTokenFormatDecidesWhatLoginsAnswerAndUUIDTokensReachTheUpstreamAsAJWT(t *testing.T) {
	t.Parallel()
	for _, format := range []string{"", config.TokenFormatJWT, config.TokenFormatUUID} {
		t.Run("format "+format, func(t *testing.T) {
			t.Parallel()
			e := newTestEnv(t, func(c *Config) { c.Tenants[0].TokenFormat = format })
			login := e.loggedIn(testEmail)
			access := login.str("access_token")
			for _, k := range []string{"refresh_token", "session_token"} {
				if !uuidRE.MatchString(login.str(k)) {
					t.Errorf("%s %q is not a UUID", k, login.str(k))
				}
			}
			if got := uuidRE.MatchString(access); got != (format == config.TokenFormatUUID) {
				t.Fatalf("format %q: access_token %q; UUID-shaped = %v", format, access, got)
			}
			wantOK(t, "protected request", e.protected(access))
			forwarded, claims := e.upstreamJWT(t)
			if format != config.TokenFormatUUID {
				if forwarded != access {
					t.Fatal("a JWT access token must reach the upstream as it is")
				}
				return
			}
			if strings.Contains(forwarded, access) {
				t.Fatal("the handle reached the upstream")
			}
			h := e.upstream.calls()[0]
			if claims["sub"] != uidOf(login) || claims["sid"] != h.Get("X-Auth-Session") || h.Get("X-Auth-Uid") != uidOf(login) {
				t.Fatalf("minted JWT claims %v do not name the account and session (headers %v)", claims, h)
			}
			exp, _ := claims.GetExpirationTime()
			if want := e.clock.Now().Add(config.DefaultAccessTTL); !exp.Time.Equal(want.Truncate(time.Second)) {
				t.Fatalf("minted JWT exp %v, want the handle's %v", exp, want)
			}

			// The query parameter and a second node (cold: one store
			// lookup) forward the same JWT: claims come from the store,
			// and EdDSA signatures are deterministic.
			wantOK(t, "protected by query", e.do("GET", "/app/data?access_token="+access, nil))
			if again, _ := e.upstreamJWT(t); again != forwarded {
				t.Fatal("the query token was forwarded as another JWT")
			}
			other := newTestEnvOn(t, e.store, withUUIDTokens, func(c *Config) { c.Now = e.clock.Now })
			wantOK(t, "protected on a second node", other.protected(access))
			if again, _ := other.upstreamJWT(t); again != forwarded {
				t.Fatal("a second node minted another JWT for the same handle")
			}
		})
	}
}

func TestAccessHandleAPICallsRefreshAndPINLogin(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, withUUIDTokens)
	login := e.loggedIn(testEmail)
	access := login.str("access_token")

	v := e.do("GET", api("auth/access_token/validate"), nil, withToken(access)...)
	wantOK(t, "validate", v)
	if v.str("access_token") != access || v.str("expires_in") != login.str("expires_in") {
		t.Fatalf("validate answered %s, want the handle and its expiry", v.raw)
	}
	info := e.do("GET", api("auth/access_token")+"&access_token="+access, nil)
	if info.status != 200 || info.str("access_token") != access {
		t.Fatalf("token info: %d %s", info.status, info.raw)
	}
	if p := e.do("GET", api("auth/account"), nil, withToken(access)...); p.status != 200 || p.str("Uid") != uidOf(login) {
		t.Fatalf("profile by handle: %d %s", p.status, p.raw)
	}

	refreshed := e.refresh(login.str("refresh_token"))
	wantOK(t, "refresh", refreshed)
	if !uuidRE.MatchString(refreshed.str("access_token")) || !uuidRE.MatchString(refreshed.str("refresh_token")) {
		t.Fatalf("refresh answered %s, want UUID tokens", refreshed.raw)
	}
	wantOK(t, "the refreshed handle", e.protected(refreshed.str("access_token")))

	pinLogin := e.pinLogin(login.str("session_token"), testPIN)
	wantOK(t, "PIN login", pinLogin)
	if !uuidRE.MatchString(pinLogin.str("access_token")) {
		t.Fatalf("PIN login answered %s, want a UUID access_token", pinLogin.raw)
	}
	wantOK(t, "the PIN login's handle", e.protected(pinLogin.str("access_token")))

	// Logout: every handle of the login session stops, the refresh token
	// and the PIN session_token survive (as with JWTs), and the next
	// refresh hands out a working handle again.
	wantOK(t, "invalidate", e.do("GET", api("auth/access_token/invalidate"), nil, withToken(access)...))
	for _, h := range []string{access, refreshed.str("access_token"), pinLogin.str("access_token")} {
		wantCode(t, "a handle of the logged-out session", e.protected(h), 401, 905)
		wantCode(t, "validate after logout", e.do("GET", api("auth/access_token/validate"), nil, withToken(h)...), 403, 905)
	}
	again := e.refresh(refreshed.str("refresh_token"))
	wantOK(t, "refresh after logout", again)
	wantOK(t, "the handle refreshed after logout", e.protected(again.str("access_token")))
	wantOK(t, "PIN login after logout", e.pinLogin(login.str("session_token"), testPIN))
}

func TestAccessHandlesAreRevokedLikeJWTsOnEveryNode(t *testing.T) {
	t.Parallel()
	revocations := map[string]func(t *testing.T, e *testEnv, login response) response{
		"logout": func(_ *testing.T, e *testEnv, login response) response {
			return e.do("GET", api("auth/access_token/invalidate"), nil, withToken(login.str("access_token"))...)
		},
		"account blocked": func(_ *testing.T, e *testEnv, login response) response {
			return e.manage("PUT", uidOf(login), map[string]any{"IsActive": false})
		},
		"PIN changed on another session": func(_ *testing.T, e *testEnv, login response) response {
			other := e.passwordLogin(testEmail, testPass)
			return e.do("PUT", api("auth/pin/change"), map[string]string{"oldpin": testPIN, "newpin": "5937"},
				withToken(other.str("access_token"))...)
		},
		"refresh token reused": func(t *testing.T, e *testEnv, login response) response {
			wantOK(t, "first refresh", e.refresh(login.str("refresh_token")))
			r := e.refresh(login.str("refresh_token"))
			if r.status == 403 {
				r.status = 200 // the reuse is refused, and that revokes
			}
			return r
		},
	}
	for name, revoke := range revocations {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			st, err := sqlite.Open(filepath.Join(t.TempDir(), "pinauth.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			a, b := newTestEnvOn(t, st, withUUIDTokens), newTestEnvOn(t, st, withUUIDTokens)
			login := a.loggedIn(testEmail)
			handle := login.str("access_token")
			if !uuidRE.MatchString(handle) {
				t.Fatalf("access_token %q is not a handle", handle)
			}
			a.cache(handle)
			b.cache(handle)
			wantOK(t, name, revoke(t, a, login))
			for node, env := range map[string]*testEnv{"the revoking node": a, "another node": b} {
				if r := env.protected(handle); r.status != 401 {
					t.Fatalf("%s: after %s the handle got %d %s", node, name, r.status, r.raw)
				}
			}
			// A node that never saw the handle looks it up: refused too.
			cold := newTestEnvOn(t, st, withUUIDTokens)
			if r := cold.protected(handle); r.status != 401 {
				t.Fatalf("a cold node: after %s the handle got %d %s", name, r.status, r.raw)
			}
		})
	}
}

func TestAccessHandleExpiresLikeAJWT(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, withUUIDTokens)
	// Issued in the middle of a second: a JWT's exp is whole seconds, and
	// a node that looks the handle up must expire it when one that has
	// it cached does.
	e.clock.Advance(500 * time.Millisecond)
	handle := e.loggedIn(testEmail).str("access_token")
	wantOK(t, "fresh handle (now cached)", e.protected(handle))
	e.clock.Advance(config.DefaultAccessTTL - 300*time.Millisecond)
	wantCode(t, "cached handle at its expiry", e.protected(handle), 401, 906)
	cold := newTestEnvOn(t, e.store, withUUIDTokens, func(c *Config) { c.Now = e.clock.Now })
	wantCode(t, "handle at its expiry on a cold node", cold.protected(handle), 401, 906)
}

func TestUnknownAndMalformedAccessHandlesAre905(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, withUUIDTokens)
	handle := e.loggedIn(testEmail).str("access_token")
	for name, tok := range map[string]string{
		"never issued":            secret.NewToken(),
		"the all-zero UUID":       "00000000-0000-0000-0000-000000000000",
		"upper case":              strings.ToUpper(handle),
		"without dashes":          strings.ReplaceAll(handle, "-", ""),
		"with braces":             "{" + handle + "}",
		"one character changed":   handle[:35] + string("0123456789abcdef"[(strings.IndexByte("0123456789abcdef", handle[35])+1)%16]),
		"another kind's UUID":     e.passwordLogin(testEmail, testPass).str("refresh_token"),
		"a PIN session_token too": e.passwordLogin(testEmail, testPass).str("session_token"),
	} {
		wantCode(t, name, e.protected(tok), 401, 905)
	}
	wantOK(t, "the real handle", e.protected(handle))
}

func TestAccessHandleIsStoredOnlyAsItsHash(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	st, err := sqlite.Open(filepath.Join(dir, "pinauth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e := newTestEnvOn(t, st, withUUIDTokens)
	handle := e.loggedIn(testEmail).str("access_token")
	wantOK(t, "handle", e.protected(handle))
	tok, found, err := st.Token(t.Context(), store.TokenAccess, secret.TokenHash(handle))
	if err != nil || !found || tok.SessionID == "" {
		t.Fatalf("the handle's hash is not stored with its session: %+v %v %v", tok, found, err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "pinauth.db*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(handle)) {
			t.Fatalf("%s holds the handle in clear", filepath.Base(f))
		}
	}
}

func TestChangingTheTokenFormatLogsNobodyOut(t *testing.T) {
	t.Parallel()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "pinauth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	jwtNode := newTestEnvOn(t, st)
	uuidNode := newTestEnvOn(t, st, withUUIDTokens)
	jwtLogin := jwtNode.loggedIn(testEmail)
	handleLogin := uuidNode.passwordLogin(testEmail, testPass)
	wantOK(t, "a JWT issued before the switch to uuid", uuidNode.protected(jwtLogin.str("access_token")))
	wantOK(t, "a handle issued before the switch back to jwt", jwtNode.protected(handleLogin.str("access_token")))
	if got := jwtNode.refresh(handleLogin.str("refresh_token")).str("access_token"); uuidRE.MatchString(got) {
		t.Fatalf("a jwt tenant refreshed into a handle: %q", got)
	}
}

func TestLoginPageSessionOfAUUIDTenantForwardsAJWT(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, withUUIDTokens, withLoginPage())
	uid := e.createAccount(testEmail, testPIN)
	b := newBrowser(t, e)
	if p := b.passwordLogin("", testEmail, testPass); p.status != 303 {
		t.Fatalf("login page password login: %d %s", p.status, p.body)
	}
	bs, ok := openSession(e.gw.page, b.cookies[sessionCookie])
	if !ok || !uuidRE.MatchString(bs.Access) || bs.UID != uid {
		t.Fatalf("session cookie: %+v %v; want the account and a handle", bs, ok)
	}
	if p := b.get("/app/data"); p.status != 200 {
		t.Fatalf("protected page with the cookie: %d %s", p.status, p.body)
	}
	if forwarded, claims := e.upstreamJWT(t); forwarded == bs.Access || claims["sub"] != uid {
		t.Fatalf("upstream got %q (claims %v), want a JWT of the account", forwarded, claims)
	}

	// The handle expires: the page renews it silently with the refresh
	// token, and the upstream gets the new handle's JWT.
	e.clock.Advance(config.DefaultAccessTTL + time.Second)
	p := b.get("/app/data")
	if p.status != 200 || p.cookie(sessionCookie) == nil {
		t.Fatalf("expired handle: %d, renewed cookie %v", p.status, p.cookie(sessionCookie))
	}
	next, _ := openSession(e.gw.page, b.cookies[sessionCookie])
	if !uuidRE.MatchString(next.Access) || next.Access == bs.Access {
		t.Fatalf("renewed session's access token %q", next.Access)
	}
	if _, claims := e.upstreamJWT(t); claims["sub"] != uid {
		t.Fatalf("after renewal the upstream got claims %v", claims)
	}
}

func TestOnPostgresALogoutWithAHandleOnOneNodeStopsItOnAnotherWithinASecond(t *testing.T) {
	t.Parallel()
	a, b := twoNodes(t, withUUIDTokens)
	login := a.loggedIn(testEmail)
	handle := login.str("access_token")
	if !uuidRE.MatchString(handle) {
		t.Fatalf("access_token %q is not a handle", handle)
	}
	b.cache(handle)
	wantOK(t, "the handle on the issuing node", a.protected(handle))
	fromA, _ := a.upstreamJWT(t)
	if fromB, _ := b.upstreamJWT(t); fromB != fromA {
		t.Fatal("two nodes minted different JWTs for one handle")
	}
	start := time.Now()
	wantOK(t, "logout on the first node", a.do("GET", api("auth/access_token/invalidate"), nil, withToken(handle)...))
	t.Logf("the other node refused the handle %v after the logout was requested", rejectedWithin(t, b, handle, start, time.Second))
}
