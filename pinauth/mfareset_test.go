package pinauth

import (
	"net/url"
	"slices"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

// mfaResetPath and mfaResetByUIDPath are the two security-question
// authenticator resets.
const (
	mfaResetPath      = "auth/account/2fa/authenticator/securityquestionanswer"
	mfaResetByUIDPath = "manage/account/2FA/authenticator/securityquestionanswer"
)

// mfaLogin runs a password login of testEmail on an MFA tenant and
// completes it by enrolling answers (q2 "Rex") when the account has none,
// else by verifying them; it returns the completed login.
func mfaLogin(t *testing.T, e *testEnv) response {
	t.Helper()
	sfa := secondFactor(t, e.passwordLogin(testEmail, testPass))
	tok := url.QueryEscape(sfa["SecondFactorAuthenticationToken"].(string))
	var r response
	if sfa["IsSecurityQuestionAuthenticatorVerified"] == true {
		r = e.do("POST", api("auth/login/2fa/verification/securityquestionanswer")+"&secondfactorauthenticationtoken="+tok, answers("q2", "Rex"))
	} else {
		r = e.do("PUT", api("auth/login/2fa/securityquestionanswer")+"&secondfactorauthenticationtoken="+tok, answers("q2", "Rex"))
	}
	wantOK(t, "second factor", r)
	return r
}

// TestResetMFASecurityQuestionsByAccessTokenAndByUID: each reset removes
// the answers and answers IsDeleted, and records UpdateProfile though the
// caller asks for no webhook (prevent_webhook, X-PreventWebhook); the
// tenant still requires the second factor, so the next login enrols
// again; sessions stay; a login waiting for its second factor when the
// reset happens must start over.
func TestResetMFASecurityQuestionsByAccessTokenAndByUID(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, newEnv func(...func(*Config)) *testEnv) {
		e := newEnv(withMFA, withAnswerTests)
		uid := e.createAccount(testEmail, testPIN)
		login := mfaLogin(t, e) // enrols
		before := e.countHook(uid, webhook.UpdateProfile)

		r := e.do("DELETE", api(mfaResetPath)+"&prevent_webhook=true", nil, withToken(login.str("access_token"))...)
		if r.status != 200 || r.raw != `{"IsDeleted":true}` {
			t.Fatalf("reset by access token: %d %s", r.status, r.raw)
		}
		if a := e.account(uid); len(a.SecurityAnswers) != 0 {
			t.Fatalf("answers left after the reset: %v", a.SecurityAnswers)
		}
		if got := e.countHook(uid, webhook.UpdateProfile); got != before+1 {
			t.Fatalf("%d UpdateProfile events after the reset, want %d", got, before+1)
		}
		wantOK(t, "the caller's session after the reset", e.protected(login.str("access_token")))
		sfa := secondFactor(t, e.passwordLogin(testEmail, testPass))
		if sfa["IsSecurityQuestionAuthenticatorVerified"] != false || !slices.Equal(sfaQuestionIDs(sfa), []string{"q1", "q2", "q3"}) {
			t.Fatalf("after the reset the login must ask to enrol: %v", sfa)
		}

		// Enrol again; then a login waits for its second factor while
		// the back end resets by uid.
		mfaLogin(t, e)
		pending := url.QueryEscape(secondFactor(t, e.passwordLogin(testEmail, testPass))["SecondFactorAuthenticationToken"].(string))
		before = e.countHook(uid, webhook.UpdateProfile)
		r = e.do("DELETE", manage(mfaResetByUIDPath)+"&uid="+uid, nil, "X-PreventWebhook", "true")
		if r.status != 200 || r.raw != `{"IsDeleted":true}` {
			t.Fatalf("reset by uid: %d %s", r.status, r.raw)
		}
		if got := e.countHook(uid, webhook.UpdateProfile); got != before+1 {
			t.Fatalf("%d UpdateProfile events after the reset by uid, want %d", got, before+1)
		}
		if a := e.account(uid); len(a.SecurityAnswers) != 0 {
			t.Fatalf("answers left after the reset by uid: %v", a.SecurityAnswers)
		}
		wantCode(t, "verify the login in progress", e.do("POST", api("auth/login/2fa/verification/securityquestionanswer")+"&secondfactorauthenticationtoken="+pending,
			answers("q2", "Rex")), 403, int(lrerr.CodeSecondFactorInvalid))
		wantCode(t, "enrol in the login in progress", e.do("PUT", api("auth/login/2fa/securityquestionanswer")+"&secondfactorauthenticationtoken="+pending,
			answers("q1", "Mine")), 403, int(lrerr.CodeSecondFactorInvalid))
		if a := e.account(uid); len(a.SecurityAnswers) != 0 {
			t.Fatalf("the login in progress enrolled answers: %v", a.SecurityAnswers)
		}
		mfaLogin(t, e) // a new login enrols
		if a := e.account(uid); len(a.SecurityAnswers) != 1 {
			t.Fatalf("after the new enrolment: %d answers", len(a.SecurityAnswers))
		}
	})
}

