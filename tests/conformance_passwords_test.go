package tests

// drivePasswords changes the password of account uid of tenant g (email
// mail, password pass) by access token, sets it by the management API,
// and resets it to pass with a management forgot token (issue 20).
func (c *conformanceRun) drivePasswords(g *gateway, uid, mail, pass string) {
	login := g.do("POST", apiPrefix+"/auth/login?apikey="+g.key(), map[string]string{"email": mail, "password": pass})
	if login.status != 200 {
		c.t.Fatalf("[%s] login before the password change: %d %s", c.format, login.status, login.raw)
	}
	bearer := withToken(login.str("access_token"))
	changed := pass + " changed"
	c.call(g, "PUT /auth/password/change", "authentication/auth-change-password", "", map[string]string{"oldpassword": pass, "newpassword": changed}, bearer...)
	c.call(g, "PUT /manage/account/{uid}/password", "account/account-set-password", secret(g)+"&uid="+uid, map[string]string{"password": changed})
	forgot := c.call(g, "POST /manage/account/forgot/token", "account/get-forgot-password-token", secret(g)+"&sendemail=false", map[string]string{"email": mail})
	reset := g.do("PUT", apiPrefix+"/auth/password/reset?apikey="+g.key(), map[string]string{"resettoken": forgot.str("ForgotToken"), "password": pass})
	if reset.status != 200 {
		c.t.Fatalf("[%s] reset by the forgot token: %d %s", c.format, reset.status, reset.raw)
	}
}
