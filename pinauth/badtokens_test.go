package pinauth

import (
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/config"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// snapshot reads an account and its lock state straight from the store,
// hashes and all, so a test can tell that a refused call wrote nothing.
func (e *testEnv) snapshot(t *testing.T, uid string) (store.Account, store.Attempts) {
	t.Helper()
	a, found, err := e.store.Account(t.Context(), "demo", uid)
	if err != nil || !found {
		t.Fatalf("account %s: found %v, %v", uid, found, err)
	}
	att, _, err := e.store.Attempts(t.Context(), a.Ref())
	if err != nil {
		t.Fatal(err)
	}
	return a, att
}

// wantUnchanged fails when the account or its lock state differs from
// before: version, modification time, secrets, login statistics, failures.
func (e *testEnv) wantUnchanged(t *testing.T, what string, before store.Account, beforeAtt store.Attempts) {
	t.Helper()
	after, att := e.snapshot(t, before.UID)
	if after.Version != before.Version || !after.ModifiedAt.Equal(before.ModifiedAt) || after.PINHash != before.PINHash ||
		after.PasswordHash != before.PasswordHash || after.NoOfLogins != before.NoOfLogins || !after.LastLoginAt.Equal(before.LastLoginAt) {
		t.Errorf("%s changed the account: version %d→%d, NoOfLogins %d→%d, PIN hash changed %v",
			what, before.Version, after.Version, before.NoOfLogins, after.NoOfLogins, after.PINHash != before.PINHash)
	}
	if att.Failures != beforeAtt.Failures || att.LockType != beforeAtt.LockType {
		t.Errorf("%s changed the lock state: %+v → %+v", what, beforeAtt, att)
	}
}

func TestExpiredAndReusedTokensGetTheirCatalogueErrorAndChangeNothing(t *testing.T) {
	t.Parallel()
	e := newTestEnv(t)
	setPIN := func(token, pin string) response {
		return e.do("POST", "/identity/v2/auth/pin/set/pinauthtoken?apikey="+testKey+"&pinauthtoken="+token, map[string]string{"pin": pin})
	}
	pinAuthToken := func() string {
		r := e.passwordLogin(testEmail, testPass)
		data, _ := r.body["Data"].(map[string]any)
		tok, _ := data["PINAuthToken"].(string)
		if r.status != 403 || r.code() != 1243 || tok == "" {
			t.Fatalf("password login without a PIN: want 403/1243 with a PINAuthToken, got %d %s", r.status, r.raw)
		}
		return tok
	}
	uid := e.createAccount(testEmail, "")

	t.Run("an expired PINAuthToken is 403/1240 and sets no PIN", func(t *testing.T) {
		tok := pinAuthToken()
		e.clock.Advance(pinAuthTokenTTL + time.Second)
		before, att := e.snapshot(t, uid)
		wantCode(t, "expired PINAuthToken", setPIN(tok, testPIN), 403, 1240)
		e.wantUnchanged(t, "an expired PINAuthToken", before, att)
		if before.PINHash != "" {
			t.Fatal("the account had a PIN before the test set one")
		}
	})

	t.Run("a spent PINAuthToken is 403/1239 and keeps the first PIN", func(t *testing.T) {
		tok := pinAuthToken()
		if r := setPIN(tok, testPIN); r.status != 200 {
			t.Fatalf("set PIN: %d %s", r.status, r.raw)
		}
		before, att := e.snapshot(t, uid)
		wantCode(t, "spent PINAuthToken", setPIN(tok, "7305"), 403, 1239)
		e.wantUnchanged(t, "a spent PINAuthToken", before, att)
	})

	t.Run("an expired session token is 403/1246 and counts no failure", func(t *testing.T) {
		r := e.passwordLogin(testEmail, testPass)
		st := r.str("session_token")
		if r.status != 200 || st == "" {
			t.Fatalf("password login: %d %s", r.status, r.raw)
		}
		e.clock.Advance(config.DefaultSessionTTL + time.Second)
		before, att := e.snapshot(t, uid)
		wantCode(t, "expired session token, right PIN", e.pinLogin(st, testPIN), 403, 1246)
		wantCode(t, "expired session token, wrong PIN", e.pinLogin(st, "7305"), 403, 1246)
		e.wantUnchanged(t, "an expired session token", before, att)
	})
}
