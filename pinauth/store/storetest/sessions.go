package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

var sessionCases = []testCase{
	{"CreateSession stores a session that Session returns and refuses a duplicate id", testSessionRoundTrip},
	{"RevokeSession keeps the first revocation time and deletes the session's tokens", testRevokeSession},
	{"RevokeSessions revokes every other live session of the account and returns their ids", testRevokeSessions},
}

func checkSession(t *testing.T, got, want store.Session) {
	t.Helper()
	sameTime(t, "session "+want.ID+" CreatedAt", got.CreatedAt, want.CreatedAt)
	sameTime(t, "session "+want.ID+" ExpiresAt", got.ExpiresAt, want.ExpiresAt)
	sameTime(t, "session "+want.ID+" RevokedAt", got.RevokedAt, want.RevokedAt)
	if got.ID != want.ID || got.Tenant != want.Tenant || got.UID != want.UID {
		t.Errorf("session:\n got  %+v\n want %+v", got, want)
	}
}

func mustSession(t *testing.T, s store.Store, id string) store.Session {
	t.Helper()
	ses, found, err := s.Session(t.Context(), id)
	if err != nil || !found {
		t.Fatalf("Session(%s) = found %v, err %v; want found", id, found, err)
	}
	return ses
}

func session(id, uid string) store.Session {
	return store.Session{ID: id, Tenant: tenantA, UID: uid, CreatedAt: t0, ExpiresAt: t0.Add(24 * time.Hour)}
}

func testSessionRoundTrip(t *testing.T, s store.Store) {
	createAccounts(t, s, account("u1", "", "", ""), account("u2", "x@example.com", "", ""))
	want := store.Session{ID: "s1", Tenant: tenantA, UID: "u1", CreatedAt: t0.In(ist), ExpiresAt: t0.Add(7 * 24 * time.Hour)}
	createSessions(t, s, want)
	checkSession(t, mustSession(t, s, "s1"), want)

	err := s.Update(t.Context(), func(tx store.Tx) error { return tx.CreateSession(session("s1", "u2")) })
	if err == nil {
		t.Error("CreateSession with a used id succeeded")
	}
	checkSession(t, mustSession(t, s, "s1"), want)
}

func testRevokeSession(t *testing.T, s store.Store) {
	createAccounts(t, s, account("u1", "", "", ""))
	createSessions(t, s, session("s1", "u1"), session("s2", "u1"))
	all := []store.Token{
		token("a", store.TokenRefresh, "u1", "s1"),
		token("b", store.TokenPINSession, "u1", "s1"),
		token("c", store.TokenRefresh, "u1", "s2"),
	}
	insertTokens(t, s, all...)

	first := t0.Add(time.Hour).In(ist)
	revoke := func(id string, at time.Time) bool {
		var found bool
		update(t, s, func(tx store.Tx) error {
			var err error
			found, err = tx.RevokeSession(id, at)
			return err
		})
		return found
	}
	if !revoke("s1", first) {
		t.Fatal("RevokeSession(s1): not found")
	}
	want := session("s1", "u1")
	want.RevokedAt = first
	checkSession(t, mustSession(t, s, "s1"), want)
	if got := remaining(t, s, all); !slices.Equal(got, []string{"c"}) {
		t.Errorf("after RevokeSession(s1): tokens %v remain, want [c]", got)
	}
	checkSession(t, mustSession(t, s, "s2"), session("s2", "u1"))

	// Revoking again succeeds, keeps the first time and deletes tokens
	// bound to the session since.
	insertTokens(t, s, token("late", store.TokenRefresh, "u1", "s1"))
	if !revoke("s1", first.Add(time.Hour)) {
		t.Error("second RevokeSession(s1): not found")
	}
	checkSession(t, mustSession(t, s, "s1"), want)
	if tokenExists(t, s, store.TokenRefresh, "late") {
		t.Error("second RevokeSession left a token of the session")
	}
}

func testRevokeSessions(t *testing.T, s store.Store) {
	createAccounts(t, s, account("u1", "", "", ""), account("u2", "x@example.com", "", ""))
	earlier := session("s-old", "u1")
	earlier.RevokedAt = t0.Add(time.Minute)
	createSessions(t, s, session("s-keep", "u1"), session("s-b", "u1"), session("s-a", "u1"), earlier, session("s-other", "u2"))
	all := []store.Token{
		token("keep", store.TokenRefresh, "u1", "s-keep"),
		token("a", store.TokenRefresh, "u1", "s-a"),
		token("b", store.TokenPINSession, "u1", "s-b"),
		token("unbound", store.TokenOTP, "u1", ""),
		token("other", store.TokenRefresh, "u2", "s-other"),
	}
	insertTokens(t, s, all...)

	now := t0.Add(time.Hour)
	var ids []string
	update(t, s, func(tx store.Tx) error {
		var err error
		ids, err = tx.RevokeSessions(ref("u1"), "s-keep", now)
		return err
	})
	slices.Sort(ids)
	if !slices.Equal(ids, []string{"s-a", "s-b"}) {
		t.Errorf("RevokeSessions = %v, want [s-a s-b]", ids)
	}
	for _, id := range []string{"s-a", "s-b"} {
		want := session(id, "u1")
		want.RevokedAt = now
		checkSession(t, mustSession(t, s, id), want)
	}
	checkSession(t, mustSession(t, s, "s-keep"), session("s-keep", "u1"))
	checkSession(t, mustSession(t, s, "s-old"), earlier)
	checkSession(t, mustSession(t, s, "s-other"), session("s-other", "u2"))
	if got, want := remaining(t, s, all), []string{"keep", "unbound", "other"}; !slices.Equal(got, want) {
		t.Errorf("after RevokeSessions: tokens %v remain, want %v", got, want)
	}

	update(t, s, func(tx store.Tx) error {
		var err error
		ids, err = tx.RevokeSessions(ref("u1"), "", now.Add(time.Hour))
		return err
	})
	if !slices.Equal(ids, []string{"s-keep"}) {
		t.Errorf("RevokeSessions(no exception) = %v, want [s-keep]", ids)
	}
	if tokenExists(t, s, store.TokenRefresh, "keep") {
		t.Error("RevokeSessions(no exception) left the kept session's token")
	}
	update(t, s, func(tx store.Tx) error {
		var err error
		ids, err = tx.RevokeSessions(ref("u1"), "", now.Add(2*time.Hour))
		return err
	})
	if len(ids) != 0 {
		t.Errorf("RevokeSessions with nothing left = %v, want none", ids)
	}
}
