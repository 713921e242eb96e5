package tests

import (
	"net/url"
	"testing"
)

// conformanceLockSite is the Caddyfile of the gateway the unlock route is
// driven on: its lockout sets a captcha lock, which a solved captcha
// (verify, a local reCAPTCHA) lifts.
func conformanceLockSite(verifyURL string) func(*siteConfig) {
	const captchaSecret = "conformance-captcha-secret"
	return func(s *siteConfig) {
		s.Extra = "\t\tlockout 5 15m 15m captcha\n\t\tcaptcha recaptcha " + captchaSecret +
			" {\n\t\t\tverify_url " + verifyURL + "\n\t\t}\n" + noContention
	}
}

// startLockGateway starts the gateway of conformanceLockSite.
func startLockGateway(t *testing.T) *gateway {
	t.Helper()
	return startGateway(t, conformanceLockSite(fakeRecaptcha(t, "conformance-captcha-secret").URL))
}

// driveSelfService calls the account self-service routes (issue 20) to
// success: an account of g made for it asks for its deletion and the
// mailed token deletes it; on locks, an account captcha-locked by wrong
// PINs lifts its lock with a solved captcha (once per run: locks has one
// tenant).
func (c *conformanceRun) driveSelfService(g *gateway, pass string) {
	t := c.t
	const doc = "authentication/"
	mail := c.format + "-leaving@example.com"
	wantCreated(t, g.do("POST", apiPrefix+"/manage/account?apikey="+g.key()+secret(g), map[string]any{
		"Email": []map[string]string{{"Type": "Primary", "Value": mail}}, "Password": pass, "PINInfo": map[string]string{"PIN": pin}}))
	login := g.do("POST", apiPrefix+"/auth/login?apikey="+g.key(), map[string]string{"email": mail, "password": pass})
	if login.status != 200 {
		t.Fatalf("login of the leaving account: %d %s", login.status, login.raw)
	}
	c.call(g, "DELETE /auth/account", doc+"auth-delete-account-with-email-confirmation",
		"&deleteurl="+url.QueryEscape(resetOrigin+"/delete-account")+"&emailtemplate=LoginRadiusDelete", nil,
		withToken(login.str("access_token"))...)
	token := vtoken.FindStringSubmatch(c.nextMail())
	if token == nil {
		t.Fatal("no delete link in the email")
	}
	c.call(g, "GET /auth/account/delete", doc+"auth-delete-account", "&deletetoken="+token[1], nil)

	if c.locks == nil {
		return
	}
	l := c.locks
	login, _ = l.loggedIn()
	for i := 1; i <= 5; i++ {
		body := map[string]string{"pin": wrongPIN}
		if i > 3 {
			body = withCaptcha(body, "e2e-solved")
		}
		l.do("POST", apiPrefix+"/auth/login/pin?apikey="+l.key()+"&session_token="+login.str("session_token"), body).wantError(t, 401, 1236)
	}
	c.call(l, "PUT /auth/account/unlock", doc+"auth-unlock-account-by-access-token", "",
		withCaptcha(map[string]string{}, "e2e-solved"), withToken(login.str("access_token"))...)
}
