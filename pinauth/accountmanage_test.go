package pinauth

import (
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
	"github.com/pinauth/caddy-pinauth/pinauth/store/postgres"
	"github.com/pinauth/caddy-pinauth/pinauth/store/postgres/pgtest"
	"github.com/pinauth/caddy-pinauth/pinauth/store/sqlite"
	"github.com/pinauth/caddy-pinauth/pinauth/webhook"
)

// onEveryBackend runs fn as a subtest on a gateway over a SQLite file and
// on one over a PostgreSQL database of its own (skipped, as pgtest skips,
// when no server answers).
func onEveryBackend(t *testing.T, fn func(t *testing.T, e *testEnv), mutate ...func(*Config)) {
	t.Helper()
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			t.Parallel()
			var st store.Store
			var err error
			if backend == "sqlite" {
				st, err = sqlite.Open(filepath.Join(t.TempDir(), "pinauth.db"))
			} else {
				st, err = postgres.Open(t.Context(), postgres.Config{DSN: pgtest.DSN(t), MaxConns: 4})
			}
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			fn(t, newTestEnvOn(t, st, mutate...))
		})
	}
}

// TestUpdatePhoneIDByUIDMovesThePhoneLoginAndKeepsNamesUnique: PUT
// /manage/account/{uid}/phoneid (issue 20) answers the profile with the
// new number, which logs in from then on while the old one no longer
// does; a number another account has, as its phone or as any other name,
// is 1058; a missing or malformed one 1134, an unknown uid 938; refusals
// change nothing; UpdatePhoneId is recorded despite prevent_webhook.
func TestUpdatePhoneIDByUIDMovesThePhoneLoginAndKeepsNamesUnique(t *testing.T) {
	t.Parallel()
	onEveryBackend(t, func(t *testing.T, e *testEnv) {
		uid := e.createAccount(testEmail, testPIN)
		path := func(uid string) string { return manage("manage/account/"+uid+"/phoneid") + "&prevent_webhook=true" }
		login := func(phone string) response {
			return e.do("POST", api("auth/login"), map[string]string{"phone": phone, "password": testPass})
		}
		r := e.do("PUT", path(uid), map[string]string{"Phone": "+15551230001"})
		wantOK(t, "set the phone", r)
		if r.str("Uid") != uid || r.str("PhoneId") != "+15551230001" {
			t.Fatalf("answer: %s", r.raw)
		}
		wantOK(t, "login by the phone", login("+15551230001"))
		wantOK(t, "replace the phone", e.do("PUT", path(uid), map[string]string{"phone": "+15551230002"}))
		wantOK(t, "login by the new phone", login("+15551230002"))
		if r := login("+15551230001"); r.status == 200 {
			t.Errorf("the old phone still logs in")
		}

		bob := e.do("POST", manage("manage/account"), map[string]any{"UserName": "+15559990000", "PhoneId": "+15559990001", "Password": testPass})
		wantOK(t, "create bob", bob)
		before := e.account(uid)
		wantCode(t, "bob's phone", e.do("PUT", path(uid), map[string]string{"Phone": "+15559990001"}), 403, 1058)
		wantCode(t, "bob's username", e.do("PUT", path(uid), map[string]string{"Phone": "+15559990000"}), 403, 1058)
		wantCode(t, "no phone", e.do("PUT", path(uid), map[string]string{}), 403, 1134)
		wantCode(t, "not international", e.do("PUT", path(uid), map[string]string{"Phone": "5551230003"}), 403, 1134)
		wantCode(t, "unknown uid", e.do("PUT", path("0123456789abcdef0123456789abcdef"), map[string]string{"Phone": "+15551230003"}), 403, 938)
		wantCode(t, "without the secret", e.do("PUT", api("manage/account/"+uid+"/phoneid"), map[string]string{"Phone": "+15551230003"}), 401, 902)
		if after := e.account(uid); after.Phone != "+15551230002" || after.Version != before.Version {
			t.Errorf("refused calls changed the account: phone %q, version %d -> %d", after.Phone, before.Version, after.Version)
		}
		if n := e.countHook(uid, webhook.UpdatePhoneID); n != 2 {
			t.Errorf("events %v; want two UpdatePhoneId despite prevent_webhook", e.hooks(uid))
		}
	}, withWebhook)
}

