package tests

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/pinauth/caddy-pinauth/pinauth/notifytest"
)

// TestBrowserLockedAccountRecoversByPasswordReset: five wrong passwords
// lock the account; the page says for how long in words and until when,
// and offers the password reset, which lifts the lock: the new password
// reaches the upstream at once, in real Chromium against real Caddy.
func TestBrowserLockedAccountRecoversByPasswordReset(t *testing.T) {
	requireChromium(t)
	t.Parallel()
	smtp := notifytest.NewSMTPServer(t, notifytest.SMTPOptions{Username: smtpUser, Password: smtpPass})
	sms := notifytest.NewSMSServer(t, smsSID, smsToken)
	g := startGateway(t, func(s *siteConfig) {
		s.TenantExtra = "allowed_origins " + baseURL(s.Port)
		s.Extra = senders(smtp, sms) + "\n\t\tlogin_page"
	})
	uid := g.createAccount(pin)
	b := screenshotTab(t, g.base, 420, 720)
	b.run(chromedp.Navigate(g.base+"/app/locked"), chromedp.WaitVisible(chromedp.ID("identifier")))
	for _, after := range []string{"4 more tries", "3 more tries", "2 more tries", "1 more try", "locked for 15 minutes, until "} {
		// The identifier stays filled in after an error.
		if !b.poll(`(document.getElementById('identifier').value = '') === ''`) {
			t.Fatal("could not clear the identifier")
		}
		b.run(chromedp.SendKeys(chromedp.ID("identifier"), email), chromedp.SendKeys(chromedp.ID("password"), "not the password\r"))
		b.waitText("#alert", after)
	}
	b.waitText("#alert", "locked for 15 minutes, until ")
	b.waitText("#alert", "choose a new password now")
	b.shot("18-locked-offers-reset.png")
	b.run(chromedp.Click(chromedp.CSS(`a[href^="/login/forgot?"]`)), chromedp.WaitVisible(chromedp.ID("identifier")))
	b.run(chromedp.SendKeys(chromedp.ID("identifier"), email+"\r"))
	b.waitText("h1", "Check your email")
	em, err := notifytest.ParseEmail(smtp.WaitMails(t, 1, messageWait)[0].Data)
	if err != nil {
		t.Fatal(err)
	}
	i := strings.Index(em.Text, g.base+"/login/reset?")
	if i < 0 {
		t.Fatalf("no link to the page in the email:\n%s", em.Text)
	}
	b.run(chromedp.Navigate(strings.Fields(em.Text[i:])[0]), chromedp.WaitVisible(chromedp.ID("confirm")))
	b.run(chromedp.SendKeys(chromedp.ID("password"), recoveredPassword), chromedp.SendKeys(chromedp.ID("confirm"), recoveredPassword+"\r"))
	b.reachedAs(g, "/app/locked", uid)
}
