package tests

import "net/url"

// driveIdentifiers calls the email and username routes (issue 20) to
// success on tenant g, whose account has email mail and username user and
// holds the access token bearer: both availability checks, a username
// change and its return to user (the later calls log in by it), and an
// email added and removed by the management API, then removed by its
// holder.
func (c *conformanceRun) driveIdentifiers(g *gateway, uid, mail, user string, bearer []string) {
	const doc = "authentication/"
	c.call(g, "GET /auth/email", doc+"auth-email-availability", "&email="+url.QueryEscape(mail), nil)
	c.call(g, "GET /auth/username", doc+"auth-username-availability", "&username="+url.QueryEscape(user+"-free"), nil)
	c.call(g, "PUT /auth/username", doc+"auth-set-or-change-user-name", "", map[string]string{"username": user + "-new"}, bearer...)
	c.call(g, "PUT /auth/username", doc+"auth-set-or-change-user-name", "", map[string]string{"username": user}, bearer...)
	u := secret(g) + "&uid=" + uid
	extra := "more-" + mail
	c.call(g, "PUT /manage/account/{uid}/email", "account/upsert-email", u,
		map[string]any{"Email": []map[string]string{{"type": "Secondary", "value": extra}}})
	c.call(g, "DELETE /manage/account/{uid}/email", "account/account-email-delete", u, map[string]string{"email": extra})
	c.call(g, "PUT /manage/account/{uid}/email", "account/upsert-email", u,
		map[string]any{"Email": []map[string]string{{"type": "Secondary", "value": extra}}})
	c.call(g, "DELETE /auth/email", doc+"auth-remove-email", "", map[string]string{"email": extra}, bearer...)
}
