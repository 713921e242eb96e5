package pinauth

import (
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/config"
)

func TestAccessTokenValidateAndInfo(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	login := e.loggedIn(testEmail)
	tok := login.str("access_token")

	r := e.do("GET", api("auth/access_token/validate"), nil, withToken(tok)...)
	wantOK(t, "validate", r)
	if r.str("access_token") != tok || r.str("expires_in") != login.str("expires_in") {
		t.Fatalf("validate answer: %s", r.raw)
	}
	r = e.do("GET", api("auth/access_token")+"&access_token="+tok, nil)
	wantOK(t, "info by query token", r)
	if r.str("access_token") != tok || r.str("expires_in") != login.str("expires_in") || r.str("provider") != "Email" || r.body["isrememberme"] != false {
		t.Fatalf("info answer: %s", r.raw)
	}

	wantCode(t, "no token", e.do("GET", api("auth/access_token/validate"), nil), 400, 1060)
	wantCode(t, "garbage", e.do("GET", api("auth/access_token/validate"), nil, withToken("abc")...), 403, 905)
	wantCode(t, "this tenant's token with another tenant's key",
		e.do("GET", "/identity/v2/auth/access_token/validate?apikey="+otherKey, nil, withToken(tok)...), 403, 905)
	e.clock.Advance(config.DefaultAccessTTL)
	wantCode(t, "expired", e.do("GET", api("auth/access_token/validate"), nil, withToken(tok)...), 403, 906)
}

func TestLogoutStopsTheSessionsAccessTokensAtOnceAndKeepsRefreshAndPIN(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	login := e.loggedIn(testEmail)
	other := e.passwordLogin(testEmail, testPass)
	tok := login.str("access_token")
	wantOK(t, "protected before logout (now cached)", e.protected(tok))
	wantOK(t, "other device", e.protected(other.str("access_token")))

	r := e.do("GET", api("auth/access_token/invalidate"), nil, withToken(tok)...)
	wantOK(t, "logout", r)
	if r.body["IsPosted"] != true {
		t.Fatalf("logout answer: %s", r.raw)
	}
	wantCode(t, "the cached token after logout", e.protected(tok), 401, 905)
	wantCode(t, "validate after logout", e.do("GET", api("auth/access_token/validate"), nil, withToken(tok)...), 403, 905)
	wantCode(t, "logout twice", e.do("GET", api("auth/access_token/invalidate"), nil, withToken(tok)...), 403, 905)
	wantOK(t, "another device is not logged out", e.protected(other.str("access_token")))

	// Without preventRefresh the refresh token still works, in a new
	// session whose tokens the logout did not touch.
	ref := e.refresh(login.str("refresh_token"))
	wantOK(t, "refresh after logout", ref)
	wantOK(t, "the refreshed access token", e.protected(ref.str("access_token")))
	// The PIN session token survives a logout (it has its own invalidate).
	pin := e.pinLogin(login.str("session_token"), testPIN)
	wantOK(t, "PIN login after logout", pin)
	wantOK(t, "the PIN login's token", e.protected(pin.str("access_token")))
	wantCode(t, "the logged-out token still", e.protected(tok), 401, 905)
}

func TestLogoutWithPreventRefreshAlsoEndsTheRefreshFamily(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	login := e.loggedIn(testEmail)
	first := e.refresh(login.str("refresh_token"))
	wantOK(t, "refresh", first)
	r := e.do("GET", api("auth/access_token/invalidate")+"&preventRefresh=true", nil, withToken(first.str("access_token"))...)
	wantOK(t, "logout with preventRefresh", r)
	wantCode(t, "the newest refresh token", e.refresh(first.str("refresh_token")), 403, 1217)
	wantCode(t, "the first access token of the session", e.protected(login.str("access_token")), 401, 905)
	pin := e.pinLogin(login.str("session_token"), testPIN)
	wantOK(t, "PIN login after logout", pin)
	wantOK(t, "a refresh token of the PIN login", e.refresh(pin.str("refresh_token")))
}

func TestInvalidatedPINSessionTokenOfALoggedOutSessionIsGone(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t, func(c *Config) { c.AccessTTL = time.Hour })
	login := e.loggedIn(testEmail)
	wantOK(t, "invalidate session token", e.do("GET", api("auth/session_token/invalidate")+"&session_token="+login.str("session_token"), nil))
	wantOK(t, "logout", e.do("GET", api("auth/access_token/invalidate")+"&preventRefresh=true", nil, withToken(login.str("access_token"))...))
	wantCode(t, "the invalidated session token", e.pinLogin(login.str("session_token"), testPIN), 403, 1245)
}
