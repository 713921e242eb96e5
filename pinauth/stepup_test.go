package pinauth

import (
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/config"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
)

func TestInvalidatedSessionTokenNoLongerLogsIn(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	login := e.loggedIn(testEmail)
	st := login.str("session_token")
	inval := func(token string) response {
		return e.do("GET", api("auth/session_token/InValidate")+"&session_token="+token, nil)
	}
	r := inval(st)
	wantOK(t, "invalidate", r)
	if r.body["IsPosted"] != true {
		t.Fatalf("invalidate answer: %s", r.raw)
	}
	wantCode(t, "PIN login with the invalidated token", e.pinLogin(st, testPIN), 403, 1245)
	wantCode(t, "invalidate again", inval(st), 403, 1245)
	wantOK(t, "the session's access token is not touched", e.protected(login.str("access_token")))
	wantCode(t, "unknown token", inval("00000000-0000-4000-8000-000000000000"), 403, 1245)
	wantCode(t, "missing token", e.do("GET", api("auth/session_token/invalidate"), nil), 403, 908)
	wantCode(t, "another tenant's key",
		e.do("GET", "/identity/v2/auth/session_token/invalidate?apikey="+otherKey+"&session_token="+e.passwordLogin(testEmail, testPass).str("session_token"), nil), 403, 1245)

	other := e.passwordLogin(testEmail, testPass).str("session_token")
	e.clock.Advance(config.DefaultSessionTTL)
	wantCode(t, "expired token", inval(other), 403, 1246)
}

func TestStepUpByPINIsValidatedOnceByTheBackEnd(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	login := e.loggedIn(testEmail)
	uid := uidOf(login)
	tok := login.str("access_token")

	r := e.do("PUT", api("auth/account/reauth/pin"), map[string]string{"pin": testPIN}, withToken(tok)...)
	wantOK(t, "reauth by PIN", r)
	sfv := r.str("SecondFactorValidationToken")
	if len(sfv) != 36 || r.str("ExpireIn") != lrprofile.Time(e.clock.Now().Add(stepUpTTL)) {
		t.Fatalf("reauth answer: %s", r.raw)
	}
	validate := func(uid, kind, token string) response {
		return e.do("POST", manage("manage/account/"+uid+"/reauth/"+kind), map[string]string{"secondfactorvalidationtoken": token})
	}
	// Presented for another account or method, it is refused and not spent.
	wantCode(t, "another account", validate("0123456789abcdef0123456789abcdef", "pin", sfv), 403, 1193)
	wantCode(t, "the 2FA endpoint", validate(uid, "2fa", sfv), 403, 1193)
	r = validate(uid, "pin", sfv)
	wantOK(t, "validate", r)
	if r.body["IsValid"] != true {
		t.Fatalf("validate answer: %s", r.raw)
	}
	wantCode(t, "second use", validate(uid, "pin", sfv), 403, 1193)
	wantCode(t, "unknown token", validate(uid, "pin", "00000000-0000-4000-8000-000000000000"), 403, 1193)
	wantCode(t, "no API secret", e.do("POST", api("manage/account/"+uid+"/reauth/pin"), map[string]string{"secondfactorvalidationtoken": sfv}), 401, 902)
	wantCode(t, "no token in the body", e.do("POST", manage("manage/account/"+uid+"/reauth/pin"), map[string]string{}), 403, 908)

	r = e.do("PUT", api("auth/account/reauth/pin"), map[string]string{"pin": testPIN}, withToken(tok)...)
	e.clock.Advance(stepUpTTL)
	wantCode(t, "expired token", validate(uid, "pin", r.str("SecondFactorValidationToken")), 403, 1193)
}

func TestStepUpByPINWithAWrongPINIs1236AndCounts(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	login := e.loggedIn(testEmail)
	uid := uidOf(login)
	tok := login.str("access_token")
	wantCode(t, "wrong PIN", e.do("PUT", api("auth/account/reauth/pin"), map[string]string{"PIN": "9999"}, withToken(tok)...), 401, 1236)
	if got := e.attempts(uid).Failures; got != 1 {
		t.Fatalf("failures = %d, want 1", got)
	}
	wantCode(t, "malformed PIN", e.do("PUT", api("auth/account/reauth/pin"), map[string]string{"PIN": "12"}, withToken(tok)...), 403, 1134)
	wantCode(t, "no PIN", e.do("PUT", api("auth/account/reauth/pin"), map[string]string{}, withToken(tok)...), 403, 1234)
	wantCode(t, "no token", e.do("PUT", api("auth/account/reauth/pin"), map[string]string{"PIN": testPIN}), 400, 1060)
	wantOK(t, "right PIN", e.do("PUT", api("auth/account/reauth/pin"), map[string]string{"PIN": testPIN}, withToken(tok)...))
	if got := e.attempts(uid).Failures; got != 0 {
		t.Fatalf("failures after success = %d, want 0", got)
	}
}

func TestLogoutRemovesTheSessionsStepUpTokens(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	login := e.loggedIn(testEmail)
	tok := login.str("access_token")
	r := e.do("PUT", api("auth/account/reauth/pin"), map[string]string{"PIN": testPIN}, withToken(tok)...)
	wantOK(t, "reauth", r)
	wantOK(t, "logout", e.do("GET", api("auth/access_token/invalidate"), nil, withToken(tok)...))
	wantCode(t, "step-up token of the ended session",
		e.do("POST", manage("manage/account/"+uidOf(login)+"/reauth/pin"), map[string]string{"SecondFactorValidationToken": r.str("SecondFactorValidationToken")}), 403, 1193)
}
