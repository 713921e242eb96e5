package tests

import (
	"testing"
	"time"
)

// wantRoles sends one protected request with tok and checks the roles the
// upstream received: X-Auth-Roles (comma-separated) and the authentik
// preset's X-Authentik-Groups (|-separated); "" wants neither header.
func wantRoles(t *testing.T, g *gateway, tok, comma, pipe string, header ...string) {
	t.Helper()
	if r := g.protected("/app", tok, header...); r.status != 200 || r.raw != upstreamBody {
		t.Fatalf("protected request: %d %s", r.status, r.raw)
	}
	got := g.up.last(t).Header
	if v := got.Values("X-Auth-Roles"); (comma == "" && len(v) != 0) || (comma != "" && (len(v) != 1 || v[0] != comma)) {
		t.Errorf("upstream X-Auth-Roles = %q, want %q", v, comma)
	}
	if v := got.Values("X-Authentik-Groups"); (pipe == "" && len(v) != 0) || (pipe != "" && (len(v) != 1 || v[0] != pipe)) {
		t.Errorf("upstream X-Authentik-Groups = %q, want %q", v, pipe)
	}
}

// TestARoleChangeReachesTheUpstreamOnTheNextRequest drives the roles
// management API on real Caddy (issue 20): each assignment, unassignment
// and deletion of a role is in the headers of the very next request of a
// session whose profile the gateway had cached, and a client's own
// X-Auth-Roles never is.
func TestARoleChangeReachesTheUpstreamOnTheNextRequest(t *testing.T) {
	t.Parallel()
	g := startGateway(t, func(s *siteConfig) { s.Extra = "header_preset authentik" })
	login, uid := g.loggedIn()
	tok := login.str("access_token")
	forged := []string{"X-Auth-Roles", "superuser", "X-Authentik-Groups", "superuser"}
	wantRoles(t, g, tok, "user,admin", "user|admin", forged...)
	wantRoles(t, g, tok, "user,admin", "user|admin") // now served from the cache

	m := g.manage()
	roles := map[string]any{"roles": []map[string]any{{"name": "editor", "permissions": map[string]bool{"Edit": true}}, {"name": "viewer"}}}
	if r := g.do("POST", apiPrefix+"/manage/role?"+m, roles); r.status != 200 || r.raw != `{"data":[{"Name":"editor","Permissions":{"Edit":true}},{"Name":"viewer","Permissions":{}}],"Count":2}` {
		t.Fatalf("create roles: %d %s", r.status, r.raw)
	}
	if r := g.do("PUT", apiPrefix+"/manage/account/"+uid+"/role?"+m, map[string]any{"roles": []string{"editor", "viewer"}}); r.status != 200 ||
		r.raw != `{"Roles":["user","admin","editor","viewer"]}` {
		t.Fatalf("assign: %d %s", r.status, r.raw)
	}
	wantRoles(t, g, tok, "user,admin,editor,viewer", "user|admin|editor|viewer", forged...)

	if r := g.do("DELETE", apiPrefix+"/manage/account/"+uid+"/role?"+m, map[string]any{"roles": []string{"admin", "viewer"}}); r.status != 200 || r.raw != `{"IsDeleted":true}` {
		t.Fatalf("unassign: %d %s", r.status, r.raw)
	}
	wantRoles(t, g, tok, "user,editor", "user|editor")

	// Deleting a role takes it from the account too.
	if r := g.do("DELETE", apiPrefix+"/manage/role/editor?"+m, nil); r.status != 200 || r.raw != `{"IsDeleted":true}` {
		t.Fatalf("delete role: %d %s", r.status, r.raw)
	}
	wantRoles(t, g, tok, "user", "user")
	if r := g.do("GET", apiPrefix+"/manage/account/"+uid+"/role?"+m, nil); r.status != 200 || r.raw != `{"Roles":["user"]}` {
		t.Fatalf("read roles: %d %s", r.status, r.raw)
	}
	// A role the account does not hold is 1047; one it holds goes, even
	// one no longer defined (user was written with the profile).
	g.do("DELETE", apiPrefix+"/manage/account/"+uid+"/role?"+m, map[string]any{"roles": []string{"editor"}}).wantError(t, 400, 1047)
	if r := g.do("DELETE", apiPrefix+"/manage/account/"+uid+"/role?"+m, map[string]any{"roles": []string{"user"}}); r.status != 200 {
		t.Fatalf("unassign the last role: %d %s", r.status, r.raw)
	}
	wantRoles(t, g, tok, "", "", forged...)
}

