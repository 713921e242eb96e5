package pinauth

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/config"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/secret"
	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
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
	e.clock.Advance(config.DefaultResetTokenTTL)
	r := e.resetByToken(tokenFrom(t, em), newTestPIN)
	wantCode(t, "at its expiry", r, 403, int(lrerr.CodeResetPINURLInvalid))
	if r.str("Description") != recovery.DescResetTokenExpired {
		t.Fatalf("expired token: %s", r.raw)
	}
	wantOK(t, "forgot again", e.forgotByEmail(testEmail))
	_, em = e.nthEmail(2)
	e.clock.Advance(config.DefaultResetTokenTTL - time.Millisecond)
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

func TestResetByTokenRefusesABlockLockedAccountAndClearsASuspension(t *testing.T) {
	t.Parallel()
	e := newResetEnv(t, func(c *Config) { c.Lockout = config.LockoutPolicy{Attempts: 2, Type: store.LockSuspend} })
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
