package pinauth

import (
	"net/url"
	"regexp"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/notify"
	"github.com/pinauth/caddy-pinauth/pinauth/notifytest"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// The reset tests' app, SMS provider credentials and phone number.
const (
	appOrigin   = "https://app.example.com"
	resetPage   = appOrigin + "/account/reset-pin?lang=en"
	smsUser     = "AC0123456789abcdef0123456789abcdef"
	smsToken    = "sms-auth-token-not-for-logs"
	smsFrom     = "+15550000000"
	testPhone   = "+15551234567"
	smtpUser    = "mailer"
	smtpPass    = "smtp-password-not-for-logs"
	mailFrom    = "PIN service <no-reply@example.com>"
	mailWait    = 10 * time.Second
	newTestPIN  = "5173"
	otherPINNew = "6284"
)

// resetEnv is a testEnv with email and SMS delivery to local servers.
type resetEnv struct {
	*testEnv
	smtp *notifytest.SMTPServer
	sms  *notifytest.SMSServer
}

// newResetEnv starts local SMTP and SMS servers and a gateway that sends
// through them; the demo tenant allows appOrigin.
func newResetEnv(t *testing.T, mutate ...func(*Config)) *resetEnv {
	t.Helper()
	return newResetEnvOn(t, nil, mutate...)
}

// newResetEnvOn is newResetEnv on store st (nil: a new SQLite file).
func newResetEnvOn(t *testing.T, st store.Store, mutate ...func(*Config)) *resetEnv {
	t.Helper()
	smtpSrv := notifytest.NewSMTPServer(t, notifytest.SMTPOptions{Username: smtpUser, Password: smtpPass})
	smsSrv := notifytest.NewSMSServer(t, smsUser, smsToken)
	base := func(c *Config) {
		c.Email = &notify.EmailConfig{Addr: smtpSrv.Addr, From: mailFrom, Username: smtpUser, Password: smtpPass, Security: notify.SMTPPlain}
		c.SMS = &notify.SMSConfig{URL: smsSrv.URL, Username: smsUser, Password: smsToken, From: smsFrom}
		c.Tenants[0].AllowedOrigins = []string{appOrigin, "http://localhost:3000"}
	}
	all := append([]func(*Config){base}, mutate...)
	var e *testEnv
	if st == nil {
		e = newTestEnv(t, all...)
	} else {
		e = newTestEnvOn(t, st, all...)
	}
	return &resetEnv{testEnv: e, smtp: smtpSrv, sms: smsSrv}
}

// createPhoneAccount creates an account with email, username, phone and
// PIN and returns its uid.
func (e *resetEnv) createPhoneAccount(email, username, phone, pin string) string {
	e.t.Helper()
	body := map[string]any{
		"Email":    []map[string]string{{"Type": "Primary", "Value": email}},
		"Password": testPass, "UserName": username, "PhoneId": phone, "FirstName": "Alice",
		"PINInfo": map[string]string{"PIN": pin},
	}
	r := e.do("POST", manage("manage/account"), body)
	if r.status != 200 {
		e.t.Fatalf("create account: %d %s", r.status, r.raw)
	}
	return r.str("Uid")
}

// forgot calls a forgot-PIN endpoint ("email", "username", "otp").
func (e *resetEnv) forgot(by string, body map[string]string, query string) response {
	e.t.Helper()
	return e.do("POST", api("auth/pin/forgot/"+by)+query, body)
}

// forgotByEmail asks for a reset link to resetPage.
func (e *resetEnv) forgotByEmail(email string) response {
	e.t.Helper()
	return e.forgot("email", map[string]string{"email": email}, "&resetpinurl="+url.QueryEscape(resetPage))
}

// waitIdle waits until the send queue has delivered everything.
func (e *resetEnv) waitIdle() {
	e.t.Helper()
	deadline := time.Now().Add(mailWait)
	for !e.gw.sends.Idle() {
		if time.Now().After(deadline) {
			e.t.Fatal("the send queue did not drain")
		}
		time.Sleep(time.Millisecond) // polling an observable condition, not synchronising by time
	}
}

// lastEmail waits for the n-th email and returns it parsed.
func (e *resetEnv) nthEmail(n int) (notifytest.Mail, notifytest.Email) {
	e.t.Helper()
	m := e.smtp.WaitMails(e.t, n, mailWait)[n-1]
	parsed, err := notifytest.ParseEmail(m.Data)
	if err != nil {
		e.t.Fatalf("parse email: %v\n%s", err, m.Data)
	}
	return m, parsed
}

var resetTokenInLink = regexp.MustCompile(`vtoken=([0-9a-f-]{36})`)

// tokenFrom extracts the reset token from an email's plain text.
func tokenFrom(t *testing.T, em notifytest.Email) string {
	t.Helper()
	m := resetTokenInLink.FindStringSubmatch(em.Text)
	if m == nil {
		t.Fatalf("no reset link in the email text:\n%s", em.Text)
	}
	return m[1]
}

var sixDigits = regexp.MustCompile(`\b(\d{6})\b`)

// codeFrom extracts a 6-digit code from a message.
func codeFrom(t *testing.T, text string) string {
	t.Helper()
	m := sixDigits.FindStringSubmatch(text)
	if m == nil {
		t.Fatalf("no 6-digit code in %q", text)
	}
	return m[1]
}

// resetByToken calls PUT /auth/pin/reset/token.
func (e *resetEnv) resetByToken(token, pin string) response {
	e.t.Helper()
	return e.do("PUT", api("auth/pin/reset/token"), map[string]string{"resettoken": token, "pin": pin})
}

// resetByOTP calls PUT /auth/pin/reset/otp/<by> with the identifier.
func (e *resetEnv) resetByOTP(by, ident, otp, pin string) response {
	e.t.Helper()
	field := map[string]string{"email": "Email", "phone": "Phone", "username": "UserName"}[by]
	return e.do("PUT", api("auth/pin/reset/otp/"+by), map[string]string{field: ident, "otp": otp, "pin": pin})
}

// wantPIN checks that a fresh password login's session token accepts pin
// and refuses wrong with 1236.
func (e *resetEnv) wantPIN(email, pin, wrong string) {
	e.t.Helper()
	e.wantPINWith(email, testPass, pin, wrong)
}

// wantPINWith is wantPIN for an account whose password is password.
func (e *resetEnv) wantPINWith(email, password, pin, wrong string) {
	e.t.Helper()
	login := e.passwordLogin(email, password)
	if login.status != 200 || login.str("session_token") == "" {
		e.t.Fatalf("password login: %d %s", login.status, login.raw)
	}
	if r := e.pinLogin(login.str("session_token"), wrong); r.code() != int(lrerr.CodePINInvalid) {
		e.t.Fatalf("PIN login with the PIN %s: want 1236, got %d %s", wrong, r.status, r.raw)
	}
	if r := e.pinLogin(login.str("session_token"), pin); r.status != 200 {
		e.t.Fatalf("PIN login with the PIN %s: %d %s", pin, r.status, r.raw)
	}
}
