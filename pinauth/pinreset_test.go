package pinauth

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/notify"
	"github.com/pinauth/caddy-pinauth/pinauth/recovery"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

func TestForgotPINByEmailMailsALinkWhoseTokenResetsThePINOnce(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t, withWebhook)
	login := e.loggedIn(testEmail)
	uid := uidOf(login)
	oldSession, oldAccess := login.str("session_token"), login.str("access_token")
	if r := e.protected(oldAccess); r.status != 200 {
		t.Fatalf("access token before the reset: %d %s", r.status, r.raw)
	}

	r := e.forgot("email", map[string]string{"email": "ALICE@example.com"}, "&resetpinurl="+url.QueryEscape(resetPage))
	wantOK(t, "forgot by email", r)
	if r.raw != `{"IsPosted":true}` {
		t.Fatalf("forgot answer: %s", r.raw)
	}
	m, em := e.nthEmail(1)
	if len(m.To) != 1 || m.To[0] != testEmail || m.User != smtpUser {
		t.Fatalf("envelope: to %v, authenticated as %q", m.To, m.User)
	}
	if em.Subject != "Reset your PIN" || em.ContentType != "multipart/alternative" || !strings.Contains(em.From, "no-reply@example.com") {
		t.Fatalf("headers: subject %q, type %q, from %q", em.Subject, em.ContentType, em.From)
	}
	token := tokenFrom(t, em)
	link := resetTokenInLink.FindString(em.Text)
	wantLink := appOrigin + "/account/reset-pin?lang=en&vtoken=" + token + "&vtype=resetpin"
	if !strings.Contains(em.Text, wantLink) {
		t.Fatalf("the text does not carry the link %s (found %s):\n%s", wantLink, link, em.Text)
	}
	if !strings.Contains(em.HTML, `href="`+strings.ReplaceAll(wantLink, "&", "&amp;")+`"`) {
		t.Fatalf("the HTML does not link to %s:\n%s", wantLink, em.HTML)
	}
	if !strings.Contains(em.Text, "Hello Alice") || !strings.Contains(em.Text, "15 minutes") {
		t.Fatalf("text: %s", em.Text)
	}
	if tok, found, _ := e.store.Token(t.Context(), store.TokenPINReset, secret.TokenHash(token)); !found || tok.UID != uid {
		t.Fatal("the reset token is not stored by its hash")
	}

	wantCode(t, "a reset to a weak PIN", e.resetByToken(token, "1234"), 403, int(lrerr.CodeValidation))
	wantOK(t, "reset by token", e.resetByToken(token, newTestPIN))
	r = e.resetByToken(token, "8642")
	wantCode(t, "the token again", r, 403, int(lrerr.CodeResetPINURLInvalid))
	if r.str("Description") != recovery.DescResetTokenUsed {
		t.Fatalf("reused token: %s", r.raw)
	}

	wantCode(t, "PIN login on the old session token", e.pinLogin(oldSession, newTestPIN), 403, int(lrerr.CodeSessionTokenInvalid))
	if r := e.protected(oldAccess); r.status != 401 {
		t.Fatalf("the old access token still passes: %d %s", r.status, r.raw)
	}
	e.wantPIN(testEmail, newTestPIN, testPIN)
	if n := e.countHook(uid, webhook.ResetPIN); n != 1 {
		t.Fatalf("ResetPIN events: %d", n)
	}
	if a := e.account(uid); !a.PINChangedAt.Equal(e.clock.Now()) {
		t.Fatalf("PINChangedAt = %v", a.PINChangedAt)
	}
}

