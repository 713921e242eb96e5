package pinauth

import (
	"net/url"
	"strings"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

// storedPasswordHash reads an account's password hash from the store.
func (e *testEnv) storedPasswordHash(uid string) string {
	e.t.Helper()
	a, found, err := e.store.Account(e.t.Context(), "demo", uid)
	if err != nil || !found {
		e.t.Fatalf("read account %s: found %v, %v", uid, found, err)
	}
	return a.PasswordHash
}

// fieldErrorOf returns the text of the error shown next to input id, ""
// when there is none.
func (p page) fieldErrorOf(id string) string {
	_, rest, ok := strings.Cut(p.body, `<p id="`+id+`-error" class="field-error">`)
	if !ok {
		return ""
	}
	text, _, _ := strings.Cut(rest, "</p>")
	return text
}

// TestLoginPagePasswordChangeKeepsThisBrowserEndsTheOthersAndReturns: the
// signed-in page links to the change; the change runs the API's (its
// event, the other device's tokens refused at once, the old password
// refused, the new one accepted), and this browser stays logged in, its
// PIN pad still works, and the signed-in page says so with its way back
// to the page the browser came from.
func TestLoginPagePasswordChangeKeepsThisBrowserEndsTheOthersAndReturns(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, withLoginPage(), withWebhook)
	uid := e.createAccount(testEmail, testPIN)
	b := newBrowser(t, e)
	if in := b.passwordLogin("?return=%2Fapp%2Fdata", testEmail, testPass); in.status != 303 {
		t.Fatalf("password login: %d %q", in.status, in.alert())
	}
	laptop := e.passwordLogin(testEmail, testPass)
	wantOK(t, "the other device's login", laptop)
	wantOK(t, "the other device before the change (now cached)", e.protected(laptop.str("access_token")))

	signed := b.get("/login?return=%2Fapp%2Fdata")
	if !strings.Contains(signed.body, `href="/login/password?return=%2fapp%2fdata"`) {
		t.Fatalf("the signed-in page does not link to the password change: %s", signed.body)
	}
	form := b.get("/login/password?return=%2Fapp%2Fdata")
	if form.status != 200 || !strings.Contains(form.body, `id="current"`) || form.hidden().Get("return") != "/app/data" {
		t.Fatalf("password change form: %d %s", form.status, form.body)
	}
	done := b.submit(form, "/login/password", "current", testPass, "password", changedPass, "confirm", changedPass)
	if done.status != 303 || done.header.Get("Location") != "/login?reason=passwordchanged&return=%2Fapp%2Fdata" {
		t.Fatalf("change: want 303 to the signed-in page, got %d %s %q", done.status, done.header.Get("Location"), done.alert())
	}
	after := b.get(done.header.Get("Location"))
	if !strings.Contains(after.body, "Your new password is saved.") || !strings.Contains(after.body, `class="button primary" href="/app/data"`) {
		t.Fatalf("after the change: %s", after.body)
	}
	if up := b.get("/app/data"); up.status != 200 || up.body != "upstream" {
		t.Fatalf("this browser after the change: %d %s", up.status, up.body)
	}
	wantCode(t, "the other device's cached access token", e.protected(laptop.str("access_token")), 401, 905)
	wantCode(t, "the other device's refresh token", e.refresh(laptop.str("refresh_token")), 403, 1217)
	wantCode(t, "the old password", e.passwordLogin(testEmail, testPass), 401, 966)
	wantOK(t, "the new password", e.passwordLogin(testEmail, changedPass))
	if n := e.countHook(uid, webhook.ChangePassword); n != 1 {
		t.Errorf("events %v: want one ChangePassword", e.hooks(uid))
	}
	// This device's PIN session belongs to its login session, which stays.
	pad := newBrowser(t, e)
	pad.cookies[pinCookie] = b.cookies[pinCookie]
	if in := pad.submit(pad.get("/login"), "/login/pin", "pin", testPIN); in.status != 303 {
		t.Fatalf("this device's PIN pad after the change: %d %q", in.status, in.alert())
	}
}

