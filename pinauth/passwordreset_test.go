package pinauth

import (
	"bytes"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/internal/lrfixture"
	"github.com/pinauth/caddy-pinauth/pinauth/captcha"
	"github.com/pinauth/caddy-pinauth/pinauth/config"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/lrimport"
	"github.com/pinauth/caddy-pinauth/pinauth/notify"
	"github.com/pinauth/caddy-pinauth/pinauth/recovery"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

// resetPasswordPage is the tests' resetpasswordurl, on an allowed origin.
const resetPasswordPage = appOrigin + "/account/reset-password?lang=en"

const newTestPassword = "a new password 42"

// forgotPassword calls POST /auth/password for email with query (which
// starts with "&").
func (e *resetEnv) forgotPassword(email, query string) response {
	e.t.Helper()
	return e.do("POST", api("auth/password")+query, map[string]string{"email": email})
}

// forgotPasswordTo asks for a password reset link to resetPasswordPage.
func (e *resetEnv) forgotPasswordTo(email string) response {
	e.t.Helper()
	return e.forgotPassword(email, "&resetpasswordurl="+url.QueryEscape(resetPasswordPage))
}

// resetPassword calls PUT /auth/password/reset.
func (e *resetEnv) resetPassword(token, password string) response {
	e.t.Helper()
	return e.do("PUT", api("auth/password/reset"), map[string]string{"resettoken": token, "password": password})
}

// importFixture imports a small LoginRadius export into the demo tenant:
// its accounts have no password and are marked NeedsSecretReset.
func (e *resetEnv) importFixture() {
	e.t.Helper()
	var buf bytes.Buffer
	if _, err := lrfixture.Write(&buf, 5, lrfixture.NDJSON); err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.gw.Admin().ImportLoginRadius(e.t.Context(), "demo", &buf, lrimport.Options{}); err != nil {
		e.t.Fatal(err)
	}
}

func TestForgotPasswordLetsAnImportedAccountSetItsPasswordOnce(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t, withWebhook)
	e.importFixture()
	email, uid := lrfixture.Email(1), lrfixture.UID(1)
	wantCode(t, "password login before the reset", e.passwordLogin(email, newTestPassword), 401, int(lrerr.CodeBadCredentials))

	r := e.forgotPasswordTo(strings.ToUpper(email))
	wantOK(t, "forgot password", r)
	if r.raw != `{"IsPosted":true}` {
		t.Fatalf("forgot answer: %s", r.raw)
	}
	m, em := e.nthEmail(1)
	if len(m.To) != 1 || m.To[0] != email {
		t.Fatalf("envelope to %v, want %s", m.To, email)
	}
	if em.Subject != "Reset your password" || em.ContentType != "multipart/alternative" {
		t.Fatalf("subject %q, type %q", em.Subject, em.ContentType)
	}
	token := tokenFrom(t, em)
	wantLink := appOrigin + "/account/reset-password?lang=en&vtoken=" + token + "&vtype=reset"
	if !strings.Contains(em.Text, wantLink) || !strings.Contains(em.HTML, `href="`+strings.ReplaceAll(wantLink, "&", "&amp;")+`"`) {
		t.Fatalf("the email does not link to %s:\ntext %s\nhtml %s", wantLink, em.Text, em.HTML)
	}
	if !strings.Contains(em.Text, "15 minutes") || !strings.Contains(em.Text, "password") {
		t.Fatalf("text: %s", em.Text)
	}
	if tok, found, _ := e.store.Token(t.Context(), store.TokenPasswordReset, secret.TokenHash(token)); !found || tok.UID != uid {
		t.Fatal("the reset token is not stored by its hash as a password reset token")
	}

	for _, short := range []string{"", "12345"} {
		r := e.resetPassword(token, short)
		wantCode(t, "a reset to a password of "+short, r, 403, int(lrerr.CodeValidation))
		if !strings.Contains(r.raw, `"FieldName":"Password"`) {
			t.Fatalf("policy error names no field: %s", r.raw)
		}
	}
	wantCode(t, "a reset to 129 characters", e.resetPassword(token, strings.Repeat("p", 129)), 403, int(lrerr.CodeValidation))
	wantOK(t, "reset password", e.resetPassword(token, newTestPassword))
	r = e.resetPassword(token, "yet another password")
	wantCode(t, "the token again", r, 403, int(lrerr.CodeParameterFormat))
	if r.str("Description") != recovery.DescResetTokenUsed {
		t.Fatalf("reused token: %s", r.raw)
	}

	a := e.account(uid)
	if a.NeedsSecretReset || a.PasswordHash == "" {
		t.Fatalf("after the reset: NeedsSecretReset %v, password set %v", a.NeedsSecretReset, a.PasswordHash != "")
	}
	// The demo tenant requires a PIN: the login asks for one.
	login := e.passwordLogin(email, newTestPassword)
	wantCode(t, "password login after the reset", login, 403, int(lrerr.CodePINRequired))
	pinAuth, _ := login.body["Data"].(map[string]any)["PINAuthToken"].(string)
	set := e.do("POST", api("auth/pin/set/pinauthtoken")+"&pinauthtoken="+url.QueryEscape(pinAuth), map[string]string{"pin": newTestPIN})
	wantOK(t, "set PIN", set)
	e.wantPINWith(email, newTestPassword, newTestPIN, testPIN)
	if n := e.countHook(uid, webhook.ResetPassword); n != 1 {
		t.Fatalf("ResetPassword events: %d", n)
	}
}

