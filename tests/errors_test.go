package tests

import "testing"

func TestAPIErrorsCarryTheirCatalogueCodeStatusAndDescription(t *testing.T) {
	t.Parallel()
	g := startGateway(t)
	login, _ := g.loggedIn()
	sessionToken := login.str("session_token")

	t.Run("a wrong PIN is 401/1236", func(t *testing.T) {
		g := g.in(t)
		r := g.pinLogin(sessionToken, "1357")
		r.wantError(t, 401, 1236)
		if d := r.str("Description"); d != "Please use a valid PIN for the Authentication." {
			t.Errorf("Description = %q", d)
		}
		if r.str("access_token") != "" {
			t.Errorf("a wrong PIN issued an access token")
		}
	})
	t.Run("a missing apikey is 403/908", func(t *testing.T) {
		g := g.in(t)
		r := g.do("POST", apiPrefix+"/auth/login/pin?session_token="+sessionToken, map[string]string{"pin": pin})
		r.wantError(t, 403, 908)
		if d := r.str("Description"); d != "The apikey is a required parameter." {
			t.Errorf("Description = %q", d)
		}
	})
	t.Run("an unknown apikey is 403/901", func(t *testing.T) {
		g := g.in(t)
		r := g.do("POST", apiPrefix+"/auth/login?apikey=no-such-key",
			map[string]string{"email": email, "password": password})
		r.wantError(t, 403, 901)
	})
	t.Run("a tenant whose plan expired is 403/6003 on every call", func(t *testing.T) {
		g := g.in(t)
		want := "The trial plan has expired. To continue using the service, please contact support."
		for _, call := range []struct{ method, path string }{
			{"POST", apiPrefix + "/auth/login?apikey=" + expiredKey},
			{"POST", apiPrefix + "/auth/login/pin?apikey=" + expiredKey + "&session_token=" + sessionToken},
			{"GET", apiPrefix + "/manage/account?email=" + email + "&apikey=" + expiredKey + "&apisecret=" + expiredSecret},
		} {
			var body any
			if call.method == "POST" {
				body = map[string]string{"email": email, "password": password, "pin": pin}
			}
			r := g.do(call.method, call.path, body)
			r.wantError(t, 403, 6003)
			if d := r.str("Description"); d != want {
				t.Errorf("%s %s: Description = %q", call.method, call.path, d)
			}
		}
	})
	t.Run("the right PIN still works after one wrong one", func(t *testing.T) {
		g := g.in(t)
		if r := g.pinLogin(sessionToken, pin); r.status != 200 {
			t.Fatalf("PIN login: %d %s", r.status, r.raw)
		}
	})
	if n := len(g.up.requests()); n != 0 {
		t.Fatalf("API errors reached the upstream %d times", n)
	}
}
