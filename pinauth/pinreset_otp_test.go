package pinauth

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/config"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/notify"
	"github.com/pinauth/caddy-pinauth/pinauth/recovery"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

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
	e.clock.Advance(config.DefaultOTPTTL)
	wantCode(t, "at its expiry", e.resetByOTP("phone", testPhone, first, newTestPIN), 403, int(lrerr.CodeOTPExpired))

	wantOK(t, "forgot again", e.forgot("otp", map[string]string{"phone": testPhone}, ""))
	second := codeFrom(t, e.sms.WaitMessages(t, 2, mailWait)[1].Body)
	wantOK(t, "forgot a third time", e.forgot("otp", map[string]string{"phone": testPhone}, ""))
	third := codeFrom(t, e.sms.WaitMessages(t, 3, mailWait)[2].Body)
	if second != third {
		wantCode(t, "the replaced OTP", e.resetByOTP("phone", testPhone, second, newTestPIN), 403, int(lrerr.CodeOTPUsed))
	}
	e.clock.Advance(config.DefaultOTPTTL - time.Millisecond)
	wantOK(t, "the newest OTP just before its expiry", e.resetByOTP("phone", testPhone, third, newTestPIN))
}

func TestEmailOTPResetsByEmailOrUsername(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t, func(c *Config) { c.Tenants[0].PINResetEmail = config.PINResetByOTP })
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
