package pinauth

import (
	"strings"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/config"
)

func TestFirstLoginRequiresPINThenPINLoginReachesUpstream(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	uid := e.createAccount(testEmail, "")

	r := e.passwordLogin(testEmail, testPass)
	if r.status != 403 || r.code() != 1243 {
		t.Fatalf("password login without PIN: want 403/1243, got %d %s", r.status, r.raw)
	}
	data, _ := r.body["Data"].(map[string]any)
	pinAuthToken, _ := data["PINAuthToken"].(string)
	if len(pinAuthToken) != 36 {
		t.Fatalf("PINAuthToken missing or not a UUID: %s", r.raw)
	}

	r = e.do("POST", "/identity/v2/auth/pin/set/pinauthtoken?apikey="+testKey+"&pinauthtoken="+pinAuthToken, map[string]string{"pin": testPIN})
	if r.status != 200 || r.str("session_token") == "" || r.str("access_token") == "" {
		t.Fatalf("set PIN: %d %s", r.status, r.raw)
	}
	profile, _ := r.body["Profile"].(map[string]any)
	if profile["Uid"] != uid {
		t.Fatalf("set PIN profile uid = %v, want %s", profile["Uid"], uid)
	}

	// The PinAuthToken is single use.
	again := e.do("POST", "/identity/v2/auth/pin/set/pinauthtoken?apikey="+testKey+"&pinauthtoken="+pinAuthToken, map[string]string{"pin": "7305"})
	if again.code() != 1239 {
		t.Fatalf("reused PINAuthToken: want 1239, got %d %s", again.status, again.raw)
	}

	login := e.pinLogin(r.str("session_token"), testPIN)
	if login.status != 200 {
		t.Fatalf("PIN login: %d %s", login.status, login.raw)
	}
	access := login.str("access_token")
	if strings.Count(access, ".") != 2 {
		t.Fatalf("access token is not a JWT: %q", access)
	}
	exp, err := time.Parse(time.RFC3339Nano, login.str("expires_in"))
	if err != nil || !exp.After(e.clock.Now()) {
		t.Fatalf("expires_in %q is not a future RFC 3339 time", login.str("expires_in"))
	}

	up := e.protected(access)
	if up.status != 200 || up.raw != "upstream" {
		t.Fatalf("protected request: %d %s", up.status, up.raw)
	}
	calls := e.upstream.calls()
	h := calls[len(calls)-1]
	want := map[string]string{
		"X-Auth-Uid": uid, "X-Auth-Tenant": "demo", "X-Auth-Email": testEmail,
		"X-Auth-Name": "Alice Smith", "X-Auth-Roles": "user,admin",
	}
	for k, v := range want {
		if got := h.Get(k); got != v {
			t.Errorf("upstream %s = %q, want %q", k, got, v)
		}
	}
	if h.Get("X-Auth-Session") == "" {
		t.Error("upstream X-Auth-Session is empty")
	}
	if h.Get("Authorization") != "Bearer "+access {
		t.Error("access token was not forwarded upstream")
	}
}

func TestPasswordLoginWithPINReturnsSessionToken(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	r := e.loggedIn(testEmail)
	if r.str("session_token") == "" || r.str("session_expires_in") == "" || r.str("refresh_token") == "" {
		t.Fatalf("login response lacks session or refresh token: %s", r.raw)
	}
	for _, secret := range []string{testPIN, testPass, "argon2id"} {
		if strings.Contains(r.raw, secret) {
			t.Fatalf("login response contains %q", secret)
		}
	}
	profile, _ := r.body["Profile"].(map[string]any)
	if profile["NoOfLogins"].(float64) != 1 || profile["LastLoginLocation"] != "127.0.0.1" {
		t.Fatalf("login statistics not updated: %v", profile)
	}
}

func TestPINLoginAcceptsEverySeedParameter(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	st := e.loggedIn(testEmail).str("session_token")
	r := e.do("POST", "/identity/v2/auth/login/pin?apiKey="+testKey+"&session_token="+st+
		"&prevent_webhook=true&g-recaptcha-response=x&g_recaptcha_response=x&h-captcha-response=x"+
		"&qq_captcha_ticket=t&qq_captcha_randstr=r&unknown_param=1",
		`{"PIN":"`+testPIN+`"}`, "X-PreventWebhook", "true")
	if r.status != 200 || r.str("access_token") == "" {
		t.Fatalf("seed-shaped PIN login: %d %s", r.status, r.raw)
	}
}

