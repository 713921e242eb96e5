package pinauth

import (
	"net/url"
	"strings"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
)

// forgotToken calls POST /manage/account/forgot/token for email with query
// (which starts with "&").
func (e *resetEnv) forgotToken(email, query string) response {
	e.t.Helper()
	return e.do("POST", manage("manage/account/forgot/token")+query, map[string]string{"email": email})
}

func TestForgotTokenAnswersAResetTokenAndSendsNoMail(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t)
	e.createAccount(testEmail, testPIN)
	first := e.forgotToken(strings.ToUpper(testEmail), "")
	wantOK(t, "forgot token", first)
	second := e.forgotToken(testEmail, "&sendemail=false")
	wantOK(t, "forgot token again", second)
	if ids, ok := second.body["IdentityProviders"].([]any); !ok || len(ids) != 0 || second.str("ForgotToken") == "" {
		t.Fatalf("forgot token answer: %s", second.raw)
	}
	e.waitIdle()
	if n := len(e.smtp.Mails()); n != 0 {
		t.Fatalf("%d emails sent without sendemail", n)
	}
	wantCode(t, "the first token, replaced by the second", e.resetPassword(first.str("ForgotToken"), newTestPassword), 403, int(lrerr.CodeParameterFormat))
	wantOK(t, "reset with the token", e.resetPassword(second.str("ForgotToken"), newTestPassword))
	wantCode(t, "the old password", e.passwordLogin(testEmail, testPass), 401, int(lrerr.CodeBadCredentials))
	wantOK(t, "the new password", e.passwordLogin(testEmail, newTestPassword))
}

func TestForgotTokenWithSendEmailMailsTheSameToken(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t)
	e.createAccount(testEmail, testPIN)
	r := e.forgotToken(testEmail, "&sendemail=true&resetPasswordUrl="+url.QueryEscape(resetPasswordPage))
	wantOK(t, "forgot token with an email", r)
	m, em := e.nthEmail(1)
	if len(m.To) != 1 || m.To[0] != testEmail {
		t.Fatalf("envelope to %v", m.To)
	}
	if got := tokenFrom(t, em); got != r.str("ForgotToken") {
		t.Fatalf("the email's token %s is not the answered one %s", got, r.str("ForgotToken"))
	}
	wantOK(t, "reset with the mailed token", e.resetPassword(r.str("ForgotToken"), newTestPassword))
}

func TestForgotTokenRefusals(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t)
	e.createAccount(testEmail, testPIN)
	wantCode(t, "unknown email", e.forgotToken("nobody@example.com", ""), 403, int(lrerr.CodeUserNotFound))
	wantCode(t, "no email", e.forgotToken("", ""), 403, int(lrerr.CodeValidation))
	wantCode(t, "sendemail without a page", e.forgotToken(testEmail, "&sendemail=true"), 403, int(lrerr.CodeParameterFormat))
	wantCode(t, "a page on another origin", e.forgotToken(testEmail, "&sendemail=true&resetpasswordurl="+url.QueryEscape("https://evil.example.com/r")),
		403, int(lrerr.CodeParameterFormat))
	wantCode(t, "no API secret", e.do("POST", api("manage/account/forgot/token"), map[string]string{"email": testEmail}), 401, int(lrerr.CodeAPISecretInvalid))
	e.waitIdle()
	if n := len(e.smtp.Mails()); n != 0 {
		t.Fatalf("%d emails sent by refused calls", n)
	}
}
