package tests

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
