package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

func testTokenRoundTrip(t *testing.T, s store.Store) {
	createAccounts(t, s, account("u1", "", "", ""))
	want := store.Token{Hash: "h1", Kind: store.TokenStepUp, Tenant: tenantA, UID: "u1", SessionID: "s1",
		CreatedAt: t0.In(ist), ExpiresAt: t0.Add(5 * time.Minute).In(ist),
		Data: map[string]string{"scope": "pin", "channel": "sms"}}
	plain := token("h2", store.TokenPINSession, "u1", "")
	update(t, s, func(tx store.Tx) error {
		if err := tx.InsertToken(want); err != nil {
			return err
		}
		if err := tx.InsertToken(plain); err != nil {
			return err
		}
		// The transaction reads its own insert.
		got, found, err := tx.Token(store.TokenStepUp, "h1")
		if err != nil || !found {
			return fmt.Errorf("Tx.Token of a token inserted in the transaction = found %v, err %v", found, err)
		}
		checkToken(t, got, want)
		return nil
	})
	checkToken(t, mustToken(t, s, store.TokenStepUp, "h1"), want)
	checkToken(t, mustToken(t, s, store.TokenPINSession, "h2"), plain)
	if tokenExists(t, s, store.TokenRefresh, "h1") {
		t.Error("Token found a step_up token under kind refresh")
	}

	// A used, expired token is still returned, with its state.
	consume(t, s, store.TokenStepUp, "h1", t0.Add(time.Minute))
	want.UsedAt = t0.Add(time.Minute)
	checkToken(t, mustToken(t, s, store.TokenStepUp, "h1"), want)
	update(t, s, func(tx store.Tx) error {
		got, found, err := tx.Token(store.TokenStepUp, "h1")
		if err != nil || !found {
			return fmt.Errorf("Tx.Token of a used token = found %v, err %v", found, err)
		}
		checkToken(t, got, want)
		return nil
	})
}

func testTokenDuplicateHash(t *testing.T, s store.Store) {
	createAccounts(t, s, account("u1", "", "", ""), account("u2", "x@example.com", "", ""))
	first := token("h1", store.TokenRefresh, "u1", "s1")
	insertTokens(t, s, first)
	for _, dup := range []store.Token{
		token("h1", store.TokenRefresh, "u2", ""),
		token("h1", store.TokenOTP, "u1", ""),
	} {
		err := s.Update(t.Context(), func(tx store.Tx) error { return tx.InsertToken(dup) })
		if err == nil {
			t.Errorf("InsertToken of hash h1 again (kind %s) succeeded", dup.Kind)
		}
	}
	checkToken(t, mustToken(t, s, store.TokenRefresh, "h1"), first)
	if tokenExists(t, s, store.TokenOTP, "h1") {
		t.Error("a second token with the same hash is stored")
	}
}
