package pinauth

import (
	"net/url"
	"strings"
	"testing"
)

// pageHost is the host the reset tests' browser uses: its origin is one of
// the tenant's allowed_origins (newResetEnv), so reset links may land on
// the login page there.
const pageHost = "localhost:3000"

// linkIn returns the path and query of the reset link in an email, after
// checking it points to the login page at pageHost.
func linkIn(t *testing.T, text string) string {
	t.Helper()
	i := strings.Index(text, "http://"+pageHost+"/login/reset?")
	if i < 0 {
		t.Fatalf("no link to the login page in the email:\n%s", text)
	}
	raw := strings.Fields(text[i:])[0]
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u.RequestURI()
}

// TestLoginPageForgotPasswordMailsALinkToItsOwnPageThenLogsIn: the
// password form's "Forgot your password?" asks for the email, answers
// the same for an address without an account, and mails a link to the
// page itself; the landing page refuses a mismatched or too short
// password next to its field, saves a good one, logs in with it and
// continues into the first PIN, then back to the page first asked for.
func TestLoginPageForgotPasswordMailsALinkToItsOwnPageThenLogsIn(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t, withLoginPage())
	e.createAccount(testEmail, "")
	b := newBrowser(t, e.testEnv)
	b.host = pageHost

	login := b.get("/login?return=%2Fapp%2Fx")
	if !strings.Contains(login.body, `href="/login/forgot?return=%2fapp%2fx"`) {
		t.Fatalf("the password form has no forgot-password link keeping the return target:\n%s", login.body)
	}
	form := b.get("/login/forgot?return=%2Fapp%2Fx")
	ask := func(ident string) page {
		f := form.hidden()
		f.Set("identifier", ident)
		return b.post("/login/forgot", f)
	}
	unknown, known := ask("nobody@example.com"), ask(testEmail)
	if known.status != 200 || !strings.Contains(known.body, "Check your email") || known.body != unknown.body {
		t.Fatalf("forgot password: an account got %d, an unknown email %d, and the pages differ:\n%s\n---\n%s",
			known.status, unknown.status, known.body, unknown.body)
	}
	e.waitIdle()
	if n := len(e.smtp.Mails()); n != 1 {
		t.Fatalf("%d emails sent, want 1 (none for the unknown address)", n)
	}
	_, em := e.nthEmail(1)
	link := linkIn(t, em.Text)
	if !strings.Contains(link, "return=%2Fapp%2Fx") || !strings.Contains(link, "vtype=reset") {
		t.Fatalf("the link %q lacks the return target or its type", link)
	}

	landing := b.get(link)
	if landing.status != 200 || !strings.Contains(landing.body, `autocomplete="new-password"`) {
		t.Fatalf("landing page: %d\n%s", landing.status, landing.body)
	}
	mismatch := b.submit(landing, "/login/reset", "password", "a new password", "confirm", "another one")
	if mismatch.status != 400 || !strings.Contains(mismatch.body, `<p id="confirm-error" class="field-error">The two passwords are not the same.`) {
		t.Fatalf("mismatched passwords: %d, no error next to the second field:\n%s", mismatch.status, mismatch.body)
	}
	short := b.submit(mismatch, "/login/reset", "password", "short", "confirm", "short")
	if short.status != 403 || !strings.Contains(short.body, `<p id="password-error" class="field-error">The password must have 6 to 128 characters.`) ||
		!strings.Contains(short.body, `aria-describedby="password-hint password-error" aria-invalid="true"`) {
		t.Fatalf("short password: %d, no policy error next to the field:\n%s", short.status, short.body)
	}
	const newPassword = "a new password"
	setPIN := b.submit(short, "/login/reset", "password", newPassword, "confirm", newPassword)
	if setPIN.status != 200 || !strings.Contains(setPIN.body, `name="pinauthtoken"`) || !strings.Contains(setPIN.body, "Your new password is saved.") {
		t.Fatalf("after the reset: want the first-PIN form, got %d\n%s", setPIN.status, setPIN.body)
	}
	done := b.submit(setPIN, "/login/setpin", "pin", testPIN, "confirm", testPIN)
	if done.status != 303 || done.header.Get("Location") != "/app/x" {
		t.Fatalf("first PIN after the reset: %d to %q", done.status, done.header.Get("Location"))
	}
	// The link again, in another browser: it was used.
	other := newBrowser(t, e.testEnv)
	other.host = pageHost
	if again := other.submit(other.get(link), "/login/reset", "password", "yet another one", "confirm", "yet another one"); again.status != 403 ||
		!strings.Contains(again.body, "This link no longer works") || !strings.Contains(again.body, `href="/login/forgot?return=%2Fapp%2Fx"`) {
		t.Fatalf("a used link: %d\n%s", again.status, again.body)
	}
	if r := e.passwordLogin(testEmail, newPassword); r.status != 200 {
		t.Fatalf("API login with the new password: %d %s", r.status, r.raw)
	}
}

