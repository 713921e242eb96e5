package tests

import (
	"net/url"
	"strings"
	"testing"
)

// The token and PIN lifecycle on real Caddy: revocations take effect on the
// very next proxied request, also for tokens the gateway has cached.

const newPIN = "5830"

// withToken is the Authorization header pair for an access token.
func withToken(token string) []string { return []string{"Authorization", "Bearer " + token} }

// refresh trades a refresh token through the management API.
func (g *gateway) refresh(token string) response {
	g.t.Helper()
	return g.do("GET", apiPrefix+"/manage/account/access_token/refresh?"+g.manage()+"&refresh_token="+url.QueryEscape(token), nil)
}

// cachedOK calls the protected path with token and fails unless the
// upstream answered, so that the token is in the verified-token cache.
func (g *gateway) cachedOK(what, token string) {
	g.t.Helper()
	if r := g.protected("/app", token); r.status != 200 || r.raw != upstreamBody {
		g.t.Fatalf("%s: want the upstream, got %d %s", what, r.status, r.raw)
	}
}

func TestChangePINRevokesTheOtherDeviceAtOnceOnRealCaddy(t *testing.T) {
	t.Parallel()
	g := startGateway(t)
	phone, _ := g.loggedIn()
	laptop := g.passwordLogin()
	if laptop.status != 200 {
		t.Fatalf("second device: %d %s", laptop.status, laptop.raw)
	}
	g.cachedOK("the phone's token", phone.str("access_token"))
	g.cachedOK("the laptop's token", laptop.str("access_token"))

	r := g.do("PUT", apiPrefix+"/auth/pin/change?apikey="+g.key(),
		map[string]string{"oldPIN": "1111", "newPIN": newPIN}, withToken(phone.str("access_token"))...)
	r.wantError(t, 401, 1241)
	r = g.do("PUT", apiPrefix+"/auth/pin/change?apikey="+g.key(),
		map[string]string{"oldPIN": pin, "newPIN": newPIN}, withToken(phone.str("access_token"))...)
	if r.status != 200 || r.body["IsPosted"] != true {
		t.Fatalf("change PIN: %d %s", r.status, r.raw)
	}

	g.protected("/app", laptop.str("access_token")).wantError(t, 401, 905)
	g.cachedOK("the caller's token after the change", phone.str("access_token"))
	g.pinLogin(laptop.str("session_token"), newPIN).wantError(t, 403, 1245)
	g.pinLogin(phone.str("session_token"), pin).wantError(t, 401, 1236)
	if r := g.pinLogin(phone.str("session_token"), newPIN); r.status != 200 || r.str("access_token") == "" {
		t.Fatalf("the new PIN with the caller's session token: %d %s", r.status, r.raw)
	}
}

func TestLogoutStopsTheTokenOnTheNextRequest(t *testing.T) {
	t.Parallel()
	g := startGateway(t)
	login, _ := g.loggedIn()
	tok := login.str("access_token")
	g.cachedOK("before logout", tok)
	if r := g.do("GET", apiPrefix+"/auth/access_token/invalidate?apikey="+g.key(), nil, withToken(tok)...); r.status != 200 || r.body["IsPosted"] != true {
		t.Fatalf("logout: %d %s", r.status, r.raw)
	}
	before := len(g.up.requests())
	g.protected("/app", tok).wantError(t, 401, 905)
	if len(g.up.requests()) != before {
		t.Fatal("the upstream was called with a logged-out token")
	}
	// The refresh token survives a logout without preventRefresh.
	if r := g.refresh(login.str("refresh_token")); r.status != 200 {
		t.Fatalf("refresh after logout: %d %s", r.status, r.raw)
	} else {
		g.cachedOK("the refreshed token", r.str("access_token"))
	}
}

func TestRefreshTokenReuseRevokesTheWholeFamilyOnRealCaddy(t *testing.T) {
	t.Parallel()
	g := startGateway(t)
	login, _ := g.loggedIn()
	first := g.refresh(login.str("refresh_token"))
	if first.status != 200 || first.str("refresh_token") == "" {
		t.Fatalf("refresh: %d %s", first.status, first.raw)
	}
	g.cachedOK("the refreshed token", first.str("access_token"))

	g.refresh(login.str("refresh_token")).wantError(t, 403, 1217)
	g.refresh(first.str("refresh_token")).wantError(t, 403, 1217)
	g.protected("/app", first.str("access_token")).wantError(t, 401, 905)
	g.protected("/app", login.str("access_token")).wantError(t, 401, 905)
}

func TestStepUpByPINOnRealCaddy(t *testing.T) {
	t.Parallel()
	g := startGateway(t)
	login, uid := g.loggedIn()
	r := g.do("PUT", apiPrefix+"/auth/account/reauth/pin?apikey="+g.key(), map[string]string{"PIN": pin}, withToken(login.str("access_token"))...)
	token := r.str("SecondFactorValidationToken")
	if r.status != 200 || token == "" {
		t.Fatalf("reauth: %d %s", r.status, r.raw)
	}
	validate := func() response {
		return g.do("POST", apiPrefix+"/manage/account/"+uid+"/reauth/pin?"+g.manage(), map[string]string{"secondfactorvalidationtoken": token})
	}
	if r := validate(); r.status != 200 || r.body["IsValid"] != true {
		t.Fatalf("validate: %d %s", r.status, r.raw)
	}
	validate().wantError(t, 403, 1193)
}

