package tests

import (
	"net/url"
	"regexp"
)

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

// verificationToken is a verification email's token.
var verificationToken = regexp.MustCompile(`vtoken=([0-9a-f-]{36})`)

// driveSignup calls the sign-up and email verification routes (issue 20)
// to success: a sign-up on the main tenant (links), a resend, the link of
// the resent email, the welcome email by the main account's token bearer;
// a sign-up on the codes tenant and its code. Each email it causes is
// read here, so the run's mail count stays in step.
func (c *conformanceRun) driveSignup(bearer []string) {
	const doc = "authentication/"
	signed := c.format + "-signup@example.com"
	body := map[string]any{"Email": []map[string]string{{"Type": "Primary", "Value": signed}}, "Password": "conformance sign-up " + c.format}
	c.call(c.main, "POST /auth/register", doc+"auth-user-registration-by-email", "", body)
	c.nextMail()
	c.call(c.main, "PUT /auth/register", doc+"auth-resend-email-verification", "", map[string]string{"email": signed})
	m := verificationToken.FindStringSubmatch(c.nextMail())
	if m == nil {
		c.t.Fatal("no verification link in the resent email")
	}
	c.call(c.main, "GET /auth/email", doc+"auth-verify-email", "&verificationtoken="+url.QueryEscape(m[1]), nil)
	c.call(c.main, "GET /auth/account/sendwelcomeemail", doc+"auth-send-welcome-email", "", nil, bearer...)
	c.nextMail()
	coded := c.format + "-signup-code@example.com"
	c.call(c.codes, "POST /auth/register", doc+"auth-user-registration-by-email", "",
		map[string]any{"Email": []map[string]string{{"Type": "Primary", "Value": coded}}, "Password": "conformance sign-up " + c.format})
	code := c.code(c.nextMail())
	c.call(c.codes, "PUT /auth/email", doc+"auth-verify-email-by-otp", "", map[string]string{"email": coded, "otp": code})
}

// driveVerificationManagement calls the management API's email
// verification routes (issue 20) to success on the main tenant: a
// verification token for an address signed up without an email (then
// verified by it), and the invalidation of that address with the
// verification email, whose link verifies it again; an address added by
// the main account's token bearer (POST /auth/email) and its email.
func (c *conformanceRun) driveVerificationManagement(bearer []string) {
	g := c.main
	pending := c.format + "-pending@example.com"
	wantPosted(c.t, "sign up without an email", g.do("POST", apiPrefix+"/auth/register?apikey="+g.key()+"&options=PreventVerificationEmail",
		map[string]any{"Email": []map[string]string{{"Type": "Primary", "Value": pending}}, "Password": "conformance pending " + c.format}))
	tok := c.call(g, "POST /manage/account/verify/token", "account/get-email-verification-token", secret(g), map[string]string{"email": pending})
	wantPosted(c.t, "verify by the management token", g.do("GET", apiPrefix+"/auth/email?apikey="+g.key()+"&verificationtoken="+url.QueryEscape(tok.str("VerificationToken")), nil))
	found := g.do("GET", apiPrefix+"/manage/account?apikey="+g.key()+secret(g)+"&email="+url.QueryEscape(pending), nil)
	if found.str("Uid") == "" {
		c.t.Fatalf("find the account: %d %s", found.status, found.raw)
	}
	c.call(g, "PUT /manage/account/{uid}/invalidateemail", "account/account-invalidate-verification-email",
		secret(g)+"&uid="+found.str("Uid")+"&verificationurl="+url.QueryEscape(resetOrigin+"/verify"), nil)
	m := verificationToken.FindStringSubmatch(c.nextMail())
	if m == nil {
		c.t.Fatal("no verification link in the invalidation's email")
	}
	wantPosted(c.t, "verify by the mailed link", g.do("GET", apiPrefix+"/auth/email?apikey="+g.key()+"&verificationtoken="+url.QueryEscape(m[1]), nil))
	c.call(g, "POST /auth/email", "authentication/auth-add-email", "", map[string]string{"email": c.format + "-added@example.com", "type": "Secondary"}, bearer...)
	c.nextMail()
}
