package pinauth

import (
	"net/url"
	"strings"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/config"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// onThePage lets the tenant's verification links land on the login page:
// the tenant names no verification page of its own.
func onThePage(r *config.Registration) { r.VerificationURL = "" }

// verifyLinkIn returns the path and query of the verification link in an
// email, after checking it points to the login page at pageHost.
func verifyLinkIn(t *testing.T, text string) string {
	t.Helper()
	i := strings.Index(text, "http://"+pageHost+"/login/verify?")
	if i < 0 {
		t.Fatalf("no link to the login page's verification in the email:\n%s", text)
	}
	u, err := url.Parse(strings.Fields(text[i:])[0])
	if err != nil {
		t.Fatal(err)
	}
	return u.RequestURI()
}

// TestLoginPageSignUpVerifiesOnItsOwnPageThenLogsIn: the password form
// links to the sign-up; its own checks and the core's policy show next
// to their fields and create nothing; a sign-up creates the account
// unverified and mails a link to the page's verification, which a GET
// does not consume; the button verifies, the password form follows with
// the address prefilled and the return target kept, and the login goes
// on to the first PIN and the upstream. The link again says it no longer
// works, with the resend form.
func TestLoginPageSignUpVerifiesOnItsOwnPageThenLogsIn(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t, withLoginPage(), withWebhook, withRegistration(onThePage))
	b := newBrowser(t, e.testEnv)
	b.host = pageHost

	login := b.get("/login?return=%2Fapp%2Fdata")
	if !strings.Contains(login.body, `href="/login/register?return=%2fapp%2fdata"`) {
		t.Fatalf("the password form does not link to the sign-up: %s", login.body)
	}
	form := b.get("/login/register?return=%2Fapp%2Fdata")
	if form.status != 200 || form.hidden().Get("return") != "/app/data" || !strings.Contains(form.body, `id="password-hint" class="hint">6 to 128 characters.`) {
		t.Fatalf("sign-up form: %d %s", form.status, form.body)
	}
	differ := b.submit(form, "/login/register", "email", testEmail, "password", testPass, "confirm", "something else")
	if differ.status != 400 || !strings.Contains(differ.fieldErrorOf("confirm"), "not the same") {
		t.Fatalf("passwords that differ: %d %q", differ.status, differ.fieldErrorOf("confirm"))
	}
	short := b.submit(differ, "/login/register", "email", testEmail, "password", "abc", "confirm", "abc")
	if short.status != 403 || short.fieldErrorOf("password") != "This password does not follow the rule: 6 to 128 characters." ||
		!strings.Contains(short.body, `value="`+testEmail+`"`) {
		t.Fatalf("short password: %d %q", short.status, short.fieldErrorOf("password"))
	}
	if n, err := e.store.CountAccounts(t.Context(), "demo"); err != nil || n != 0 {
		t.Fatalf("accounts after refused sign-ups: %d, %v", n, err)
	}

	sent := b.submit(short, "/login/register", "email", testEmail, "password", testPass, "confirm", testPass)
	if sent.status != 200 || !strings.Contains(sent.body, "We have sent an email to "+testEmail) || !strings.Contains(sent.body, `action="/login/resend"`) {
		t.Fatalf("after the sign-up: %d %s", sent.status, sent.body)
	}
	a := e.accountOf(testEmail)
	if a.EmailVerified || a.PasswordHash == "" || strings.Contains(a.PasswordHash, testPass) {
		t.Fatalf("the new account: %+v", a)
	}
	if hooks := e.hooks(a.UID); len(hooks) != 1 || hooks[0] != "Register" {
		t.Fatalf("events %v, want Register", hooks)
	}
	_, em := e.nthEmail(1)
	link := verifyLinkIn(t, em.Text)
	if !strings.Contains(link, "return=%2Fapp%2Fdata") || !strings.Contains(link, "vtype=emailverification") {
		t.Fatalf("the link %q lacks the return target or its type", link)
	}
	if early := b.passwordLogin("", testEmail, testPass); early.status != 403 || !strings.Contains(early.alert(), "not verified yet") {
		t.Fatalf("login before the verification: %d %q", early.status, early.alert())
	}

	landing := b.get(link)
	if landing.status != 200 || !strings.Contains(landing.body, "Verify my email") || landing.hidden().Get("email") != testEmail {
		t.Fatalf("landing page: %d %s", landing.status, landing.body)
	}
	if e.account(a.UID).EmailVerified {
		t.Fatal("opening the link verified the email: a mail scanner would have")
	}
	done := b.submit(landing, "/login/verify")
	want := "/login?identifier=alice%40example.com&reason=emailverified&return=%2Fapp%2Fdata"
	if done.status != 303 || done.header.Get("Location") != want {
		t.Fatalf("verify: want 303 to %s, got %d %s %q", want, done.status, done.header.Get("Location"), done.alert())
	}
	if !e.account(a.UID).EmailVerified {
		t.Fatal("the button did not verify the email")
	}
	welcome := b.get(want)
	if !strings.Contains(welcome.body, "Your email is verified.") || !strings.Contains(welcome.body, `value="`+testEmail+`"`) {
		t.Fatalf("the password form after the verification: %s", welcome.body)
	}
	setPIN := b.submit(welcome, "/login", "identifier", testEmail, "password", testPass)
	if setPIN.status != 200 || !strings.Contains(setPIN.body, `name="pinauthtoken"`) {
		t.Fatalf("login after the verification: want the first PIN, got %d %q", setPIN.status, setPIN.alert())
	}
	in := b.submit(setPIN, "/login/setpin", "pin", testPIN, "confirm", testPIN)
	if in.status != 303 || in.header.Get("Location") != "/app/data" {
		t.Fatalf("first PIN: %d to %q", in.status, in.header.Get("Location"))
	}
	if up := b.get("/app/data"); up.status != 200 || up.body != "upstream" {
		t.Fatalf("upstream: %d %s", up.status, up.body)
	}

	other := newBrowser(t, e.testEnv)
	other.host = pageHost
	again := other.submit(other.get(link), "/login/verify")
	if again.status != 403 || !strings.Contains(again.body, "This link no longer works") ||
		!strings.Contains(again.body, `action="/login/resend"`) || !strings.Contains(again.body, `value="`+testEmail+`"`) {
		t.Fatalf("the used link: %d %s", again.status, again.body)
	}
}

