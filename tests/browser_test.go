package tests

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// The login page's cookies with the default name (Secure, no domain).
const (
	browserSessionCookie = "__Host-pinauth"
	browserPINCookie     = "__Host-pinauth-pin"
)

// TestBrowserLoginPageFromPasswordToPINPadLockAndLogout drives the login
// page in real headless Chromium against real Caddy: first login with the
// password and a new PIN reaches the upstream; a new browser context with
// only the PIN-device cookie gets the PIN pad, whose keypad submits itself;
// five wrong PINs lock the account; logout sends the browser back to the
// login page. Each step is screenshotted.
func TestBrowserLoginPageFromPasswordToPINPadLockAndLogout(t *testing.T) {
	requireChromium(t)
	t.Parallel()
	g := startGateway(t, func(s *siteConfig) { s.Extra = "login_page" })
	uid := g.createAccount("")
	shots := t.TempDir()
	if *screenshots {
		shots = filepath.Join("..", "docs", "screenshots")
	}

	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	// The first tab starts the browser; later ones get fresh browser
	// contexts (separate cookie jars).
	first, cancelFirst := newChromium(ctx, t)
	defer cancelFirst()
	b := &chrome{t: t, ctx: first, base: g.base, dir: shots}
	b.run(chromedp.EmulateViewport(420, 640))

	t.Run("first login with password, set PIN, reach the upstream", func(t *testing.T) {
		b := b.in(t)
		b.run(chromedp.Navigate(g.base + "/app/data?x=1"))
		b.waitURL("/login?return=%2Fapp%2Fdata%3Fx%3D1")
		b.run(chromedp.WaitVisible(chromedp.ID("identifier")))
		b.shot("01-login.png")
		b.run(
			chromedp.SendKeys(chromedp.ID("identifier"), email),
			chromedp.SendKeys(chromedp.ID("password"), password),
			chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
			chromedp.WaitVisible(chromedp.ID("confirm")),
		)
		b.shot("02-set-pin.png")
		b.run(
			chromedp.SendKeys(chromedp.ID("pin"), pin),
			chromedp.SendKeys(chromedp.ID("confirm"), pin),
			chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		)
		b.waitURL("/app/data?x=1")
		b.waitText("body", upstreamBody)
		b.shot("03-upstream.png")
		seen := false
		for _, up := range g.up.requests() {
			// The browser also fetches /favicon.ico, with the cookies.
			if c := up.Header.Get("Cookie"); strings.Contains(c, "pinauth") {
				t.Fatalf("the gateway's cookies reached the upstream: %q", c)
			}
			if up.Path == "/app/data" && up.RawQuery == "x=1" {
				seen = true
				if got := up.Header.Get("X-Auth-Uid"); got != uid {
					t.Fatalf("upstream X-Auth-Uid = %q, want %s", got, uid)
				}
			}
		}
		if !seen {
			t.Fatal("the upstream never saw /app/data?x=1")
		}
	})

	device := b.cookie(browserPINCookie)
	if device == nil {
		t.Fatalf("no %s cookie after the first login", browserPINCookie)
	}
	if !device.HTTPOnly || !device.Secure || device.SameSite != network.CookieSameSiteLax || device.Path != "/" {
		t.Fatalf("PIN-device cookie attributes: HttpOnly %v, Secure %v, SameSite %s, Path %s",
			device.HTTPOnly, device.Secure, device.SameSite, device.Path)
	}
	if b.cookie(browserSessionCookie) == nil {
		t.Fatalf("no %s cookie after the first login", browserSessionCookie)
	}
	// The page's script cannot read them.
	visible := b.eval(`document.cookie`)
	if strings.Contains(visible, "pinauth") {
		t.Fatalf("document.cookie exposes the gateway's cookies: %q", visible)
	}

	var contexts []context.CancelFunc
	defer func() {
		for _, cancel := range contexts {
			cancel()
		}
	}()
	// withDevice opens a new browser context holding only the PIN-device
	// cookie, at the given viewport width. It lives until the whole test
	// ends; t is the (sub)test it reports to.
	withDevice := func(t *testing.T, width int64) *chrome {
		c, cancel := chromedp.NewContext(first, chromedp.WithNewBrowserContext())
		contexts = append(contexts, cancel)
		nb := &chrome{t: t, ctx: c, base: g.base, dir: shots}
		nb.run(chromedp.EmulateViewport(width, 640))
		yes := true
		if _, err := chromedp.Call(c, network.SetCookie, network.SetCookieParams{
			Name: device.Name, Value: device.Value, URL: g.base + "/", Path: "/",
			HTTPOnly: &yes, Secure: &yes, SameSite: network.CookieSameSiteLax,
		}); err != nil {
			t.Fatalf("set the PIN-device cookie: %v", err)
		}
		return nb
	}
	var loggedIn *chrome

	t.Run("new browser context with the PIN cookie gets the PIN pad only", func(t *testing.T) {
		nb := withDevice(t, 320)
		loggedIn = nb
		nb.run(chromedp.Navigate(g.base + "/app/data"))
		nb.waitURL("/login?return=%2Fapp%2Fdata")
		nb.run(chromedp.WaitVisible(chromedp.CSS(".keypad")))
		if nb.eval(`String(!!document.getElementById('password'))`) != "false" {
			t.Fatal("the PIN pad page also asks for the password")
		}
		nb.fits("the PIN pad", 320)
		nb.shot("04-pin-pad.png")
		// Tap the digits on the keypad: the fourth submits the form.
		for _, d := range pin {
			nb.run(chromedp.Click(chromedp.CSS(`.keypad button[data-digit="` + string(d) + `"]`)))
		}
		nb.waitURL("/app/data")
		nb.waitText("body", upstreamBody)
		n := 0
		for _, up := range g.up.requests() {
			if up.Path == "/app/data" {
				n++
				if got := up.Header.Get("X-Auth-Uid"); got != uid {
					t.Fatalf("upstream X-Auth-Uid after PIN login = %q, want %s", got, uid)
				}
			}
		}
		if n != 2 {
			t.Fatalf("the upstream saw /app/data %d times, want 2 (password login, PIN login)", n)
		}
	})

	t.Run("without JavaScript the PIN form still works", func(t *testing.T) {
		nb := withDevice(t, 420)
		if _, err := chromedp.Call(nb.ctx, emulation.SetScriptExecutionDisabled,
			emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
			t.Fatalf("disable JavaScript: %v", err)
		}
		nb.run(chromedp.Navigate(g.base + "/login?return=%2Fapp%2Fdata"))
		nb.run(chromedp.WaitVisible(chromedp.ID("pin")))
		if nb.eval(`String(document.querySelector('.keypad').hidden)`) != "true" {
			t.Fatal("the keypad shows without JavaScript, where it cannot work")
		}
		// Typing the whole PIN submits nothing by itself: Enter does.
		nb.run(chromedp.SendKeys(chromedp.ID("pin"), pin+"\r"))
		nb.waitURL("/app/data")
		nb.waitText("body", upstreamBody)
	})

	t.Run("five wrong PINs lock the account", func(t *testing.T) {
		nb := withDevice(t, 420)
		nb.run(chromedp.Navigate(g.base + "/login"))
		nb.run(chromedp.WaitVisible(chromedp.ID("pin")))
		for i, left := range []string{"4 more tries", "3 more tries", "2 more tries", "1 more try"} {
			nb.run(chromedp.SendKeys(chromedp.ID("pin"), "1357"))
			nb.waitText("#alert", "You have "+left)
			if i == 0 {
				nb.shot("05-wrong-pin.png")
			}
		}
		nb.run(chromedp.SendKeys(chromedp.ID("pin"), "1357"))
		nb.waitText("#alert", "your account is locked for 15 minutes")
		nb.run(chromedp.WaitVisible(chromedp.ID("identifier")))
		nb.shot("06-locked.png")
		if nb.cookie(browserPINCookie) != nil {
			t.Fatal("the lock left the PIN-device cookie in place")
		}
	})

	t.Run("logout sends the browser back to the login page", func(t *testing.T) {
		if loggedIn == nil {
			t.Skip("the PIN login step failed")
		}
		nb := loggedIn.in(t)
		nb.run(chromedp.Navigate(g.base + "/login/logout"))
		nb.run(chromedp.WaitVisible(chromedp.CSS(`form[action="/login/logout"] button`)))
		nb.shot("07-logout.png")
		nb.run(chromedp.Click(chromedp.CSS(`form[action="/login/logout"] button`)))
		nb.waitURL("/login?reason=loggedout")
		nb.run(chromedp.WaitVisible(chromedp.ID("identifier")))
		nb.waitText(".notice", "You have logged out.")
		nb.shot("08-logged-out.png")
		if nb.cookie(browserSessionCookie) != nil || nb.cookie(browserPINCookie) != nil {
			t.Fatal("logout left the gateway's cookies in the browser")
		}
		before := len(g.up.requests())
		nb.run(chromedp.Navigate(g.base + "/app/data"))
		nb.waitURL("/login?return=%2Fapp%2Fdata")
		if len(g.up.requests()) != before {
			t.Fatal("a request after logout reached the upstream")
		}
	})
}

