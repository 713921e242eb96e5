package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// fullAccount sets every field, with times in a non-UTC zone and profile
// values that a re-encoding JSON library would change.
func fullAccount(uid string) store.Account {
	return store.Account{
		Tenant: tenantA,
		UID:    uid,
		Emails: []store.Email{
			{Type: "Primary", Value: "Alice.Smith@Example.COM"},
			{Type: "Secondary", Value: "alice@work.example"},
		},
		Username:          "AliceS",
		Phone:             "+15551234567",
		PasswordHash:      "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$cGFzc3dvcmQ",
		PINHash:           "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$cGlu",
		PINChangedAt:      t0.In(ist),
		PINSkipped:        true,
		PINSkippedAt:      t0.Add(time.Hour + 123_456*time.Nanosecond),
		SecurityAnswers:   map[string]string{"q1": "$argon2id$a1", "q2": "$argon2id$a2"},
		NeedsSecretReset:  true,
		Roles:             []string{"admin", "editor"},
		Active:            true,
		EmailVerified:     true,
		NoOfLogins:        42,
		LastLoginAt:       t0.Add(-48 * time.Hour).In(ist),
		LastLoginLocation: "Berlin, DE",
		CreatedAt:         t0.Add(-1000 * time.Hour),
		ModifiedAt:        t0.Add(-time.Minute),
		Profile: map[string]json.RawMessage{
			"FirstName":  json.RawMessage(`"Alice"`),
			"Spaced":     json.RawMessage(`{ "b" : 1,  "a" : [1, 2.50, "x"] }`),
			"Escapes":    json.RawMessage(`"<b>&amp;</b> \u00e9 é \ud83d\ude00 \/"`),
			"BigNumber":  json.RawMessage(`12345678901234567890123.4500e+10`),
			"Null":       json.RawMessage(`null`),
			"EmptyList":  json.RawMessage(`[]`),
			"Nested":     json.RawMessage("{\n\t\"z\": {\"y\": [true, false]},\n\t\"a\": 0\n}"),
			"Ünïcødé ké": json.RawMessage(`"ü"`),
		},
		Version: 7, // ignored: CreateAccount stores version 1
	}
}

var accountCases = []testCase{
	{"lookups of missing things report not found without an error", testMissing},
	{"CreateAccount stores version 1 and every field comes back as written", testCreateRoundTrip},
	{"profile values round-trip byte for byte through SaveAccount", testProfileBytes},
	{"SaveAccount increments the version and rejects a stale one", testSaveVersion},
	{"DeleteAccount removes the account with its identifiers, tokens, sessions and attempts", testDeleteCascade},
	{"ListAccounts pages in uid order within a tenant and CountAccounts counts", testListCount},
}