// TestLoginPageSignUpRefusalsShowNextToTheirFields: the tenant's required
// field, an address that has an account (936, which the API says too),
// an address the invitation list lacks and a password outside the policy
// each show next to their field, in the form's language, and nothing is
// written or mailed.
func TestLoginPageSignUpRefusalsShowNextToTheirFields(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t, withLoginPage(), withRegistration(onThePage, func(r *config.Registration) {
		r.Mode, r.Invite = config.RegistrationInviteOnly, []string{"@example.com"}
		r.RequiredFields = []string{"FirstName"}
		r.PasswordMinLength, r.PasswordClasses = 10, 3
	}))
	e.createAccount("taken@example.com", testPIN)
	b := newBrowser(t, e.testEnv)
	b.host = pageHost
	form := b.get("/login/register")
	if !strings.Contains(form.body, `<label for="field-firstname">First name</label>`) ||
		!strings.Contains(form.body, "10 to 128 characters, mixing at least 3 of") {
		t.Fatalf("the form lacks the required field or the policy: %s", form.body)
	}
	strong := "Str0ng-enough"
	missing := b.submit(form, "/login/register", "email", "new@example.com", "password", "weakweakweak", "confirm", "weakweakweak")
	if missing.status != 403 || missing.fieldErrorOf("field-firstname") != "Fill in this field." ||
		!strings.HasPrefix(missing.fieldErrorOf("password"), "This password does not follow the rule: 10 to 128 characters, mixing at least 3") {
		t.Fatalf("missing first name, weak password: %d first name %q password %q", missing.status,
			missing.fieldErrorOf("field-firstname"), missing.fieldErrorOf("password"))
	}
	taken := b.submit(missing, "/login/register", "email", "taken@example.com", "password", strong, "confirm", strong, "field-firstname", "Bob")
	if taken.status != 403 || !strings.HasPrefix(taken.fieldErrorOf("email"), "An account with this email already exists.") ||
		!strings.Contains(taken.body, `value="Bob"`) {
		t.Fatalf("taken address: %d %q", taken.status, taken.fieldErrorOf("email"))
	}
	b.lang = "de"
	stranger := b.submit(taken, "/login/register", "email", "eve@elsewhere.org", "password", strong, "confirm", strong, "field-firstname", "Eve")
	if stranger.status != 403 || !strings.HasPrefix(stranger.fieldErrorOf("email"), "Diese Website ist nur auf Einladung") {
		t.Fatalf("uninvited address in German: %d %q", stranger.status, stranger.fieldErrorOf("email"))
	}
	if n, err := e.store.CountAccounts(t.Context(), "demo"); err != nil || n != 1 {
		t.Fatalf("accounts after refused sign-ups: %d, %v", n, err)
	}
	e.waitIdle()
	if n := len(e.smtp.Mails()); n != 0 {
		t.Fatalf("%d emails sent for refused sign-ups", n)
	}
}

