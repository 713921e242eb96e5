package pinauth

import (
	"strings"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/captcha"
)

func TestLoginPageRendersTheCaptchaWidgetAndPassesItsAnswer(t *testing.T) {
	t.Parallel()
	e, fake, _ := captchaEnv(t, captcha.ReCAPTCHA, func(cc *captcha.Config) { cc.SiteKey = fakeSiteKey }, withLoginPage())
	e.createAccount(testEmail, testPIN)
	b := newBrowser(t, e)
	form := b.get("/login")
	if !strings.Contains(form.body, `class="captcha g-recaptcha" data-sitekey="`+fakeSiteKey+`"`) ||
		!strings.Contains(form.body, `src="https://www.google.com/recaptcha/api.js"`) {
		t.Fatalf("the password form lacks the reCAPTCHA widget:\n%s", form.body)
	}
	csp := form.header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self' https://www.google.com/recaptcha/") || !strings.Contains(csp, "frame-src https://www.google.com/recaptcha/") {
		t.Fatalf("CSP does not allow the widget: %s", csp)
	}
	if r := b.submit(form, "/login", "identifier", testEmail, "password", testPass); r.status != 403 ||
		!strings.Contains(r.body, "g-recaptcha") {
		t.Fatalf("login without the captcha: want 403 with the widget again, got %d %q", r.status, r.alert())
	}
	r := b.submit(b.get("/login"), "/login", "identifier", testEmail, "password", testPass, "g-recaptcha-response", answerOK)
	if r.status != 303 {
		t.Fatalf("login with a solved captcha: want 303, got %d %q", r.status, r.alert())
	}
	if reqs := fake.received(); len(reqs) != 1 || reqs[0].form.Get("response") != answerOK {
		t.Fatalf("provider requests = %+v, want the widget's answer once", reqs)
	}
}

func TestLoginPageShowsTheCaptchaOnlyOnceTheCoreAsksForIt(t *testing.T) {
	t.Parallel()
	e, _, _ := captchaEnv(t, captcha.HCaptcha, func(cc *captcha.Config) { cc.SiteKey = fakeSiteKey; cc.Always = false }, withLoginPage())
	e.createAccount(testEmail, testPIN)
	b := newBrowser(t, e)
	if form := b.get("/login"); strings.Contains(form.body, "h-captcha") {
		t.Fatal("the widget is shown before any failure")
	}
	var r page
	for i := 1; i <= 4; i++ {
		r = b.submit(b.get("/login"), "/login", "identifier", testEmail, "password", "wrong password")
	}
	if r.status != 403 || !strings.Contains(r.body, `class="captcha h-captcha" data-sitekey="`+fakeSiteKey+`"`) {
		t.Fatalf("fourth try (after 3 failures): want 403 with the hCaptcha widget, got %d %q", r.status, r.alert())
	}
}

func TestLoginPagePINPadShowsTheCaptchaWhenTheNextTryNeedsIt(t *testing.T) {
	t.Parallel()
	e, fake, _ := captchaEnv(t, captcha.HCaptcha, func(cc *captcha.Config) { cc.SiteKey = fakeSiteKey; cc.Always = false }, withLoginPage())
	e.createAccount(testEmail, testPIN)
	b := newBrowser(t, e)
	if r := b.passwordLogin("", testEmail, testPass); r.status != 303 {
		t.Fatalf("password login: %d %q", r.status, r.alert())
	}
	delete(b.cookies, sessionCookie)
	pad := b.get("/login")
	widget := `class="captcha h-captcha" data-sitekey="` + fakeSiteKey + `"`
	if strings.Contains(pad.body, widget) {
		t.Fatal("the PIN pad shows the captcha before any failure")
	}
	// After is 3 (lockout 5 minus 2): the third wrong PIN brings the
	// widget, and the pad then leaves submitting to the person.
	for i := 1; i <= 3; i++ {
		pad = b.submit(pad, "/login/pin", "pin", "9735")
		if got := strings.Contains(pad.body, widget); got != (i == 3) {
			t.Fatalf("wrong PIN %d: widget shown = %v, want %v (%q)", i, got, i == 3, pad.alert())
		}
	}
	if !strings.Contains(pad.alert(), "Please also complete the check below.") {
		t.Fatalf("the PIN pad does not say why the widget appeared: %q", pad.alert())
	}
	if !strings.Contains(pad.body, `src="https://js.hcaptcha.com/1/api.js"`) ||
		!strings.Contains(pad.header.Get("Content-Security-Policy"), "https://*.hcaptcha.com") {
		t.Fatal("the PIN pad's widget script or its CSP sources are missing")
	}
	// Without the captcha answer the core refuses and the widget stays.
	refused := b.submit(pad, "/login/pin", "pin", testPIN)
	if refused.status != 403 || !strings.Contains(refused.body, widget) || b.cookies[pinCookie] == "" {
		t.Fatalf("PIN without the captcha: %d %q, widget kept %v", refused.status, refused.alert(), strings.Contains(refused.body, widget))
	}
	in := b.submit(refused, "/login/pin", "pin", testPIN, "h-captcha-response", answerOK)
	if in.status != 303 {
		t.Fatalf("PIN with a solved captcha: %d %q", in.status, in.alert())
	}
	if reqs := fake.received(); len(reqs) != 1 || reqs[0].form.Get("response") != answerOK {
		t.Fatalf("provider requests = %+v, want the widget's answer once", reqs)
	}
}
