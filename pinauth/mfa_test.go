package pinauth

import (
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

// secondFactor returns the SecondFactorAuthentication object of a password
// login that requires one, failing the test otherwise.
func secondFactor(t *testing.T, r response) map[string]any {
	t.Helper()
	sfa, ok := r.body["SecondFactorAuthentication"].(map[string]any)
	if r.status != 200 || !ok {
		t.Fatalf("want a second-factor answer, got %d %s", r.status, r.raw)
	}
	if r.body["Profile"] != nil || r.str("access_token") != "00000000-0000-0000-0000-000000000000" || r.str("session_token") != "" || r.str("refresh_token") != "" {
		t.Fatalf("a second-factor answer carries login data: %s", r.raw)
	}
	return sfa
}

func sfaQuestionIDs(sfa map[string]any) []string {
	var ids []string
	qs, _ := sfa["SecurityQuestions"].([]any)
	for _, q := range qs {
		ids = append(ids, q.(map[string]any)["QuestionId"].(string))
	}
	return ids
}

func TestMFALoginEnrollsThenVerifiesSecurityAnswers(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, withMFA, withWebhook)
	uid := e.createAccount(testEmail, testPIN)

	sfa := secondFactor(t, e.passwordLogin(testEmail, testPass))
	if sfa["IsSecurityQuestionAuthenticatorVerified"] != false || !slices.Equal(sfaQuestionIDs(sfa), []string{"q1", "q2", "q3"}) {
		t.Fatalf("first login must offer the tenant's questions to enroll: %v", sfa)
	}
	token := sfa["SecondFactorAuthenticationToken"].(string)
	if sfa["ExpireIn"] != lrprofile.Time(e.clock.Now().Add(secondFactorTTL)) {
		t.Fatalf("ExpireIn = %v", sfa["ExpireIn"])
	}
	enroll := func(token string, body any) response {
		return e.do("PUT", api("auth/login/2fa/securityquestionanswer")+"&secondfactorauthenticationtoken="+url.QueryEscape(token), body)
	}
	verify := func(token string, body any) response {
		return e.do("POST", api("auth/login/2fa/verification/securityquestionanswer")+"&SecondFactorAuthenticationToken="+url.QueryEscape(token), body)
	}

	wantCode(t, "enroll with an unknown question", enroll(token, answers("q9", "x")), 403, 1134)
	r := enroll(token, answers("q2", "Rex"))
	wantOK(t, "enroll", r)
	if uidOf(r) != uid || r.str("session_token") == "" || r.str("refresh_token") == "" {
		t.Fatalf("enrolment must complete the login: %s", r.raw)
	}
	wantOK(t, "protected with the MFA login's token", e.protected(r.str("access_token")))
	wantCode(t, "the second-factor token again", enroll(token, answers("q2", "Rex")), 403, 1193)

	sfa = secondFactor(t, e.passwordLogin(testEmail, testPass))
	if sfa["IsSecurityQuestionAuthenticatorVerified"] != true || !slices.Equal(sfaQuestionIDs(sfa), []string{"q2"}) {
		t.Fatalf("second login must ask the account's question: %v", sfa)
	}
	token = sfa["SecondFactorAuthenticationToken"].(string)
	wantCode(t, "enroll again", enroll(token, answers("q1", "x")), 403, 1134)
	wantCode(t, "wrong answer", verify(token, answers("q2", "Max")), 403, 1093)
	r = verify(token, answers("q2", "rex"))
	wantOK(t, "verify", r)
	if r.str("session_token") == "" || r.str("access_token") == "" {
		t.Fatalf("verification must complete the login: %s", r.raw)
	}
	wantCode(t, "verify again with the spent token", verify(token, answers("q2", "rex")), 403, 1193)
	wantOK(t, "PIN login continues the MFA login's session", e.pinLogin(r.str("session_token"), testPIN))
	if got := e.countHook(uid, webhook.Login); got != 3 {
		t.Errorf("Login events = %d, want 3 (enrolment, verification, PIN login): %v", got, e.hooks(uid))
	}
	wantCode(t, "unknown second-factor token", verify("00000000-0000-4000-8000-000000000000", answers("q2", "rex")), 403, 1193)
	wantCode(t, "missing second-factor token", e.do("POST", api("auth/login/2fa/verification/securityquestionanswer"), answers("q2", "rex")), 403, 908)

	token = secondFactor(t, e.passwordLogin(testEmail, testPass))["SecondFactorAuthenticationToken"].(string)
	e.clock.Advance(secondFactorTTL)
	wantCode(t, "expired second-factor token", verify(token, answers("q2", "rex")), 403, 1193)
}

func TestMFALoginOfAnAccountWithoutPINEndsInPINRequired(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, withMFA)
	e.createAccount(testEmail, "")
	token := secondFactor(t, e.passwordLogin(testEmail, testPass))["SecondFactorAuthenticationToken"].(string)
	r := e.do("PUT", api("auth/login/2fa/securityquestionanswer")+"&secondfactorauthenticationtoken="+token, answers("q1", "Paris"))
	wantCode(t, "enrolment of an account that must set a PIN", r, 403, 1243)
	data, _ := r.body["Data"].(map[string]any)
	pinAuth, _ := data["PINAuthToken"].(string)
	r = e.do("POST", api("auth/pin/set/pinauthtoken")+"&pinauthtoken="+pinAuth, map[string]string{"PIN": testPIN})
	wantOK(t, "set PIN with the token of the MFA login", r)

	token = secondFactor(t, e.passwordLogin(testEmail, testPass))["SecondFactorAuthenticationToken"].(string)
	r = e.do("POST", api("auth/login/2fa/verification/securityquestionanswer")+"&secondfactorauthenticationtoken="+token, answers("q1", "paris"))
	wantOK(t, "verification after the PIN was set", r)
}

func TestPasswordLoginsDoNotResetTheCountOfWrongAnswers(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, withMFA, func(c *Config) { c.Lockout.Attempts = 4; c.AccessTTL = time.Hour })
	uid := e.createAccount(testEmail, testPIN)
	token := secondFactor(t, e.passwordLogin(testEmail, testPass))["SecondFactorAuthenticationToken"].(string)
	wantOK(t, "enroll", e.do("PUT", api("auth/login/2fa/securityquestionanswer")+"&secondfactorauthenticationtoken="+token, answers("q1", "Paris")))
	for i := range 2 {
		token := secondFactor(t, e.passwordLogin(testEmail, testPass))["SecondFactorAuthenticationToken"].(string)
		wantCode(t, "wrong answer", e.do("POST", api("auth/login/2fa/verification/securityquestionanswer")+"&secondfactorauthenticationtoken="+token, answers("q1", "Rome")), 403, 1093)
		// Every check is counted (the password's too) until a login
		// completes; the password's success cleared nothing.
		if got := e.attempts(uid).Failures; got != 2*(i+1) {
			t.Fatalf("failures after round %d = %d, want %d", i+1, got, 2*(i+1))
		}
	}
	wantCode(t, "password login once the limit is reached", e.passwordLogin(testEmail, testPass), 403, 1198)
}