func TestForgotPINByUsernameMailsThePrimaryAddressAndVoidsEarlierTokens(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t, func(c *Config) { c.Tenants[0].ResetPINURL = "http://localhost:3000/reset" })
	e.createPhoneAccount(testEmail, "alice", testPhone, testPIN)
	wantOK(t, "first forgot", e.forgot("username", map[string]string{"username": "Alice"}, ""))
	_, first := e.nthEmail(1)
	wantOK(t, "second forgot", e.forgot("username", map[string]string{"username": "alice"}, ""))
	m, second := e.nthEmail(2)
	if m.To[0] != testEmail || !strings.Contains(second.Text, "http://localhost:3000/reset?vtoken=") {
		t.Fatalf("to %v, text %s", m.To, second.Text)
	}
	r := e.resetByToken(tokenFrom(t, first), newTestPIN)
	wantCode(t, "the first, replaced token", r, 403, int(lrerr.CodeResetPINURLInvalid))
	wantOK(t, "the newest token", e.resetByToken(tokenFrom(t, second), newTestPIN))
	e.wantPIN(testEmail, newTestPIN, testPIN)
}

func TestResetTokenLivesFifteenMinutes(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t)
	e.createAccount(testEmail, testPIN)
	wantOK(t, "forgot", e.forgotByEmail(testEmail))
	_, em := e.nthEmail(1)
	e.clock.Advance(DefaultResetTokenTTL)
	r := e.resetByToken(tokenFrom(t, em), newTestPIN)
	wantCode(t, "at its expiry", r, 403, int(lrerr.CodeResetPINURLInvalid))
	if r.str("Description") != recovery.DescResetTokenExpired {
		t.Fatalf("expired token: %s", r.raw)
	}
	wantOK(t, "forgot again", e.forgotByEmail(testEmail))
	_, em = e.nthEmail(2)
	e.clock.Advance(DefaultResetTokenTTL - time.Millisecond)
	wantOK(t, "just before its expiry", e.resetByToken(tokenFrom(t, em), newTestPIN))
	wantCode(t, "an unknown token", e.resetByToken("00000000-0000-4000-8000-000000000000", newTestPIN), 403, int(lrerr.CodeResetPINURLInvalid))
}

func TestForgotPINRefusesResetURLsOutsideTheAllowedOrigins(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t)
	e.createAccount(testEmail, testPIN)
	for _, u := range []string{
		"https://evil.example.com/reset",
		"https://app.example.com.evil.com/reset",
		"http://app.example.com/reset",       // scheme differs
		"https://app.example.com:8443/reset", // port differs
		"https://evil.com@app.example.com/reset",
		"https://app.example.com\\@evil.com/",
		"//app.example.com/reset",
		"/account/reset-pin",
		"javascript:alert(1)",
		"https://app.example.com/re set",
	} {
		r := e.forgot("email", map[string]string{"email": testEmail}, "&resetpinurl="+url.QueryEscape(u))
		wantCode(t, u, r, 403, int(lrerr.CodeResetPINURLInvalid))
	}
	wantCode(t, "no resetpinurl and no default", e.forgot("email", map[string]string{"email": testEmail}, ""), 403, int(lrerr.CodeResetPINURLInvalid))
	for _, u := range []string{"https://APP.example.com:443/x#frag", "http://localhost:3000/reset"} {
		wantOK(t, u, e.forgot("email", map[string]string{"email": testEmail}, "&resetpinurl="+url.QueryEscape(u)))
	}
	e.waitIdle()
	mails := e.smtp.Mails()
	if len(mails) != 2 {
		t.Fatalf("%d emails sent, want 2 (only for the allowed URLs)", len(mails))
	}
	// Two workers send: the emails may arrive in either order.
	if !strings.Contains(string(mails[0].Data)+string(mails[1].Data), "#frag") {
		t.Fatal("the link lost the URL's fragment")
	}
}