// TestRolesManagementRefusesBadInputWithLoginRadiusErrors holds the roles
// routes to LoginRadius's error answers on real Caddy, and checks that
// nothing a refused call named was stored.
func TestRolesManagementRefusesBadInputWithLoginRadiusErrors(t *testing.T) {
	t.Parallel()
	g := startGateway(t)
	uid := g.createAccount(pin)
	m := g.manage()
	role := func(names ...string) map[string]any {
		var rs []map[string]any
		for _, n := range names {
			rs = append(rs, map[string]any{"name": n})
		}
		return map[string]any{"roles": rs}
	}
	g.do("POST", apiPrefix+"/manage/role?apikey="+g.key(), role("ok")).wantError(t, 401, 902)
	g.do("POST", apiPrefix+"/manage/role?apikey="+g.key()+"&apisecret=wrong-secret-000000", role("ok")).wantError(t, 401, 902)
	g.do("POST", apiPrefix+"/manage/role?"+m, role("a,b")).wantError(t, 403, 1175)
	g.do("POST", apiPrefix+"/manage/role?"+m, role("ok", "ok")).wantError(t, 403, 1175)
	g.do("POST", apiPrefix+"/manage/role?"+m, `{"roles":`).wantError(t, 400, 965)
	g.do("POST", apiPrefix+"/manage/role?"+m, map[string]any{"roles": []any{}}).wantError(t, 403, 1134)
	if r := g.do("GET", apiPrefix+"/manage/role?"+m, nil); r.status != 200 || r.raw != `{"data":[],"Count":0}` {
		t.Fatalf("roles after refused creations: %d %s", r.status, r.raw)
	}
	g.do("PUT", apiPrefix+"/manage/role/ghost/permission?"+m, map[string]any{"permissions": []string{"x"}}).wantError(t, 400, 1047)
	g.do("DELETE", apiPrefix+"/manage/role/ghost?"+m, nil).wantError(t, 400, 1047)
	g.do("PUT", apiPrefix+"/manage/account/"+uid+"/role?"+m, map[string]any{"roles": []string{"ghost"}}).wantError(t, 400, 1047)
	g.do("PUT", apiPrefix+"/manage/account/nobody/role?"+m, map[string]any{"roles": []string{"user"}}).wantError(t, 403, 938)
	g.do("PUT", apiPrefix+"/manage/account/"+uid+"/rolecontext?"+m, map[string]any{"rolecontext": []map[string]any{{"context": "", "roles": []string{"x"}}}}).wantError(t, 403, 1133)
	g.do("DELETE", apiPrefix+"/manage/account/"+uid+"/rolecontext/Away?"+m, nil).wantError(t, 403, 1133)
	g.do("PATCH", apiPrefix+"/manage/role?"+m, nil).wantError(t, 405, 404)
	if r := g.do("GET", apiPrefix+"/manage/account/"+uid+"/role?"+m, nil); r.status != 200 || r.raw != `{"Roles":["user","admin"]}` {
		t.Fatalf("roles after refused calls: %d %s", r.status, r.raw)
	}
}

// TestClusterCarriesARoleAssignedOnOneNodeToTheNextRequestsOfAnother
// assigns a role on node A while node B holds the session's profile in
// its cache: the store's announcement makes B forget it, so B's requests
// carry the role within a second.
func TestClusterCarriesARoleAssignedOnOneNodeToTheNextRequestsOfAnother(t *testing.T) {
	t.Parallel()
	c := startCluster(t, 2)
	a, b := c.nodes[0], c.nodes[1]
	uid := a.createAccount(pin)
	login := b.passwordLogin()
	if login.status != 200 {
		t.Fatalf("login on B: %d %s", login.status, login.raw)
	}
	tok := login.str("access_token")
	cacheOn(t, b, tok)
	if got := b.up.last(t).Header.Get("X-Auth-Roles"); got != "user,admin" {
		t.Fatalf("B's X-Auth-Roles before = %q", got)
	}
	m := a.manage()
	if r := a.do("POST", apiPrefix+"/manage/role?"+m, map[string]any{"roles": []map[string]any{{"name": "editor"}}}); r.status != 200 {
		t.Fatalf("create role on A: %d %s", r.status, r.raw)
	}
	start := time.Now()
	if r := a.do("PUT", apiPrefix+"/manage/account/"+uid+"/role?"+m, map[string]any{"roles": []string{"editor"}}); r.status != 200 {
		t.Fatalf("assign on A: %d %s", r.status, r.raw)
	}
	delay := sentWithin(t, b, tok, "X-Auth-Roles", "user,admin,editor", start, time.Second)
	t.Logf("node B sent the role assigned on node A %v after the assignment was sent", delay)
}