// TestLoginPageForgotPasswordNeedsItsOriginAllowed: a Host that is not
// one of the tenant's allowed origins gets no link, so a forged Host
// cannot have a working token mailed to a page of its choosing.
func TestLoginPageForgotPasswordNeedsItsOriginAllowed(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t, withLoginPage())
	e.createAccount(testEmail, "")
	b := newBrowser(t, e.testEnv)
	b.host = "evil.example.com"
	form := b.get("/login/forgot")
	f := form.hidden()
	f.Set("identifier", testEmail)
	r := b.post("/login/forgot", f)
	if r.status != 403 || strings.Contains(r.body, "Check your email") {
		t.Fatalf("forgot password on a foreign host: %d\n%s", r.status, r.body)
	}
	e.waitIdle()
	if n := len(e.smtp.Mails()); n != 0 {
		t.Fatalf("%d emails sent for a foreign host", n)
	}
}

// TestLoginPageSuspendLockIsLiftedByThePasswordReset: a suspended account
// reads how long the lock lasts and that a new password lifts it; the
// forgot-password link does, and the new password logs in at once.
func TestLoginPageSuspendLockIsLiftedByThePasswordReset(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t, withLoginPage())
	e.createAccount(testEmail, testPIN)
	b := newBrowser(t, e.testEnv)
	b.host = pageHost
	var locked page
	for range 5 {
		locked = b.passwordLogin("?return=%2Fapp%2Fz", testEmail, "not the password")
	}
	if locked.status != 403 || !strings.Contains(locked.alert(), "locked for 15 minutes") ||
		!strings.Contains(locked.alert(), "choose a new password now") || !strings.Contains(locked.body, `href="/login/forgot?return=%2fapp%2fz"`) {
		t.Fatalf("locked: %d %q", locked.status, locked.alert())
	}
	form := b.get("/login/forgot?return=%2Fapp%2Fz")
	if sent := b.submit(form, "/login/forgot", "identifier", testEmail); !strings.Contains(sent.body, "Check your email") {
		t.Fatalf("forgot password while locked: %d", sent.status)
	}
	_, em := e.nthEmail(1)
	landing := b.get(linkIn(t, em.Text))
	const newPassword = "a password after the lock"
	done := b.submit(landing, "/login/reset", "password", newPassword, "confirm", newPassword)
	if done.status != 303 || done.header.Get("Location") != "/app/z" {
		t.Fatalf("the reset did not log in past the lock: %d %q", done.status, done.alert())
	}
}

// TestLoginPageForgotPasswordByCodeWhenTheTenantMailsCodes: with
// password_reset_email otp the forgot form leads to a form for the mailed
// code and the new password; a wrong code is marked on its field, with
// the tries left before the lockout, the right one saves the password and logs in.
func TestLoginPageForgotPasswordByCodeWhenTheTenantMailsCodes(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t, withLoginPage(), func(c *Config) { c.Tenants[0].PasswordResetEmail = "otp" })
	e.createAccount(testEmail, testPIN)
	b := newBrowser(t, e.testEnv)
	form := b.submit(b.get("/login/forgot?return=%2Fapp%2Fc"), "/login/forgot", "identifier", testEmail)
	if form.status != 200 || !strings.Contains(form.body, `autocomplete="one-time-code"`) || !strings.Contains(form.body, "with a code") {
		t.Fatalf("forgot password by code: %d\n%s", form.status, form.body)
	}
	_, em := e.nthEmail(1)
	code := codeFrom(t, em.Text)
	const newPassword = "a password from a code"
	wrong := b.submit(form, "/login/reset", "otp", "000000", "password", newPassword, "confirm", newPassword)
	// A wrong code counts toward the account's lockout (5 tries): the
	// form says how many are left.
	if wrong.status != 403 || wrong.alert() != "That code is not right. Please check it and try again. You have 4 more tries before your account is locked." || !strings.Contains(wrong.body, `id="otp" name="otp" type="text" inputmode="numeric" autocomplete="one-time-code" required autofocus aria-invalid="true"`) {
		t.Fatalf("wrong code: %d %q\n%s", wrong.status, wrong.alert(), wrong.body)
	}
	done := b.submit(wrong, "/login/reset", "otp", code, "password", newPassword, "confirm", newPassword)
	if done.status != 303 || done.header.Get("Location") != "/app/c" {
		t.Fatalf("reset by code: %d %q", done.status, done.alert())
	}
}
