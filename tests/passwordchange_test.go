package tests

import (
	"strings"
	"testing"
)

// TestChangePasswordRevokesTheOtherSessionsAtOnceOnRealCaddy changes the
// password by access token (issue 20): the other device's cached access
// token and its PIN session token are refused at once, the caller's token
// still passes, the old password no longer logs in, the new one does, and
// its PIN session leads to a PIN login that reaches the upstream. The
// operator's set then ends every session, the caller's too, and the hash
// read is refused without a hash.
func TestChangePasswordRevokesTheOtherSessionsAtOnceOnRealCaddy(t *testing.T) {
	t.Parallel()
	g := startGateway(t)
	phone, uid := g.loggedIn()
	laptop := g.passwordLogin()
	if laptop.status != 200 {
		t.Fatalf("second device: %d %s", laptop.status, laptop.raw)
	}
	g.cachedOK("the phone's token", phone.str("access_token"))
	g.cachedOK("the laptop's token", laptop.str("access_token"))

	const changed = "e2e a brand new staple"
	change := func(old, next string) response {
		return g.do("PUT", apiPrefix+"/auth/password/change?apikey="+g.key(),
			map[string]string{"oldpassword": old, "newpassword": next}, withToken(phone.str("access_token"))...)
	}
	change("not the password", changed).wantError(t, 401, 967)
	change(password, "short").wantError(t, 403, 1134)
	if r := change(password, changed); r.status != 200 || r.body["IsPosted"] != true {
		t.Fatalf("change password: %d %s", r.status, r.raw)
	}

	g.protected("/app", laptop.str("access_token")).wantError(t, 401, 905)
	g.pinLogin(laptop.str("session_token"), pin).wantError(t, 403, 1245)
	g.cachedOK("the caller's token after the change", phone.str("access_token"))
	g.passwordLogin().wantError(t, 401, 966)
	login := g.do("POST", apiPrefix+"/auth/login?apikey="+g.key(), map[string]string{"email": email, "password": changed})
	if login.status != 200 || login.str("session_token") == "" {
		t.Fatalf("login with the new password: %d %s", login.status, login.raw)
	}
	pinned := g.pinLogin(login.str("session_token"), pin)
	if pinned.status != 200 || pinned.str("access_token") == "" {
		t.Fatalf("PIN login after the change: %d %s", pinned.status, pinned.raw)
	}
	g.cachedOK("the PIN login's token", pinned.str("access_token"))

	set := g.do("PUT", apiPrefix+"/manage/account/"+uid+"/password?"+g.manage(), map[string]string{"password": password})
	if set.status != 200 || set.raw != `{"PasswordHash":""}` {
		t.Fatalf("set password: %d %s", set.status, set.raw)
	}
	g.protected("/app", phone.str("access_token")).wantError(t, 401, 905)
	g.protected("/app", pinned.str("access_token")).wantError(t, 401, 905)
	if r := g.passwordLogin(); r.status != 200 {
		t.Fatalf("login with the password set: %d %s", r.status, r.raw)
	}
	hash := g.do("GET", apiPrefix+"/manage/account/"+uid+"/password?"+g.manage(), nil)
	hash.wantError(t, 403, 1144)
	if strings.Contains(hash.raw, "argon2") || strings.Contains(hash.raw, "PasswordHash") {
		t.Fatalf("the hash read gave something out: %s", hash.raw)
	}
	for _, secret := range []string{password, changed} {
		if strings.Contains(g.proc.Logs(), secret) {
			t.Errorf("caddy's output contains a password")
		}
	}
}