func TestForgotPINForAnUnknownOrBlockedAccountPostsAndSendsNothing(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t)
	e.createPhoneAccount(testEmail, "alice", testPhone, testPIN)
	blocked := e.createPhoneAccount("bob@example.com", "bob", "+15557654321", testPIN)
	wantOK(t, "block bob", e.do("PUT", manage("manage/account/"+blocked), map[string]any{"IsActive": false}))

	for _, c := range []struct{ by, field, value string }{
		{"email", "email", "nobody@example.com"},
		{"username", "username", "nobody"},
		{"otp", "phone", "+15559999999"},
		{"email", "email", "bob@example.com"},
		{"otp", "phone", "+15557654321"},
	} {
		r := e.forgot(c.by, map[string]string{c.field: c.value}, "&resetpinurl="+url.QueryEscape(resetPage))
		want := regexp.MustCompile(`^\{"IsPosted":true\}$`)
		if c.by == "otp" {
			// The SMS answer names the send (LoginRadius's Data), the same
			// way whether or not an account has the phone.
			want = regexp.MustCompile(`^\{"IsPosted":true,"Data":\{"AccountSid":"","Sid":"[0-9a-f]{32}"\}\}$`)
		}
		if r.status != 200 || !want.MatchString(r.raw) {
			t.Fatalf("forgot by %s %s: %d %s", c.by, c.value, r.status, r.raw)
		}
	}
	e.waitIdle()
	if n, s := len(e.smtp.Mails()), len(e.sms.Messages()); n != 0 || s != 0 {
		t.Fatalf("%d emails and %d SMS sent for unknown and blocked accounts", n, s)
	}
	if toks := e.unusedSecretsOf(blocked); len(toks) != 0 {
		t.Fatalf("tokens stored for the blocked account: %v", toks)
	}
	// The same calls for the real account do send.
	wantOK(t, "forgot for alice", e.forgotByEmail(testEmail))
	e.nthEmail(1)
}

// unusedSecretsOf lists the kinds of an account's unused reset tokens and
// OTPs (and voids them: the store can only count them by marking).
func (e *resetEnv) unusedSecretsOf(uid string) []store.TokenKind {
	e.t.Helper()
	var kinds []store.TokenKind
	for _, k := range []store.TokenKind{store.TokenPINReset, store.TokenOTP} {
		err := e.store.Update(e.t.Context(), func(tx store.Tx) error {
			n, err := tx.InvalidateTokens(store.AccountRef{Tenant: "demo", UID: uid}, []store.TokenKind{k}, "", e.clock.Now())
			for range n {
				kinds = append(kinds, k)
			}
			return err
		})
		if err != nil {
			e.t.Fatal(err)
		}
	}
	return kinds
}

func TestForgotPINByPhoneTextsAnOTPThatResetsThePINOnce(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t)
	uid := e.createPhoneAccount(testEmail, "alice", testPhone, testPIN)
	login := e.passwordLogin(testEmail, testPass)
	wantOK(t, "login", login)

	wantOK(t, "forgot by phone", e.forgot("otp", map[string]string{"phone": testPhone}, "&isvoiceotp=true&smstemplate=pin_reset_otp"))
	sms := e.sms.WaitMessages(t, 1, mailWait)[0]
	if sms.To != testPhone || sms.From != smsFrom || e.sms.Rejected() != 0 {
		t.Fatalf("SMS %+v, %d rejected", sms, e.sms.Rejected())
	}
	code := codeFrom(t, sms.Body)
	if !strings.Contains(sms.Body, "10 minutes") {
		t.Fatalf("SMS body: %q", sms.Body)
	}
	if tok, found, _ := e.store.Token(t.Context(), store.TokenOTP, e.gw.recovery.OTPHash("demo", uid, recovery.ChannelSMS, code)); !found || tok.Data["channel"] != recovery.ChannelSMS {
		t.Fatal("the OTP is not stored under its keyed hash")
	}
	if _, found, _ := e.store.Token(t.Context(), store.TokenOTP, secret.TokenHash(code)); found {
		t.Fatal("the OTP is stored under a plain SHA-256")
	}

	wantOK(t, "reset by OTP", e.resetByOTP("phone", testPhone, code, newTestPIN))
	wantCode(t, "the OTP again", e.resetByOTP("phone", testPhone, code, otherPINNew), 403, int(lrerr.CodeOTPUsed))
	wantCode(t, "the old session token", e.pinLogin(login.str("session_token"), newTestPIN), 403, int(lrerr.CodeSessionTokenInvalid))
	e.wantPIN(testEmail, newTestPIN, testPIN)
}

