package tests

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/notifytest"
)

// Forgotten PINs on real Caddy: the gateway mails through an SMTP server
// and texts through an HTTP SMS provider, both local stand-ins in this
// test process reached through the Caddyfile.

const (
	resetOrigin = "https://app.example.com"
	resetURL    = resetOrigin + "/reset-pin"
	smtpUser    = "e2e-mailer"
	smtpPass    = "e2e-smtp-password-7d1c"
	smsSID      = "AC00000000000000000000000000000e2e"
	smsToken    = "e2e-sms-token-51fa"
	phone       = "+15551230000"
	messageWait = 30 * time.Second
)

// resetGateway starts a gateway that sends through smtp and sms; extra
// and tenantExtra add lines to pin_auth and to the demo tenant.
func resetGateway(t *testing.T, smtp *notifytest.SMTPServer, sms *notifytest.SMSServer, extra, tenantExtra string) *gateway {
	t.Helper()
	return startGateway(t, func(s *siteConfig) {
		s.TenantExtra = "allowed_origins " + resetOrigin + "\n" + tenantExtra
		s.Extra = senders(smtp, sms) + "\n\t\t" + extra
	})
}

// senders are the pin_auth email and sms blocks that send through smtp
// and sms.
func senders(smtp *notifytest.SMTPServer, sms *notifytest.SMSServer) string {
	return fmt.Sprintf(`email smtp %s {
			from "PIN service <no-reply@example.com>"
			username %s
			password %s
			plain
		}
		sms %s {
			auth %s %s
			from +15550000000
		}`, smtp.Addr, smtpUser, smtpPass, sms.URL, smsSID, smsToken)
}

// createWithPhone creates the test account with a phone number.
func (g *gateway) createWithPhone() string {
	g.t.Helper()
	r := g.do("POST", apiPrefix+"/manage/account?"+g.manage(), map[string]any{
		"Email":    []map[string]string{{"Type": "Primary", "Value": email}},
		"Password": password, "UserName": username, "PhoneId": phone, "FirstName": "Alice",
		"PINInfo": map[string]string{"PIN": pin},
	})
	if r.status != 200 {
		g.t.Fatalf("create account: %d %s", r.status, r.raw)
	}
	return r.str("Uid")
}

// forgot calls POST /auth/pin/forgot/<by>.
func (g *gateway) forgot(by, field, value, query string) response {
	g.t.Helper()
	return g.do("POST", apiPrefix+"/auth/pin/forgot/"+by+"?apikey="+g.key()+query, map[string]string{field: value})
}

// wantPosted fails unless r is {"IsPosted":true}.
func wantPosted(t *testing.T, what string, r response) {
	t.Helper()
	if r.status != 200 || r.body["IsPosted"] != true {
		t.Fatalf("%s: want IsPosted, got %d %s", what, r.status, r.raw)
	}
}

var vtoken = regexp.MustCompile(`[?&]vtoken=([0-9a-f-]{36})`)

func TestForgotPINByEmailOverSMTPResetsThePINOnRealCaddy(t *testing.T) {
	t.Parallel()
	smtp := notifytest.NewSMTPServer(t, notifytest.SMTPOptions{Username: smtpUser, Password: smtpPass})
	sms := notifytest.NewSMSServer(t, smsSID, smsToken)
	g := resetGateway(t, smtp, sms, "", "")
	login, _ := g.loggedIn()
	g.cachedOK("the access token before the reset", login.str("access_token"))
	q := "&resetpinurl=" + url.QueryEscape(resetURL)

	wantPosted(t, "forgot for an unknown address", g.forgot("email", "email", "nobody@example.com", q))
	g.forgot("email", "email", email, "&resetpinurl="+url.QueryEscape("https://evil.example.com/reset")).wantError(t, 403, 1248)
	wantPosted(t, "forgot by email", g.forgot("email", "email", email, q))

	m := smtp.WaitMails(t, 1, messageWait)[0]
	if len(m.To) != 1 || m.To[0] != email || m.User != smtpUser {
		t.Fatalf("envelope to %v, authenticated as %q", m.To, m.User)
	}
	em, err := notifytest.ParseEmail(m.Data)
	if err != nil {
		t.Fatalf("parse the email: %v", err)
	}
	if em.ContentType != "multipart/alternative" || em.Subject != "Reset your PIN" || em.HTML == "" {
		t.Fatalf("email: %s %q, HTML %d bytes", em.ContentType, em.Subject, len(em.HTML))
	}
	found := vtoken.FindStringSubmatch(em.Text)
	if found == nil || !strings.Contains(em.Text, resetURL+"?vtoken=") {
		t.Fatalf("no reset link to %s in:\n%s", resetURL, em.Text)
	}
	token := found[1]

	reset := func(tok, newPIN string) response {
		return g.do("PUT", apiPrefix+"/auth/pin/reset/token?apikey="+g.key(), map[string]string{"ResetToken": tok, "PIN": newPIN})
	}
	wantPosted(t, "reset by token", reset(token, newPIN))
	reset(token, "8642").wantError(t, 403, 1248)

	g.protected("/app", login.str("access_token")).wantError(t, 401, 905)
	g.pinLogin(login.str("session_token"), newPIN).wantError(t, 403, 1245)
	fresh := g.passwordLogin()
	g.pinLogin(fresh.str("session_token"), pin).wantError(t, 401, 1236)
	if r := g.pinLogin(fresh.str("session_token"), newPIN); r.status != 200 || r.str("access_token") == "" {
		t.Fatalf("PIN login with the new PIN: %d %s", r.status, r.raw)
	}

	// By now the unknown address's job ran long ago: it sent nothing.
	for _, m := range smtp.Mails() {
		if len(m.To) != 1 || m.To[0] != email {
			t.Fatalf("an email to %v", m.To)
		}
	}
	if n := len(smtp.Mails()); n != 1 {
		t.Fatalf("%d emails sent, want 1", n)
	}
	for _, secret := range []string{smtpPass, smsToken, token} {
		if strings.Contains(g.proc.Logs(), secret) {
			t.Errorf("caddy's output contains a secret")
		}
	}
}

