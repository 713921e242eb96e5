package tests

import (
	"strings"
	"testing"
)

// X-Origin-IP on real Caddy (issue 16, bug 4): LoginRadius's server-side
// SDKs name the end user they call for; the gateway believes them only on
// a server-to-server call (the tenant's API secret, or a trusted_proxies
// peer speaking for itself), never a browser, and never a browser relayed
// by a trusted proxy.

// startOriginGateway starts a gateway; trusted lists the loopback as the
// server's trusted_proxies.
func startOriginGateway(t *testing.T, trusted bool) *gateway {
	t.Helper()
	up := newUpstream(t)
	s := newSite(t, "\treverse_proxy "+up.addr())
	cf := caddyfile(t, s)
	if trusted {
		cf = strings.Replace(cf, "\tdefault_bind 127.0.0.1\n",
			"\tdefault_bind 127.0.0.1\n\tservers {\n\t\ttrusted_proxies static 127.0.0.1/32\n\t}\n", 1)
	}
	g := &gateway{t: t, site: s, up: up, base: baseURL(s.Port), log: &responseLog{}}
	g.proc = startCaddy(t, cf, []string{g.base + "/.well-known/jwks.json"})
	return g
}

// pinLoginFrom logs in with the PIN sending extra headers and returns the
// profile's LastLoginLocation.
func (g *gateway) pinLoginFrom(sessionToken string, header ...string) any {
	g.t.Helper()
	r := g.do("POST", apiPrefix+"/auth/login/pin?apikey="+g.key()+"&session_token="+sessionToken,
		map[string]string{"pin": pin}, header...)
	if r.status != 200 {
		g.t.Fatalf("PIN login with %v: %d %s", header, r.status, r.raw)
	}
	return r.object("Profile")["LastLoginLocation"]
}

func TestOriginIPIsHonouredOnlyOnServerCallsOnRealCaddy(t *testing.T) {
	t.Parallel()
	const user = "203.0.113.44"
	origin := []string{"X-Origin-IP", user, "X-Origin-User-Agent", "Mobile Safari"}

	t.Run("without trusted proxies only the API secret makes a server call", func(t *testing.T) {
		t.Parallel()
		g := startOriginGateway(t, false)
		login, _ := g.loggedIn()
		st := login.str("session_token")
		if got := g.pinLoginFrom(st, origin...); got != "127.0.0.1" {
			t.Errorf("an anonymous caller's X-Origin-IP was honoured: LastLoginLocation %v", got)
		}
		if got := g.pinLoginFrom(st, append(origin, "X-LoginRadius-ApiSecret", apiSecret)...); got != user {
			t.Errorf("a call with the API secret: LastLoginLocation %v, want the end user's %s", got, user)
		}
		g.do("POST", apiPrefix+"/auth/login/pin?apikey="+g.key()+"&session_token="+st, map[string]string{"pin": pin},
			append(origin, "X-LoginRadius-ApiSecret", "not-the-secret-0123")...).wantError(t, 401, 902)
	})

	t.Run("a trusted proxy speaking for itself makes a server call, one relaying a browser does not", func(t *testing.T) {
		t.Parallel()
		g := startOriginGateway(t, true)
		login, _ := g.loggedIn()
		st := login.str("session_token")
		if got := g.pinLoginFrom(st, origin...); got != user {
			t.Errorf("the trusted app server's X-Origin-IP: LastLoginLocation %v, want %s", got, user)
		}
		relayed := append([]string{"X-Forwarded-For", "198.51.100.20"}, origin...)
		if got := g.pinLoginFrom(st, relayed...); got != "198.51.100.20" {
			t.Errorf("a browser relayed by the trusted proxy set X-Origin-IP: LastLoginLocation %v, want the relayed client 198.51.100.20", got)
		}
	})
}
