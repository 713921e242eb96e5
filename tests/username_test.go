package tests

import (
	"net/url"
	"testing"
)

// wantUsername sends one protected request with tok and checks the
// username the upstream received in X-Auth-Username (one value).
func wantUsername(t *testing.T, g *gateway, tok, want string) {
	t.Helper()
	if r := g.protected("/app", tok, "X-Auth-Username", "forged"); r.status != 200 || r.raw != upstreamBody {
		t.Fatalf("protected request: %d %s", r.status, r.raw)
	}
	if v := g.up.last(t).Header.Values("X-Auth-Username"); len(v) != 1 || v[0] != want {
		t.Errorf("upstream X-Auth-Username = %q, want %q", v, want)
	}
}

// TestAUsernameChangeReachesTheUpstreamOnTheNextRequest drives the email
// and username routes on real Caddy (issue 20): the availability checks
// answer for the names the tenant has, a username set by access token is
// in X-Auth-Username on the very next request of a session whose profile
// was cached, and a name another account has is refused with 1017 and
// changes nothing.
func TestAUsernameChangeReachesTheUpstreamOnTheNextRequest(t *testing.T) {
	t.Parallel()
	g := startGateway(t)
	login, _ := g.loggedIn()
	tok := login.str("access_token")
	wantUsername(t, g, tok, username)
	wantUsername(t, g, tok, username) // now served from the cache

	q := "?apikey=" + g.key()
	for _, c := range []struct{ path, want string }{
		{"/auth/email" + q + "&email=" + url.QueryEscape(email), `{"IsExist":true}`},
		{"/auth/email" + q + "&email=bob%40example.com", `{"IsExist":false}`},
		{"/auth/username" + q + "&username=" + username, `{"IsExist":true}`},
		{"/auth/username" + q + "&username=" + url.QueryEscape(email), `{"IsExist":true}`},
		{"/auth/username" + q + "&username=bobby", `{"IsExist":false}`},
	} {
		if r := g.do("GET", apiPrefix+c.path, nil); r.status != 200 || r.raw != c.want {
			t.Errorf("GET %s: %d %s, want %s", c.path, r.status, r.raw, c.want)
		}
	}
	g.do("GET", apiPrefix+"/auth/username"+q, nil).wantError(t, 403, 908)

	bearer := []string{"Authorization", "Bearer " + tok}
	if r := g.do("PUT", apiPrefix+"/auth/username"+q, map[string]string{"username": "alice_new"}, bearer...); r.status != 200 || r.raw != `{"IsPosted":true}` {
		t.Fatalf("set username: %d %s", r.status, r.raw)
	}
	wantUsername(t, g, tok, "alice_new")
	if r := g.do("GET", apiPrefix+"/auth/username"+q+"&username="+username, nil); r.raw != `{"IsExist":false}` {
		t.Errorf("the old username after the change: %s", r.raw)
	}

	other := map[string]any{"Email": []map[string]string{{"Type": "Primary", "Value": "bob@example.com"}}, "Password": password, "UserName": "bobby"}
	if r := g.do("POST", apiPrefix+"/manage/account?"+g.manage(), other); r.status != 200 {
		t.Fatalf("create bob: %d %s", r.status, r.raw)
	}
	for _, taken := range []string{"bobby", "Bob@Example.com"} {
		g.do("PUT", apiPrefix+"/auth/username"+q, map[string]string{"username": taken}, bearer...).wantError(t, 403, 1017)
	}
	wantUsername(t, g, tok, "alice_new")
}
