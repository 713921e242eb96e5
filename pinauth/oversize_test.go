package pinauth

import (
	"strings"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/config"
)

// TestEveryBodyTakingRouteAnswersAnOversizedBodyWith413 sends a 1 MiB body
// to every POST and PUT route (taken from the router, so routes added later
// are covered), with every credential a route may ask for: each must answer
// 413 with the catalogue's body error (965 for POST, 1079 for PUT), never
// a 5xx and never a pass to the upstream.
func TestEveryBodyTakingRouteAnswersAnOversizedBodyWith413(t *testing.T) {
	t.Parallel()
	// Sign-up open, so its routes read their bodies.
	e := newTestEnv(t, withQuestions, func(c *Config) {
		c.Tenants[0].Registration = config.Registration{Mode: config.RegistrationOpen, AllowUnverified: true}
	})
	login := e.loggedIn(testEmail)
	uid := uidOf(login)
	q := "?apikey=" + testKey + "&apisecret=" + testSecret + "&session_token=" + login.str("session_token") +
		"&pinauthtoken=x&secondfactorauthenticationtoken=x&refresh_token=x"
	big := `{"pin":"` + strings.Repeat("7", 1<<20) + `"}`
	routes := 0
	for _, rt := range apiRoutes() {
		path := "/identity/v2/" + strings.ReplaceAll(strings.Join(rt.segments, "/"), "{uid}", uid)
		for _, method := range rt.methods {
			if method != "POST" && method != "PUT" {
				continue
			}
			routes++
			want := 965
			if method == "PUT" {
				want = 1079
			}
			r := e.do(method, path+q, big, "Authorization", "Bearer "+login.str("access_token"))
			if r.status != 413 || r.code() != want {
				t.Errorf("%s %s: want 413/%d, got %d %.200s", method, path, want, r.status, r.raw)
			}
		}
	}
	if routes < 15 {
		t.Fatalf("only %d POST/PUT routes found", routes)
	}
	if n := len(e.upstream.calls()); n != 0 {
		t.Fatalf("an API call reached the upstream %d times", n)
	}
}