func TestSessionTokenInvalidateValidateAndLogoutWithPreventRefreshOnRealCaddy(t *testing.T) {
	t.Parallel()
	g := startGateway(t)
	login, uid := g.loggedIn()
	st, tok := login.str("session_token"), login.str("access_token")
	g.cachedOK("before anything", tok)

	invalidate := func(token string) response {
		return g.do("GET", apiPrefix+"/auth/session_token/invalidate?apikey="+g.key()+"&session_token="+url.QueryEscape(token), nil)
	}
	if r := invalidate(st); r.status != 200 || r.body["IsPosted"] != true {
		t.Fatalf("invalidate the session token: %d %s", r.status, r.raw)
	}
	g.pinLogin(st, pin).wantError(t, 403, 1245)
	invalidate(st).wantError(t, 403, 1245)
	g.do("GET", apiPrefix+"/auth/session_token/invalidate?apikey="+g.key(), nil).wantError(t, 403, 908)
	g.cachedOK("the session's access token after the session token went", tok)

	r := g.do("GET", apiPrefix+"/auth/access_token/validate?apikey="+g.key(), nil, withToken(tok)...)
	if r.status != 200 || r.str("access_token") != tok || r.str("expires_in") == "" {
		t.Fatalf("validate: %d %s", r.status, r.raw)
	}
	if r := g.do("GET", apiPrefix+"/auth/access_token?apikey="+g.key()+"&access_token="+url.QueryEscape(tok), nil); r.status != 200 || r.str("access_token") != tok {
		t.Fatalf("token info: %d %s", r.status, r.raw)
	}
	g.do("GET", apiPrefix+"/auth/access_token/validate?apikey="+g.key(), nil).wantError(t, 400, 1060)

	// Profile read and update by the same token.
	prof := g.do("GET", apiPrefix+"/auth/account?apikey="+g.key(), nil, withToken(tok)...)
	if prof.status != 200 || prof.str("Uid") != uid || strings.Contains(prof.raw, `"`+pin+`"`) || prof.body["Password"] != nil {
		t.Fatalf("own profile: %d %s", prof.status, prof.raw)
	}
	// IsActive is the operator's: a change is refused, not dropped (issue
	// 16), and nothing of the body is written.
	g.do("PUT", apiPrefix+"/auth/account?apikey="+g.key(), map[string]any{"FirstName": "Mallory", "IsActive": false}, withToken(tok)...).wantError(t, 403, 1134)
	upd := g.do("PUT", apiPrefix+"/auth/account?apikey="+g.key(), map[string]any{"FirstName": "Alicia", "IsActive": true}, withToken(tok)...)
	if upd.status != 200 || upd.body["IsPosted"] != true || upd.object("Data")["FirstName"] != "Alicia" || upd.object("Data")["IsActive"] != true {
		t.Fatalf("own profile update (IsActive as it is): %d %s", upd.status, upd.raw)
	}
	g.do("PUT", apiPrefix+"/auth/account?apikey="+g.key(), map[string]any{"PINInfo": map[string]string{"PIN": newPIN}}, withToken(tok)...).wantError(t, 403, 1134)
	if r := g.pinLogin(g.passwordLogin().str("session_token"), pin); r.status != 200 {
		t.Fatalf("the PIN after a refused overwrite: %d %s", r.status, r.raw)
	}

	r = g.do("GET", apiPrefix+"/auth/access_token/invalidate?apikey="+g.key()+"&preventRefresh=true", nil, withToken(tok)...)
	if r.status != 200 || r.body["IsPosted"] != true {
		t.Fatalf("logout with preventRefresh: %d %s", r.status, r.raw)
	}
	g.protected("/app", tok).wantError(t, 401, 905)
	g.do("GET", apiPrefix+"/auth/access_token/validate?apikey="+g.key(), nil, withToken(tok)...).wantError(t, 403, 905)
	g.refresh(login.str("refresh_token")).wantError(t, 403, 1217)
}

func TestRevokeRefreshTokensOneAndAllOnRealCaddy(t *testing.T) {
	t.Parallel()
	g := startGateway(t)
	phone, uid := g.loggedIn()
	laptop := g.passwordLogin()
	revoke := func(token string) response {
		return g.do("GET", apiPrefix+"/manage/account/access_token/refresh/revoke?"+g.manage()+"&refresh_token="+url.QueryEscape(token), nil)
	}
	if r := revoke(phone.str("refresh_token")); r.status != 200 || r.body["IsDeleted"] != true {
		t.Fatalf("revoke one: %d %s", r.status, r.raw)
	}
	g.refresh(phone.str("refresh_token")).wantError(t, 403, 1217)
	revoke(phone.str("refresh_token")).wantError(t, 403, 1217)
	g.cachedOK("the phone's access token (it lives until it expires)", phone.str("access_token"))
	next := g.refresh(laptop.str("refresh_token"))
	if next.status != 200 {
		t.Fatalf("the laptop's refresh after revoking the phone's: %d %s", next.status, next.raw)
	}

	all := func(uid string) response {
		return g.do("DELETE", apiPrefix+"/manage/account/"+uid+"/access_token/refresh/revoke?"+g.manage(), nil)
	}
	if r := all(uid); r.status != 200 || r.body["IsDeleted"] != true {
		t.Fatalf("revoke all: %d %s", r.status, r.raw)
	}
	g.refresh(next.str("refresh_token")).wantError(t, 403, 1217)
	all("0123456789abcdef0123456789abcdef").wantError(t, 403, 938)
	g.do("DELETE", apiPrefix+"/manage/account/"+uid+"/access_token/refresh/revoke?apikey="+g.key(), nil).wantError(t, 401, 902)
}