// TestResetMFASecurityQuestionsRefusalsChangeNothing: the refusals of
// both resets, with the answers and the outbox unchanged; a tenant that
// does not require the security-question factor has no authenticator to
// reset (1257), though its accounts have answers.
func TestResetMFASecurityQuestionsRefusalsChangeNothing(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, newEnv func(...func(*Config)) *testEnv) {
		e := newEnv(withMFA, withAnswerTests, func(c *Config) {
			c.Tenants[1].MFA, c.Tenants[1].SecurityQuestions = c.Tenants[0].MFA, c.Tenants[0].SecurityQuestions
		})
		uid := e.createAccount(testEmail, testPIN)
		login := mfaLogin(t, e)
		bare := e.createAccount("bob@example.com", testPIN) // never logged in: no answers
		before := e.countHook(uid, webhook.UpdateProfile)
		for _, c := range []struct {
			what   string
			method string
			path   string
			header []string
			status int
			code   lrerr.Code
		}{
			{"no access token", "DELETE", api(mfaResetPath), nil, 400, lrerr.CodeAccessTokenMissing},
			{"a bad access token", "DELETE", api(mfaResetPath), withToken("not-a-token"), 403, lrerr.CodeAccessTokenInvalid},
			{"no uid", "DELETE", manage(mfaResetByUIDPath), nil, 403, lrerr.CodeParameterFormat},
			{"an unknown uid", "DELETE", manage(mfaResetByUIDPath) + "&uid=nobody", nil, 403, lrerr.CodeUserNotFound},
			{"another tenant's account", "DELETE", "/identity/v2/" + mfaResetByUIDPath + "?apikey=" + otherKey + "&apisecret=" + otherSecret + "&uid=" + uid, nil, 403, lrerr.CodeUserNotFound},
			{"no API secret", "DELETE", api(mfaResetByUIDPath) + "&uid=" + uid, nil, 401, lrerr.CodeAPISecretInvalid},
			{"a wrong API secret", "DELETE", api(mfaResetByUIDPath) + "&uid=" + uid + "&apisecret=wrong", nil, 401, lrerr.CodeAPISecretInvalid},
			{"an unknown API key", "DELETE", "/identity/v2/" + mfaResetPath + "?apikey=nope", withToken(login.str("access_token")), 403, lrerr.CodeAPIKeyUnauthorized},
			{"an account without answers", "DELETE", manage(mfaResetByUIDPath) + "&uid=" + bare, nil, 403, lrerr.CodeSecurityAnswersNotSet},
		} {
			wantCode(t, c.what, e.do(c.method, c.path, nil, c.header...), c.status, int(c.code))
		}
		if a := e.account(uid); len(a.SecurityAnswers) != 1 {
			t.Fatalf("refusals changed the answers: %v", a.SecurityAnswers)
		}
		if got := e.countHook(uid, webhook.UpdateProfile); got != before {
			t.Fatalf("%d UpdateProfile events after refusals, want %d", got, before)
		}
		wantOK(t, "the answers still verify", mfaLogin(t, e))
	})
}

// TestResetMFASecurityQuestionsOnATenantWithoutMFAIs1257: the answers,
// there only for recovery and step-up, stay.
func TestResetMFASecurityQuestionsOnATenantWithoutMFAIs1257(t *testing.T) {
	t.Parallel()
	onEachStore(t, func(t *testing.T, newEnv func(...func(*Config)) *testEnv) {
		e := newEnv(withAnswerTests)
		uid := answeredAccount(t, e)
		login := e.passwordLogin(testEmail, testPass)
		wantOK(t, "login", login)
		wantCode(t, "by access token", e.do("DELETE", api(mfaResetPath), nil, withToken(login.str("access_token"))...), 403, int(lrerr.CodeSecurityQuestionMFADisabled))
		wantCode(t, "by uid", e.do("DELETE", manage(mfaResetByUIDPath)+"&uid="+uid, nil), 403, int(lrerr.CodeSecurityQuestionMFADisabled))
		if a := e.account(uid); len(a.SecurityAnswers) != 2 {
			t.Fatalf("the refused resets changed the answers: %v", a.SecurityAnswers)
		}
		wantOK(t, "the answers still reset the PIN", e.do("PUT", api("auth/pin/reset/securityanswer/email"),
			map[string]any{"email": testEmail, "securityanswer": rightAnswers, "pin": newTestPIN}))
	})
}
