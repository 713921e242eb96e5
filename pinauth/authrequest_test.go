package pinauth

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/config"
)

// authPath is where the tests' gateways answer auth requests.
const authPath = "/_pinauth/verify"

// withAuthRequest turns the auth-request endpoint on, every peer counting
// as a trusted proxy unless it sends X-Test-Untrusted.
func withAuthRequest(c *Config) {
	c.AuthRequestPath = authPath
	c.TrustedProxy = func(r *http.Request) bool { return r.Header.Get("X-Test-Untrusted") == "" }
}

// ask sends an auth request about method and uri, nginx's way.
func (e *testEnv) ask(method, uri string, header ...string) response {
	e.t.Helper()
	return e.do("GET", authPath, nil, append([]string{"X-Original-Method", method, "X-Original-URI", uri}, header...)...)
}

func TestAuthRequestAnswersAValidTokenWithTheIdentityHeadersForTheProxyToCopy(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, withAuthRequest, func(c *Config) { c.HeaderPreset = "authelia" })
	login := e.loggedIn(testEmail)
	uid, access := uidOf(login), login.str("access_token")
	for _, ask := range []func() response{
		func() response {
			return e.ask("POST", "/app/orders?x=1", "Authorization", "Bearer "+access, "X-Auth-Uid", "attacker")
		},
		func() response {
			// Caddy's forward_auth and Traefik's ForwardAuth.
			return e.do("GET", authPath, nil, "X-Forwarded-Method", "GET", "X-Forwarded-Uri", "/app",
				"X-Forwarded-Proto", "https", "X-Forwarded-Host", "app.test", "Authorization", "Bearer "+access)
		},
	} {
		r := ask()
		if r.status != 200 || r.header.Get("X-Auth-Uid") != uid || r.header.Get("Remote-User") == "" {
			t.Fatalf("valid token: want 200 with X-Auth-Uid %s and Remote-User, got %d %v %s", uid, r.status, r.header, r.raw)
		}
		if v := r.header.Values("X-Auth-Uid"); len(v) != 1 {
			t.Errorf("X-Auth-Uid = %q, want only the real one", v)
		}
		if got := r.header.Get("Authorization"); got != "Bearer "+access {
			t.Errorf("Authorization for the upstream = %q, want the verified token", got)
		}
		if r.header.Get("Cache-Control") != "no-store" {
			t.Errorf("Cache-Control = %q, want no-store", r.header.Get("Cache-Control"))
		}
	}
	if n := len(e.upstream.calls()); n != 0 {
		t.Errorf("the gateway's own upstream was called %d times: an auth request is answered, never proxied", n)
	}
}

func TestAuthRequestDeniesLikeTheProtectedPathAndReadsNoQueryToken(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, withAuthRequest, func(c *Config) {
		c.Public = []string{"/healthz", "/static/"}
		c.AcceptTenants = []string{"demo"}
	})
	login := e.loggedIn(testEmail)
	access := login.str("access_token")
	other := e.do("POST", "/identity/v2/manage/account?apikey="+otherKey+"&apisecret="+otherSecret, map[string]any{
		"Email": []map[string]string{{"Type": "Primary", "Value": "bob@example.com"}}, "Password": testPass,
		"PINInfo": map[string]string{"PIN": testPIN}})
	otherLogin := e.do("POST", "/identity/v2/auth/login?apikey="+otherKey, map[string]string{"email": "bob@example.com", "password": testPass})
	if other.status != 200 || otherLogin.str("access_token") == "" {
		t.Fatalf("the other tenant's login: %d %s", otherLogin.status, otherLogin.raw)
	}
	for _, tc := range []struct {
		name, uri string
		header    []string
		status    int
		code      int
	}{
		{"no token", "/app", nil, 401, 1060},
		{"a bad token", "/app", []string{"Authorization", "Bearer " + access[:len(access)-4] + "AAAA"}, 401, 905},
		{"a token of a tenant not accepted", "/app", []string{"Authorization", "Bearer " + otherLogin.str("access_token")}, 401, 905},
		{"a token in the original query", "/app?access_token=" + url.QueryEscape(access), nil, 401, 1060},
		{"a public path spelt another way", "/static/..%2fadmin", nil, 401, 1060},
		{"a public path's dot segment", "/healthz/../admin", nil, 401, 1060},
		{"a public path", "/healthz?probe=1", nil, 200, 0},
		{"a public directory", "/static/app.css", nil, 200, 0},
	} {
		r := e.ask("GET", tc.uri, tc.header...)
		if r.status != tc.status || r.code() != tc.code {
			t.Errorf("%s (%s): want %d/%d, got %d %s", tc.name, tc.uri, tc.status, tc.code, r.status, r.raw)
		}
		if tc.status == 401 && !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer ") {
			t.Errorf("%s: 401 without WWW-Authenticate", tc.name)
		}
		if r.header.Get("X-Auth-Uid") != "" || r.header.Get("Authorization") != "" {
			t.Errorf("%s: the answer names an identity: %v", tc.name, r.header)
		}
	}
	// On a public path the app's own credentials pass and a refused
	// bearer token does not, as on the protected path.
	if r := e.ask("GET", "/healthz", "Authorization", "Basic YXBwOnB3"); r.status != 200 || r.header.Get("Authorization") != "Basic YXBwOnB3" {
		t.Errorf("Basic credentials to a public path: want 200 passing them on, got %d %q", r.status, r.header.Get("Authorization"))
	}
}