func TestResetPasswordEndsEverySessionAndClearsTheFailureCount(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t)
	login := e.loggedIn(testEmail)
	uid := uidOf(login)
	pin := e.pinLogin(login.str("session_token"), testPIN)
	wantOK(t, "PIN login", pin)
	access, refresh := pin.str("access_token"), pin.str("refresh_token")
	if r := e.protected(access); r.status != 200 {
		t.Fatalf("access token before the reset: %d %s", r.status, r.raw)
	}
	wantCode(t, "a wrong password", e.passwordLogin(testEmail, "wrong password"), 401, int(lrerr.CodeBadCredentials))
	if e.attempts(uid).Failures == 0 {
		t.Fatal("the wrong password was not counted")
	}

	wantOK(t, "forgot password", e.forgotPasswordTo(testEmail))
	_, em := e.nthEmail(1)
	wantOK(t, "reset password", e.resetPassword(tokenFrom(t, em), newTestPassword))

	if r := e.protected(access); r.status != 401 {
		t.Fatalf("the old access token still passes: %d %s", r.status, r.raw)
	}
	wantCode(t, "the old session token", e.pinLogin(login.str("session_token"), testPIN), 403, int(lrerr.CodeSessionTokenInvalid))
	wantCode(t, "the old refresh token", e.refresh(refresh), 403, int(lrerr.CodeRefreshTokenInvalid))
	if f := e.attempts(uid).Failures; f != 0 {
		t.Fatalf("failures after the reset: %d", f)
	}
	wantCode(t, "the old password", e.passwordLogin(testEmail, testPass), 401, int(lrerr.CodeBadCredentials))
	e.wantPINWith(testEmail, newTestPassword, testPIN, newTestPIN)
}

func TestPINAndPasswordResetTokensAreNotInterchangeable(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t)
	e.createAccount(testEmail, testPIN)
	wantOK(t, "forgot PIN", e.forgotByEmail(testEmail))
	_, pinMail := e.nthEmail(1)
	pinToken := tokenFrom(t, pinMail)
	wantOK(t, "forgot password", e.forgotPasswordTo(testEmail))
	_, pwMail := e.nthEmail(2)
	pwToken := tokenFrom(t, pwMail)

	r := e.resetPassword(pinToken, newTestPassword)
	wantCode(t, "a PIN reset token on the password reset", r, 403, int(lrerr.CodeParameterFormat))
	if r.str("Description") != recovery.DescResetTokenInvalid {
		t.Fatalf("PIN token on the password reset: %s", r.raw)
	}
	r = e.resetByToken(pwToken, newTestPIN)
	wantCode(t, "a password reset token on the PIN reset", r, 403, int(lrerr.CodeResetPINURLInvalid))
	if r.str("Description") != recovery.DescResetTokenInvalid {
		t.Fatalf("password token on the PIN reset: %s", r.raw)
	}
	// Neither attempt spent the other's token.
	wantOK(t, "reset password with its own token", e.resetPassword(pwToken, newTestPassword))
	// A password reset voids the account's other reset tokens.
	r = e.resetByToken(pinToken, newTestPIN)
	if r.str("Description") != recovery.DescResetTokenUsed {
		t.Fatalf("the PIN token after a password reset: %s", r.raw)
	}
}

