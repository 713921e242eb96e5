package storetest

import (
	"errors"
	"maps"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

var verificationCases = []testCase{
	{"an unverified email is stored, takes its name from every other account, and finds nothing", testUnverifiedEmailName},
	{"ConsumeEmailVerification verifies the bound address once and the saved account keeps it", testConsumeEmailVerification},
	{"ConsumeEmailVerification refuses expired, used, unknown, other-kind and other-account secrets", testConsumeEmailVerificationRefusals},
	{"of concurrent verifications with one secret exactly one verifies", testConsumeEmailVerificationConcurrent},
	{"InvalidateTokens of the verification kinds ends every pending verification of the account", testInvalidateEmailVerifications},
}

// verifyIn runs ConsumeEmailVerification on account uid in one transaction
// and saves the account when it verified.
func verifyIn(t *testing.T, s store.Store, uid string, kind store.TokenKind, hash string, now time.Time) (string, bool) {
	t.Helper()
	var email string
	var ok bool
	update(t, s, func(tx store.Tx) error {
		a, found, err := tx.Account(tenantA, uid)
		if err != nil || !found {
			t.Fatalf("Account(%s) = found %v, err %v", uid, found, err)
		}
		if email, ok, err = store.ConsumeEmailVerification(tx, &a, kind, hash, now); err != nil || !ok {
			return err
		}
		_, err = tx.SaveAccount(a)
		return err
	})
	return email, ok
}

func verificationToken(kind store.TokenKind, hash, uid, email string) store.Token {
	return store.EmailVerificationToken(kind, hash, ref(uid), email, t0, time.Hour)
}

func testUnverifiedEmailName(t *testing.T, s store.Store) {
	a := account("u1", "alice@example.com", "", "")
	if !a.AddUnverifiedEmail(store.Email{Type: "Secondary", Value: "Pending@Example.com"}) {
		t.Fatal("AddUnverifiedEmail of a new address: not added")
	}
	if a.AddUnverifiedEmail(store.Email{Type: "Secondary", Value: "ALICE@example.com"}) ||
		a.AddUnverifiedEmail(store.Email{Type: "Secondary", Value: "pending@example.COM"}) {
		t.Error("AddUnverifiedEmail added an address the account has already")
	}
	createAccounts(t, s, a)
	a.Version = 1
	checkAccount(t, mustAccount(t, s, tenantA, "u1"), a)

	if got := uidBy(t, s, tenantA, store.IdentEmail, "pending@example.com"); got != "" {
		t.Errorf("AccountBy(unverified email) = %q, want none", got)
	}
	if uid, taken, err := s.NameOwner(t.Context(), tenantA, "pending@example.com"); err != nil || !taken || uid != "u1" {
		t.Errorf("NameOwner(unverified email) = %q, %v, %v; want u1, taken", uid, taken, err)
	}
	var dup *store.DuplicateError
	other := account("u2", "PENDING@example.com", "", "")
	if err := s.Update(t.Context(), func(tx store.Tx) error { return tx.CreateAccount(other) }); !errors.As(err, &dup) || dup.Field != "email" {
		t.Errorf("CreateAccount with another's unverified email = %v, want a DuplicateError on email", err)
	}
	other.Emails, other.Username = nil, "pending@example.com"
	if err := s.Update(t.Context(), func(tx store.Tx) error { return tx.CreateAccount(other) }); !errors.As(err, &dup) {
		t.Errorf("CreateAccount with another's unverified email as username = %v, want a DuplicateError", err)
	}
	createAccounts(t, s, account("u3", "bob@example.com", "", ""))
	b := mustAccount(t, s, tenantA, "u3")
	b.AddUnverifiedEmail(store.Email{Type: "Secondary", Value: "pending@example.com"})
	if err := s.Update(t.Context(), func(tx store.Tx) error { _, err := tx.SaveAccount(b); return err }); !errors.As(err, &dup) || dup.Field != "email" {
		t.Errorf("SaveAccount adding another's unverified email = %v, want a DuplicateError on email", err)
	}

	// Dropped without verification, the name is free again.
	a = mustAccount(t, s, tenantA, "u1")
	a.UnverifiedEmails = nil
	update(t, s, func(tx store.Tx) error { _, err := tx.SaveAccount(a); return err })
	if uid, taken, err := s.NameOwner(t.Context(), tenantA, "pending@example.com"); err != nil || taken {
		t.Errorf("NameOwner(dropped unverified email) = %q, taken %v, err %v; want free", uid, taken, err)
	}
}

func testConsumeEmailVerification(t *testing.T, s store.Store) {
	a := account("u1", "Alice@Example.com", "", "")
	a.AddUnverifiedEmail(store.Email{Type: "Secondary", Value: "Work@Example.com"})
	createAccounts(t, s, a)
	primary := verificationToken(store.TokenEmailVerify, "h-link", "u1", "ALICE@example.com")
	second := verificationToken(store.TokenEmailOTP, "h-code", "u1", "work@example.com")
	insertTokens(t, s, primary, second)
	if got := mustToken(t, s, store.TokenEmailVerify, "h-link").Data; !maps.Equal(got, map[string]string{store.TokenDataEmail: "alice@example.com"}) {
		t.Errorf("stored verification token Data = %v, want the address's name", got)
	}

	now := t0.Add(time.Minute)
	if email, ok := verifyIn(t, s, "u1", store.TokenEmailVerify, "h-link", now); !ok || email != "Alice@Example.com" {
		t.Fatalf("verify the primary = %q, %v; want Alice@Example.com, true", email, ok)
	}
	got := mustAccount(t, s, tenantA, "u1")
	if !got.EmailVerified || !got.AddressVerified("alice@example.com") || got.AddressVerified("work@example.com") ||
		!got.AddressPending("work@example.com") || got.AddressPending("alice@example.com") {
		t.Errorf("after verifying the primary: %+v", got)
	}
	if _, ok := verifyIn(t, s, "u1", store.TokenEmailVerify, "h-link", now); ok {
		t.Error("a verification token verified twice")
	}
	if email, ok := verifyIn(t, s, "u1", store.TokenEmailOTP, "h-code", now); !ok || email != "Work@Example.com" {
		t.Fatalf("verify the added address = %q, %v", email, ok)
	}
	got = mustAccount(t, s, tenantA, "u1")
	want := []store.Email{{Type: "Primary", Value: "Alice@Example.com"}, {Type: "Secondary", Value: "Work@Example.com"}}
	if len(got.UnverifiedEmails) != 0 || len(got.Emails) != 2 || got.Emails[1] != want[1] || !got.AddressVerified("work@example.com") {
		t.Errorf("after verifying the added address: Emails %v, UnverifiedEmails %v", got.Emails, got.UnverifiedEmails)
	}
	if uid := uidBy(t, s, tenantA, store.IdentEmail, "work@example.com"); uid != "u1" {
		t.Errorf("AccountBy(verified added address) = %q, want u1", uid)
	}
	sameTime(t, "verification code UsedAt", mustToken(t, s, store.TokenEmailOTP, "h-code").UsedAt, now)
}

func testConsumeEmailVerificationRefusals(t *testing.T, s store.Store) {
	a := account("u1", "alice@example.com", "", "")
	createAccounts(t, s, a, account("u2", "bob@example.com", "", ""))
	expiring := verificationToken(store.TokenEmailVerify, "h-exp", "u1", "alice@example.com")
	expiring.ExpiresAt = ms.Add(time.Hour)
	used := verificationToken(store.TokenEmailVerify, "h-used", "u1", "alice@example.com")
	used.UsedAt = t0.Add(time.Second)
	bobs := verificationToken(store.TokenEmailVerify, "h-bob", "u2", "alice@example.com")
	gone := verificationToken(store.TokenEmailOTP, "h-gone", "u1", "former@example.com")
	reset := token("h-reset", store.TokenPasswordReset, "u1", "")
	insertTokens(t, s, expiring, used, bobs, gone, reset)

	for _, c := range []struct {
		name string
		kind store.TokenKind
		hash string
		now  time.Time
	}{
		{"at the expiry instant", store.TokenEmailVerify, "h-exp", expiring.ExpiresAt},
		{"used", store.TokenEmailVerify, "h-used", t0.Add(time.Minute)},
		{"unknown", store.TokenEmailVerify, "h-none", t0},
		{"of the other verification kind", store.TokenEmailOTP, "h-exp", t0},
		{"of another account", store.TokenEmailVerify, "h-bob", t0},
		{"for an address the account no longer has", store.TokenEmailOTP, "h-gone", t0},
	} {
		if _, ok := verifyIn(t, s, "u1", c.kind, c.hash, c.now); ok {
			t.Errorf("%s: verified", c.name)
		}
	}
	if got := mustAccount(t, s, tenantA, "u1"); got.EmailVerified || got.Version != 1 {
		t.Errorf("after refusals the account changed: %+v", got)
	}
	if tok := mustToken(t, s, store.TokenEmailVerify, "h-bob"); !tok.UsedAt.IsZero() {
		t.Error("another account's verification took the token")
	}
	err := s.Update(t.Context(), func(tx store.Tx) error {
		_, _, err := store.ConsumeEmailVerification(tx, &a, store.TokenPasswordReset, "h-reset", t0)
		return err
	})
	if err == nil {
		t.Error("ConsumeEmailVerification of a password reset kind: no error")
	}
	if tok := mustToken(t, s, store.TokenPasswordReset, "h-reset"); !tok.UsedAt.IsZero() {
		t.Error("a refused kind took the token")
	}
}

func testConsumeEmailVerificationConcurrent(t *testing.T, s store.Store) {
	createAccounts(t, s, account("u1", "alice@example.com", "", ""))
	insertTokens(t, s, verificationToken(store.TokenEmailVerify, "h1", "u1", "alice@example.com"))
	verified := countTrue(t, 8, func(int) (bool, error) {
		var ok bool
		err := s.Update(t.Context(), func(tx store.Tx) error {
			a, _, err := tx.Account(tenantA, "u1")
			if err != nil {
				return err
			}
			if _, ok, err = store.ConsumeEmailVerification(tx, &a, store.TokenEmailVerify, "h1", t0); err != nil || !ok {
				return err
			}
			_, err = tx.SaveAccount(a)
			return err
		})
		if errors.Is(err, store.ErrVersionConflict) {
			return false, nil
		}
		return ok, err
	})
	if verified != 1 {
		t.Errorf("%d of 8 concurrent verifications with one token verified, want 1", verified)
	}
	if a := mustAccount(t, s, tenantA, "u1"); !a.EmailVerified {
		t.Error("the account is not verified")
	}
}

func testInvalidateEmailVerifications(t *testing.T, s store.Store) {
	createAccounts(t, s, account("u1", "alice@example.com", "", ""))
	insertTokens(t, s,
		verificationToken(store.TokenEmailVerify, "h-link", "u1", "alice@example.com"),
		verificationToken(store.TokenEmailOTP, "h-code", "u1", "alice@example.com"),
		token("h-reset", store.TokenPasswordReset, "u1", ""))
	update(t, s, func(tx store.Tx) error {
		n, err := tx.InvalidateTokens(ref("u1"), store.EmailVerificationKinds, "", t0)
		if err == nil && n != 2 {
			t.Errorf("InvalidateTokens(verification kinds) = %d, want 2", n)
		}
		return err
	})
	for _, c := range []struct {
		kind store.TokenKind
		hash string
	}{{store.TokenEmailVerify, "h-link"}, {store.TokenEmailOTP, "h-code"}} {
		if _, ok := verifyIn(t, s, "u1", c.kind, c.hash, t0.Add(time.Minute)); ok {
			t.Errorf("an invalidated %s verified", c.kind)
		}
	}
	if tok := mustToken(t, s, store.TokenPasswordReset, "h-reset"); !tok.UsedAt.IsZero() {
		t.Error("invalidating verifications touched a password reset token")
	}
}
