package pinauth

import (
	"strings"
	"testing"
)

func TestLoginPageRendersTheCaptchaWidgetAndPassesItsAnswer(t *testing.T) {
	t.Parallel()
	e, fake, _ := captchaEnv(t, CaptchaReCAPTCHA, func(cc *CaptchaConfig) { cc.SiteKey = fakeSiteKey }, withLoginPage())
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
	e, _, _ := captchaEnv(t, CaptchaHCaptcha, func(cc *CaptchaConfig) { cc.SiteKey = fakeSiteKey; cc.Always = false }, withLoginPage())
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
