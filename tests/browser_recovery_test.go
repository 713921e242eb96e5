package tests

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/pinauth/caddy-pinauth/pinauth/notifytest"
)

// The recovery journey's new password and PINs.
const (
	recoveredPassword = "e2e a password chosen after a reset"
	firstPagePIN      = "2468"
	linkPIN           = "3579"
	smsPIN            = "4826"
	answersPIN        = "5937"
)

// TestBrowserForgotPasswordAndForgotPINEachEndAtTheUpstream walks the
// login page's recovery journeys in real Chromium against real Caddy,
// with the local SMTP and SMS servers: a forgotten password (mail, the
// link landing on the page, a policy error next to its field, the new
// password, the first PIN, the upstream), then a forgotten PIN by a link,
// by a code by SMS and by the security answers, each back at the page
// first asked for. Each new page is screenshotted.
func TestBrowserForgotPasswordAndForgotPINEachEndAtTheUpstream(t *testing.T) {
	requireChromium(t)
	t.Parallel()
	smtp := notifytest.NewSMTPServer(t, notifytest.SMTPOptions{Username: smtpUser, Password: smtpPass})
	sms := notifytest.NewSMSServer(t, smsSID, smsToken)
	g := startGateway(t, func(s *siteConfig) {
		// Reset links land on the page itself: its origin is allowed.
		s.TenantExtra = "allowed_origins " + baseURL(s.Port) +
			"\n\t\t\tsecurity_question city Where were you born?\n\t\t\tsecurity_question pet Name of your first pet?"
		s.Extra = senders(smtp, sms) + "\n\t\tlogin_page"
	})
	r := g.do("POST", apiPrefix+"/manage/account?"+g.manage(), map[string]any{
		"Email":    []map[string]string{{"Type": "Primary", "Value": email}},
		"Password": password, "UserName": username, "PhoneId": phone,
	})
	if r.status != 200 {
		t.Fatalf("create account: %d %s", r.status, r.raw)
	}
	uid := r.str("Uid")
	b := screenshotTab(t, g.base, 420, 720)
	mails := 0
	nextLink := func(b *chrome) string {
		mails++
		m := smtp.WaitMails(b.t, mails, messageWait)[mails-1]
		em, err := notifytest.ParseEmail(m.Data)
		if err != nil {
			b.t.Fatalf("parse the email: %v", err)
		}
		i := strings.Index(em.Text, g.base+"/login/reset?")
		if i < 0 {
			b.t.Fatalf("the email has no link to the login page:\n%s", em.Text)
		}
		return strings.Fields(em.Text[i:])[0]
	}
	reachedUpstream := func(b *chrome) { b.reachedAs(g, "/app/recover", uid) }

	if !t.Run("forgot password, mail, new password, first PIN, upstream", func(t *testing.T) {
		b := b.in(t)
		b.run(chromedp.Navigate(g.base + "/app/recover"))
		b.waitURL("/login?return=%2Fapp%2Frecover")
		b.run(chromedp.Click(chromedp.CSS(`a[href^="/login/forgot?"]`)))
		b.run(chromedp.WaitVisible(chromedp.ID("identifier")))
		b.shot("09-forgot-password.png")
		b.run(chromedp.SendKeys(chromedp.ID("identifier"), email+"\r"))
		b.waitText("h1", "Check your email")
		b.shot("10-check-email.png")
		b.run(chromedp.Navigate(nextLink(b)))
		b.run(chromedp.WaitVisible(chromedp.ID("confirm")))
		b.run(chromedp.SendKeys(chromedp.ID("password"), "short"), chromedp.SendKeys(chromedp.ID("confirm"), "short\r"))
		b.waitText("#password-error", "6 to 128 characters")
		b.waitFocus("#password")
		b.shot("11-new-password-error.png")
		// The page never fills a password field back in.
		b.run(chromedp.SendKeys(chromedp.ID("password"), recoveredPassword),
			chromedp.SendKeys(chromedp.ID("confirm"), recoveredPassword+"\r"))
		b.run(chromedp.WaitReady(chromedp.CSS(`input[name="pinauthtoken"]`)))
		b.waitText(".notice", "Your new password is saved.")
		b.run(chromedp.SendKeys(chromedp.ID("pin"), firstPagePIN), chromedp.SendKeys(chromedp.ID("confirm"), firstPagePIN+"\r"))
		reachedUpstream(b)
	}) {
		return
	}

	// forgotPIN opens the PIN pad for /app/recover without the session
	// cookie and follows its "Forgot your PIN?" link.
	forgotPIN := func(b *chrome) {
		if _, err := chromedp.Call(b.ctx, network.DeleteCookies, network.DeleteCookiesParams{Name: browserSessionCookie, URL: g.base + "/"}); err != nil {
			b.t.Fatal(err)
		}
		b.run(chromedp.Navigate(g.base + "/app/recover"))
		b.run(chromedp.WaitVisible(chromedp.CSS(".keypad")))
		b.run(chromedp.Click(chromedp.CSS(`a[href^="/login/forgotpin"]`)))
		b.run(chromedp.WaitVisible(chromedp.CSS(`button[value="sms"]`)))
	}
	// withPassword finishes a PIN reset: the password once more.
	withPassword := func(b *chrome) {
		b.waitText(".notice", "Your new PIN is saved.")
		b.run(chromedp.SendKeys(chromedp.ID("password"), recoveredPassword+"\r"))
		reachedUpstream(b)
	}

	if !t.Run("forgot PIN by a link", func(t *testing.T) {
		b := b.in(t)
		forgotPIN(b)
		b.shot("12-forgot-pin.png")
		b.run(chromedp.Click(chromedp.CSS(`button[value="link"]`)))
		b.waitText("h1", "Check your email")
		b.run(chromedp.Navigate(nextLink(b)))
		b.run(chromedp.WaitVisible(chromedp.ID("confirm")))
		b.shot("13-new-pin.png")
		b.run(chromedp.SendKeys(chromedp.ID("pin"), linkPIN), chromedp.SendKeys(chromedp.ID("confirm"), linkPIN+"\r"))
		b.run(chromedp.WaitVisible(chromedp.ID("password")))
		b.shot("14-pin-saved.png")
		withPassword(b)
	}) {
		return
	}

	t.Run("forgot PIN by a code by SMS", func(t *testing.T) {
		b := b.in(t)
		forgotPIN(b)
		b.run(chromedp.Click(chromedp.CSS(`button[value="sms"]`)))
		b.run(chromedp.WaitVisible(chromedp.ID("otp")))
		b.shot("15-pin-code.png")
		code := sixDigitCode.FindStringSubmatch(sms.WaitMessages(t, 1, messageWait)[0].Body)
		if code == nil {
			t.Fatal("no code in the SMS")
		}
		b.run(chromedp.SendKeys(chromedp.ID("otp"), code[1]), chromedp.SendKeys(chromedp.ID("pin"), smsPIN),
			chromedp.SendKeys(chromedp.ID("confirm"), smsPIN+"\r"))
		withPassword(b)
	})

	t.Run("forgot PIN by the security answers", func(t *testing.T) {
		b := b.in(t)
		login := g.do("POST", apiPrefix+"/auth/login?apikey="+g.key(), map[string]string{"email": email, "password": recoveredPassword})
		set := g.do("PUT", apiPrefix+"/auth/account/2fa/securityquestionanswer?apikey="+g.key(),
			securityAnswers("city", "Lisbon"), withToken(login.str("access_token"))...)
		if set.status != 200 {
			t.Fatalf("set the answers: %d %s", set.status, set.raw)
		}
		forgotPIN(b)
		b.run(chromedp.Click(chromedp.CSS(`a[href^="/login/forgotpin?by=answers"]`)))
		b.run(chromedp.WaitVisible(chromedp.ID("answer-city")))
		b.shot("16-pin-answers.png")
		b.run(chromedp.SendKeys(chromedp.ID("answer-city"), "lisbon"), chromedp.SendKeys(chromedp.ID("pin"), answersPIN),
			chromedp.SendKeys(chromedp.ID("confirm"), answersPIN+"\r"))
		withPassword(b)
		// The device's new PIN unlocks the pad.
		if _, err := chromedp.Call(b.ctx, network.DeleteCookies, network.DeleteCookiesParams{Name: browserSessionCookie, URL: g.base + "/"}); err != nil {
			t.Fatal(err)
		}
		b.run(chromedp.Navigate(g.base + "/app/recover"))
		b.run(chromedp.WaitVisible(chromedp.ID("pin")), chromedp.SendKeys(chromedp.ID("pin"), answersPIN+"\r"))
		reachedUpstream(b)
	})
}

// screenshotTab starts Chromium for t and returns its first tab, width ×
// height, whose screenshots go to docs/screenshots with -screenshots (a
// temporary directory otherwise). The browser stops when t ends.
func screenshotTab(t *testing.T, base string, width, height int64) *chrome {
	t.Helper()
	shots := t.TempDir()
	if *screenshots {
		shots = filepath.Join("..", "docs", "screenshots")
	}
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	tab, cancelTab := newChromium(ctx, t)
	t.Cleanup(func() {
		cancelTab()
		cancel()
	})
	b := &chrome{t: t, ctx: tab, base: base, dir: shots}
	b.run(chromedp.EmulateViewport(width, height))
	return b
}

// reachedAs waits until the tab shows the upstream's answer for path and
// checks the upstream's last request for it came from account uid.
func (c *chrome) reachedAs(g *gateway, path, uid string) {
	c.t.Helper()
	c.waitURL(path)
	c.waitText("body", upstreamBody)
	last := ""
	for _, up := range g.up.requests() {
		if up.Path == path {
			last = up.Header.Get("X-Auth-Uid")
		}
	}
	if last != uid {
		c.t.Fatalf("the upstream saw %s for %q, want %s", path, last, uid)
	}
}
