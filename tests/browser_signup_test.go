package tests

import (
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/pinauth/caddy-pinauth/pinauth/notifytest"
)

// The sign-up journeys' accounts and password.
const (
	signUpEmail         = "e2e-new@example.com"
	keyboardSignUpEmail = "e2e-keys@example.com"
	signUpPassword      = "e2e a password chosen at sign-up"
)

// startSignUpGateway is a gateway whose demo tenant serves open sign-up
// with a required first name, its verification links landing on the
// login page (its origin is allowed), with the local SMTP server; more
// are further lines of its registration block.
func startSignUpGateway(t *testing.T, more ...string) (*gateway, *notifytest.SMTPServer) {
	t.Helper()
	smtp := notifytest.NewSMTPServer(t, notifytest.SMTPOptions{Username: smtpUser, Password: smtpPass})
	sms := notifytest.NewSMSServer(t, smsSID, smsToken)
	g := startGateway(t, func(s *siteConfig) {
		block := "\n\t\t\t\trequired_fields FirstName"
		for _, m := range more {
			block += "\n\t\t\t\t" + m
		}
		s.TenantExtra = "allowed_origins " + baseURL(s.Port) + "\n\t\t\tregistration open {" + block + "\n\t\t\t}"
		s.Extra = senders(smtp, sms) + "\n\t\tlogin_page"
	})
	return g, smtp
}

// verificationLink waits for the n-th email and returns its link to the
// login page's verification.
func verificationLink(t *testing.T, g *gateway, smtp *notifytest.SMTPServer, n int) string {
	t.Helper()
	m := smtp.WaitMails(t, n, messageWait)[n-1]
	em, err := notifytest.ParseEmail(m.Data)
	if err != nil {
		t.Fatalf("parse the email: %v", err)
	}
	i := strings.Index(em.Text, g.base+"/login/verify?")
	if i < 0 {
		t.Fatalf("the email has no link to the login page's verification:\n%s", em.Text)
	}
	return strings.Fields(em.Text[i:])[0]
}

// uidOf reads the uid of the account of address by the management API.
func uidOf(t *testing.T, g *gateway, address string) string {
	t.Helper()
	r := g.do("GET", apiPrefix+"/manage/account?"+g.manage()+"&email="+url.QueryEscape(address), nil)
	if r.status != 200 || r.str("Uid") == "" {
		t.Fatalf("account of %s: %d %s", address, r.status, r.raw)
	}
	return r.str("Uid")
}

// TestBrowserSignUpVerifyAndLogInEndAtTheUpstream walks the sign-up in
// real Chromium against real Caddy: from the password form of an app
// page to the sign-up, a policy error next to its field, the sign-up,
// "check your email", the mail at the local SMTP server, its link opened
// in the browser (which verifies nothing by itself), the button, the
// password form with the address prefilled, the password, the first PIN
// and the app page. Each new page is screenshotted.
func TestBrowserSignUpVerifyAndLogInEndAtTheUpstream(t *testing.T) {
	requireChromium(t)
	t.Parallel()
	g, smtp := startSignUpGateway(t)
	b := screenshotTab(t, g.base, 420, 760)
	b.run(chromedp.Navigate(g.base + "/app/welcome"))
	b.waitURL("/login?return=%2Fapp%2Fwelcome")
	b.run(chromedp.Click(chromedp.CSS(`a[href^="/login/register?"]`)))
	b.run(chromedp.WaitVisible(chromedp.ID("field-firstname")))
	b.waitFocus("#email")
	b.shot("22-sign-up.png")
	b.run(chromedp.SendKeys(chromedp.ID("email"), signUpEmail),
		chromedp.SendKeys(chromedp.ID("password"), "short"),
		chromedp.SendKeys(chromedp.ID("confirm"), "short"),
		chromedp.SendKeys(chromedp.ID("field-firstname"), "Ada\r"))
	b.waitText("#password-error", "This password does not follow the rule: 6 to 128 characters.")
	b.waitFocus("#password")
	// The page keeps the address and the name, never a password.
	b.run(chromedp.SendKeys(chromedp.ID("password"), signUpPassword),
		chromedp.SendKeys(chromedp.ID("confirm"), signUpPassword+"\r"))
	b.waitText(".notice", "We have sent an email to "+signUpEmail)
	b.shot("23-sign-up-check-email.png")
	uid := uidOf(t, g, signUpEmail)
	if r := g.do("POST", apiPrefix+"/auth/login?apikey="+g.key(), map[string]string{"email": signUpEmail, "password": signUpPassword}); r.status != 403 || !strings.Contains(r.raw, `"ErrorCode":970`) {
		t.Fatalf("login before the verification: %d %s", r.status, r.raw)
	}

	b.run(chromedp.Navigate(verificationLink(t, g, smtp, 1)))
	b.run(chromedp.WaitVisible(chromedp.CSS(`form[action="/login/verify"] button`)))
	b.waitText("main", signUpEmail)
	b.shot("24-verify-email.png")
	if r := g.do("POST", apiPrefix+"/auth/login?apikey="+g.key(), map[string]string{"email": signUpEmail, "password": signUpPassword}); r.status != 403 {
		t.Fatalf("opening the link verified the email: login %d %s", r.status, r.raw)
	}
	b.run(chromedp.Click(chromedp.CSS(`form[action="/login/verify"] button`)))
	b.waitText(".notice", "Your email is verified. You can log in now.")
	b.waitURL("/login?identifier=" + url.QueryEscape(signUpEmail) + "&reason=emailverified&return=%2Fapp%2Fwelcome")
	if v := b.eval(`document.getElementById('identifier').value`); v != signUpEmail {
		t.Fatalf("the password form's address after the verification: %q", v)
	}
	b.shot("25-email-verified.png")
	b.run(chromedp.SendKeys(chromedp.ID("password"), signUpPassword+"\r"),
		chromedp.WaitVisible(chromedp.ID("confirm")),
		chromedp.SendKeys(chromedp.ID("pin"), pin),
		chromedp.SendKeys(chromedp.ID("confirm"), pin+"\r"))
	b.reachedAs(g, "/app/welcome", uid)
}