// keyboardEmail is the account of the keyboard-only step: it has no PIN
// yet, so its first login goes through the set-PIN form.
const keyboardEmail = "keyboard@example.com"

// TestBrowserLoginFormsWorkByKeyboardAloneAt320px logs a new account in
// with the keyboard only, in a 320 px wide window: each form focuses its
// first field, Tab moves through the fields in reading order, Enter
// submits, and neither the password form nor the set-PIN form is wider
// than the screen.
func TestBrowserLoginFormsWorkByKeyboardAloneAt320px(t *testing.T) {
	requireChromium(t)
	t.Parallel()
	g := startGateway(t, func(s *siteConfig) { s.Extra = "login_page" })
	r := g.do("POST", apiPrefix+"/manage/account?"+g.manage(), map[string]any{
		"Email":    []map[string]string{{"Type": "Primary", "Value": keyboardEmail}},
		"Password": password, "UserName": "keyboard",
	})
	if r.status != 200 || r.str("Uid") == "" {
		t.Fatalf("create account: %d %s", r.status, r.raw)
	}
	uid := r.str("Uid")

	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()
	tab, cancelTab := newChromium(ctx, t)
	defer cancelTab()
	b := &chrome{t: t, ctx: tab, base: g.base, dir: t.TempDir()}
	b.run(chromedp.EmulateViewport(320, 640))

	b.run(chromedp.Navigate(g.base + "/app/keys"))
	b.waitURL("/login?return=%2Fapp%2Fkeys")
	b.run(chromedp.WaitVisible(chromedp.ID("identifier")))
	b.fits("the password form", 320)
	b.waitFocus("#identifier")
	b.run(chromedp.KeyEvent(keyboardEmail), chromedp.KeyEvent("\t"))
	b.waitFocus("#password")
	b.run(chromedp.KeyEvent(password), chromedp.KeyEvent("\t"))
	b.waitFocus(`button[type="submit"]`)
	// Back to the password field, and Enter there submits the form.
	b.run(chromedp.KeyEvent("\t", chromedp.KeyModifiers(chromedp.ModifierShift)))
	b.waitFocus("#password")
	b.run(chromedp.KeyEvent("\r"))

	b.run(chromedp.WaitVisible(chromedp.ID("confirm")))
	b.fits("the set-PIN form", 320)
	b.waitFocus("#pin")
	b.run(chromedp.KeyEvent(pin), chromedp.KeyEvent("\t"))
	b.waitFocus("#confirm")
	b.run(chromedp.KeyEvent(pin + "\r"))
	b.waitURL("/app/keys")
	b.waitText("body", upstreamBody)
	// Not the last request: the browser may fetch /favicon.ico after it.
	seen := false
	for _, up := range g.up.requests() {
		if up.Path == "/app/keys" {
			seen = true
			if got := up.Header.Get("X-Auth-Uid"); got != uid {
				t.Fatalf("the upstream saw /app/keys for %q, want %s", got, uid)
			}
		}
	}
	if !seen {
		t.Fatal("the upstream never saw /app/keys")
	}
}
