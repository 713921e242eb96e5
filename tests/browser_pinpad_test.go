package tests

import (
	"context"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// TestBrowserPINPadKeepsThePhoneKeyboardAwayAt320px: on a 320 px touch
// screen the PIN field that has the on-screen pad asks for no keyboard
// of its own (inputmode none), so the phone's keyboard does not cover
// the pad; taps on the pad type digits; a digit typed on a hardware
// keyboard hides the pad and gives the field its numeric keyboard back,
// and the PIN typed that way still logs in.
func TestBrowserPINPadKeepsThePhoneKeyboardAwayAt320px(t *testing.T) {
	requireChromium(t)
	t.Parallel()
	g := startGateway(t, func(s *siteConfig) { s.Extra = "login_page" })
	g.createAccount(pin)
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	tab, cancelTab := newChromium(ctx, t)
	defer cancelTab()
	b := &chrome{t: t, ctx: tab, base: g.base, dir: t.TempDir()}
	b.run(chromedp.EmulateViewport(320, 640, chromedp.EmulateMobile, chromedp.EmulateTouch))
	b.run(chromedp.Navigate(g.base+"/login"), chromedp.WaitVisible(chromedp.ID("identifier")),
		chromedp.SendKeys(chromedp.ID("identifier"), email), chromedp.SendKeys(chromedp.ID("password"), password+"\r"))
	b.waitURL("/")
	if _, err := chromedp.Call(tab, network.DeleteCookies, network.DeleteCookiesParams{Name: browserSessionCookie, URL: g.base + "/"}); err != nil {
		t.Fatal(err)
	}
	b.run(chromedp.Navigate(g.base+"/app/pad"), chromedp.WaitVisible(chromedp.CSS(".keypad")))
	b.fits("the PIN pad", 320)
	if got := b.eval(`document.getElementById('pin').inputMode`); got != "none" {
		t.Fatalf("with the pad shown the PIN field asks for inputmode %q, want none", got)
	}
	b.run(chromedp.Tap(chromedp.CSS(`.keypad button[data-digit="`+pin[:1]+`"]`)),
		chromedp.Tap(chromedp.CSS(`.keypad button[data-digit="`+pin[1:2]+`"]`)))
	if got := b.eval(`document.getElementById('pin').value`); got != pin[:2] {
		t.Fatalf("after two taps the field holds %q, want %q", got, pin[:2])
	}
	b.run(chromedp.Focus(chromedp.ID("pin")), chromedp.KeyEvent(pin[2:3]))
	if !b.poll(`document.querySelector('.keypad').hidden && document.getElementById('pin').inputMode === 'numeric'`) {
		t.Fatalf("a typed digit left the pad shown (hidden %s, inputmode %s)",
			b.eval(`String(document.querySelector('.keypad').hidden)`), b.eval(`document.getElementById('pin').inputMode`))
	}
	// This device has not seen the PIN yet, so Enter submits it.
	b.run(chromedp.KeyEvent(pin[3:] + "\r"))
	b.waitURL("/app/pad")
	b.waitText("body", upstreamBody)
}

// TestBrowserNewPINIsTypedOnThePadAt320px: the form that sets a PIN (the
// first one, or a new one from a reset link) has the on-screen pad too,
// typing into the field last tapped, with no phone keyboard over it.
func TestBrowserNewPINIsTypedOnThePadAt320px(t *testing.T) {
	requireChromium(t)
	t.Parallel()
	g := startGateway(t, func(s *siteConfig) { s.Extra = "login_page" })
	g.createAccount("")
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	tab, cancelTab := newChromium(ctx, t)
	defer cancelTab()
	b := &chrome{t: t, ctx: tab, base: g.base, dir: t.TempDir()}
	b.run(chromedp.EmulateViewport(320, 640, chromedp.EmulateMobile, chromedp.EmulateTouch))
	b.run(chromedp.Navigate(g.base+"/app/new"), chromedp.WaitVisible(chromedp.ID("identifier")),
		chromedp.SendKeys(chromedp.ID("identifier"), email), chromedp.SendKeys(chromedp.ID("password"), password+"\r"))
	b.run(chromedp.WaitVisible(chromedp.CSS(".keypad")))
	b.fits("the new-PIN form with its pad", 320)
	if got := b.eval(`document.getElementById('pin').inputMode + ' ' + document.getElementById('confirm').inputMode`); got != "none none" {
		t.Fatalf("with the pad shown the PIN fields ask for inputmode %q, want none", got)
	}
	tapPIN := func() {
		for _, d := range pin {
			b.run(chromedp.Tap(chromedp.CSS(`.keypad button[data-digit="` + string(d) + `"]`)))
		}
	}
	tapPIN()
	b.run(chromedp.Tap(chromedp.ID("confirm")))
	tapPIN()
	if got := b.eval(`document.getElementById('pin').value + '/' + document.getElementById('confirm').value`); got != pin+"/"+pin {
		t.Fatalf("the pad typed %q, want %s/%s", got, pin, pin)
	}
	b.run(chromedp.Tap(chromedp.CSS(`button[type="submit"]`)))
	b.waitURL("/app/new")
	b.waitText("body", upstreamBody)
}
