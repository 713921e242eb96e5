package tests

import "testing"

// TestEveryTenantsTokensPassUnlessAcceptTenantsNarrowsTheSite shows the
// default (a pin_auth block's protected path takes the tokens of each of
// its tenants) and accept_tenants narrowing a site to one of them, through
// real Caddy.
func TestEveryTenantsTokensPassUnlessAcceptTenantsNarrowsTheSite(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name        string
		extra       string
		otherPasses bool
	}{
		{"by default", "", true},
		{"with accept_tenants demo", "\n\t\taccept_tenants " + tenantName, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			g := startGateway(t, withOtherTenant, func(s *siteConfig) { s.Extra += c.extra })
			demo, _ := g.loggedIn()
			other := g.in(t)
			other.apiKey, other.apiSecret = otherKey, otherSecret
			otherLogin, _ := other.loggedIn()

			if r := g.protected("/app/x", demo.str("access_token")); r.status != 200 {
				t.Fatalf("demo's token: %d %s", r.status, r.raw)
			}
			r := g.protected("/app/x", otherLogin.str("access_token"))
			switch {
			case c.otherPasses && r.status != 200:
				t.Fatalf("the other tenant's token: %d %s", r.status, r.raw)
			case !c.otherPasses:
				r.wantError(t, 401, 905)
			}
			// The API serves the other tenant either way.
			if r := other.do("GET", apiPrefix+"/auth/access_token/validate?apikey="+otherKey+"&access_token="+otherLogin.str("access_token"), nil); r.status != 200 {
				t.Fatalf("the API refused the other tenant: %d %s", r.status, r.raw)
			}
		})
	}
}
