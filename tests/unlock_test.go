package tests

import "testing"

// TestUnlockByAccessTokenOnRealCaddy lifts a captcha lock by access token
// (issue 20) on real Caddy: refused without a captcha (1132) and with a
// wrong one (982), lifted with a solved one, after which a login needs no
// captcha and a second unlock is 1221; on a gateway whose lockout
// suspends, the same call with a solved captcha is 1198 and the account
// stays locked.
func TestUnlockByAccessTokenOnRealCaddy(t *testing.T) {
	t.Parallel()
	lockByPINs := func(g *gateway, st string) {
		g.t.Helper()
		for i := 1; i <= 5; i++ {
			body := map[string]string{"pin": wrongPIN}
			if i > 3 {
				body = withCaptcha(body, "e2e-solved")
			}
			g.do("POST", apiPrefix+"/auth/login/pin?apikey="+g.key()+"&session_token="+st, body).wantError(g.t, 401, 1236)
		}
	}
	unlock := func(g *gateway, tok, answer string) response {
		body := map[string]string{}
		if answer != "" {
			body = withCaptcha(body, answer)
		}
		return g.do("PUT", apiPrefix+"/auth/account/unlock?apikey="+g.key(), body, withToken(tok)...)
	}

	t.Run("captcha", func(t *testing.T) {
		t.Parallel()
		g := startLockGateway(t)
		login, _ := g.loggedIn()
		tok := login.str("access_token")
		lockByPINs(g, login.str("session_token"))
		g.passwordLogin().wantError(t, 403, 1132)
		unlock(g, tok, "").wantError(t, 403, 1132)
		unlock(g, tok, "not solved").wantError(t, 403, 982)
		g.passwordLogin().wantError(t, 403, 1132)
		if r := unlock(g, tok, "e2e-solved"); r.status != 200 || r.raw != `{"IsPosted":true}` {
			t.Fatalf("unlock: %d %s", r.status, r.raw)
		}
		if r := g.passwordLogin(); r.status != 200 {
			t.Fatalf("login after the unlock, without a captcha: %d %s", r.status, r.raw)
		}
		unlock(g, tok, "e2e-solved").wantError(t, 403, 1221)
	})
	t.Run("suspend", func(t *testing.T) {
		t.Parallel()
		verify := fakeRecaptcha(t, "conformance-captcha-secret")
		g := startGateway(t, func(s *siteConfig) {
			s.Extra = "\t\tlockout 5 15m 15m suspend\n\t\tcaptcha recaptcha conformance-captcha-secret {\n\t\t\tverify_url " +
				verify.URL + "\n\t\t\tafter 100\n\t\t}\n" + noContention
		})
		login, _ := g.loggedIn()
		for i := 1; i <= 5; i++ {
			g.pinLogin(login.str("session_token"), wrongPIN).wantError(t, 401, 1236)
		}
		unlock(g, login.str("access_token"), "e2e-solved").wantError(t, 403, 1198)
		g.passwordLogin().wantError(t, 403, 1198)
	})
}
