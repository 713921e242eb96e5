package tests

import (
	"path/filepath"
	"testing"
)

// Issue 22: a node that was down while a session was revoked must not
// serve the session's tokens when it comes back, whether it had cached
// one before it stopped or never saw it: it reads the journal before it
// serves, and the announcement it missed is long gone.
func TestClusterNodeRestartedAfterARevocationRefusesTheTokenOnItsFirstRequest(t *testing.T) {
	t.Parallel()
	c := startCluster(t, 2)
	a, b := c.nodes[0], c.nodes[1]
	a.createAccount(pin)
	login := func() string {
		t.Helper()
		r := a.passwordLogin()
		if r.status != 200 {
			t.Fatalf("login on node A: %d %s", r.status, r.raw)
		}
		return r.str("access_token")
	}
	seen, unseen, live := login(), login(), login()
	cacheOn(t, b, seen)
	cacheOn(t, b, live)

	b.proc.stop(t)
	for _, tok := range []string{seen, unseen} {
		if r := a.do("GET", apiPrefix+"/auth/access_token/invalidate?apikey="+a.key(), nil, withToken(tok)...); r.status != 200 {
			t.Fatalf("logout on node A while B is down: %d %s", r.status, r.raw)
		}
	}
	b.proc = startCaddyConfig(t, b.proc.Dir, filepath.Join(b.proc.Dir, "Caddyfile"),
		[]string{b.base + "/.well-known/jwks.json"}, "PINAUTH_E2E_DSN="+c.dsn)

	for _, tok := range []struct{ name, raw string }{{"a token B had cached", seen}, {"a token B never saw", unseen}} {
		if r := b.protected("/app", tok.raw); r.status != 401 {
			t.Errorf("node B restarted after the logout, first request with %s: %d %s, want 401", tok.name, r.status, r.raw)
		}
	}
	// It refuses what was revoked, not everything: the live session's
	// token is served.
	if r := b.protected("/app", live); r.status != 200 || r.raw != upstreamBody {
		t.Errorf("node B restarted, a live token: %d %s, want the upstream's answer", r.status, r.raw)
	}
}