// TestLoginPagePasswordChangeShowsEachFieldsErrorAndCountsWrongPasswords:
// the page's own checks (no current password, the two new ones differ)
// and the core's policy each show next to their field and cost no
// attempt; a wrong current password counts toward the lockout like a
// login and says how many tries are left, then the lock; nothing is
// changed by any of them. German gets German.
func TestLoginPagePasswordChangeShowsEachFieldsErrorAndCountsWrongPasswords(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, withLoginPage())
	uid := e.createAccount(testEmail, testPIN)
	hash := e.storedPasswordHash(uid)
	b := newBrowser(t, e)
	b.passwordLogin("", testEmail, testPass)
	form := b.get("/login/password")

	both := b.submit(form, "/login/password", "current", "", "password", changedPass, "confirm", "something else")
	if both.status != 400 || both.fieldErrorOf("current") != "Enter your current password." ||
		!strings.Contains(both.fieldErrorOf("confirm"), "not the same") || both.alert() != "Enter your current password." {
		t.Fatalf("no current password, new ones differ: %d alert %q, current %q, confirm %q", both.status, both.alert(),
			both.fieldErrorOf("current"), both.fieldErrorOf("confirm"))
	}
	if !strings.Contains(both.body, `id="current" name="current" type="password" autocomplete="current-password" required autofocus aria-invalid="true"`) {
		t.Errorf("the first field in error does not take the focus: %s", both.body)
	}
	short := b.submit(both, "/login/password", "current", testPass, "password", "abc", "confirm", "abc")
	if short.status != 403 || short.fieldErrorOf("password") != "The password must have 6 to 128 characters." || short.fieldErrorOf("current") != "" {
		t.Fatalf("short new password: %d, password %q, current %q", short.status, short.fieldErrorOf("password"), short.fieldErrorOf("current"))
	}
	if f := e.attempts(uid).Failures; f != 0 {
		t.Fatalf("input errors counted %d failures", f)
	}

	wrong := b.submit(short, "/login/password", "current", "not the password", "password", changedPass, "confirm", changedPass)
	if wrong.status != 401 || wrong.fieldErrorOf("current") != "Your current password is not right. You have 4 more tries before your account is locked." {
		t.Fatalf("wrong current password: %d %q", wrong.status, wrong.fieldErrorOf("current"))
	}
	b.lang = "de"
	de := b.submit(wrong, "/login/password", "current", "not the password", "password", changedPass, "confirm", changedPass)
	if got := de.fieldErrorOf("current"); got != "Ihr aktuelles Passwort stimmt nicht. Sie haben noch 3 Versuche, bevor Ihr Konto gesperrt wird." {
		t.Fatalf("German wrong current password: %q", got)
	}
	b.lang = ""
	last := de
	for range 3 {
		last = b.submit(last, "/login/password", "current", "not the password", "password", changedPass, "confirm", changedPass)
	}
	if !strings.Contains(last.fieldErrorOf("current"), "your account is locked for 15 minutes") {
		t.Fatalf("the fifth wrong current password: %d %q", last.status, last.fieldErrorOf("current"))
	}
	locked := b.submit(last, "/login/password", "current", testPass, "password", changedPass, "confirm", changedPass)
	if locked.status != 403 || !strings.Contains(locked.fieldErrorOf("current"), "locked") {
		t.Fatalf("the right password while locked: %d %q", locked.status, locked.fieldErrorOf("current"))
	}
	if e.storedPasswordHash(uid) != hash {
		t.Fatal("a refused change changed the password")
	}
}

// TestLoginPagePasswordChangeNeedsItsSessionAndTheFormsToken: without a
// session the page sends the browser to log in; a form without its token,
// from another origin, or with a token of another login session is
// refused; and an Authorization header the browser adds names no account:
// the change is always the cookie session's.
func TestLoginPagePasswordChangeNeedsItsSessionAndTheFormsToken(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, withLoginPage())
	uid := e.createAccount(testEmail, testPIN)
	other := e.createAccount("bob@example.com", testPIN)
	hash, otherHash := e.storedPasswordHash(uid), e.storedPasswordHash(other)

	anon := newBrowser(t, e)
	if p := anon.get("/login/password?return=%2Fapp%2Fdata"); p.status != 303 || p.header.Get("Location") != "/login?return=%2Fapp%2Fdata" {
		t.Fatalf("not signed in: want 303 to the login form, got %d %s", p.status, p.header.Get("Location"))
	}

	b := newBrowser(t, e)
	b.passwordLogin("", testEmail, testPass)
	form := b.get("/login/password")
	change := func(csrf string) url.Values {
		v := url.Values{"current": {testPass}, "password": {changedPass}, "confirm": {changedPass}}
		if csrf != "" {
			v.Set("csrf", csrf)
		}
		return v
	}
	bob := newBrowser(t, e)
	bob.passwordLogin("", "bob@example.com", testPass)
	// Bob's form token, made for Bob's session with Alice's nonce: what a
	// token planted by a sibling host's cookie would be.
	planted := &browser{t: t, e: e, cookies: map[string]string{sessionCookie: bob.cookies[sessionCookie], csrfCookie: b.cookies[csrfCookie]}}
	plantedToken := planted.get("/login/password").hidden().Get("csrf")
	for _, c := range []struct {
		name   string
		form   url.Values
		header []string
	}{
		{"no token", change(""), nil},
		{"a token of another session", change(plantedToken), nil},
		{"the logout form's token", change(b.get("/login/logout").hidden().Get("csrf")), nil},
		{"from another site", change(form.hidden().Get("csrf")), []string{"Sec-Fetch-Site", "same-site"}},
	} {
		if p := b.post("/login/password", c.form, c.header...); p.status != 403 || !strings.Contains(p.body, "This form has expired") {
			t.Errorf("%s: want the 403 page, got %d %q", c.name, p.status, p.alert())
		}
	}
	if e.storedPasswordHash(uid) != hash || e.attempts(uid).Failures != 0 {
		t.Fatal("a refused form changed the password or reached the credential check")
	}

	bobToken := e.passwordLogin("bob@example.com", testPass).str("access_token")
	p := b.post("/login/password", change(form.hidden().Get("csrf")), "Authorization", "Bearer "+bobToken)
	if p.status != 303 {
		t.Fatalf("the change: %d %q", p.status, p.alert())
	}
	if e.storedPasswordHash(uid) == hash || e.storedPasswordHash(other) != otherHash {
		t.Fatal("the change did not go to the cookie session's account alone")
	}
}
