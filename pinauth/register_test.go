package pinauth

import (
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/captcha"
	"github.com/pinauth/caddy-pinauth/pinauth/config"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// verifyPage is where the sign-up tests' verification links point.
const verifyPage = appOrigin + "/verify"

// withRegistration opens sign-up on the demo tenant, verification links
// to verifyPage; more adjusts the policy.
func withRegistration(more ...func(*config.Registration)) func(*Config) {
	return func(c *Config) {
		r := config.Registration{Mode: config.RegistrationOpen, VerificationURL: verifyPage}
		for _, m := range more {
			m(&r)
		}
		c.Tenants[0].Registration = r
	}
}

// register calls POST /auth/register with query (starting with "&").
func (e *resetEnv) register(body map[string]any, query string) response {
	e.t.Helper()
	return e.do("POST", api("auth/register")+query, body)
}

// signUp is a sign-up body for email with testPass and, when pin is not
// "", a PIN.
func signUp(email, pin string) map[string]any {
	b := map[string]any{"Email": []map[string]string{{"Type": "Primary", "Value": email}}, "Password": testPass, "FirstName": "Alice"}
	if pin != "" {
		b["PINInfo"] = map[string]any{"PIN": pin, "Skipped": false}
	}
	return b
}

// verifyByToken calls GET /auth/email with a verificationtoken.
func (e *resetEnv) verifyByToken(token string) response {
	e.t.Helper()
	return e.do("GET", api("auth/email")+"&verificationtoken="+url.QueryEscape(token), nil)
}

// accountOf reads the account of an email, failing when there is none.
func (e *resetEnv) accountOf(email string) store.Account {
	e.t.Helper()
	uid, taken, err := e.store.NameOwner(e.t.Context(), "demo", store.NameOf(email))
	if err != nil || !taken {
		e.t.Fatalf("no account has %s (err %v)", email, err)
	}
	return e.account(uid)
}

func TestSignUpIsOffByDefault(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t)
	wantCode(t, "register", e.register(signUp(testEmail, ""), "&verificationurl="+url.QueryEscape(verifyPage)), 403, int(lrerr.CodeResourceDisabled))
	wantCode(t, "register with captcha", e.do("POST", api("auth/register/captcha"), signUp(testEmail, "")), 403, int(lrerr.CodeResourceDisabled))
	wantCode(t, "resend", e.do("PUT", api("auth/register"), map[string]string{"email": testEmail}), 403, int(lrerr.CodeResourceDisabled))
	if n, err := e.store.CountAccounts(t.Context(), "demo"); err != nil || n != 0 {
		t.Fatalf("accounts after refused sign-ups: %d, %v", n, err)
	}
	e.waitIdle()
	if n := len(e.smtp.Mails()); n != 0 {
		t.Fatalf("%d emails sent", n)
	}
}

func TestSignUpVerifiesByLinkThenLogsInWithThePINSetAtSignUp(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t, withWebhook, withRegistration(func(r *config.Registration) { r.Welcome = true }))
	r := e.register(signUp(testEmail, testPIN), "")
	wantOK(t, "register", r)
	if r.raw != `{"IsPosted":true,"Data":null}` {
		t.Fatalf("register answered %s", r.raw)
	}
	a := e.accountOf(testEmail)
	if a.EmailVerified || a.PINHash == "" || a.PasswordHash == "" || strings.Contains(a.PasswordHash, testPass) || !a.Active {
		t.Fatalf("registered account: %+v", a)
	}
	wantCode(t, "login before verification", e.passwordLogin(testEmail, testPass), 403, int(lrerr.CodeEmailNotVerified))
	wantCode(t, "a wrong password before verification", e.passwordLogin(testEmail, "not the password"), 401, int(lrerr.CodeBadCredentials))

	m, em := e.nthEmail(1)
	if len(m.To) != 1 || m.To[0] != testEmail || !strings.Contains(em.Text, verifyPage+"?vtoken=") && !strings.Contains(em.Text, "vtype=emailverification") {
		t.Fatalf("verification email to %v:\n%s", m.To, em.Text)
	}
	token := tokenFrom(t, em)
	v := e.verifyByToken(token)
	wantOK(t, "verify", v)
	if v.raw != `{"IsPosted":true,"Data":null}` {
		t.Fatalf("verify answered %s", v.raw)
	}
	wantCode(t, "the link again", e.verifyByToken(token), 403, int(lrerr.CodeVerificationLinkUsed))
	if a = e.account(a.UID); !a.EmailVerified || !a.AddressVerified(testEmail) {
		t.Fatalf("after verification: %+v", a)
	}
	_, welcome := e.nthEmail(2)
	if !strings.Contains(welcome.Text, "Welcome") {
		t.Fatalf("second email is no welcome:\n%s", welcome.Text)
	}
	login := e.passwordLogin(testEmail, testPass)
	wantOK(t, "login after verification", login)
	if login.str("session_token") == "" {
		t.Fatalf("no PIN session: the PIN set at sign-up is not asked: %s", login.raw)
	}
	wantOK(t, "PIN login", e.pinLogin(login.str("session_token"), testPIN))
	hooks := e.hooks(a.UID)
	if !slices.Contains(hooks, "Register") || !slices.Contains(hooks, "EmailVerification") {
		t.Fatalf("events %v, want Register and EmailVerification", hooks)
	}
}