func TestForgotPasswordDoesNotTellWhetherTheAccountExists(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t)
	e.createAccount(testEmail, testPIN)
	unknown := e.forgotPasswordTo("nobody@example.com")
	wantOK(t, "forgot password of an unknown email", unknown)
	e.waitIdle()
	if n := len(e.smtp.Mails()); n != 0 {
		t.Fatalf("%d emails sent for an unknown address", n)
	}
	known := e.forgotPasswordTo(testEmail)
	if known.status != unknown.status || known.raw != unknown.raw {
		t.Fatalf("answers differ: known %d %s, unknown %d %s", known.status, known.raw, unknown.status, unknown.raw)
	}
	e.nthEmail(1)
}

func TestPasswordResetRefusals(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t, func(c *Config) {
		c.Email.Limit = notify.SendLimit{PerIdentifier: 2, PerIP: 100, Window: time.Hour}
	})
	e.createAccount(testEmail, testPIN)
	for _, c := range []struct {
		what, query, desc string
	}{
		{"no resetpasswordurl", "", recovery.DescResetPasswordURLMissing},
		{"another origin", "&resetpasswordurl=" + url.QueryEscape("https://evil.example.net/reset"), recovery.DescResetPasswordURLInvalid},
		{"user info", "&resetpasswordurl=" + url.QueryEscape("https://x@app.example.com/reset"), recovery.DescResetPasswordURLInvalid},
		{"not http", "&resetpasswordurl=" + url.QueryEscape("javascript:alert(1)"), recovery.DescResetPasswordURLInvalid},
	} {
		r := e.forgotPassword(testEmail, c.query)
		wantCode(t, c.what, r, 403, int(lrerr.CodeParameterFormat))
		if r.str("Description") != c.desc {
			t.Fatalf("%s: %s", c.what, r.raw)
		}
	}
	r := e.do("POST", api("auth/password")+"&resetpasswordurl="+url.QueryEscape(resetPasswordPage), map[string]string{"phone": testPhone})
	wantCode(t, "no email", r, 403, int(lrerr.CodeValidation))
	wantCode(t, "no body", e.do("POST", api("auth/password"), nil), 400, int(lrerr.CodePostBodyInvalid))
	wantCode(t, "a key twice", e.do("POST", api("auth/password"), `{"email":"a@b.c","Email":"d@e.f"}`), 400, int(lrerr.CodePostBodyInvalid))
	if n := len(e.smtp.Mails()); n != 0 {
		t.Fatalf("refused calls sent %d emails", n)
	}

	// Sending limit per address (1122), the pin reset emails' limit.
	// Sent one after the other, so the second token replaces the first.
	wantOK(t, "forgot password", e.forgotPasswordTo(testEmail))
	_, first := e.nthEmail(1)
	wantOK(t, "forgot password again", e.forgotPasswordTo(testEmail))
	_, em := e.nthEmail(2)
	wantCode(t, "a third email", e.forgotPasswordTo(testEmail), 403, int(lrerr.CodeEmailLimit))
	token := tokenFrom(t, em)
	wantCode(t, "no reset token", e.resetPassword("", newTestPassword), 403, int(lrerr.CodeValidation))
	r = e.resetPassword("00000000-0000-4000-8000-000000000000", newTestPassword)
	wantCode(t, "an unknown token", r, 403, int(lrerr.CodeParameterFormat))
	if r.str("Description") != recovery.DescResetTokenInvalid {
		t.Fatalf("unknown token: %s", r.raw)
	}
	if r := e.resetPassword(tokenFrom(t, first), newTestPassword); r.str("Description") != recovery.DescResetTokenUsed {
		t.Fatalf("a token replaced by a newer one: %s", r.raw)
	}
	other := e.do("PUT", "/identity/v2/auth/password/reset?apikey="+otherKey, map[string]string{"resettoken": token, "password": newTestPassword})
	wantCode(t, "the token on another tenant", other, 403, int(lrerr.CodeParameterFormat))
	e.clock.Advance(config.DefaultResetTokenTTL)
	r = e.resetPassword(token, newTestPassword)
	wantCode(t, "an expired token", r, 403, int(lrerr.CodeParameterFormat))
	if r.str("Description") != recovery.DescResetTokenExpired {
		t.Fatalf("expired token: %s", r.raw)
	}
	e.wantPIN(testEmail, testPIN, newTestPIN)
}

