package pinauth

import (
	"regexp"
	"strings"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/config"
)

// byCode makes the tenant mail verification codes instead of links.
func byCode(r *config.Registration) {
	r.VerificationURL, r.VerificationEmail = "", config.PINResetByOTP
}

var codeFormRE = regexp.MustCompile(`(?s)<form method="post" action="/login/verifycode".*?</form>`)

// codeForm is the "check your email" page p cut to its code form, so its
// hidden fields (the code form's CSRF token) are the ones submitted.
func codeForm(t *testing.T, p page) page {
	t.Helper()
	f := codeFormRE.FindString(p.body)
	if f == "" {
		t.Fatalf("no code form on the page (%d): %s", p.status, p.body)
	}
	return page{status: p.status, body: f}
}

// signUpByCode signs testEmail up on b's page and returns the "check
// your email" page and the code mailed (the nth email).
func signUpByCode(t *testing.T, e *resetEnv, b *browser, n int) (page, string) {
	t.Helper()
	sent := b.submit(b.get("/login/register?return=%2Fapp%2Fdata"), "/login/register",
		"email", testEmail, "password", testPass, "confirm", testPass)
	if sent.status != 200 || !strings.Contains(sent.body, "We have sent an email with a code to "+testEmail) {
		t.Fatalf("after the sign-up: %d %s", sent.status, sent.body)
	}
	_, em := e.nthEmail(n)
	if strings.Contains(em.Text, "/login/verify") {
		t.Fatalf("a code tenant's email links to the page:\n%s", em.Text)
	}
	return sent, codeFrom(t, em.Text)
}

// wrongCode is a code that is not code.
func wrongCode(code string) string {
	if code == "000000" {
		return "111111"
	}
	return "000000"
}

// TestLoginPageSignUpByCodeVerifiesOnTheCheckEmailPage: a tenant that
// mails codes links to the sign-up; after it the "check your email" page
// has a numeric one-time-code field; a wrong code is said next to it and
// counted like a wrong password; the right one verifies through PUT
// /auth/email and lands on the password form, address prefilled and the
// return target kept; the login goes on to the first PIN. The form is
// bound to its address and refused from another site.
func TestLoginPageSignUpByCodeVerifiesOnTheCheckEmailPage(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t, withLoginPage(), withRegistration(byCode))
	b := newBrowser(t, e.testEnv)
	b.host = pageHost
	if login := b.get("/login?return=%2Fapp%2Fdata"); !strings.Contains(login.body, `href="/login/register?return=%2fapp%2fdata"`) {
		t.Fatalf("a code tenant's password form does not link to the sign-up: %s", login.body)
	}
	sent, code := signUpByCode(t, e, b, 1)
	form := codeForm(t, sent)
	if !strings.Contains(form.body, `inputmode="numeric" autocomplete="one-time-code"`) || form.hidden().Get("email") != testEmail ||
		form.hidden().Get("return") != "/app/data" {
		t.Fatalf("the code form: %s", form.body)
	}
	uid := e.accountOf(testEmail).UID

	forged := form.hidden()
	forged.Set("email", "mallory@example.com")
	forged.Set("otp", code)
	if p := b.post("/login/verifycode", forged); p.status != 403 || !strings.Contains(p.body, "This form has expired") {
		t.Fatalf("a code form posted for another address: %d %q", p.status, p.alert())
	}
	right := form.hidden()
	right.Set("otp", code)
	if p := b.post("/login/verifycode", right, "Sec-Fetch-Site", "cross-site"); p.status != 403 || !strings.Contains(p.body, "This form has expired") {
		t.Fatalf("the code form from another site: %d %q", p.status, p.alert())
	}
	empty := b.submit(form, "/login/verifycode", "otp", " ")
	if empty.status != 400 || empty.fieldErrorOf("otp") != "Enter the code from the email." {
		t.Fatalf("no code: %d %q", empty.status, empty.fieldErrorOf("otp"))
	}
	wrong := b.submit(form, "/login/verifycode", "otp", wrongCode(code))
	if wrong.status != 403 || !strings.HasPrefix(wrong.fieldErrorOf("otp"), "That code is not right.") ||
		!strings.Contains(wrong.body, `aria-invalid="true" aria-describedby="otp-error"`) {
		t.Fatalf("a wrong code: %d %q", wrong.status, wrong.fieldErrorOf("otp"))
	}
	if n := e.attempts(uid).Failures; n != 1 {
		t.Fatalf("failures after a wrong code: %d, want 1", n)
	}
	if e.account(uid).EmailVerified {
		t.Fatal("a wrong code verified the email")
	}
	done := b.submit(codeForm(t, wrong), "/login/verifycode", "otp", code)
	want := "/login?identifier=alice%40example.com&reason=emailverified&return=%2Fapp%2Fdata"
	if done.status != 303 || done.header.Get("Location") != want {
		t.Fatalf("the right code: want 303 to %s, got %d %s %q", want, done.status, done.header.Get("Location"), done.alert())
	}
	if !e.account(uid).EmailVerified {
		t.Fatal("the right code did not verify the email")
	}
	again := b.submit(codeForm(t, wrong), "/login/verifycode", "otp", code)
	if again.status != 403 || !strings.HasPrefix(again.fieldErrorOf("otp"), "That code was used already") {
		t.Fatalf("the code again: %d %q", again.status, again.fieldErrorOf("otp"))
	}
	welcome := b.get(want)
	setPIN := b.submit(welcome, "/login", "identifier", testEmail, "password", testPass)
	if setPIN.status != 200 || !strings.Contains(setPIN.body, `name="pinauthtoken"`) {
		t.Fatalf("login after the verification: want the first PIN, got %d %q", setPIN.status, setPIN.alert())
	}
}