func TestForgotPINByPhoneOverHTTPSMSResetsThePINOnRealCaddy(t *testing.T) {
	t.Parallel()
	smtp := notifytest.NewSMTPServer(t, notifytest.SMTPOptions{Username: smtpUser, Password: smtpPass})
	sms := notifytest.NewSMSServer(t, smsSID, smsToken)
	g := resetGateway(t, smtp, sms, "", "")
	g.createWithPhone()
	login := g.passwordLogin()

	wantPosted(t, "forgot by phone", g.forgot("otp", "phone", phone, "&isvoiceotp=true"))
	msg := sms.WaitMessages(t, 1, messageWait)[0]
	if msg.To != phone || msg.From != "+15550000000" || sms.Rejected() != 0 {
		t.Fatalf("SMS %+v, %d rejected (basic auth)", msg, sms.Rejected())
	}
	code := regexp.MustCompile(`\b\d{6}\b`).FindString(msg.Body)
	if code == "" {
		t.Fatalf("no code in %q", msg.Body)
	}
	reset := func(otp, newPIN string) response {
		return g.do("PUT", apiPrefix+"/auth/pin/reset/otp/phone?apikey="+g.key(),
			map[string]string{"Phone": phone, "OTP": otp, "PIN": newPIN})
	}
	wrong := "000000"
	if code == wrong {
		wrong = "000001"
	}
	reset(wrong, newPIN).wantError(t, 403, 1067)
	wantPosted(t, "reset by OTP", reset(code, newPIN))
	reset(code, "8642").wantError(t, 403, 1068)
	g.pinLogin(login.str("session_token"), newPIN).wantError(t, 403, 1245)
	fresh := g.passwordLogin()
	if r := g.pinLogin(fresh.str("session_token"), newPIN); r.status != 200 {
		t.Fatalf("PIN login with the new PIN: %d %s", r.status, r.raw)
	}
	if n := len(smtp.Mails()); n != 0 {
		t.Fatalf("%d emails sent for an SMS reset", n)
	}
}

func TestSendingLimitsAndSecurityAnswerResetOnRealCaddy(t *testing.T) {
	t.Parallel()
	smtp := notifytest.NewSMTPServer(t, notifytest.SMTPOptions{Username: smtpUser, Password: smtpPass})
	sms := notifytest.NewSMSServer(t, smsSID, smsToken)
	g := resetGateway(t, smtp, sms, "lockout 3 15m 15m suspend",
		"reset_pin_url "+resetURL+"\nsecurity_question city Where were you born?")
	g.createWithPhone()
	login := g.passwordLogin()

	// The default limit: 5 emails per identifier per hour.
	for i := range 5 {
		wantPosted(t, fmt.Sprintf("email %d", i+1), g.forgot("email", "email", email, ""))
	}
	g.forgot("email", "email", email, "").wantError(t, 403, 1122)
	for i := range 5 {
		wantPosted(t, fmt.Sprintf("SMS %d", i+1), g.forgot("otp", "phone", phone, ""))
	}
	g.forgot("otp", "phone", phone, "").wantError(t, 403, 1123)
	smtp.WaitMails(t, 5, messageWait)
	sms.WaitMessages(t, 5, messageWait)

	r := g.do("PUT", apiPrefix+"/auth/account/2fa/securityquestionanswer?apikey="+g.key(),
		map[string]any{"securityquestionanswer": []map[string]string{{"QuestionId": "city", "Answer": "Paris"}}},
		withToken(login.str("access_token"))...)
	wantPosted(t, "set the answer", r)
	reset := func(answer, newPIN string) response {
		return g.do("PUT", apiPrefix+"/auth/pin/reset/securityanswer/username?apikey="+g.key(),
			map[string]any{"UserName": username, "SecurityAnswer": map[string]string{"city": answer}, "PIN": newPIN})
	}
	reset("Lyon", newPIN).wantError(t, 403, 1093)
	reset("Nice", newPIN).wantError(t, 403, 1093)
	wantPosted(t, "the right answer", reset(" paris ", newPIN))
	if r := g.pinLogin(g.passwordLogin().str("session_token"), newPIN); r.status != 200 {
		t.Fatalf("PIN login with the new PIN: %d %s", r.status, r.raw)
	}
	// Wrong answers count toward the lockout (3 here): the reset cleared
	// the two above, so three more lock the account.
	for range 3 {
		reset("Lyon", "8642").wantError(t, 403, 1093)
	}
	reset("Paris", "8642").wantError(t, 403, 1198)
}