// TestSignUpWithoutPINSetsItAtFirstLogin: PINInfo {"PIN": "", "Skipped":
// true} is recorded (the profile's PIN.Skipped and SkippedDate), the first
// login still has a PIN set (the gateway's PIN is mandatory), and setting
// it clears the skip; a PIN given with Skipped true is set, not skipped.
func TestSignUpWithoutPINSetsItAtFirstLogin(t *testing.T) {
	t.Parallel()
	onBothStores(t, func(t *testing.T, e *resetEnv) {
		body := signUp(testEmail, "")
		body["PINInfo"] = map[string]any{"PIN": "", "Skipped": true}
		wantOK(t, "register", e.register(body, ""))
		uid := e.accountOf(testEmail).UID
		pinInfo := func() map[string]any {
			t.Helper()
			r := e.do("GET", manage("manage/account/"+uid), nil)
			wantOK(t, "profile", r)
			p, _ := r.body["PIN"].(map[string]any)
			return p
		}
		skippedAt := e.clock.Now().UTC().Format(lrprofile.TimeLayout)
		if p := pinInfo(); p["Skipped"] != true || p["SkippedDate"] != skippedAt {
			t.Fatalf("PIN after a skipped sign-up: %v; want Skipped true, SkippedDate %s", p, skippedAt)
		}
		e.clock.Advance(time.Minute)
		first := e.passwordLogin(testEmail, testPass)
		wantCode(t, "login of an unverified account the tenant lets in", first, 403, int(lrerr.CodePINRequired))
		data, _ := first.body["Data"].(map[string]any)
		tok, _ := data["PINAuthToken"].(string)
		wantOK(t, "set the first PIN", e.do("POST", api("auth/pin/set/pinauthtoken")+"&pinauthtoken="+tok, map[string]string{"PIN": testPIN}))
		if p := pinInfo(); p["Skipped"] != false || p["LastPINChangeDate"] != e.clock.Now().UTC().Format(lrprofile.TimeLayout) {
			t.Fatalf("PIN after the first PIN is set: %v; want Skipped false, changed now", p)
		}

		both := signUp("both@example.com", testPIN)
		both["PINInfo"] = map[string]any{"PIN": testPIN, "Skipped": true}
		wantOK(t, "register with a PIN and Skipped", e.register(both, ""))
		if a := e.accountOf("both@example.com"); a.PINSkipped || !a.PINSkippedAt.IsZero() || a.PINHash == "" {
			t.Fatalf("a PIN given with Skipped true: skipped %v at %v, PIN set %v; want the PIN set, no skip", a.PINSkipped, a.PINSkippedAt, a.PINHash != "")
		}
	}, withRegistration(func(r *config.Registration) { r.AllowUnverified = true }))
}