func TestOTPFailuresCountTowardTheLockout(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t, func(c *Config) { c.Lockout.Attempts = 3 })
	uid := e.createPhoneAccount(testEmail, "alice", testPhone, testPIN)
	wantOK(t, "forgot", e.forgot("otp", map[string]string{"phone": testPhone}, ""))
	code := codeFrom(t, e.sms.WaitMessages(t, 1, mailWait)[0].Body)
	wrong := "000000"
	if code == wrong {
		wrong = "000001"
	}
	for i := 1; i <= 3; i++ {
		wantCode(t, "a wrong OTP", e.resetByOTP("phone", testPhone, wrong, newTestPIN), 403, int(lrerr.CodeOTPInvalid))
		if got := e.attempts(uid).Failures; got != i {
			t.Fatalf("after %d wrong OTPs the failure count is %d", i, got)
		}
	}
	r := e.resetByOTP("phone", testPhone, code, newTestPIN)
	wantCode(t, "the right OTP on a locked account", r, 403, int(lrerr.CodeLockedSuspended))
	// An unknown identifier answers like a wrong code.
	wantCode(t, "an unknown phone", e.resetByOTP("phone", "+15559999999", code, newTestPIN), 403, int(lrerr.CodeOTPInvalid))
}

func TestOTPExpiresAfterItsLifetimeAndANewOneVoidsTheOld(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t)
	e.createPhoneAccount(testEmail, "alice", testPhone, testPIN)
	wantOK(t, "forgot", e.forgot("otp", map[string]string{"phone": testPhone}, ""))
	first := codeFrom(t, e.sms.WaitMessages(t, 1, mailWait)[0].Body)
	e.clock.Advance(DefaultOTPTTL)
	wantCode(t, "at its expiry", e.resetByOTP("phone", testPhone, first, newTestPIN), 403, int(lrerr.CodeOTPExpired))

	wantOK(t, "forgot again", e.forgot("otp", map[string]string{"phone": testPhone}, ""))
	second := codeFrom(t, e.sms.WaitMessages(t, 2, mailWait)[1].Body)
	wantOK(t, "forgot a third time", e.forgot("otp", map[string]string{"phone": testPhone}, ""))
	third := codeFrom(t, e.sms.WaitMessages(t, 3, mailWait)[2].Body)
	if second != third {
		wantCode(t, "the replaced OTP", e.resetByOTP("phone", testPhone, second, newTestPIN), 403, int(lrerr.CodeOTPUsed))
	}
	e.clock.Advance(DefaultOTPTTL - time.Millisecond)
	wantOK(t, "the newest OTP just before its expiry", e.resetByOTP("phone", testPhone, third, newTestPIN))
}

func TestEmailOTPResetsByEmailOrUsername(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t, func(c *Config) { c.Tenants[0].PINResetEmail = PINResetByOTP })
	e.createPhoneAccount(testEmail, "alice", testPhone, testPIN)
	wantOK(t, "forgot by username", e.forgot("username", map[string]string{"username": "alice"}, ""))
	_, em := e.nthEmail(1)
	if em.Subject != "Your PIN reset code" || strings.Contains(em.Text, "vtoken") {
		t.Fatalf("OTP email: %q\n%s", em.Subject, em.Text)
	}
	code := codeFrom(t, em.Text)
	if !strings.Contains(em.HTML, code) {
		t.Fatal("the HTML part lacks the code")
	}
	wantOK(t, "reset by OTP and username", e.resetByOTP("username", "alice", code, newTestPIN))
	wantCode(t, "the code again by email", e.resetByOTP("email", testEmail, code, otherPINNew), 403, int(lrerr.CodeOTPUsed))

	wantOK(t, "forgot by email", e.forgot("email", map[string]string{"email": testEmail}, ""))
	_, em = e.nthEmail(2)
	wantOK(t, "reset by OTP and email", e.resetByOTP("email", testEmail, codeFrom(t, em.Text), otherPINNew))
	e.wantPIN(testEmail, otherPINNew, newTestPIN)
}

