package tests

// drivePasswords changes the password of account uid of tenant g (email
// mail, password pass) by access token and back, then sets it by the
// management API to pass again (issue 20).
func (c *conformanceRun) drivePasswords(g *gateway, uid, mail, pass string) {
	login := g.do("POST", apiPrefix+"/auth/login?apikey="+g.key(), map[string]string{"email": mail, "password": pass})
	if login.status != 200 {
		c.t.Fatalf("[%s] login before the password change: %d %s", c.format, login.status, login.raw)
	}
	bearer := withToken(login.str("access_token"))
	changed := pass + " changed"
	c.call(g, "PUT /auth/password/change", "authentication/auth-change-password", "", map[string]string{"oldpassword": pass, "newpassword": changed}, bearer...)
	c.call(g, "PUT /manage/account/{uid}/password", "account/account-set-password", secret(g)+"&uid="+uid, map[string]string{"password": pass})
}