func TestAuthRequestRefusesUntrustedPeersAndAmbiguousOriginals(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, withAuthRequest, func(c *Config) { c.Public = []string{"/healthz"} })
	access := e.loggedIn(testEmail).str("access_token")
	bearer := "Bearer " + access
	cases := []struct {
		name   string
		header []string
		status int
	}{
		{"an untrusted peer", []string{"X-Test-Untrusted", "1", "X-Original-Method", "GET", "X-Original-URI", "/healthz"}, 403},
		{"no original URI", []string{"X-Original-Method", "GET", "Authorization", bearer}, 400},
		{"no original method", []string{"X-Original-URI", "/app", "Authorization", bearer}, 400},
		{"a method that is not one", []string{"X-Original-Method", "GE T", "X-Original-URI", "/app", "Authorization", bearer}, 400},
		// Without a valid token; with one, any target passes, as on the
		// protected path.
		{"a target that is not one", []string{"X-Original-Method", "GET", "X-Original-URI", "app"}, 400},
		{"both conventions, different URIs", []string{"X-Original-Method", "GET", "X-Original-URI", "/app",
			"X-Forwarded-Uri", "/healthz"}, 400},
		{"both conventions, different methods", []string{"X-Original-Method", "GET", "X-Forwarded-Method", "POST",
			"X-Original-URI", "/healthz"}, 400},
	}
	for _, tc := range cases {
		r := e.do("GET", authPath, nil, tc.header...)
		if r.status != tc.status || r.code() != 908 || r.str("Description") == "" {
			t.Errorf("%s: want %d/908 with a description, got %d %s", tc.name, tc.status, r.status, r.raw)
		}
	}
	r := e.do("GET", authPath, nil, "X-Original-Method", "GET", "X-Forwarded-Method", "GET",
		"X-Original-URI", "/app", "X-Forwarded-Uri", "/app", "Authorization", bearer)
	if r.status != 200 {
		t.Errorf("both conventions agreeing: want 200, got %d %s", r.status, r.raw)
	}
}

func TestAuthRequestSendsBrowsersToTheLoginPageAndTakesItsCookie(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, withAuthRequest, withLoginPage())
	e.createAccount(testEmail, testPIN)
	b := newBrowser(t, e)
	ask := func(header ...string) page {
		return b.get(authPath, append([]string{"X-Original-Method", "GET", "X-Original-URI", "/app/report?y=2"}, header...)...)
	}
	p := ask()
	if p.status != http.StatusSeeOther || p.header.Get("Location") != "/login?return="+url.QueryEscape("/app/report?y=2") {
		t.Fatalf("a browser without a session: want 303 to the login page, got %d %q", p.status, p.header.Get("Location"))
	}
	if p := ask("Accept", "application/json"); p.status != 401 {
		t.Fatalf("an API client: want 401, got %d", p.status)
	}
	if p := b.passwordLogin("", testEmail, testPass); p.status != http.StatusSeeOther {
		t.Fatalf("password login: %d %s", p.status, p.body)
	}
	b.cookies["app"] = "kept"
	p = ask()
	if p.status != 200 || p.header.Get("X-Auth-Uid") == "" || !strings.HasPrefix(p.header.Get("Authorization"), "Bearer ") {
		t.Fatalf("a signed-in browser: want 200 with the identity, got %d %v", p.status, p.header)
	}
	if got := p.header.Get("Cookie"); got != "app=kept" {
		t.Errorf("Cookie for the upstream = %q, want only the app's cookie", got)
	}
}

func TestAuthRequestSendsAnExpiredBrowserSessionThroughTheLoginPageStraightBack(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, withAuthRequest, withLoginPage())
	e.createAccount(testEmail, testPIN)
	b := newBrowser(t, e)
	const original = "/app/report?y=2"
	ask := func() page {
		return b.get(authPath, "X-Original-Method", "GET", "X-Original-URI", original)
	}
	if p := b.passwordLogin("", testEmail, testPass); p.status != http.StatusSeeOther {
		t.Fatalf("password login: %d %s", p.status, p.body)
	}
	if p := ask(); p.status != 200 {
		t.Fatalf("a fresh session: want 200, got %d", p.status)
	}
	e.clock.Advance(config.DefaultAccessTTL + time.Minute)
	p := ask()
	loc := p.header.Get("Location")
	if p.status != http.StatusSeeOther || !strings.Contains(loc, "reason=expired") {
		t.Fatalf("an expired access token: want 303 to the login page with reason=expired, got %d %q", p.status, loc)
	}
	if len(p.setCook) != 0 {
		t.Errorf("the endpoint set cookies the proxy would not pass on: %v", p.setCook)
	}
	back := b.get(loc)
	if back.status != http.StatusSeeOther || back.header.Get("Location") != original {
		t.Fatalf("the login page with a renewable session: want 303 back to %s, got %d %q", original, back.status, back.header.Get("Location"))
	}
	if back.cookie(sessionCookie) == nil {
		t.Fatal("the login page renewed the session without setting its cookie")
	}
	if p := ask(); p.status != 200 || p.header.Get("X-Auth-Uid") == "" {
		t.Fatalf("the renewed session: want 200 with the identity, got %d", p.status)
	}
	// Without reason=expired (a browser that opens the page itself) the
	// signed-in page still shows.
	if p := b.get("/login?return=%2Fapp"); p.status != 200 {
		t.Errorf("the login page of a signed-in browser: want the signed-in page, got %d", p.status)
	}
}