func TestSignUpRefusals(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t, withRegistration(func(r *config.Registration) {
		r.RequiredFields = []string{"FirstName"}
		r.PasswordMinLength, r.PasswordClasses = 10, 3
	}))
	e.createAccount("taken@example.com", testPIN)
	strong := "Str0ng-enough"
	ok := func(email string) map[string]any {
		b := signUp(email, "")
		b["Password"] = strong
		return b
	}
	wantCode(t, "an email another account has", e.register(ok("TAKEN@example.com"), ""), 403, int(lrerr.CodeEmailTaken))
	for name, c := range map[string]struct {
		change func(map[string]any)
		field  string
	}{
		"no email":           {func(b map[string]any) { delete(b, "Email") }, "Email"},
		"no password":        {func(b map[string]any) { delete(b, "Password") }, "Password"},
		"a short password":   {func(b map[string]any) { b["Password"] = "Ab1-x" }, "Password"},
		"two classes":        {func(b map[string]any) { b["Password"] = "alllowercase1" }, "Password"},
		"roles":              {func(b map[string]any) { b["Roles"] = []string{"admin"} }, "Roles"},
		"verified by itself": {func(b map[string]any) { b["EmailVerified"] = true }, "EmailVerified"},
		"a chosen uid":       {func(b map[string]any) { b["Uid"] = "0123456789abcdef0123456789abcdef" }, "Uid"},
		"a required field":   {func(b map[string]any) { delete(b, "FirstName") }, "FirstName"},
		"a weak PIN":         {func(b map[string]any) { b["PINInfo"] = map[string]string{"PIN": "1111"} }, "PINInfo.PIN"},
	} {
		b := ok("new@example.com")
		c.change(b)
		r := e.register(b, "")
		wantCode(t, name, r, 403, int(lrerr.CodeValidation))
		if !slices.Contains(fieldNames(r), c.field) {
			t.Errorf("%s: fields %v, want %s", name, fieldNames(r), c.field)
		}
	}
	wantCode(t, "a verificationurl off the allowed origins", e.register(ok("new@example.com"), "&verificationurl="+url.QueryEscape("https://evil.example.net/v")),
		403, int(lrerr.CodeParameterFormat))
	wantCode(t, "the captcha variant without a provider", e.do("POST", api("auth/register/captcha"), ok("new@example.com")), 403, int(lrerr.CodeResourceDisabled))
	if n, err := e.store.CountAccounts(t.Context(), "demo"); err != nil || n != 1 {
		t.Fatalf("accounts after refused sign-ups: %d, %v (want only the first)", n, err)
	}
	e.waitIdle()
	if n := len(e.smtp.Mails()); n != 0 {
		t.Fatalf("%d emails sent by refused sign-ups", n)
	}
	wantOK(t, "the same body with a good password", e.register(ok("new@example.com"), ""))
}

func TestSignUpByInvitationAdmitsListedAddressesAndDomains(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t, withRegistration(func(r *config.Registration) {
		r.Mode, r.Invite = config.RegistrationInviteOnly, []string{"Bob@Example.com", "@corp.example"}
	}))
	for _, c := range []struct {
		email string
		ok    bool
	}{{"bob@example.com", true}, {"carol@example.com", false}, {"dan@CORP.example", true}, {"eve@sub.corp.example", false}, {"corp.example@evil.example", false}} {
		r := e.register(signUp(c.email, ""), "")
		if c.ok {
			wantOK(t, c.email, r)
		} else {
			wantCode(t, c.email, r, 403, int(lrerr.CodeValidation))
		}
	}
}

func TestVerificationLinkRefusals(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t, withRegistration())
	wantOK(t, "register", e.register(signUp(testEmail, ""), ""))
	_, first := e.nthEmail(1)
	wantCode(t, "an unknown token", e.verifyByToken("00000000-0000-4000-8000-000000000000"), 403, int(lrerr.CodeVerificationLinkInvalid))
	wantOK(t, "resend", e.do("PUT", api("auth/register"), map[string]string{"email": testEmail}))
	_, second := e.nthEmail(2)
	wantCode(t, "the replaced link", e.verifyByToken(tokenFrom(t, first)), 403, int(lrerr.CodeVerificationLinkUsed))
	e.clock.Advance(25 * time.Hour)
	wantCode(t, "an expired link", e.verifyByToken(tokenFrom(t, second)), 403, int(lrerr.CodeVerificationLinkExpired))
	if e.accountOf(testEmail).EmailVerified {
		t.Fatal("a refused link verified the account")
	}
	wantCode(t, "a token of another tenant's key", e.do("GET", "/identity/v2/auth/email?apikey="+otherKey+"&verificationtoken="+tokenFrom(t, second), nil),
		403, int(lrerr.CodeVerificationLinkInvalid))
	// The same path still answers the availability check.
	if r := e.do("GET", api("auth/email")+"&email="+testEmail, nil); r.raw != `{"IsExist":true}` {
		t.Fatalf("availability: %s", r.raw)
	}
}

