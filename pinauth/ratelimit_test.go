package pinauth

import (
	"net/http"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/config"
	"github.com/pinauth/caddy-pinauth/pinauth/ratelimit"
)

// clientIPFromHeader lets a test present several client addresses.
func clientIPFromHeader(r *http.Request) string {
	if ip := r.Header.Get("X-Test-Client-IP"); ip != "" {
		return ip
	}
	return config.RemoteHost(r)
}

func TestRateLimitAnswers429PerClientOnCredentialChecksOnly(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, func(c *Config) {
		c.RateLimit = ratelimit.Policy{Requests: 3, Window: time.Minute}
		c.ClientIP = clientIPFromHeader
	})
	login := e.loggedIn(testEmail) // one credential check from 127.0.0.1
	uid := login.body["Profile"].(map[string]any)["Uid"].(string)
	const a, b = "198.51.100.1", "198.51.100.2"
	wrong := map[string]string{"email": testEmail, "password": "wrong password"}
	for i := 1; i <= 3; i++ {
		if r := e.do("POST", "/identity/v2/auth/login?apikey="+testKey, wrong, "X-Test-Client-IP", a); r.code() != 966 {
			t.Fatalf("check %d from A: want 966, got %s", i, r.raw)
		}
	}
	r := e.do("POST", "/identity/v2/auth/login?apikey="+testKey, wrong, "X-Test-Client-IP", a)
	if r.status != 429 || r.code() != 429 || r.header.Get("Retry-After") != "20" {
		t.Fatalf("fourth check from A: want 429 with Retry-After 20, got %d %q %s", r.status, r.header.Get("Retry-After"), r.raw)
	}
	if r.str("Message") != "Too many requests in a particular time frame" {
		t.Fatalf("429 body: %s", r.raw)
	}
	if n := e.failures(uid); n != 3 {
		t.Fatalf("a rate-limited request was counted toward the lockout: %d failures", n)
	}
	// PIN logins from A are credential checks too.
	pin := e.do("POST", "/identity/v2/auth/login/pin?apikey="+testKey+"&session_token="+login.str("session_token"),
		map[string]string{"pin": testPIN}, "X-Test-Client-IP", a)
	if pin.status != 429 {
		t.Fatalf("PIN login from A: want 429, got %d %s", pin.status, pin.raw)
	}
	// So is setting a PIN with a PinAuthToken, whatever the token.
	set := e.do("POST", "/identity/v2/auth/pin/set/pinauthtoken?apikey="+testKey+"&pinauthtoken=00000000-0000-4000-8000-000000000000",
		map[string]string{"pin": "4821"}, "X-Test-Client-IP", a)
	if set.status != 429 || set.header.Get("Retry-After") == "" {
		t.Fatalf("PIN set from A: want 429 with Retry-After, got %d %s", set.status, set.raw)
	}
	// B is unaffected.
	if r := e.do("POST", "/identity/v2/auth/login?apikey="+testKey, map[string]string{"email": testEmail, "password": testPass},
		"X-Test-Client-IP", b); r.status != 200 {
		t.Fatalf("login from B: %d %s", r.status, r.raw)
	}
	// Token validation and API-secret calls from A are not limited.
	for i := 0; i < 5; i++ {
		if r := e.protected(login.str("access_token"), "X-Test-Client-IP", a); r.status != 200 {
			t.Fatalf("protected request %d from A: %d %s", i+1, r.status, r.raw)
		}
		if r := e.do("GET", manageURL(uid), nil, "X-Test-Client-IP", a); r.status != 200 {
			t.Fatalf("management call %d from A: %d %s", i+1, r.status, r.raw)
		}
		for _, p := range []string{"auth/access_token/validate", "auth/access_token", "auth/account"} {
			if r := e.do("GET", "/identity/v2/"+p+"?apikey="+testKey, nil, "X-Test-Client-IP", a,
				"Authorization", "Bearer "+login.str("access_token")); r.status != 200 {
				t.Fatalf("token call %s %d from A: %d %s", p, i+1, r.status, r.raw)
			}
		}
	}
	// One interval later A may check once more.
	e.clock.Advance(20 * time.Second)
	if r := e.do("POST", "/identity/v2/auth/login?apikey="+testKey, map[string]string{"email": testEmail, "password": testPass},
		"X-Test-Client-IP", a); r.status != 200 {
		t.Fatalf("login from A after 20s: %d %s", r.status, r.raw)
	}
}

func TestRateLimiterSharedBetweenGatewaysKeepsCounts(t *testing.T) {
	t.Parallel()
	st := openTestStore(t)
	shared := ratelimit.New(0)
	limit := func(c *Config) {
		c.RateLimit = ratelimit.Policy{Requests: 2, Window: time.Hour}
		c.RateLimiter = shared
	}
	first := newTestEnvOn(t, st, limit)
	first.createAccount(testEmail, testPIN)
	for i := 0; i < 2; i++ {
		if r := first.passwordLogin(testEmail, "wrong password"); r.code() != 966 {
			t.Fatalf("check %d: %s", i+1, r.raw)
		}
	}
	// A reload builds a new Gateway on the same limiter: the budget
	// spent under the old one stays spent.
	second := newTestEnvOn(t, st, limit)
	if r := second.passwordLogin(testEmail, testPass); r.status != 429 {
		t.Fatalf("first check after the reload: want 429, got %d %s", r.status, r.raw)
	}
}