func testMissing(t *testing.T, s store.Store) {
	ctx := t.Context()
	if _, found, err := s.Account(ctx, tenantA, "nobody"); found || err != nil {
		t.Errorf("Account = found %v, err %v; want not found, nil", found, err)
	}
	for _, kind := range []store.IdentifierKind{store.IdentEmail, store.IdentUsername, store.IdentPhone} {
		if _, found, err := s.AccountBy(ctx, tenantA, kind, "nobody@example.com"); found || err != nil {
			t.Errorf("AccountBy(%s) = found %v, err %v; want not found, nil", kind, found, err)
		}
	}
	if a, found, err := s.Attempts(ctx, ref("nobody")); found || err != nil || a != (store.Attempts{}) {
		t.Errorf("Attempts = %+v, found %v, err %v; want zero, not found, nil", a, found, err)
	}
	if _, found, err := s.Token(ctx, store.TokenRefresh, "nohash"); found || err != nil {
		t.Errorf("Token = found %v, err %v; want not found, nil", found, err)
	}
	if _, found, err := s.Session(ctx, "nosession"); found || err != nil {
		t.Errorf("Session = found %v, err %v; want not found, nil", found, err)
	}
	if _, found, err := s.Meta(ctx, "nokey"); found || err != nil {
		t.Errorf("Meta = found %v, err %v; want not found, nil", found, err)
	}
	if keys, err := s.Keys(ctx); len(keys) != 0 || err != nil {
		t.Errorf("Keys = %d keys, err %v; want none, nil", len(keys), err)
	}
	if evs, err := s.Events(ctx, store.EventFilter{}); len(evs) != 0 || err != nil {
		t.Errorf("Events = %d events, err %v; want none, nil", len(evs), err)
	}
	if as, err := s.ListAccounts(ctx, tenantA, "", 10); len(as) != 0 || err != nil {
		t.Errorf("ListAccounts = %d accounts, err %v; want none, nil", len(as), err)
	}
	if n, err := s.CountAccounts(ctx, ""); n != 0 || err != nil {
		t.Errorf("CountAccounts = %d, err %v; want 0, nil", n, err)
	}
	if found, err := s.RetireKey(ctx, "nokey", t0); found || err != nil {
		t.Errorf("RetireKey = found %v, err %v; want not found, nil", found, err)
	}
	update(t, s, func(tx store.Tx) error {
		if _, found, err := tx.Account(tenantA, "nobody"); found || err != nil {
			t.Errorf("Tx.Account = found %v, err %v; want not found, nil", found, err)
		}
		if _, found, err := tx.Token(store.TokenRefresh, "nohash"); found || err != nil {
			t.Errorf("Tx.Token = found %v, err %v; want not found, nil", found, err)
		}
		if found, err := tx.SaveAccount(account("nobody", "", "", "")); found || err != nil {
			t.Errorf("SaveAccount = found %v, err %v; want not found, nil", found, err)
		}
		if found, err := tx.DeleteAccount(tenantA, "nobody"); found || err != nil {
			t.Errorf("DeleteAccount = found %v, err %v; want not found, nil", found, err)
		}
		if _, found, err := tx.ConsumeToken(store.TokenRefresh, "nohash", t0); found || err != nil {
			t.Errorf("ConsumeToken = found %v, err %v; want not found, nil", found, err)
		}
		if found, err := tx.RevokeSession("nosession", t0); found || err != nil {
			t.Errorf("RevokeSession = found %v, err %v; want not found, nil", found, err)
		}
		return nil
	})
}

func testCreateRoundTrip(t *testing.T, s store.Store) {
	want := fullAccount("u-full")
	createAccounts(t, s, want)
	want.Version = 1

	checkAccount(t, mustAccount(t, s, tenantA, "u-full"), want)

	a, found, err := s.AccountBy(t.Context(), tenantA, store.IdentEmail, "alice@work.example")
	if err != nil || !found {
		t.Fatalf("AccountBy(secondary email) = found %v, err %v", found, err)
	}
	checkAccount(t, a, want)

	list, err := s.ListAccounts(t.Context(), tenantA, "", 10)
	if err != nil || len(list) != 1 {
		t.Fatalf("ListAccounts = %d accounts, err %v; want 1", len(list), err)
	}
	checkAccount(t, list[0], want)

	update(t, s, func(tx store.Tx) error {
		a, found, err := tx.Account(tenantA, "u-full")
		if err != nil || !found {
			return fmt.Errorf("Tx.Account = found %v, err %v", found, err)
		}
		checkAccount(t, a, want)
		return nil
	})
}

func testProfileBytes(t *testing.T, s store.Store) {
	a := account("u1", "p@example.com", "", "")
	a.Profile = map[string]json.RawMessage{"Keep": json.RawMessage(`{"x":1}`)}
	createAccounts(t, s, a)

	a.Version = 1
	a.Profile = fullAccount("x").Profile
	a.Profile["Added"] = json.RawMessage(`[ 1.0, 1e2, -0, "\u0000" ]`)
	update(t, s, func(tx store.Tx) error {
		_, err := tx.SaveAccount(a)
		return err
	})
	a.Version = 2
	checkAccount(t, mustAccount(t, s, tenantA, "u1"), a)
}

