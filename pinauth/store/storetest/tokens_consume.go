package storetest

import (
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

func testConsumeOnce(t *testing.T, s store.Store) {
	createAccounts(t, s, account("u1", "", "", ""))
	want := token("h1", store.TokenPINAuth, "u1", "s1")
	want.Data = map[string]string{"k": "v"}
	insertTokens(t, s, want)

	now := t0.Add(59 * time.Minute).In(ist)
	got, found := consume(t, s, store.TokenPINAuth, "h1", now)
	if !found {
		t.Fatal("ConsumeToken of a valid token: not found")
	}
	want.UsedAt = now
	checkToken(t, got, want)
	checkToken(t, mustToken(t, s, store.TokenPINAuth, "h1"), want)

	if _, found := consume(t, s, store.TokenPINAuth, "h1", now.Add(time.Second)); found {
		t.Error("ConsumeToken took the token a second time")
	}
	// The first use time is kept.
	checkToken(t, mustToken(t, s, store.TokenPINAuth, "h1"), want)
}

func testConsumeRefusals(t *testing.T, s store.Store) {
	createAccounts(t, s, account("u1", "", "", ""))
	used := token("h-used", store.TokenRefresh, "u1", "")
	used.UsedAt = t0.Add(time.Minute)
	valid := token("h-valid", store.TokenRefresh, "u1", "")
	valid.ExpiresAt = ms.Add(time.Hour) // exact at any precision, for the boundary
	tokens := []store.Token{valid, used}
	insertTokens(t, s, tokens...)
	expiry := valid.ExpiresAt

	for _, c := range []struct {
		name string
		kind store.TokenKind
		hash string
		now  time.Time
	}{
		{"expired long ago", store.TokenRefresh, "h-valid", expiry.Add(time.Hour)},
		{"at the expiry instant", store.TokenRefresh, "h-valid", expiry},
		{"already used", store.TokenRefresh, "h-used", t0.Add(2 * time.Minute)},
		{"missing", store.TokenRefresh, "h-missing", t0},
		{"of another kind", store.TokenPINReset, "h-valid", t0},
	} {
		if _, found := consume(t, s, c.kind, c.hash, c.now); found {
			t.Errorf("ConsumeToken %s: found, want refused", c.name)
		}
	}
	checkToken(t, mustToken(t, s, store.TokenRefresh, "h-valid"), tokens[0])
	checkToken(t, mustToken(t, s, store.TokenRefresh, "h-used"), used)

	// One millisecond before expiry it is still valid.
	if _, found := consume(t, s, store.TokenRefresh, "h-valid", expiry.Add(-time.Millisecond)); !found {
		t.Error("ConsumeToken 1ms before expiry: refused")
	}
}

func testResetTokenKindsApart(t *testing.T, s store.Store) {
	createAccounts(t, s, account("u1", "", "", ""))
	pw := token("h-password", store.TokenPasswordReset, "u1", "")
	pin := token("h-pin", store.TokenPINReset, "u1", "")
	insertTokens(t, s, pw, pin)
	checkToken(t, mustToken(t, s, store.TokenPasswordReset, "h-password"), pw)
	if tokenExists(t, s, store.TokenPINReset, "h-password") || tokenExists(t, s, store.TokenPasswordReset, "h-pin") {
		t.Error("Token found a reset token under the other reset kind")
	}
	if _, found := consume(t, s, store.TokenPINReset, "h-password", t0); found {
		t.Error("ConsumeToken took a password reset token as a PIN reset token")
	}
	if _, found := consume(t, s, store.TokenPasswordReset, "h-pin", t0); found {
		t.Error("ConsumeToken took a PIN reset token as a password reset token")
	}
	// Invalidating one kind leaves the other usable.
	update(t, s, func(tx store.Tx) error {
		_, err := tx.InvalidateTokens(ref("u1"), []store.TokenKind{store.TokenPINReset}, "", t0)
		return err
	})
	if _, found := consume(t, s, store.TokenPasswordReset, "h-password", t0.Add(time.Minute)); !found {
		t.Error("invalidating PIN reset tokens voided the password reset token")
	}
	if _, found := consume(t, s, store.TokenPINReset, "h-pin", t0.Add(time.Minute)); found {
		t.Error("an invalidated PIN reset token was taken")
	}
}
