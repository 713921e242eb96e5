package storetest

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

func testDeleteTokens(t *testing.T, s store.Store) {
	createAccounts(t, s, account("u1", "", "", ""), account("u2", "two@example.com", "", ""))
	b := account("u1", "", "", "")
	b.Tenant = tenantB
	createAccounts(t, s, b)
	otherTenant := token("b-refresh-s1", store.TokenRefresh, "u1", "s1")
	otherTenant.Tenant = tenantB
	all := []store.Token{
		token("refresh-s1", store.TokenRefresh, "u1", "s1"),
		token("refresh-s2", store.TokenRefresh, "u1", "s2"),
		token("session-s1", store.TokenPINSession, "u1", "s1"),
		token("otp-none", store.TokenOTP, "u1", ""),
		token("stepup-s2", store.TokenStepUp, "u1", "s2"),
		token("u2-refresh", store.TokenRefresh, "u2", "s1"),
		otherTenant,
	}
	insertTokens(t, s, all...)

	var n int
	update(t, s, func(tx store.Tx) error {
		var err error
		n, err = tx.DeleteTokens(ref("u1"), []store.TokenKind{store.TokenRefresh, store.TokenOTP}, "s1")
		return err
	})
	if n != 2 {
		t.Errorf("DeleteTokens(refresh+otp, except s1) = %d, want 2", n)
	}
	want := []string{"refresh-s1", "session-s1", "stepup-s2", "u2-refresh", "b-refresh-s1"}
	if got := remaining(t, s, all); !slices.Equal(got, want) {
		t.Errorf("after DeleteTokens(refresh+otp, except s1): %v remain, want %v", got, want)
	}

	update(t, s, func(tx store.Tx) error {
		var err error
		n, err = tx.DeleteTokens(ref("u1"), []store.TokenKind{store.TokenPINSession}, "")
		return err
	})
	if n != 1 {
		t.Errorf("DeleteTokens(pin_session) = %d, want 1", n)
	}

	update(t, s, func(tx store.Tx) error {
		var err error
		n, err = tx.DeleteTokens(ref("u1"), nil, "")
		return err
	})
	if n != 2 {
		t.Errorf("DeleteTokens(every kind) = %d, want 2", n)
	}
	want = []string{"u2-refresh", "b-refresh-s1"}
	if got := remaining(t, s, all); !slices.Equal(got, want) {
		t.Errorf("after DeleteTokens(every kind): %v remain, want %v", got, want)
	}
}

func testDeleteSessionTokens(t *testing.T, s store.Store) {
	createAccounts(t, s, account("u1", "", "", ""))
	all := []store.Token{
		token("a", store.TokenRefresh, "u1", "s1"),
		token("b", store.TokenPINSession, "u1", "s1"),
		token("c", store.TokenRefresh, "u1", "s2"),
		token("d", store.TokenOTP, "u1", ""),
	}
	insertTokens(t, s, all...)
	var n, none int
	update(t, s, func(tx store.Tx) error {
		var err error
		if n, err = tx.DeleteSessionTokens("s1"); err != nil {
			return err
		}
		// "" names no session: tokens bound to none stay.
		none, err = tx.DeleteSessionTokens("")
		return err
	})
	if n != 2 || none != 0 {
		t.Errorf("DeleteSessionTokens(s1) = %d, (\"\") = %d; want 2 and 0", n, none)
	}
	if got, want := remaining(t, s, all), []string{"c", "d"}; !slices.Equal(got, want) {
		t.Errorf("%v remain, want %v", got, want)
	}
}

func testDeleteSessionTokensOfKinds(t *testing.T, s store.Store) {
	createAccounts(t, s, account("u1", "", "", ""))
	spent := token("spent", store.TokenRefresh, "u1", "s1")
	spent.UsedAt = t0
	all := []store.Token{
		token("refresh", store.TokenRefresh, "u1", "s1"),
		spent,
		token("session", store.TokenPINSession, "u1", "s1"),
		token("stepup", store.TokenStepUp, "u1", "s1"),
		token("other", store.TokenRefresh, "u1", "s2"),
	}
	insertTokens(t, s, all...)
	var n int
	update(t, s, func(tx store.Tx) error {
		var err error
		n, err = tx.DeleteSessionTokens("s1", store.TokenRefresh, store.TokenStepUp)
		return err
	})
	if n != 3 {
		t.Errorf("DeleteSessionTokens(s1, refresh, step_up) = %d, want 3", n)
	}
	if got, want := remaining(t, s, all), []string{"session", "other"}; !slices.Equal(got, want) {
		t.Errorf("%v remain, want %v", got, want)
	}
}

func testInvalidateTokens(t *testing.T, s store.Store) {
	createAccounts(t, s, account("u1", "", "", ""), account("u2", "two@example.com", "", ""))
	used := token("used-s2", store.TokenPINSession, "u1", "s2")
	usedAt := t0.Add(-time.Minute)
	used.UsedAt = usedAt
	all := []store.Token{
		token("session-s1", store.TokenPINSession, "u1", "s1"),
		token("session-s2", store.TokenPINSession, "u1", "s2"),
		token("refresh-s2", store.TokenRefresh, "u1", "s2"),
		token("u2-session", store.TokenPINSession, "u2", "s2"),
		used,
	}
	insertTokens(t, s, all...)
	var n int
	update(t, s, func(tx store.Tx) error {
		var err error
		n, err = tx.InvalidateTokens(ref("u1"), []store.TokenKind{store.TokenPINSession}, "s1", t0)
		return err
	})
	if n != 1 {
		t.Errorf("InvalidateTokens(pin_session, except s1) = %d, want 1", n)
	}
	wantUsed := map[string]time.Time{"session-s1": {}, "session-s2": t0, "refresh-s2": {}, "u2-session": {}, "used-s2": usedAt}
	for _, tk := range all {
		got, found, err := s.Token(context.Background(), tk.Kind, tk.Hash)
		if err != nil || !found {
			t.Fatalf("Token(%s) after InvalidateTokens: found=%v err=%v", tk.Hash, found, err)
		}
		want := wantUsed[tk.Hash]
		if got.UsedAt.IsZero() != want.IsZero() || got.UsedAt.Sub(want).Abs() >= time.Millisecond {
			t.Errorf("Token(%s).UsedAt = %v, want %v", tk.Hash, got.UsedAt, want)
		}
	}
	if _, ok := consume(t, s, store.TokenPINSession, "session-s2", t0); ok {
		t.Error("an invalidated token could still be consumed")
	}
}
