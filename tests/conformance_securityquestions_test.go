package tests

import "testing"

// driveAnswerResets resets the password of the account of tenant g by its
// security answers ("pet" rex, "city" paris) with each identifier the
// documents name: its email, username and phone, to pass every time
// (issue 20).
func (c *conformanceRun) driveAnswerResets(g *gateway, mail, user, phone, pass string) {
	for _, by := range []struct{ field, value, doc string }{
		{"email", mail, "email"}, {"username", user, "username"}, {"phone", phone, "phone"},
	} {
		c.call(g, "PUT /auth/password/securityanswer", "authentication/auth-reset-password-by-"+by.doc, "",
			map[string]any{by.field: by.value, "password": pass, "securityanswer": map[string]string{"pet": "rex", "city": "paris"}})
	}
}

// driveMFAResets resets the security-question authenticator of the
// account of MFA tenant g (email mail, password pass) by the access token
// of its completed login, enrols again with a new login, and resets it by
// uid (issue 20).
func (c *conformanceRun) driveMFAResets(g *gateway, mail, pass string, login response) {
	const doc = "multi-factor-authentication/security-question-authenticator/delete-reset-mfa-security-question-authenticator-settings"
	c.call(g, "DELETE /auth/account/2fa/authenticator/securityquestionanswer", doc, "", nil, withToken(login.str("access_token"))...)
	tok, verified := secondFactorToken(c.t, g.do("POST", apiPrefix+"/auth/login?apikey="+g.key(), map[string]string{"email": mail, "password": pass}))
	if verified {
		c.t.Fatalf("[%s] the login after the reset offers no enrolment", c.format)
	}
	enrol := g.do("PUT", apiPrefix+"/auth/login/2fa/securityquestionanswer?apikey="+g.key()+"&secondfactorauthenticationtoken="+tok, securityAnswers("pet", "rex"))
	wantLoggedIn(c.t, "enrol after the reset", enrol)
	c.call(g, "DELETE /manage/account/2fa/authenticator/securityquestionanswer", doc+"-uid", secret(g)+"&uid="+enrol.object("Profile")["Uid"].(string), nil)
}

// wantLoggedIn fails unless r is a completed login.
func wantLoggedIn(t *testing.T, what string, r response) {
	t.Helper()
	if r.status != 200 || r.str("access_token") == "" {
		t.Fatalf("%s: %d %s", what, r.status, r.raw)
	}
}