// TestDeleteAccountByEmailEndsItsTokensAndIdentitiesFindIt: GET
// /manage/account/identities and DELETE /manage/account?email= (issue 20):
// the identities answer the account having the email; the deletion
// answers {IsDeleted, RecordsDeleted: 1}, stops the account's cached
// access token and its refresh token at once and records DeleteAccount;
// afterwards both answer 938, and without an email 908.
func TestDeleteAccountByEmailEndsItsTokensAndIdentitiesFindIt(t *testing.T) {
	t.Parallel()
	onEveryBackend(t, func(t *testing.T, e *testEnv) {
		login := e.loggedIn(testEmail)
		uid, tok := uidOf(login), login.str("access_token")
		bob := e.createAccount("bob@example.com", testPIN)
		wantOK(t, "the token", e.protected(tok))
		wantOK(t, "the token, cached", e.protected(tok))
		byEmail := func(path, email string) string { return manage(path) + "&email=" + url.QueryEscape(email) }

		r := e.do("GET", byEmail("manage/account/identities", "ALICE@example.com"), nil)
		wantOK(t, "identities", r)
		data, _ := r.body["Data"].([]any)
		if len(data) != 1 || data[0].(map[string]any)["Uid"] != uid {
			t.Fatalf("identities: %s", r.raw)
		}
		wantCode(t, "identities without an email", e.do("GET", manage("manage/account/identities"), nil), 403, 908)
		wantCode(t, "delete without an email", e.do("DELETE", manage("manage/account"), nil), 403, 908)
		wantCode(t, "delete an unknown email", e.do("DELETE", byEmail("manage/account", "carol@example.com"), nil), 403, 938)

		r = e.do("DELETE", byEmail("manage/account", testEmail), nil)
		if r.status != 200 || r.raw != `{"IsDeleted":true,"RecordsDeleted":1}` {
			t.Fatalf("delete by email: %d %s", r.status, r.raw)
		}
		if r := e.protected(tok); r.status == 200 {
			t.Errorf("the deleted account's cached token still passes")
		}
		if r := e.refresh(login.str("refresh_token")); r.status == 200 {
			t.Errorf("the deleted account's refresh token still refreshes")
		}
		if _, found, err := e.store.Account(t.Context(), "demo", uid); err != nil || found {
			t.Errorf("the account after the deletion: found %v, %v", found, err)
		}
		if got := e.hooks(uid); len(got) != 3 || got[2] != webhook.DeleteAccount {
			t.Errorf("events %v; want Register, Login, DeleteAccount", got)
		}
		wantCode(t, "identities after", e.do("GET", byEmail("manage/account/identities", testEmail), nil), 403, 938)
		wantCode(t, "delete again", e.do("DELETE", byEmail("manage/account", testEmail), nil), 403, 938)
		e.account(bob) // untouched
	}, withWebhook)
}

// TestAccountManagementWritesRollBackWithTheirEvent: when the event of a
// phone change or of a deletion by email cannot be written, the call
// fails closed (503) and nothing of it is committed.
func TestAccountManagementWritesRollBackWithTheirEvent(t *testing.T) {
	t.Parallel()
	st, err := sqlite.Open(filepath.Join(t.TempDir(), "pinauth.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	bo := &brokenOutbox{Store: st}
	e := newTestEnvOn(t, bo, withWebhook)
	login := e.loggedIn(testEmail)
	uid, tok := uidOf(login), login.str("access_token")
	before := e.account(uid)
	bo.broken.Store(true)
	wantCode(t, "phone", e.do("PUT", manage("manage/account/"+uid+"/phoneid"), map[string]string{"Phone": "+15551230001"}), 503, 503)
	wantCode(t, "delete", e.do("DELETE", manage("manage/account")+"&email="+testEmail, nil), 503, 503)
	bo.broken.Store(false)
	if after := e.account(uid); after.Phone != before.Phone || after.Version != before.Version {
		t.Errorf("the account changed without its event: phone %q, version %d -> %d", after.Phone, before.Version, after.Version)
	}
	wantOK(t, "the token after the failed deletion", e.protected(tok))
}

// TestOnPostgresADeletionByEmailOnOneNodeStopsTheTokenCachedByAnother:
// the deletion's revocations travel through the changes journal.
func TestOnPostgresADeletionByEmailOnOneNodeStopsTheTokenCachedByAnother(t *testing.T) {
	t.Parallel()
	a, b := twoNodes(t)
	login := a.loggedIn(testEmail)
	tok := login.str("access_token")
	b.cache(tok)
	start := time.Now()
	if r := a.do("DELETE", manage("manage/account")+"&email="+testEmail, nil); r.status != 200 {
		t.Fatalf("delete by email: %d %s", r.status, r.raw)
	}
	t.Logf("the other node refused the token %v after the deletion was requested", rejectedWithin(t, b, tok, start, time.Second))
}
