package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// testAccountDeleteTokenWithItsAccount: the confirmation of an account
// deletion (issue 20) takes its token and deletes the account in one
// transaction. A transaction that fails after both leaves the token
// unused and the account whole; one that commits leaves neither, and the
// token cannot be taken again. A reset token of the same account is no
// deletion token.
func testAccountDeleteTokenWithItsAccount(t *testing.T, s store.Store) {
	createAccounts(t, s, account("u1", "gone@example.com", "gone", "+1999"))
	del := token("h-delete", store.TokenAccountDelete, "u1", "")
	insertTokens(t, s, del, token("h-reset", store.TokenPasswordReset, "u1", ""))
	if _, found := consume(t, s, store.TokenAccountDelete, "h-reset", t0); found {
		t.Error("ConsumeToken took a password reset token as an account deletion token")
	}

	errAbort := errors.New("abort")
	err := s.Update(t.Context(), func(tx store.Tx) error {
		if _, ok, err := tx.ConsumeToken(store.TokenAccountDelete, "h-delete", t0.Add(time.Minute)); err != nil || !ok {
			t.Fatalf("ConsumeToken = %v, %v", ok, err)
		}
		if found, err := tx.DeleteAccount(tenantA, "u1"); err != nil || !found {
			t.Fatalf("DeleteAccount = %v, %v", found, err)
		}
		return errAbort
	})
	if !errors.Is(err, errAbort) {
		t.Fatalf("Update = %v, want the abort", err)
	}
	mustAccount(t, s, tenantA, "u1")
	checkToken(t, mustToken(t, s, store.TokenAccountDelete, "h-delete"), del)

	update(t, s, func(tx store.Tx) error {
		if _, ok, err := tx.ConsumeToken(store.TokenAccountDelete, "h-delete", t0.Add(time.Minute)); err != nil || !ok {
			return errors.Join(err, errors.New("the token was not taken"))
		}
		_, err := tx.DeleteAccount(tenantA, "u1")
		return err
	})
	if _, found, _ := s.Account(t.Context(), tenantA, "u1"); found {
		t.Error("the account survived its confirmed deletion")
	}
	if tokenExists(t, s, store.TokenAccountDelete, "h-delete") {
		t.Error("the deletion token survived its account")
	}
	if _, found := consume(t, s, store.TokenAccountDelete, "h-delete", t0.Add(2*time.Minute)); found {
		t.Error("the deletion token was taken a second time")
	}
	// Its identifiers are free again.
	createAccounts(t, s, account("u2", "Gone@Example.com", "GONE", "+1999"))
}