func TestSendingLimitsPerIdentifierAndPerIP(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t, func(c *Config) {
		c.Email.Limit = notify.SendLimit{PerIdentifier: 2, PerIP: 8, Window: time.Hour}
		c.SMS.Limit = notify.SendLimit{PerIdentifier: 1, PerIP: 100, Window: time.Hour}
	})
	e.createPhoneAccount(testEmail, "alice", testPhone, testPIN)
	e.createPhoneAccount("bob@example.com", "bob", "+15557654321", testPIN)
	byUsername := func(name string) response {
		return e.forgot("username", map[string]string{"username": name}, "&resetpinurl="+url.QueryEscape(resetPage))
	}
	for range 2 {
		wantOK(t, "alice's emails", e.forgotByEmail(testEmail))
	}
	wantCode(t, "alice's third email", e.forgotByEmail("Alice@Example.com"), 403, int(lrerr.CodeEmailLimit))
	// Counted per identifier: her username has a count of its own.
	wantOK(t, "alice's email by username", byUsername("alice"))
	// Unknown addresses are limited alike: the limit tells nothing.
	wantOK(t, "unknown 1", e.forgotByEmail("nobody@example.com"))
	wantOK(t, "unknown 2", e.forgotByEmail("nobody@example.com"))
	wantCode(t, "unknown 3", e.forgotByEmail("nobody@example.com"), 403, int(lrerr.CodeEmailLimit))
	wantOK(t, "bob", e.forgotByEmail("bob@example.com"))
	// 8 asked from this IP so far: bob is refused by the per-IP limit.
	wantCode(t, "bob again from the same IP", byUsername("bob"), 403, int(lrerr.CodeEmailLimit))

	wantOK(t, "alice's SMS", e.forgot("otp", map[string]string{"phone": testPhone}, ""))
	wantCode(t, "alice's second SMS", e.forgot("otp", map[string]string{"phone": testPhone}, ""), 403, int(lrerr.CodeSMSLimit))
	wantOK(t, "bob's SMS", e.forgot("otp", map[string]string{"phone": "+15557654321"}, ""))

	e.clock.Advance(time.Hour)
	wantOK(t, "alice's email an hour later", e.forgotByEmail(testEmail))
	wantOK(t, "alice's SMS an hour later", e.forgot("otp", map[string]string{"phone": testPhone}, ""))
	e.waitIdle()
	if n := len(e.smtp.Mails()); n != 5 {
		t.Fatalf("%d emails sent, want 5", n)
	}
	if n := len(e.sms.Messages()); n != 3 {
		t.Fatalf("%d SMS sent, want 3", n)
	}
}

func TestResetBySecurityAnswer(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t, withQuestions)
	login := e.loggedIn(testEmail)
	uid := uidOf(login)
	wantOK(t, "set answers", e.do("PUT", api("auth/account/2fa/securityquestionanswer"),
		answers("q1", "Paris", "q2", "Rex"), withToken(login.str("access_token"))...))
	reset := func(email string, ans map[string]string, pin string) response {
		return e.do("PUT", api("auth/pin/reset/securityanswer/email"),
			map[string]any{"email": email, "securityanswer": ans, "pin": pin})
	}
	wantCode(t, "a wrong answer", reset(testEmail, map[string]string{"q1": "Paris", "q2": "Fido"}, newTestPIN), 403, int(lrerr.CodeSecurityAnswerWrong))
	if got := e.attempts(uid).Failures; got != 1 {
		t.Fatalf("the wrong answer counted %d failures, want 1", got)
	}
	wantCode(t, "one answer missing", reset(testEmail, map[string]string{"q1": "Paris"}, newTestPIN), 403, int(lrerr.CodeValidation))
	wantCode(t, "an unknown account", reset("nobody@example.com", map[string]string{"q1": "Paris"}, newTestPIN), 403, int(lrerr.CodeSecurityAnswersNotSet))
	wantOK(t, "the right answers", reset(testEmail, map[string]string{"q2": " rex ", "q1": "PARIS"}, newTestPIN))
	if got := e.attempts(uid).Failures; got != 0 {
		t.Fatalf("the reset left %d failures", got)
	}
	wantCode(t, "the old session token", e.pinLogin(login.str("session_token"), newTestPIN), 403, int(lrerr.CodeSessionTokenInvalid))
	e.wantPIN(testEmail, newTestPIN, testPIN)
}