// TestBrowserSignUpWorksByKeyboardAloneAt320px signs up and verifies
// with the keyboard only, in a 320 px wide window: the form focuses the
// email, Tab moves through the fields in reading order to the button,
// Enter submits, a mismatch focuses the field it is about, the
// verification's button has the focus, and no page is wider than the
// screen.
func TestBrowserSignUpWorksByKeyboardAloneAt320px(t *testing.T) {
	requireChromium(t)
	t.Parallel()
	g, smtp := startSignUpGateway(t)
	b := screenshotTab(t, g.base, 320, 640)
	b.run(chromedp.Navigate(g.base + "/login/register?return=%2Fapp%2Fkeys"))
	b.run(chromedp.WaitVisible(chromedp.ID("email")))
	b.fits("the sign-up form", 320)
	b.waitFocus("#email")
	b.run(chromedp.KeyEvent(keyboardSignUpEmail), chromedp.KeyEvent("\t"))
	b.waitFocus("#password")
	b.run(chromedp.KeyEvent(signUpPassword), chromedp.KeyEvent("\t"))
	b.waitFocus("#confirm")
	b.run(chromedp.KeyEvent("a typo"), chromedp.KeyEvent("\t"))
	b.waitFocus("#field-firstname")
	b.run(chromedp.KeyEvent("Grace"), chromedp.KeyEvent("\t"))
	b.waitFocus(`button[type="submit"]`)
	b.run(chromedp.KeyEvent("\r"))
	b.waitText("#confirm-error", "The two passwords are not the same.")
	b.fits("the sign-up form with an error", 320)
	b.waitFocus("#confirm")
	b.run(chromedp.KeyEvent("\t", chromedp.KeyModifiers(chromedp.ModifierShift)))
	b.waitFocus("#password")
	b.run(chromedp.KeyEvent(signUpPassword), chromedp.KeyEvent("\t"))
	b.run(chromedp.KeyEvent(signUpPassword + "\r"))
	b.waitText(".notice", "We have sent an email to "+keyboardSignUpEmail)
	b.fits("check your email", 320)
	uid := uidOf(t, g, keyboardSignUpEmail)

	b.run(chromedp.Navigate(verificationLink(t, g, smtp, 1)))
	b.waitFocus(`form[action="/login/verify"] button`)
	b.fits("the verification", 320)
	b.run(chromedp.KeyEvent("\r"))
	b.waitText(".notice", "Your email is verified.")
	b.fits("the password form after the verification", 320)
	b.waitFocus("#identifier")
	b.run(chromedp.KeyEvent("\t"))
	b.waitFocus("#password")
	b.run(chromedp.KeyEvent(signUpPassword + "\r"))
	b.run(chromedp.WaitVisible(chromedp.ID("confirm")))
	b.waitFocus("#pin")
	b.run(chromedp.KeyEvent(pin), chromedp.KeyEvent("\t"), chromedp.KeyEvent(pin+"\r"))
	b.reachedAs(g, "/app/keys", uid)
}

// TestBrowserSignUpOffHasNoLinkAndNoPage: a tenant without sign-up shows
// no sign-up link in the browser and its sign-up path is the page's 404.
func TestBrowserSignUpOffHasNoLinkAndNoPage(t *testing.T) {
	requireChromium(t)
	t.Parallel()
	g := startGateway(t, func(s *siteConfig) { s.Extra = "login_page" })
	b := screenshotTab(t, g.base, 420, 720)
	b.run(chromedp.Navigate(g.base + "/login"))
	b.run(chromedp.WaitVisible(chromedp.ID("identifier")))
	if n := b.eval(`String(document.querySelectorAll('a[href*="/register"], a[href*="/resend"]').length)`); n != "0" {
		t.Fatalf("%s sign-up links with sign-up off", n)
	}
	if r := g.do("GET", "/login/register", nil); r.status != 404 {
		t.Fatalf("GET /login/register with sign-up off: %d", r.status)
	}
	b.run(chromedp.Navigate(g.base + "/login/register"))
	b.waitText("h1", "Page not found")
}
