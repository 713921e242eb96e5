package pinauth

import (
	"net/http/httptest"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
)

func TestAcceptTenantsLimitsTheProtectedPathToThoseTenants(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, func(c *Config) {
		c.AcceptTenants = []string{"demo"}
		c.Public = []string{"/pub/"}
	})
	demo := e.loggedIn(testEmail).str("access_token")
	if r := e.do("POST", "/identity/v2/manage/account?apikey="+otherKey+"&apisecret="+otherSecret, map[string]any{
		"Email": []map[string]string{{"Type": "Primary", "Value": "bob@example.com"}}, "Password": testPass,
		"PINInfo": map[string]string{"PIN": testPIN},
	}); r.status != 200 {
		t.Fatalf("create other's account: %d %s", r.status, r.raw)
	}
	login := e.do("POST", "/identity/v2/auth/login?apikey="+otherKey, map[string]string{"email": "bob@example.com", "password": testPass})
	other := login.str("access_token")
	if other == "" {
		t.Fatalf("other's login: %d %s", login.status, login.raw)
	}

	if r := e.protected(demo); r.status != 200 {
		t.Fatalf("an accepted tenant's token: %d %s", r.status, r.raw)
	}
	r := e.protected(other)
	if r.status != 401 || r.code() != int(lrerr.CodeAccessTokenInvalid) {
		t.Fatalf("another tenant's token: want 401/905, got %d %s", r.status, r.raw)
	}
	// The API still serves the other tenant, with its own token.
	if r := e.do("GET", "/identity/v2/auth/access_token/validate?apikey="+otherKey+"&access_token="+other, nil); r.status != 200 {
		t.Fatalf("the API refused the other tenant: %d %s", r.status, r.raw)
	}
	// On a public path the refused token is dropped, the request anonymous.
	req := httptest.NewRequest("GET", "/pub/page", nil)
	req.Header.Set("Authorization", "Bearer "+other)
	if id, ok := e.gw.Handle(httptest.NewRecorder(), req); !ok || id != nil || req.Header.Get("Authorization") != "" {
		t.Fatalf("public path with another tenant's token: ok %v, identity %v, Authorization %q", ok, id, req.Header.Get("Authorization"))
	}
	if n := len(e.upstream.calls()); n != 1 {
		t.Fatalf("the upstream was called %d times, want once (the accepted token)", n)
	}
}
