package pinauth

import (
	"sync"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/config"
	"github.com/pinauth/caddy-pinauth/pinauth/internal/lrprofile"
)

func TestRefreshRotatesAndReuseRevokesTheFamily(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	login := e.loggedIn(testEmail)
	other := e.passwordLogin(testEmail, testPass)
	wantOK(t, "protected (now cached)", e.protected(login.str("access_token")))
	e.clock.Advance(time.Minute)

	first := e.refresh(login.str("refresh_token"))
	wantOK(t, "refresh", first)
	if first.str("refresh_token") == login.str("refresh_token") || first.str("access_token") == "" ||
		first.str("expires_in") != lrprofile.Time(e.clock.Now().Add(config.DefaultAccessTTL)) {
		t.Fatalf("refresh answer: %s", first.raw)
	}
	wantOK(t, "the refreshed access token", e.protected(first.str("access_token")))
	sid := func() string {
		calls := e.upstream.calls()
		return calls[len(calls)-1].Get("X-Auth-Session")
	}
	refreshedSID := sid()
	e.protected(login.str("access_token"))
	if sid() != refreshedSID {
		t.Fatal("a refresh must continue the login session")
	}
	second := e.refresh(first.str("refresh_token"))
	wantOK(t, "refresh the refreshed token", second)
	wantOK(t, "protected with the newest token (now cached)", e.protected(second.str("access_token")))

	// The first refresh token was spent: presenting it again is reuse.
	wantCode(t, "reuse of a spent refresh token", e.refresh(login.str("refresh_token")), 403, 1217)
	wantCode(t, "the newest refresh token of the family", e.refresh(second.str("refresh_token")), 403, 1217)
	for _, tok := range []string{login.str("access_token"), first.str("access_token"), second.str("access_token")} {
		wantCode(t, "an access token of the revoked family", e.protected(tok), 401, 905)
	}
	wantOK(t, "another session of the account", e.protected(other.str("access_token")))
	wantOK(t, "another session's refresh token", e.refresh(other.str("refresh_token")))
}

func TestRefreshErrors(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	login := e.loggedIn(testEmail)
	rt := login.str("refresh_token")
	wantCode(t, "no refresh_token", e.do("GET", manage("manage/account/access_token/refresh"), nil), 403, 908)
	wantCode(t, "no API secret", e.do("GET", api("manage/account/access_token/refresh")+"&refresh_token="+rt, nil), 401, 902)
	wantCode(t, "unknown token", e.refresh("00000000-0000-4000-8000-000000000000"), 403, 1217)
	wantCode(t, "another tenant", e.do("GET", "/identity/v2/manage/account/access_token/refresh?apikey="+otherKey+"&apisecret="+otherSecret+"&refresh_token="+rt, nil), 403, 1217)
	wantOK(t, "the token still works after the refusals", e.refresh(rt))

	late := e.passwordLogin(testEmail, testPass).str("refresh_token")
	e.clock.Advance(config.DefaultRefreshTTL)
	wantCode(t, "expired token", e.refresh(late), 403, 1217)
}

func TestRefreshAfterBlockingTheAccountIsRefused(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	login := e.loggedIn(testEmail)
	r := e.do("PUT", manage("manage/account/"+uidOf(login)), map[string]any{"IsActive": false})
	wantOK(t, "block", r)
	// Blocking revoked the sessions: the refresh token is gone with them.
	wantCode(t, "refresh of a blocked account", e.refresh(login.str("refresh_token")), 403, 1217)
}

func TestConcurrentRefreshesWithOneTokenYieldOneSuccessAndRevokeTheFamily(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	rt := e.loggedIn(testEmail).str("refresh_token")
	const n = 8
	results := make([]response, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			results[i] = e.refresh(rt)
		}()
	}
	close(start)
	wg.Wait()
	var winner response
	ok := 0
	for _, r := range results {
		switch {
		case r.status == 200:
			ok++
			winner = r
		case r.code() != 1217:
			t.Fatalf("concurrent refresh: %d %s", r.status, r.raw)
		}
	}
	if ok != 1 {
		t.Fatalf("%d refreshes succeeded with one token, want exactly 1", ok)
	}
	// The others were reuse: the winner's family is revoked as well.
	wantCode(t, "the winner's refresh token", e.refresh(winner.str("refresh_token")), 403, 1217)
	wantCode(t, "the winner's access token", e.protected(winner.str("access_token")), 401, 905)
}

func TestRevokeRefreshTokens(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	a := e.loggedIn(testEmail)
	b := e.passwordLogin(testEmail, testPass)
	c := e.passwordLogin(testEmail, testPass)
	uid := uidOf(a)
	spent := e.refresh(a.str("refresh_token"))
	wantOK(t, "refresh", spent)

	revoke := func(token string) response {
		return e.do("GET", manage("manage/account/access_token/refresh/revoke")+"&refresh_token="+token, nil)
	}
	wantOK(t, "revoke by a spent token of the family", revoke(a.str("refresh_token")))
	wantCode(t, "the family's newest token", e.refresh(spent.str("refresh_token")), 403, 1217)
	wantOK(t, "the family's access token still works until it expires", e.protected(spent.str("access_token")))
	wantOK(t, "another family", e.refresh(b.str("refresh_token")))
	wantCode(t, "revoke an unknown token", revoke("00000000-0000-4000-8000-000000000000"), 403, 1217)
	wantCode(t, "revoke without a token", e.do("GET", manage("manage/account/access_token/refresh/revoke"), nil), 403, 908)

	r := e.do("DELETE", manage("manage/account/"+uid+"/access_token/refresh/revoke"), nil)
	wantOK(t, "revoke all", r)
	if r.body["IsDeleted"] != true {
		t.Fatalf("revoke all answer: %s", r.raw)
	}
	wantCode(t, "a refresh token after revoke all", e.refresh(c.str("refresh_token")), 403, 1217)
	wantOK(t, "PIN login still works", e.pinLogin(c.str("session_token"), testPIN))
	wantCode(t, "revoke all of an unknown account", e.do("DELETE", manage("manage/account/0123456789abcdef0123456789abcdef/access_token/refresh/revoke"), nil), 403, 938)
}