func testSaveVersion(t *testing.T, s store.Store) {
	a := account("u1", "v@example.com", "vee", "")
	createAccounts(t, s, a)
	a = mustAccount(t, s, tenantA, "u1")
	if a.Version != 1 {
		t.Fatalf("Version after CreateAccount = %d, want 1", a.Version)
	}

	a.NoOfLogins = 1
	update(t, s, func(tx store.Tx) error {
		found, err := tx.SaveAccount(a)
		if !found || err != nil {
			return fmt.Errorf("SaveAccount(version 1) = found %v, err %v", found, err)
		}
		return nil
	})
	if got := mustAccount(t, s, tenantA, "u1"); got.Version != 2 || got.NoOfLogins != 1 {
		t.Fatalf("after SaveAccount: Version %d NoOfLogins %d, want 2 and 1", got.Version, got.NoOfLogins)
	}

	stale := a // still version 1
	stale.NoOfLogins = 99
	err := s.Update(t.Context(), func(tx store.Tx) error {
		_, err := tx.SaveAccount(stale)
		return err
	})
	if !errors.Is(err, store.ErrVersionConflict) {
		t.Fatalf("SaveAccount(stale version) err = %v, want ErrVersionConflict", err)
	}
	a.Version = 2
	a.NoOfLogins = 2
	update(t, s, func(tx store.Tx) error {
		_, err := tx.SaveAccount(a)
		return err
	})
	if got := mustAccount(t, s, tenantA, "u1"); got.Version != 3 || got.NoOfLogins != 2 {
		t.Fatalf("after second SaveAccount: Version %d NoOfLogins %d, want 3 and 2", got.Version, got.NoOfLogins)
	}
}

func testDeleteCascade(t *testing.T, s store.Store) {
	ctx := t.Context()
	del := account("u-del", "Del@Example.com", "deleteme", "+100")
	keep := account("u-keep", "keep@example.com", "keepme", "+200")
	createAccounts(t, s, del, keep)
	for _, uid := range []string{"u-del", "u-keep"} {
		createSessions(t, s, store.Session{ID: "s-" + uid, Tenant: tenantA, UID: uid, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)})
		insertTokens(t, s,
			store.Token{Hash: "h-bound-" + uid, Kind: store.TokenRefresh, Tenant: tenantA, UID: uid, SessionID: "s-" + uid, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)},
			store.Token{Hash: "h-free-" + uid, Kind: store.TokenPINReset, Tenant: tenantA, UID: uid, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)},
		)
		if _, err := s.ReserveAttempt(ctx, ref(uid), store.AttemptPolicy{Limit: 5, Window: time.Hour}, t0); err != nil {
			t.Fatal(err)
		}
	}
	update(t, s, func(tx store.Tx) error {
		return tx.AddEvent(store.Event{ID: "ev-del", Tenant: tenantA, UID: "u-del", Hook: "DeleteAccount", CreatedAt: t0, State: store.EventPending})
	})

	update(t, s, func(tx store.Tx) error {
		found, err := tx.DeleteAccount(tenantA, "u-del")
		if !found || err != nil {
			return fmt.Errorf("DeleteAccount = found %v, err %v; want found", found, err)
		}
		return nil
	})

	if _, found, _ := s.Account(ctx, tenantA, "u-del"); found {
		t.Error("deleted account still found by uid")
	}
	for kind, v := range map[store.IdentifierKind]string{store.IdentEmail: "del@example.com", store.IdentUsername: "deleteme", store.IdentPhone: "+100"} {
		if uid := uidBy(t, s, tenantA, kind, v); uid != "" {
			t.Errorf("deleted account still found by %s", kind)
		}
	}
	for _, h := range []string{"h-bound-u-del", "h-free-u-del"} {
		if tokenExists(t, s, store.TokenRefresh, h) || tokenExists(t, s, store.TokenPINReset, h) {
			t.Errorf("token %s of the deleted account survived", h)
		}
	}
	if _, found, _ := s.Session(ctx, "s-u-del"); found {
		t.Error("session of the deleted account survived")
	}
	if _, found, _ := s.Attempts(ctx, ref("u-del")); found {
		t.Error("attempt counter of the deleted account survived")
	}
	// The outbox must still deliver the event that reports the deletion.
	if evs, err := s.Events(ctx, store.EventFilter{UID: "u-del"}); err != nil || len(evs) != 1 {
		t.Errorf("Events of the deleted account = %d, err %v; want the 1 event kept", len(evs), err)
	}

	// The other account is untouched.
	mustAccount(t, s, tenantA, "u-keep")
	if uidBy(t, s, tenantA, store.IdentEmail, "keep@example.com") != "u-keep" {
		t.Error("other account no longer found by email")
	}
	if !tokenExists(t, s, store.TokenRefresh, "h-bound-u-keep") || !tokenExists(t, s, store.TokenPINReset, "h-free-u-keep") {
		t.Error("tokens of the other account were deleted")
	}
	if _, found, _ := s.Session(ctx, "s-u-keep"); !found {
		t.Error("session of the other account was deleted")
	}
	if _, found, _ := s.Attempts(ctx, ref("u-keep")); !found {
		t.Error("attempt counter of the other account was deleted")
	}

	// The identifiers are free again, and deleting twice finds nothing.
	createAccounts(t, s, account("u-new", "del@example.com", "DeleteMe", "+100"))
	update(t, s, func(tx store.Tx) error {
		if found, err := tx.DeleteAccount(tenantA, "u-del"); found || err != nil {
			return fmt.Errorf("second DeleteAccount = found %v, err %v; want not found", found, err)
		}
		return nil
	})
}

