package pinauth

import (
	"strings"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/captcha"
)

// TestLoginPageVerifyCodeTakesTheCaptchaOfACaptchaAlwaysTenant: on a
// tenant whose captcha is always required, the "check your email"
// page's code form has the widget as its resend form does; a code
// posted without its answer is refused with the captcha error and
// verifies nothing, and with a solved one it verifies.
func TestLoginPageVerifyCodeTakesTheCaptchaOfACaptchaAlwaysTenant(t *testing.T) {
	t.Parallel()
	fake := newFakeProvider(t, captcha.ReCAPTCHA, captchaSecret)
	e := newResetEnv(t, withLoginPage(), withRegistration(byCode), func(c *Config) {
		c.Captcha = &captcha.Config{Provider: captcha.ReCAPTCHA, Secret: captchaSecret, VerifyURL: fake.srv.URL,
			SiteKey: fakeSiteKey, Always: true, Timeout: 2 * time.Second}
	})
	b := newBrowser(t, e.testEnv)
	b.host = pageHost
	sent := b.submit(b.get("/login/register"), "/login/register", "email", testEmail, "password", testPass,
		"confirm", testPass, "g-recaptcha-response", answerOK)
	if sent.status != 200 || !strings.Contains(sent.body, "We have sent an email with a code to "+testEmail) {
		t.Fatalf("after the sign-up: %d %q", sent.status, sent.alert())
	}
	_, em := e.nthEmail(1)
	code := codeFrom(t, em.Text)
	widget := `class="captcha g-recaptcha" data-sitekey="` + fakeSiteKey + `"`
	form := codeForm(t, sent)
	if !strings.Contains(form.body, widget) {
		t.Fatalf("the code form lacks the captcha widget: %s", form.body)
	}
	if n := strings.Count(sent.body, widget); n != 2 {
		t.Fatalf("the page has %d captcha widgets, want 2 (code and resend forms)", n)
	}
	uid := e.accountOf(testEmail).UID
	before := len(fake.received())

	refused := b.submit(form, "/login/verifycode", "otp", code)
	if refused.status != 403 || refused.alert() != "Please complete the check that shows you are not a robot, then try again." || refused.fieldErrorOf("otp") != "" {
		t.Fatalf("a code without the captcha: %d alert %q field %q", refused.status, refused.alert(), refused.fieldErrorOf("otp"))
	}
	if !strings.Contains(codeForm(t, refused).body, widget) {
		t.Fatalf("the refused page's code form lacks the widget: %s", refused.body)
	}
	if e.account(uid).EmailVerified {
		t.Fatal("a code without the captcha verified the email")
	}
	done := b.submit(codeForm(t, refused), "/login/verifycode", "otp", code, "g-recaptcha-response", answerOK)
	if done.status != 303 || !strings.Contains(done.header.Get("Location"), "reason=emailverified") {
		t.Fatalf("a code with a solved captcha: %d %s %q", done.status, done.header.Get("Location"), done.alert())
	}
	if !e.account(uid).EmailVerified {
		t.Fatal("a code with a solved captcha did not verify the email")
	}
	if reqs := fake.received()[before:]; len(reqs) != 1 || reqs[0].form.Get("response") != answerOK {
		t.Fatalf("provider requests for the code posts = %+v, want the widget's answer once", reqs)
	}
}