// TestLoginPageVerifyCodeExpiresAndTheResendSendsANewOne: an expired
// code is said next to the field; the resend mails a new code, whose
// page has the code form again, and the new code verifies.
func TestLoginPageVerifyCodeExpiresAndTheResendSendsANewOne(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t, withLoginPage(), withRegistration(byCode))
	b := newBrowser(t, e.testEnv)
	b.host = pageHost
	sent, code := signUpByCode(t, e, b, 1)
	e.clock.Advance(config.DefaultOTPTTL)
	expired := b.submit(codeForm(t, sent), "/login/verifycode", "otp", code)
	if expired.status != 403 || !strings.HasPrefix(expired.fieldErrorOf("otp"), "That code has expired.") {
		t.Fatalf("an expired code: %d %q", expired.status, expired.fieldErrorOf("otp"))
	}
	resent := b.submit(expired, "/login/resend", "email", testEmail)
	if resent.status != 200 || !strings.Contains(resent.body, "we have sent it a new code") {
		t.Fatalf("resend: %d %s", resent.status, resent.body)
	}
	_, em := e.nthEmail(2)
	fresh := codeFrom(t, em.Text)
	if ok := b.submit(codeForm(t, resent), "/login/verifycode", "otp", fresh); ok.status != 303 {
		t.Fatalf("the new code: %d %q", ok.status, ok.alert())
	}
	if !e.accountOf(testEmail).EmailVerified {
		t.Fatal("the new code did not verify the email")
	}
}

// TestLoginPageVerifyCodeCountsTowardTheLockout: wrong codes count like
// wrong passwords; once the account is locked the right code is refused
// with the lock's message and verifies nothing.
func TestLoginPageVerifyCodeCountsTowardTheLockout(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t, withLoginPage(), withRegistration(byCode), func(c *Config) { c.Lockout.Attempts = 3 })
	b := newBrowser(t, e.testEnv)
	b.host = pageHost
	sent, code := signUpByCode(t, e, b, 1)
	uid := e.accountOf(testEmail).UID
	form := codeForm(t, sent)
	for i := 1; i <= 3; i++ {
		wrong := b.submit(form, "/login/verifycode", "otp", wrongCode(code))
		// The third wrong code locks the account, and says so.
		if i < 3 && (wrong.status != 403 || !strings.HasPrefix(wrong.fieldErrorOf("otp"), "That code is not right.")) ||
			i == 3 && (wrong.status != 403 || !strings.HasPrefix(wrong.alert(), "Too many wrong attempts: your account is locked")) {
			t.Fatalf("wrong code %d: %d %q %q", i, wrong.status, wrong.fieldErrorOf("otp"), wrong.alert())
		}
		if n := e.attempts(uid).Failures; n != i {
			t.Fatalf("after %d wrong codes the failure count is %d", i, n)
		}
	}
	locked := b.submit(form, "/login/verifycode", "otp", code)
	if locked.status != 403 || !strings.HasPrefix(locked.alert(), "Too many wrong attempts: your account is locked") ||
		locked.fieldErrorOf("otp") != "" {
		t.Fatalf("the right code on a locked account: %d alert %q field %q", locked.status, locked.alert(), locked.fieldErrorOf("otp"))
	}
	if e.account(uid).EmailVerified {
		t.Fatal("a locked account's email was verified")
	}
}