func TestResetByTokenRefusesABlockLockedAccountAndClearsASuspension(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t, func(c *Config) { c.Lockout = LockoutPolicy{Attempts: 2, Type: store.LockSuspend} })
	login := e.loggedIn(testEmail)
	uid := uidOf(login)
	for range 2 {
		e.pinLogin(login.str("session_token"), "9999")
	}
	if !e.attempts(uid).Locked(e.clock.Now()) {
		t.Fatal("the account is not locked")
	}
	wantOK(t, "forgot", e.forgotByEmail(testEmail))
	_, em := e.nthEmail(1)
	wantOK(t, "reset while suspended", e.resetByToken(tokenFrom(t, em), newTestPIN))
	if e.attempts(uid).Locked(e.clock.Now()) {
		t.Fatal("the reset left the suspension")
	}

	err := e.store.Update(t.Context(), func(tx store.Tx) error {
		_, err := tx.Lock(store.AccountRef{Tenant: "demo", UID: uid}, 0, store.LockBlock, store.BlockedUntil, e.clock.Now())
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	wantOK(t, "forgot while blocked", e.forgotByEmail(testEmail))
	_, em = e.nthEmail(2)
	wantCode(t, "reset while blocked", e.resetByToken(tokenFrom(t, em), otherPINNew), 403, int(lrerr.CodeAccountBlocked))
}

func TestForgotPINWithoutASenderIsNotConfigured(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	e.createAccount(testEmail, testPIN)
	wantCode(t, "by email", e.do("POST", api("auth/pin/forgot/email"), map[string]string{"email": testEmail}), 403, int(lrerr.CodePINNotConfigured))
	wantCode(t, "by phone", e.do("POST", api("auth/pin/forgot/otp"), map[string]string{"phone": testPhone}), 403, int(lrerr.CodePINNotConfigured))
}

func TestResetCallsValidateTheirInput(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t)
	cases := []struct {
		what, method, path string
		body               any
		code               lrerr.Code
	}{
		{"forgot without email", "POST", "auth/pin/forgot/email", map[string]string{}, lrerr.CodeValidation},
		{"forgot with a number", "POST", "auth/pin/forgot/email", map[string]any{"email": 5}, lrerr.CodePostBodyInvalid},
		{"reset without token", "PUT", "auth/pin/reset/token", map[string]string{"pin": newTestPIN}, lrerr.CodeValidation},
		{"reset without PIN", "PUT", "auth/pin/reset/token", map[string]string{"resettoken": "x"}, lrerr.CodePINMissing},
		{"otp reset without OTP", "PUT", "auth/pin/reset/otp/phone", map[string]string{"phone": testPhone, "pin": newTestPIN}, lrerr.CodeValidation},
		{"otp reset without phone", "PUT", "auth/pin/reset/otp/phone", map[string]string{"otp": "123456", "pin": newTestPIN}, lrerr.CodeValidation},
		{"answer reset with a list", "PUT", "auth/pin/reset/securityanswer/email", map[string]any{"email": testEmail, "pin": newTestPIN, "securityanswer": []string{"x"}}, lrerr.CodePutBodyInvalid},
	}
	for _, c := range cases {
		path := api(c.path)
		if i := strings.Index(c.path, "?"); i >= 0 {
			path = api(c.path[:i]) + "&" + c.path[i+1:]
		}
		r := e.do(c.method, path, c.body)
		if r.code() != int(c.code) {
			t.Errorf("%s: want %d, got %d %s", c.what, c.code, r.status, r.raw)
		}
	}
	if r := e.do("GET", api("auth/pin/reset/token"), nil); r.status != 405 {
		t.Errorf("GET on the reset: %d", r.status)
	}
}
