package pinauth

import (
	"slices"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

func TestChangePINRevokesOtherDevicesButKeepsTheCallers(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, withWebhook)
	phone := e.loggedIn(testEmail)
	uid := uidOf(phone)
	laptop := e.passwordLogin(testEmail, testPass)
	wantOK(t, "second device login", laptop)
	phonePIN := e.pinLogin(phone.str("session_token"), testPIN)
	wantOK(t, "PIN login on the phone", phonePIN)
	for _, tok := range []string{phone.str("access_token"), phonePIN.str("access_token"), laptop.str("access_token")} {
		wantOK(t, "protected before the change (now cached)", e.protected(tok))
	}
	e.clock.Advance(time.Minute)

	r := e.do("PUT", api("auth/pin/change"), map[string]string{"oldPIN": testPIN, "newPIN": newPIN}, withToken(phone.str("access_token"))...)
	wantOK(t, "change PIN", r)
	if r.body["IsPosted"] != true {
		t.Fatalf("change PIN answer: %s", r.raw)
	}

	wantCode(t, "the other device's cached access token", e.protected(laptop.str("access_token")), 401, 905)
	wantOK(t, "the caller's access token", e.protected(phone.str("access_token")))
	wantOK(t, "the caller's PIN-login access token (same session)", e.protected(phonePIN.str("access_token")))
	wantCode(t, "the other device's PIN session token", e.pinLogin(laptop.str("session_token"), newPIN), 403, 1245)
	wantCode(t, "the old PIN", e.pinLogin(phone.str("session_token"), testPIN), 401, 1236)
	wantOK(t, "the new PIN with the caller's session token", e.pinLogin(phone.str("session_token"), newPIN))
	wantCode(t, "the other device's refresh token", e.refresh(laptop.str("refresh_token")), 403, 1217)
	wantOK(t, "the caller's refresh token", e.refresh(phone.str("refresh_token")))

	a := e.account(uid)
	if !a.PINChangedAt.Equal(e.clock.Now()) {
		t.Errorf("PINChangedAt = %v, want %v", a.PINChangedAt, e.clock.Now())
	}
	if e.countHook(uid, webhook.ChangePIN) != 1 {
		t.Errorf("events %v: want one ChangePIN", e.hooks(uid))
	}
	// The failed PIN login above is the only counted failure left.
	if got := e.attempts(uid).Failures; got != 0 {
		t.Errorf("failures after the successful PIN login = %d, want 0", got)
	}
}

func TestChangePINByPOSTWithQueryAccessToken(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	login := e.loggedIn(testEmail)
	r := e.do("POST", api("auth/pin/change")+"&access_token="+login.str("access_token"), map[string]string{"OldPIN": testPIN, "NewPIN": newPIN})
	wantOK(t, "POST change PIN", r)
	wantOK(t, "new PIN", e.pinLogin(login.str("session_token"), newPIN))
}

func TestChangePINWithAWrongOldPINIs1241AndCountsTowardLockout(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, withWebhook, func(c *Config) { c.AccessTTL = time.Hour })
	login := e.loggedIn(testEmail)
	uid := uidOf(login)
	tok := login.str("access_token")
	for i := range 5 {
		r := e.do("PUT", api("auth/pin/change"), map[string]string{"OldPIN": "9999", "NewPIN": newPIN}, withToken(tok)...)
		wantCode(t, "wrong old PIN", r, 401, 1241)
		if got := e.attempts(uid).Failures; got != i+1 {
			t.Fatalf("failures after %d wrong old PINs = %d", i+1, got)
		}
	}
	r := e.do("PUT", api("auth/pin/change"), map[string]string{"OldPIN": testPIN, "NewPIN": newPIN}, withToken(tok)...)
	wantCode(t, "right old PIN while locked", r, 403, 1198)
	if e.countHook(uid, webhook.ChangePIN) != 0 || e.countHook(uid, webhook.BlockAccount) != 1 {
		t.Errorf("events %v: want BlockAccount and no ChangePIN", e.hooks(uid))
	}
	e.clock.Advance(16 * time.Minute)
	wantOK(t, "right old PIN after the lock", e.do("PUT", api("auth/pin/change"), map[string]string{"OldPIN": testPIN, "NewPIN": newPIN}, withToken(tok)...))
}