func TestForgotPasswordWithoutEmailIsRefused(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, func(c *Config) { c.Tenants[0].AllowedOrigins = []string{appOrigin} })
	r := e.do("POST", api("auth/password")+"&resetpasswordurl="+url.QueryEscape(resetPasswordPage), map[string]string{"email": testEmail})
	wantCode(t, "forgot password without email", r, 403, int(lrerr.CodeParameterFormat))
}

func TestPasswordResetTemplateIsOverriddenByAFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "password_reset_link.subject.txt"), []byte("New password for {{.Tenant}}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	e := newResetEnv(t, func(c *Config) { c.Tenants[0].MessageTemplates = dir })
	e.createAccount(testEmail, testPIN)
	wantOK(t, "forgot password", e.forgotPasswordTo(testEmail))
	if _, em := e.nthEmail(1); em.Subject != "New password for demo" || !strings.Contains(em.HTML, "Choose a new password") {
		t.Fatalf("subject %q, html %s", em.Subject, em.HTML)
	}
}

func TestForgotPasswordByUserNameMailsThePrimaryAddress(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t)
	e.createPhoneAccount(testEmail, "alice", testPhone, testPIN)
	r := e.do("POST", api("auth/password")+"&resetpasswordurl="+url.QueryEscape(resetPasswordPage), map[string]string{"UserName": "Alice"})
	wantOK(t, "forgot password by username", r)
	m, em := e.nthEmail(1)
	if len(m.To) != 1 || m.To[0] != testEmail {
		t.Fatalf("envelope to %v", m.To)
	}
	wantOK(t, "reset password", e.resetPassword(tokenFrom(t, em), newTestPassword))
	e.wantPINWith(testEmail, newTestPassword, testPIN, newTestPIN)
}

func TestCaptchaAlwaysCoversTheForgotAndResetPasswordCalls(t *testing.T) {
	t.Parallel()
	fake := newFakeProvider(t, captcha.ReCAPTCHA, captchaSecret)
	e := newResetEnv(t, func(c *Config) {
		c.Captcha = &captcha.Config{Provider: captcha.ReCAPTCHA, Secret: captchaSecret, VerifyURL: fake.srv.URL, Always: true}
	})
	e.createAccount(testEmail, testPIN)
	withAnswer := func(body map[string]string, answer string) map[string]string {
		out := captchaAnswerFields(captcha.ReCAPTCHA, answer)
		for k, v := range body {
			out[k] = v
		}
		return out
	}
	forgot := api("auth/password") + "&resetpasswordurl=" + url.QueryEscape(resetPasswordPage)
	for _, addr := range []string{testEmail, "nobody@example.com"} {
		body := map[string]string{"email": addr}
		wantCode(t, "forgot password for "+addr+" without captcha", e.do("POST", forgot, body), 403, int(lrerr.CodeCaptchaInvalid))
		wantCode(t, "forgot password for "+addr+" with a rejected captcha", e.do("POST", forgot, withAnswer(body, answerBad)), 403, int(lrerr.CodeCaptchaInvalid))
		wantOK(t, "forgot password for "+addr+" with a solved captcha", e.do("POST", forgot, withAnswer(body, answerOK)))
	}
	_, em := e.nthEmail(1)
	reset := map[string]string{"resettoken": tokenFrom(t, em), "password": newTestPassword}
	wantCode(t, "reset password without captcha", e.do("PUT", api("auth/password/reset"), reset), 403, int(lrerr.CodeCaptchaInvalid))
	wantOK(t, "reset password with a solved captcha", e.do("PUT", api("auth/password/reset"), withAnswer(reset, answerOK)))
	e.waitIdle()
	if n := len(e.smtp.Mails()); n != 1 {
		t.Fatalf("%d emails sent, want 1", n)
	}
}
