package pinauth

import (
	"net/url"
	"strings"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

// signUpQuietly registers email (with a PIN) sending no verification
// email and returns the account's uid.
func (e *resetEnv) signUpQuietly(email string) string {
	e.t.Helper()
	wantOK(e.t.(*testing.T), "register", e.register(signUp(email, testPIN), "&options=PreventVerificationEmail"))
	return e.accountOf(email).UID
}

// verificationToken calls POST /manage/account/verify/token for email.
func (e *resetEnv) verificationToken(email string) response {
	e.t.Helper()
	return e.do("POST", manage("manage/account/verify/token"), map[string]string{"email": email})
}

// TestManagementVerificationTokenVerifiesAPendingAddress: POST
// /manage/account/verify/token (issue 20) answers only
// {VerificationToken, expires_in}, a token GET /auth/email takes once; a newer one
// voids the older; no email is sent. A verified address is 1025, an
// unknown one 938, a missing one 1134, a call without the secret 902.
func TestManagementVerificationTokenVerifiesAPendingAddress(t *testing.T) {
	t.Parallel()
	onBothStores(t, func(t *testing.T, e *resetEnv) {
		uid := e.signUpQuietly(testEmail)
		first := e.verificationToken(strings.ToUpper(testEmail))
		wantOK(t, "first token", first)
		second := e.verificationToken(testEmail)
		wantOK(t, "second token", second)
		if len(second.body) != 2 || second.str("expires_in") == "" || second.str("VerificationToken") == "" || second.str("VerificationToken") == first.str("VerificationToken") {
			t.Fatalf("answers %s, %s", first.raw, second.raw)
		}
		if r := e.verifyByToken(first.str("VerificationToken")); r.status == 200 {
			t.Fatalf("the voided token verified: %s", r.raw)
		}
		if e.account(uid).EmailVerified {
			t.Fatal("verified by the voided token")
		}
		wantOK(t, "verify by the token", e.verifyByToken(second.str("VerificationToken")))
		if a := e.account(uid); !a.AddressVerified(testEmail) {
			t.Fatalf("not verified: %+v", a)
		}
		wantOK(t, "login", e.passwordLogin(testEmail, testPass))
		wantCode(t, "verified already", e.verificationToken(testEmail), 403, int(lrerr.CodeEmailAlreadyVerified))
		wantCode(t, "unknown email", e.verificationToken("nobody@example.com"), 403, int(lrerr.CodeUserNotFound))
		wantCode(t, "no email", e.do("POST", manage("manage/account/verify/token"), map[string]string{}), 403, int(lrerr.CodeValidation))
		wantCode(t, "without the secret", e.do("POST", api("manage/account/verify/token"), map[string]string{"email": testEmail}), 401, int(lrerr.CodeAPISecretInvalid))
		e.waitIdle()
		if n := len(e.smtp.Mails()); n != 0 {
			t.Fatalf("%d emails sent", n)
		}
	}, withRegistration())
}

// TestInvalidateEmailUnverifiesAndMailsWhenAsked: PUT
// /manage/account/{uid}/invalidateemail (issue 20) answers {IsPosted:
// true}; the address awaits verification again, so the login is 970; with
// a verificationurl the verification email goes out and its link verifies
// the address again. A verificationurl off the allowed origins is 908 and
// changes nothing; an unknown uid is 938. Each change records
// UpdateProfile.
func TestInvalidateEmailUnverifiesAndMailsWhenAsked(t *testing.T) {
	t.Parallel()
	onBothStores(t, func(t *testing.T, e *resetEnv) {
		uid := e.signUpQuietly(testEmail)
		wantOK(t, "verify", e.verifyByToken(e.verificationToken(testEmail).str("VerificationToken")))
		path := manage("manage/account/" + uid + "/invalidateemail")

		r := e.do("PUT", path, nil)
		wantOK(t, "invalidate", r)
		if r.raw != `{"IsPosted":true}` {
			t.Fatalf("answer %s", r.raw)
		}
		if a := e.account(uid); a.EmailVerified || !a.AddressPending(testEmail) {
			t.Fatalf("after invalidation: %+v", a)
		}
		wantCode(t, "login unverified", e.passwordLogin(testEmail, testPass), 403, int(lrerr.CodeEmailNotVerified))
		e.waitIdle()
		if n := len(e.smtp.Mails()); n != 0 {
			t.Fatalf("%d emails sent without a verificationurl", n)
		}

		wantOK(t, "verify again", e.verifyByToken(e.verificationToken(testEmail).str("VerificationToken")))
		before := e.account(uid)
		wantCode(t, "foreign verificationurl", e.do("PUT", path+"&verificationurl="+url.QueryEscape("https://evil.example/verify"), nil), 403, int(lrerr.CodeParameterFormat))
		wantCode(t, "unknown uid", e.do("PUT", manage("manage/account/0123456789abcdef0123456789abcdef/invalidateemail"), nil), 403, int(lrerr.CodeUserNotFound))
		wantCode(t, "without the secret", e.do("PUT", api("manage/account/"+uid+"/invalidateemail"), nil), 401, int(lrerr.CodeAPISecretInvalid))
		if after := e.account(uid); !after.EmailVerified || after.Version != before.Version {
			t.Fatalf("refused calls changed the account: verified %v, version %d -> %d", after.EmailVerified, before.Version, after.Version)
		}

		wantOK(t, "invalidate and mail", e.do("PUT", path+"&verificationurl="+url.QueryEscape(verifyPage), nil))
		m, em := e.nthEmail(1)
		if len(m.To) != 1 || m.To[0] != testEmail {
			t.Fatalf("verification email to %v", m.To)
		}
		wantOK(t, "verify by the mailed link", e.verifyByToken(tokenFrom(t, em)))
		if a := e.account(uid); !a.AddressVerified(testEmail) {
			t.Fatalf("not verified by the mailed link: %+v", a)
		}
		wantOK(t, "login", e.passwordLogin(testEmail, testPass))
		if n := e.countHook(uid, webhook.UpdateProfile); n != 2 {
			t.Errorf("events %v; want two UpdateProfile", e.hooks(uid))
		}
	}, withWebhook, withRegistration())
}