func TestChangePINRejectsWeakOrMalformedPINsAndChangesNothing(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	login := e.loggedIn(testEmail)
	uid := uidOf(login)
	tok := login.str("access_token")
	cases := []struct {
		name       string
		body       map[string]string
		code       int
		fieldNames []string
	}{
		{"straight run", map[string]string{"OldPIN": testPIN, "NewPIN": "1234"}, 1134, []string{"NewPIN"}},
		{"repeated digit", map[string]string{"OldPIN": testPIN, "NewPIN": "0000"}, 1134, []string{"NewPIN"}},
		{"letters", map[string]string{"OldPIN": testPIN, "NewPIN": "12a4"}, 1134, []string{"NewPIN"}},
		{"too long", map[string]string{"OldPIN": testPIN, "NewPIN": "8301957"}, 1134, []string{"NewPIN"}},
		{"malformed old PIN", map[string]string{"OldPIN": "12", "NewPIN": newPIN}, 1134, []string{"OldPIN"}},
		{"no new PIN", map[string]string{"OldPIN": testPIN}, 1234, nil},
	}
	for _, tc := range cases {
		r := e.do("PUT", api("auth/pin/change"), tc.body, withToken(tok)...)
		wantCode(t, tc.name, r, 403, tc.code)
		if got := fieldNames(r); !slices.Equal(got, tc.fieldNames) {
			t.Errorf("%s: fields %v, want %v", tc.name, got, tc.fieldNames)
		}
	}
	if got := e.attempts(uid).Failures; got != 0 {
		t.Errorf("rejected input counted %d failures", got)
	}
	wantOK(t, "the old PIN still works", e.pinLogin(login.str("session_token"), testPIN))
	wantCode(t, "bad body", e.do("PUT", api("auth/pin/change"), `{"OldPIN": 4821}`, withToken(tok)...), 400, 1079)
}

func TestChangePINNeedsAValidTokenOfTheTenantAndAPIN(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, func(c *Config) { c.Tenants[1].PINOptional = true })
	e.loggedIn(testEmail)
	body := map[string]string{"OldPIN": testPIN, "NewPIN": newPIN}
	wantCode(t, "no token", e.do("PUT", api("auth/pin/change"), body), 400, 1060)
	wantCode(t, "garbage token", e.do("PUT", api("auth/pin/change"), body, withToken("x.y.z")...), 403, 905)

	// An account of the other tenant, which lets accounts without a PIN log in.
	r := e.do("POST", "/identity/v2/manage/account?apikey="+otherKey+"&apisecret="+otherSecret,
		map[string]any{"Email": []map[string]string{{"Value": "bob@example.com"}}, "Password": testPass})
	wantOK(t, "create in other tenant", r)
	other := e.do("POST", "/identity/v2/auth/login?apikey="+otherKey, map[string]string{"email": "bob@example.com", "password": testPass})
	wantOK(t, "login in other tenant", other)
	wantCode(t, "another tenant's token with this tenant's key",
		e.do("PUT", api("auth/pin/change"), body, withToken(other.str("access_token"))...), 403, 905)
	wantCode(t, "account without a PIN",
		e.do("PUT", "/identity/v2/auth/pin/change?apikey="+otherKey, body, withToken(other.str("access_token"))...), 403, 1235)
}

func TestPasswordChangeByTheOperatorRevokesEverySessionAtOnce(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	login := e.loggedIn(testEmail)
	wantOK(t, "protected (now cached)", e.protected(login.str("access_token")))
	r := e.do("PUT", manage("manage/account/"+uidOf(login)), map[string]any{"Password": "another password"})
	wantOK(t, "password change", r)
	wantCode(t, "the cached token after the password change", e.protected(login.str("access_token")), 401, 905)
	wantCode(t, "the session's refresh token", e.refresh(login.str("refresh_token")), 403, 1217)
	wantCode(t, "the session's PIN session token", e.pinLogin(login.str("session_token"), testPIN), 403, 1245)
}