func testListCount(t *testing.T, s store.Store) {
	ctx := t.Context()
	uids := []string{"u5", "u1", "u7", "u3", "u2", "u6", "u4"}
	var as []store.Account
	for _, u := range uids {
		as = append(as, account(u, u+"@a.example", "", ""))
	}
	for _, u := range []string{"u0", "u9"} {
		b := account(u, u+"@b.example", "", "")
		b.Tenant = tenantB
		as = append(as, b)
	}
	createAccounts(t, s, as...)

	var got []string
	after := ""
	for pages := 0; ; pages++ {
		if pages > 4 {
			t.Fatalf("ListAccounts does not end; got %v so far", got)
		}
		page, err := s.ListAccounts(ctx, tenantA, after, 3)
		if err != nil {
			t.Fatal(err)
		}
		if len(page) > 3 {
			t.Fatalf("page of %d accounts, limit 3", len(page))
		}
		if len(page) == 0 {
			break
		}
		for _, a := range page {
			if a.Tenant != tenantA {
				t.Errorf("ListAccounts(%s) returned an account of %s", tenantA, a.Tenant)
			}
			got = append(got, a.UID)
		}
		after = page[len(page)-1].UID
	}
	want := slices.Clone(uids)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("pages = %v, want %v", got, want)
	}
	if page, err := s.ListAccounts(ctx, tenantA, "u4", 2); err != nil || len(page) != 2 || page[0].UID != "u5" || page[1].UID != "u6" {
		t.Errorf("ListAccounts(after u4, 2) = %v, err %v; want u5, u6", uidsOf(page), err)
	}
	if page, err := s.ListAccounts(ctx, tenantA, "", 0); err != nil || len(page) != 0 {
		t.Errorf("ListAccounts(limit 0) = %v, err %v; want none", uidsOf(page), err)
	}

	for tenant, want := range map[string]int{tenantA: 7, tenantB: 2, "": 9, "initech": 0} {
		if n, err := s.CountAccounts(ctx, tenant); n != want || err != nil {
			t.Errorf("CountAccounts(%q) = %d, err %v; want %d", tenant, n, err, want)
		}
	}
}

func uidsOf(as []store.Account) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.UID)
	}
	return out
}
