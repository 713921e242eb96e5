package tests

import (
	"net/url"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/pinauth/caddy-pinauth/pinauth/notifytest"
)

// codeSignUpEmail is the account of the sign-up by code.
const codeSignUpEmail = "e2e-code@example.com"

// verificationCode waits for the n-th email and returns the code in it,
// after checking it has no link to the login page.
func verificationCode(t *testing.T, g *gateway, smtp *notifytest.SMTPServer, n int) string {
	t.Helper()
	m := smtp.WaitMails(t, n, messageWait)[n-1]
	em, err := notifytest.ParseEmail(m.Data)
	if err != nil {
		t.Fatalf("parse the email: %v", err)
	}
	code := sixDigitCode.FindStringSubmatch(em.Text)
	if code == nil || strings.Contains(em.Text, g.base+"/login/verify") {
		t.Fatalf("the email has no code, or links to the page:\n%s", em.Text)
	}
	return code[1]
}

// TestBrowserSignUpByCodeVerifyAndLogInEndAtTheUpstream walks the
// sign-up of a tenant that mails codes in real Chromium against real
// Caddy, in a 320 px wide window, typing the code with the keyboard: from
// the password form of an app page to the sign-up, "check your email"
// with the code field focused (numeric, one-time-code), a wrong code said
// next to the field with the tries left (screenshotted), the code from the local SMTP server, the password
// form with the address prefilled, the password, the first PIN and the
// app page. No page is wider than the screen.
func TestBrowserSignUpByCodeVerifyAndLogInEndAtTheUpstream(t *testing.T) {
	requireChromium(t)
	t.Parallel()
	g, smtp := startSignUpGateway(t, "verification_email otp")
	b := screenshotTab(t, g.base, 320, 640)
	b.run(chromedp.Navigate(g.base + "/app/code"))
	b.waitURL("/login?return=%2Fapp%2Fcode")
	b.run(chromedp.Click(chromedp.CSS(`a[href^="/login/register?"]`)))
	b.run(chromedp.WaitVisible(chromedp.ID("field-firstname")))
	b.run(chromedp.SendKeys(chromedp.ID("email"), codeSignUpEmail),
		chromedp.SendKeys(chromedp.ID("password"), signUpPassword),
		chromedp.SendKeys(chromedp.ID("confirm"), signUpPassword),
		chromedp.SendKeys(chromedp.ID("field-firstname"), "Ada\r"))
	b.waitText(".notice", "We have sent an email with a code to "+codeSignUpEmail)
	b.waitFocus("#otp")
	b.fits("check your email, with the code field", 320)
	if attrs := b.eval(`(e => e.inputMode + " " + e.autocomplete)(document.getElementById('otp'))`); attrs != "numeric one-time-code" {
		t.Fatalf("the code field's inputmode and autocomplete: %q", attrs)
	}
	uid := uidOf(t, g, codeSignUpEmail)
	code := verificationCode(t, g, smtp, 1)

	// Seven digits: never the six-digit code.
	b.run(chromedp.KeyEvent("1234567\r"))
	// The code counts toward the lockout (5 tries): the page says so.
	b.waitText("#otp-error", "That code is not right. Please check it and try again. You have 4 more tries before your account is locked.")
	b.waitFocus("#otp")
	b.fits("a wrong code", 320)
	b.shot("26-sign-up-code.png")
	if r := g.do("POST", apiPrefix+"/auth/login?apikey="+g.key(), map[string]string{"email": codeSignUpEmail, "password": signUpPassword}); r.status != 403 || !strings.Contains(r.raw, `"ErrorCode":970`) {
		t.Fatalf("login after a wrong code: %d %s", r.status, r.raw)
	}
	b.run(chromedp.KeyEvent(code + "\r"))
	b.waitText(".notice", "Your email is verified. You can log in now.")
	b.waitURL("/login?identifier=" + url.QueryEscape(codeSignUpEmail) + "&reason=emailverified&return=%2Fapp%2Fcode")
	if v := b.eval(`document.getElementById('identifier').value`); v != codeSignUpEmail {
		t.Fatalf("the password form's address after the verification: %q", v)
	}
	b.run(chromedp.SendKeys(chromedp.ID("password"), signUpPassword+"\r"),
		chromedp.WaitVisible(chromedp.ID("confirm")),
		chromedp.SendKeys(chromedp.ID("pin"), pin),
		chromedp.SendKeys(chromedp.ID("confirm"), pin+"\r"))
	b.reachedAs(g, "/app/code", uid)
}
