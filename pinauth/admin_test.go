package pinauth

import (
	"encoding/json"
	"errors"
	"github.com/pinauth/caddy-pinauth/pinauth/operator"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/lrerr"
	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

// adminCode returns the catalogue code of an Admin error (0 for nil).
func adminCode(t *testing.T, err error) lrerr.Code {
	t.Helper()
	if err == nil {
		return 0
	}
	var e *lrerr.Error
	if !errors.As(err, &e) {
		t.Fatalf("Admin returned %T %v, want an *Error", err, err)
	}
	return e.Code
}

func TestAdminCreatedAccountLogsInThroughTheAPI(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t, func(c *Config) {
		c.Webhooks = []webhook.Webhook{{URL: "http://127.0.0.1:1/hook", Secret: "admin-test-webhook-secret-0123"}}
		c.NoDelivery = true // recorded, never sent
	})
	adm := env.gw.Admin()
	pass, pin, user := testPass, testPIN, "alice"
	info, err := adm.CreateAccount(t.Context(), "demo", operator.AccountInput{
		Emails: []store.Email{{Value: " " + testEmail + " "}}, Username: &user,
		Password: &pass, PIN: &pin, Roles: []string{"user"},
		Profile: map[string]json.RawMessage{"FirstName": json.RawMessage(`"Alice"`)},
	})
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := info.Profile["Uid"].(string)
	if first, _ := json.Marshal(info.Profile["FirstName"]); uid == "" || !info.HasPassword || !info.HasPIN || string(first) != `"Alice"` {
		t.Fatalf("created: %+v", info)
	}
	for _, k := range []string{"Password", "PINHash", "PasswordHash"} {
		if _, ok := info.Profile[k]; ok {
			t.Errorf("the profile has %s", k)
		}
	}
	// The same Register event the API records.
	evs, err := env.store.Events(t.Context(), store.EventFilter{UID: uid})
	if err != nil || len(evs) != 1 || evs[0].Hook != webhook.Register {
		t.Fatalf("events after CreateAccount: %v %+v", err, evs)
	}

	login := env.passwordLogin(testEmail, testPass)
	if login.status != 200 || login.str("session_token") == "" {
		t.Fatalf("password login of the account Admin created: %d %s", login.status, login.raw)
	}
	if r := env.pinLogin(login.str("session_token"), testPIN); r.status != 200 {
		t.Fatalf("PIN login: %d %s", r.status, r.raw)
	}

	t.Run("the same rules as the API", func(t *testing.T) {
		weak, short := "1234", "abc"
		if _, err := adm.SetPIN(t.Context(), "demo", uid, weak); adminCode(t, err) != lrerr.CodeValidation {
			t.Errorf("a weak PIN: %v", err)
		}
		if _, err := adm.SetPassword(t.Context(), "demo", uid, short); adminCode(t, err) != lrerr.CodeValidation {
			t.Errorf("a short password: %v", err)
		}
		if _, err := adm.CreateAccount(t.Context(), "demo", operator.AccountInput{
			Emails: []store.Email{{Value: testEmail}}, Password: &pass,
		}); adminCode(t, err) != lrerr.CodeEmailTaken {
			t.Errorf("a taken email: %v", err)
		}
		if _, err := adm.CreateAccount(t.Context(), "demo", operator.AccountInput{
			Emails: []store.Email{{Value: "x@example.com"}}, Password: &pass,
			Profile: map[string]json.RawMessage{"PasswordHash": json.RawMessage(`"x"`)},
		}); adminCode(t, err) != lrerr.CodeValidation {
			t.Errorf("a secret profile field: %v", err)
		}
		if _, err := adm.Block(t.Context(), "demo", "no-such-uid"); adminCode(t, err) != lrerr.CodeUserNotFound {
			t.Errorf("an unknown account: %v", err)
		}
		if _, err := adm.Block(t.Context(), "", uid); !errors.Is(err, operator.ErrUnknownTenant) {
			t.Errorf("no tenant named with two configured: %v", err)
		}
	})
}

func TestAdminUnlockLiftsALockAndABlockAndBlockRevokesSessions(t *testing.T) {
	t.Parallel()
	env := newTestEnv(t)
	adm := env.gw.Admin()
	login := env.loggedIn(testEmail)
	uid := login.body["Profile"].(map[string]any)["Uid"].(string)
	access := login.str("access_token")
	if r := env.protected(access); r.status != 200 {
		t.Fatalf("protected before the block: %d", r.status)
	}

	info, err := adm.Block(t.Context(), "demo", uid)
	if err != nil || info.Profile["IsActive"] != false {
		t.Fatalf("block: %v %+v", err, info)
	}
	if r := env.protected(access); r.status == 200 {
		t.Fatal("the access token still works after Block")
	}
	if r := env.passwordLogin(testEmail, testPass); r.code() != int(lrerr.CodeAccountBlocked) {
		t.Fatalf("login of a blocked account: %d %s", r.status, r.raw)
	}

	// Five wrong passwords lock it as well.
	for range 5 {
		env.passwordLogin(testEmail, "wrong password")
	}
	if !env.attempts(uid).Locked(env.clock.Now()) {
		t.Fatal("five failures did not lock the account")
	}
	found, err := adm.Find(t.Context(), "demo", testEmail)
	if err != nil || found.Lock.LockType != store.LockSuspend || found.Profile["IsLoginLocked"] != true {
		t.Fatalf("Find of the locked account: %v %+v", err, found)
	}

	info, err = adm.Unlock(t.Context(), "demo", uid)
	if err != nil {
		t.Fatal(err)
	}
	if info.Profile["IsActive"] != true || info.Profile["IsLoginLocked"] != false || info.Lock.LockType != store.LockNone {
		t.Fatalf("after Unlock: %+v", info)
	}
	if att := env.attempts(uid); att.Failures != 0 || att.Locked(env.clock.Now()) {
		t.Fatalf("attempts after Unlock: %+v", att)
	}
	if r := env.passwordLogin(testEmail, testPass); r.status != 200 {
		t.Fatalf("login after Unlock: %d %s", r.status, r.raw)
	}

	if err := adm.DeleteAccount(t.Context(), "demo", uid); err != nil {
		t.Fatal(err)
	}
	if _, err := adm.Find(t.Context(), "demo", uid); adminCode(t, err) != lrerr.CodeUserNotFound {
		t.Fatalf("Find after delete: %v", err)
	}
}