// TestLoginPageResendAnswersAlikeAndMailsOnlyTheWaitingAddress: the resend
// form answers the same for an address that awaits verification and for
// one nobody signed up with, mails the first only, and the new link
// replaces the old one.
func TestLoginPageResendAnswersAlikeAndMailsOnlyTheWaitingAddress(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t, withLoginPage(), withRegistration(onThePage))
	b := newBrowser(t, e.testEnv)
	b.host = pageHost
	sent := b.submit(b.get("/login/register"), "/login/register", "email", testEmail, "password", testPass, "confirm", testPass)
	if sent.status != 200 {
		t.Fatalf("sign-up: %d %q", sent.status, sent.alert())
	}
	_, first := e.nthEmail(1)
	oldLink := verifyLinkIn(t, first.Text)
	form := b.get("/login/resend?email=" + url.QueryEscape(testEmail))
	if !strings.Contains(form.body, `value="`+testEmail+`"`) {
		t.Fatalf("the resend form does not prefill the address: %s", form.body)
	}
	ask := func(email string) page { return b.submit(form, "/login/resend", "email", email) }
	known, unknown := ask(testEmail), ask("nobody@example.com")
	norm := func(p page) string { return strings.ReplaceAll(p.body, "nobody@example.com", testEmail) }
	if known.status != 200 || !strings.Contains(known.body, "we have sent it a new link") || norm(known) != norm(unknown) {
		t.Fatalf("resend: %d and %d, pages differ:\n%s\n---\n%s", known.status, unknown.status, known.body, unknown.body)
	}
	e.waitIdle()
	if n := len(e.smtp.Mails()); n != 2 {
		t.Fatalf("%d emails, want 2 (none for the unknown address)", n)
	}
	_, second := e.nthEmail(2)
	if stale := b.submit(b.get(oldLink), "/login/verify"); stale.status != 403 || !strings.Contains(stale.body, "This link no longer works") {
		t.Fatalf("the replaced link: %d %q", stale.status, stale.alert())
	}
	if ok := b.submit(b.get(verifyLinkIn(t, second.Text)), "/login/verify"); ok.status != 303 {
		t.Fatalf("the new link: %d %q", ok.status, ok.alert())
	}
}

// TestLoginPageSignUpFollowsTheTenant: with sign-up off the password
// form has no link and every sign-up path answers 404 like an unknown
// page, for every method; a tenant with a verification page of its own
// gets its links there; the verification form needs its token, bound to
// the link's.
func TestLoginPageSignUpFollowsTheTenant(t *testing.T) {
	t.Parallel()
	off := newResetEnv(t, withLoginPage())
	b := newBrowser(t, off.testEnv)
	if login := b.get("/login"); strings.Contains(login.body, "/login/register") || strings.Contains(login.body, "/login/resend") {
		t.Fatalf("sign-up off, yet the password form links to it: %s", login.body)
	}
	unknown := b.get("/login/nothing")
	for _, path := range []string{"/login/register", "/login/resend", "/login/verify?vtoken=x"} {
		for _, method := range []string{"GET", "POST", "PUT"} {
			p := b.do(method, path, url.Values{"email": {testEmail}})
			if p.status != 404 || p.body != unknown.body {
				t.Errorf("%s %s with sign-up off: %d", method, path, p.status)
			}
		}
	}

	own := newResetEnv(t, withLoginPage(), withRegistration())
	ob := newBrowser(t, own.testEnv)
	ob.host = pageHost
	if s := ob.submit(ob.get("/login/register"), "/login/register", "email", testEmail, "password", testPass, "confirm", testPass); s.status != 200 {
		t.Fatalf("sign-up: %d %q", s.status, s.alert())
	}
	_, em := own.nthEmail(1)
	if !strings.Contains(em.Text, verifyPage+"?") || strings.Contains(em.Text, "/login/verify") {
		t.Fatalf("the tenant's own verification page is not the link's:\n%s", em.Text)
	}
	token := tokenFrom(t, em)
	landing := ob.get("/login/verify?vtype=emailverification&vtoken=" + url.QueryEscape(token))
	forged := landing.hidden()
	forged.Set("vtoken", "another token")
	if p := ob.post("/login/verify", forged); p.status != 403 || !strings.Contains(p.body, "This form has expired") {
		t.Fatalf("a form token for another link: %d %q", p.status, p.alert())
	}
	if p := ob.post("/login/verify", landing.hidden(), "Sec-Fetch-Site", "cross-site"); p.status != 403 || !strings.Contains(p.body, "This form has expired") {
		t.Fatalf("from another site: %d %q", p.status, p.alert())
	}
	uid, _, _ := own.store.NameOwner(t.Context(), "demo", store.NameOf(testEmail))
	if own.account(uid).EmailVerified {
		t.Fatal("a refused form verified the email")
	}
}
