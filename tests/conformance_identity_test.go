package tests

import "net/url"

// driveIdentifiers calls the email and username routes (issue 20) to
// success on tenant g, whose account has email mail and username user and
// holds the access token bearer: both availability checks, and a username
// change and its return to user (the later calls log in by it).
func (c *conformanceRun) driveIdentifiers(g *gateway, mail, user string, bearer []string) {
	const doc = "authentication/"
	c.call(g, "GET /auth/email", doc+"auth-email-availability", "&email="+url.QueryEscape(mail), nil)
	c.call(g, "GET /auth/username", doc+"auth-username-availability", "&username="+url.QueryEscape(user+"-free"), nil)
	c.call(g, "PUT /auth/username", doc+"auth-set-or-change-user-name", "", map[string]string{"username": user + "-new"}, bearer...)
	c.call(g, "PUT /auth/username", doc+"auth-set-or-change-user-name", "", map[string]string{"username": user}, bearer...)
}