func TestResendTellsNothingAndMailsOnlyPendingAddresses(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t, withRegistration())
	made := e.do("POST", manage("manage/account"), map[string]any{
		"Email": []map[string]string{{"Type": "Primary", "Value": "verified@example.com"}}, "Password": testPass, "EmailVerified": true})
	wantOK(t, "create a verified account", made)
	a := e.account(made.str("Uid"))
	wantOK(t, "register", e.register(signUp(testEmail, ""), ""))
	e.nthEmail(1)
	for _, email := range []string{"nobody@example.com", "verified@example.com", testEmail} {
		r := e.do("PUT", api("auth/register"), map[string]string{"email": email})
		if r.raw != `{"IsPosted":true}` {
			t.Fatalf("resend for %s answered %s", email, r.raw)
		}
	}
	e.waitIdle()
	mails := e.smtp.Mails()
	if len(mails) != 2 || mails[1].To[0] != testEmail {
		t.Fatalf("resends sent %d emails, want one more to %s", len(mails), testEmail)
	}
	if e.account(a.UID).Version != a.Version {
		t.Fatal("a resend for a verified address changed its account")
	}
}

func TestSignUpVerifiesByCodeThroughTheCredentialGate(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t, withRegistration(func(r *config.Registration) { r.VerificationEmail = config.PINResetByOTP; r.VerificationURL = "" }))
	wantOK(t, "register without a verification page", e.register(signUp(testEmail, ""), ""))
	_, em := e.nthEmail(1)
	code := codeFrom(t, em.Text)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	put := func(email, otp string) response {
		return e.do("PUT", api("auth/email"), map[string]string{"email": email, "otp": otp})
	}
	wantCode(t, "a wrong code", put(testEmail, wrong), 403, int(lrerr.CodeOTPInvalid))
	wantCode(t, "an address nobody awaits", put("nobody@example.com", code), 403, int(lrerr.CodeOTPInvalid))
	wantCode(t, "no code", put(testEmail, ""), 403, int(lrerr.CodeValidation))
	if att := e.attempts(e.accountOf(testEmail).UID); att.Failures != 1 {
		t.Fatalf("failures counted: %d, want 1 (the wrong code)", att.Failures)
	}
	wantOK(t, "the code", put(strings.ToUpper(testEmail), code))
	wantCode(t, "the code again", put(testEmail, code), 403, int(lrerr.CodeOTPUsed))
	if !e.accountOf(testEmail).EmailVerified {
		t.Fatal("the code did not verify the account")
	}
	wantCode(t, "login without a PIN", e.passwordLogin(testEmail, testPass), 403, int(lrerr.CodePINRequired))
}

func TestSignUpWithCaptchaNeedsASolvedCaptchaWhateverThePolicy(t *testing.T) {
	t.Parallel()
	fake := newFakeProvider(t, captcha.ReCAPTCHA, captchaSecret)
	e := newResetEnv(t, withRegistration(), func(c *Config) {
		// After 3 failures: the policy alone would ask no captcha here.
		c.Captcha = &captcha.Config{Provider: captcha.ReCAPTCHA, Secret: captchaSecret, VerifyURL: fake.srv.URL, After: 3}
	})
	withAnswer := func(email, answer string) map[string]any {
		b := signUp(email, "")
		if answer != "" {
			b["g-recaptcha-response"] = answer
		}
		return b
	}
	path := api("auth/register/captcha")
	wantCode(t, "no captcha answer", e.do("POST", path, withAnswer(testEmail, "")), 403, int(lrerr.CodeCaptchaInvalid))
	wantCode(t, "a wrong answer", e.do("POST", path, withAnswer(testEmail, answerBad)), 403, int(lrerr.CodeCaptchaInvalid))
	wantOK(t, "a solved captcha", e.do("POST", path, withAnswer(testEmail, answerOK)))
	a := e.accountOf(testEmail)
	if _, stored := a.Profile["g-recaptcha-response"]; stored {
		t.Fatal("the captcha answer was stored in the profile")
	}
	if n := len(fake.received()); n != 2 {
		t.Fatalf("the provider verified %d answers, want 2 (the missing one costs none)", n)
	}
	wantOK(t, "the plain route passes the policy's gate", e.register(signUp("bob@example.com", ""), ""))
}
