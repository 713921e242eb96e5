package tests

import (
	"strings"
	"testing"
)

// forgedSpellings are identity headers as an attacker would send them. They
// go out over a raw connection: Go's client would canonicalise the names,
// and the point is to send exactly these bytes.
var forgedSpellings = []string{
	"X-Auth-Uid: attacker",
	"X-Auth_Uid: attacker",
	"x-auth-uid: attacker",
	"X.Auth.Uid: attacker",
	"X_AUTH_UID: attacker",
	"X-Auth-Roles: superuser",
	"x-auth-tenant: attacker",
}

func TestForgedIdentityHeadersWithoutATokenAre401AndNeverReachTheUpstream(t *testing.T) {
	t.Parallel()
	g := startGateway(t)
	for _, h := range forgedSpellings {
		t.Run(h, func(t *testing.T) {
			g := g.in(t)
			r := g.raw(rawRequest("GET", "/app/admin", g.hostHeader(), []string{h}, ""))
			r.wantError(t, 401, 1060)
			if a := r.header.Get("WWW-Authenticate"); !strings.HasPrefix(a, "Bearer") {
				t.Errorf("WWW-Authenticate = %q, want Bearer…", a)
			}
			if strings.Contains(r.raw, upstreamBody) {
				t.Error("the upstream answered")
			}
		})
	}
	if n := len(g.up.requests()); n != 0 {
		t.Fatalf("the upstream was called %d times without a token", n)
	}
}

func TestForgedIdentityHeadersWithAValidTokenLeaveTheUpstreamOnlyTheRealIdentity(t *testing.T) {
	t.Parallel()
	g := startGateway(t, func(s *siteConfig) { s.Extra = "public /healthz" })
	login, uid := g.loggedIn()
	access := login.str("access_token")

	headers := append([]string{"Authorization: Bearer " + access}, forgedSpellings...)
	// A repeated forged header must not survive as a second value either.
	headers = append(headers, "X-Auth-Uid: attacker2")
	r := g.raw(rawRequest("GET", "/app/admin", g.hostHeader(), headers, ""))
	if r.status != 200 || r.raw != upstreamBody {
		t.Fatalf("protected request: %d %s", r.status, r.raw)
	}
	got := g.up.last(t).Header
	if vals := got.Values("X-Auth-Uid"); len(vals) != 1 || vals[0] != uid {
		t.Errorf("upstream X-Auth-Uid = %q, want only %s", vals, uid)
	}
	if v := got.Get("X-Auth-Roles"); v != "user,admin" {
		t.Errorf("upstream X-Auth-Roles = %q, want user,admin", v)
	}
	if v := got.Get("X-Auth-Tenant"); v != tenantName {
		t.Errorf("upstream X-Auth-Tenant = %q, want %s", v, tenantName)
	}
	for name, vals := range identityHeaders(got) {
		for _, v := range vals {
			if strings.HasPrefix(v, "attacker") || v == "superuser" {
				t.Errorf("a forged value reached the upstream: %s: %s", name, v)
			}
		}
		if !strings.HasPrefix(name, "X-Auth-") {
			t.Errorf("the upstream received the forged spelling %q", name)
		}
	}

	t.Run("on a public path without a token too", func(t *testing.T) {
		g := g.in(t)
		r := g.raw(rawRequest("GET", "/healthz", g.hostHeader(), forgedSpellings, ""))
		if r.status != 200 || r.raw != upstreamBody {
			t.Fatalf("public path: %d %s", r.status, r.raw)
		}
		last := g.up.last(t)
		if last.Path != "/healthz" {
			t.Fatalf("upstream last saw %s", last.Path)
		}
		if ids := identityHeaders(last.Header); len(ids) != 0 {
			t.Errorf("identity headers reached the upstream on an anonymous public request: %v", ids)
		}
	})
}