func TestWrongPINIs1236AndLocksAfterFiveFailures(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	st := e.loggedIn(testEmail).str("session_token")
	for i := 0; i < 5; i++ {
		r := e.pinLogin(st, "9999")
		if r.status != 401 || r.code() != 1236 || r.str("Description") != "Please use a valid PIN for the Authentication." {
			t.Fatalf("wrong PIN %d: %d %s", i+1, r.status, r.raw)
		}
	}
	r := e.pinLogin(st, testPIN)
	if r.code() != 1198 {
		t.Fatalf("correct PIN while locked: want 1198, got %d %s", r.status, r.raw)
	}
	data, _ := r.body["Data"].(map[string]any)
	if _, err := time.Parse(time.RFC3339Nano, data["LoginLockedTimeout"].(string)); err != nil {
		t.Fatalf("LoginLockedTimeout: %v", err)
	}
	// Locking invalidated the PIN session token: after the lock ends it no
	// longer works, and a full password login is needed.
	e.clock.Advance(16 * time.Minute)
	if r := e.pinLogin(st, testPIN); r.code() != 1245 {
		t.Fatalf("PIN login after lock expiry with the old session token: want 1245, got %s", r.raw)
	}
	if r := e.passwordLogin(testEmail, testPass); r.status != 200 {
		t.Fatalf("password login after the lock expired: %d %s", r.status, r.raw)
	}
}

func TestExpiredSessionTokenIs1246(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	st := e.loggedIn(testEmail).str("session_token")
	e.clock.Advance(config.DefaultSessionTTL + time.Second)
	if r := e.pinLogin(st, testPIN); r.code() != 1246 {
		t.Fatalf("want 1246, got %d %s", r.status, r.raw)
	}
	if r := e.pinLogin("00000000-0000-4000-8000-000000000000", testPIN); r.code() != 1245 {
		t.Fatalf("unknown session token: want 1245, got %d %s", r.status, r.raw)
	}
}

func TestExpiredPINAuthTokenIs1240(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	e.createAccount(testEmail, "")
	r := e.passwordLogin(testEmail, testPass)
	tok := r.body["Data"].(map[string]any)["PINAuthToken"].(string)
	e.clock.Advance(pinAuthTokenTTL + time.Second)
	r = e.do("POST", "/identity/v2/auth/pin/set/pinauthtoken?apikey="+testKey+"&pinauthtoken="+tok, map[string]string{"PIN": testPIN})
	if r.code() != 1240 {
		t.Fatalf("want 1240, got %d %s", r.status, r.raw)
	}
}

func TestPasswordLoginByUsernameAndUnknownAccount(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	r := e.do("POST", "/identity/v2/manage/account?apikey="+testKey+"&apisecret="+testSecret,
		map[string]any{"UserName": "bob", "Password": testPass, "PINInfo": map[string]string{"PIN": "2580"}})
	if r.status != 200 {
		t.Fatalf("create: %s", r.raw)
	}
	if r := e.do("POST", "/identity/v2/auth/login?apikey="+testKey, map[string]string{"username": "BOB", "password": testPass}); r.status != 200 {
		t.Fatalf("login by username (any case): %d %s", r.status, r.raw)
	}
	if r := e.passwordLogin("nobody@example.com", testPass); r.status != 401 || r.code() != 966 {
		t.Fatalf("unknown account: want 401/966, got %d %s", r.status, r.raw)
	}
	if r := e.do("POST", "/identity/v2/auth/login?apikey="+testKey, map[string]string{"username": "bob", "password": "wrong password"}); r.code() != 966 {
		t.Fatalf("wrong password: want 966, got %s", r.raw)
	}
}

func TestTenantsDoNotSeeEachOthersAccounts(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	uid := e.createAccount(testEmail, testPIN)
	r := e.do("POST", "/identity/v2/auth/login?apikey="+otherKey, map[string]string{"email": testEmail, "password": testPass})
	if r.code() != 966 {
		t.Fatalf("login in another tenant: want 966, got %s", r.raw)
	}
	if r := e.do("GET", "/identity/v2/manage/account/"+uid+"?apikey="+otherKey+"&apisecret="+otherSecret, nil); r.code() != 938 {
		t.Fatalf("management read across tenants: want 938, got %s", r.raw)
	}
	// The same email may exist in both tenants.
	body := map[string]any{"Email": []map[string]string{{"Value": testEmail}}, "Password": testPass}
	if r := e.do("POST", "/identity/v2/manage/account?apikey="+otherKey+"&apisecret="+otherSecret, body); r.status != 200 {
		t.Fatalf("same email in another tenant: %s", r.raw)
	}
	st := e.loggedIn("carol@example.com").str("session_token")
	r = e.do("POST", "/identity/v2/auth/login/pin?apikey="+otherKey+"&session_token="+st, map[string]string{"pin": testPIN})
	if r.code() != 1245 {
		t.Fatalf("session token used with another tenant's key: want 1245, got %s", r.raw)
	}
}
