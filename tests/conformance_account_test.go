package tests

import "net/url"

// driveAccountManagement calls the remaining account management routes
// (issue 20) to success on tenant g, whose account uid has email mail and
// phone phoneNo: its identities by email, a phone change by uid and its
// return to phoneNo (the later calls use it), and the deletion by email of
// an account made for it.
func (c *conformanceRun) driveAccountManagement(g *gateway, uid, mail, phoneNo string) {
	const doc = "account/"
	u := secret(g) + "&uid=" + uid
	c.call(g, "GET /manage/account/identities", doc+"account-identities-by-email", secret(g)+"&email="+url.QueryEscape(mail), nil)
	c.call(g, "PUT /manage/account/{uid}/phoneid", doc+"update-phoneid-by-uid", u, map[string]string{"Phone": phoneNo + "9"})
	c.call(g, "PUT /manage/account/{uid}/phoneid", doc+"update-phoneid-by-uid", u, map[string]string{"Phone": phoneNo})
	gone := "gone-" + mail
	wantCreated(c.t, g.do("POST", apiPrefix+"/manage/account?apikey="+g.key()+secret(g), map[string]any{
		"Email": []map[string]string{{"Type": "Primary", "Value": gone}}, "Password": "conformance password"}))
	c.call(g, "DELETE /manage/account", doc+"account-delete-by-email", secret(g)+"&email="+url.QueryEscape(gone), nil)
}
