package pinauth

import "testing"

// TestARoleChangeIsInTheNextAuthRequestAnswerAndProtectedRequest checks
// both ways the gateway hands an identity on (issue 20): the protected
// path's upstream headers and the auth-request answer a proxy copies. Both
// read the cached profile, which an assignment or unassignment forgets.
func TestARoleChangeIsInTheNextAuthRequestAnswerAndProtectedRequest(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, withAuthRequest, func(c *Config) { c.HeaderPreset = "oauth2-proxy" })
	login := e.loggedIn(testEmail)
	uid, access := uidOf(login), login.str("access_token")
	manage := "?apikey=" + testKey + "&apisecret=" + testSecret
	check := func(want string) {
		t.Helper()
		for range 2 { // the second is answered from the cache
			r := e.ask("GET", "/app", "Authorization", "Bearer "+access, "X-Auth-Roles", "forged")
			if r.status != 200 || r.header.Get("X-Auth-Roles") != want || r.header.Get("X-Forwarded-Groups") != want ||
				len(r.header.Values("X-Auth-Roles")) != 1 {
				t.Fatalf("auth request: %d, X-Auth-Roles %q, X-Forwarded-Groups %q; want %q", r.status,
					r.header.Values("X-Auth-Roles"), r.header.Get("X-Forwarded-Groups"), want)
			}
			if r := e.protected(access); r.status != 200 {
				t.Fatalf("protected request: %d %s", r.status, r.raw)
			}
			calls := e.upstream.calls()
			if got := calls[len(calls)-1].Get("X-Auth-Roles"); got != want {
				t.Fatalf("upstream X-Auth-Roles = %q, want %q", got, want)
			}
		}
	}
	check("user,admin")
	if r := e.do("POST", "/identity/v2/manage/role"+manage, map[string]any{"roles": []map[string]any{{"name": "auditor"}}}); r.status != 200 {
		t.Fatalf("create role: %d %s", r.status, r.raw)
	}
	if r := e.do("PUT", "/identity/v2/manage/account/"+uid+"/role"+manage, map[string]any{"roles": []string{"auditor"}}); r.status != 200 {
		t.Fatalf("assign: %d %s", r.status, r.raw)
	}
	check("user,admin,auditor")
	if r := e.do("DELETE", "/identity/v2/manage/account/"+uid+"/role"+manage, map[string]any{"roles": []string{"admin"}}); r.status != 200 {
		t.Fatalf("unassign: %d %s", r.status, r.raw)
	}
	check("user,auditor")
}
