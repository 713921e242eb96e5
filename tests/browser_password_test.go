package tests

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// The passwords the change journeys choose.
const (
	changedPagePassword  = "e2e a password changed on the page"
	keyboardPagePassword = "e2e a password changed by keyboard"
)

// TestBrowserPasswordChangeFromTheSignedInPageEndsAtTheUpstream walks the
// password change in real Chromium against real Caddy: logged in on its
// way to an app page, the browser opens the signed-in page, follows its
// link, gets a wrong current password next to its field, changes the
// password, is told so and continues to the app page still logged in,
// while the other device's token is refused and the new password logs in.
// Each new page is screenshotted.
func TestBrowserPasswordChangeFromTheSignedInPageEndsAtTheUpstream(t *testing.T) {
	requireChromium(t)
	t.Parallel()
	g := startGateway(t, func(s *siteConfig) { s.Extra = "login_page" })
	r := g.do("POST", apiPrefix+"/manage/account?"+g.manage(), map[string]any{
		"Email":    []map[string]string{{"Type": "Primary", "Value": email}},
		"Password": password,
	})
	if r.status != 200 {
		t.Fatalf("create account: %d %s", r.status, r.raw)
	}
	uid := r.str("Uid")
	b := screenshotTab(t, g.base, 420, 720)
	b.run(chromedp.Navigate(g.base + "/app/settings"))
	b.waitURL("/login?return=%2Fapp%2Fsettings")
	b.firstLogin()
	b.reachedAs(g, "/app/settings", uid)
	laptop := g.do("POST", apiPrefix+"/auth/login?apikey="+g.key(), map[string]string{"email": email, "password": password})
	if laptop.status != 200 {
		t.Fatalf("the other device's login: %d %s", laptop.status, laptop.raw)
	}
	if r := g.do("GET", "/app/settings", nil, withToken(laptop.str("access_token"))...); r.status != 200 {
		t.Fatalf("the other device's access token before the change: %d %s", r.status, r.raw)
	}

	b.run(chromedp.Navigate(g.base + "/login?return=%2Fapp%2Fsettings"))
	b.run(chromedp.Click(chromedp.CSS(`a[href^="/login/password?"]`)))
	b.run(chromedp.WaitVisible(chromedp.ID("current")))
	b.waitFocus("#current")
	b.shot("19-change-password.png")
	b.run(chromedp.SendKeys(chromedp.ID("current"), "not the password"),
		chromedp.SendKeys(chromedp.ID("password"), changedPagePassword),
		chromedp.SendKeys(chromedp.ID("confirm"), changedPagePassword+"\r"))
	b.waitText("#current-error", "Your current password is not right. You have 4 more tries")
	b.waitFocus("#current")
	b.shot("20-change-password-wrong.png")
	// The page never fills a password field back in.
	b.run(chromedp.SendKeys(chromedp.ID("current"), password),
		chromedp.SendKeys(chromedp.ID("password"), changedPagePassword),
		chromedp.SendKeys(chromedp.ID("confirm"), changedPagePassword+"\r"))
	b.waitText(".notice", "Your new password is saved. Your other devices were logged out.")
	b.shot("21-password-changed.png")
	b.run(chromedp.Click(chromedp.CSS(`a.button.primary`)))
	b.reachedAs(g, "/app/settings", uid)

	if r := g.do("GET", "/app/settings", nil, withToken(laptop.str("access_token"))...); r.status != 401 {
		t.Fatalf("the other device's access token after the change: %d %s", r.status, r.raw)
	}
	if r := g.do("POST", apiPrefix+"/auth/login?apikey="+g.key(), map[string]string{"email": email, "password": password}); r.status != 401 {
		t.Fatalf("the old password after the change: %d %s", r.status, r.raw)
	}
	if r := g.do("POST", apiPrefix+"/auth/login?apikey="+g.key(), map[string]string{"email": email, "password": changedPagePassword}); r.status != 200 {
		t.Fatalf("the new password after the change: %d %s", r.status, r.raw)
	}
}

// TestBrowserPasswordChangeWorksByKeyboardAloneAt320px changes the
// password with the keyboard only, in a 320 px wide window: the form
// focuses the current password, Tab moves through the three fields in
// reading order to the button, Enter submits, a mismatch focuses the
// field it is about, and no page is wider than the screen.
func TestBrowserPasswordChangeWorksByKeyboardAloneAt320px(t *testing.T) {
	requireChromium(t)
	t.Parallel()
	g := startGateway(t, func(s *siteConfig) { s.Extra = "login_page" })
	r := g.do("POST", apiPrefix+"/manage/account?"+g.manage(), map[string]any{
		"Email":    []map[string]string{{"Type": "Primary", "Value": email}},
		"Password": password,
	})
	if r.status != 200 {
		t.Fatalf("create account: %d %s", r.status, r.raw)
	}
	uid := r.str("Uid")
	b := screenshotTab(t, g.base, 320, 640)
	b.run(chromedp.Navigate(g.base + "/app/keys"))
	b.firstLogin()
	b.reachedAs(g, "/app/keys", uid)

	b.run(chromedp.Navigate(g.base + "/login/password?return=%2Fapp%2Fkeys"))
	b.run(chromedp.WaitVisible(chromedp.ID("current")))
	b.fits("the password change form", 320)
	b.waitFocus("#current")
	b.run(chromedp.KeyEvent(password), chromedp.KeyEvent("\t"))
	b.waitFocus("#password")
	b.run(chromedp.KeyEvent(keyboardPagePassword), chromedp.KeyEvent("\t"))
	b.waitFocus("#confirm")
	b.run(chromedp.KeyEvent("a typo"), chromedp.KeyEvent("\t"))
	b.waitFocus(`button[type="submit"]`)
	b.run(chromedp.KeyEvent("\r"))
	b.waitText("#confirm-error", "The two passwords are not the same.")
	b.fits("the password change form with an error", 320)
	b.waitFocus("#confirm")
	b.run(chromedp.KeyEvent("\t", chromedp.KeyModifiers(chromedp.ModifierShift)),
		chromedp.KeyEvent("\t", chromedp.KeyModifiers(chromedp.ModifierShift)))
	b.waitFocus("#current")
	b.run(chromedp.KeyEvent(password), chromedp.KeyEvent("\t"))
	b.run(chromedp.KeyEvent(keyboardPagePassword), chromedp.KeyEvent("\t"))
	b.run(chromedp.KeyEvent(keyboardPagePassword + "\r"))
	b.waitText(".notice", "Your new password is saved.")
	b.fits("the signed-in page after the change", 320)
	b.waitFocus("body")
	b.run(chromedp.KeyEvent("\t"))
	b.waitFocus(`a.button.primary`)
	b.run(chromedp.KeyEvent("\r"))
	b.reachedAs(g, "/app/keys", uid)
}
