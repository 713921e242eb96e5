package storetest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// token returns a token of account uid valid for an hour after t0.
func token(hash string, kind store.TokenKind, uid, session string) store.Token {
	return store.Token{Hash: hash, Kind: kind, Tenant: tenantA, UID: uid, SessionID: session,
		CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}
}

func checkToken(t *testing.T, got, want store.Token) {
	t.Helper()
	sameTime(t, "token "+want.Hash+" CreatedAt", got.CreatedAt, want.CreatedAt)
	sameTime(t, "token "+want.Hash+" ExpiresAt", got.ExpiresAt, want.ExpiresAt)
	sameTime(t, "token "+want.Hash+" UsedAt", got.UsedAt, want.UsedAt)
	if got.Hash != want.Hash || got.Kind != want.Kind || got.Tenant != want.Tenant || got.UID != want.UID ||
		got.SessionID != want.SessionID || !maps.Equal(got.Data, want.Data) {
		t.Errorf("token:\n got  %+v\n want %+v", got, want)
	}
}

func mustToken(t *testing.T, s store.Store, kind store.TokenKind, hash string) store.Token {
	t.Helper()
	tok, found, err := s.Token(t.Context(), kind, hash)
	if err != nil || !found {
		t.Fatalf("Token(%s, %s) = found %v, err %v; want found", kind, hash, found, err)
	}
	return tok
}

// consume runs ConsumeToken in its own transaction.
func consume(t *testing.T, s store.Store, kind store.TokenKind, hash string, now time.Time) (store.Token, bool) {
	t.Helper()
	var tok store.Token
	var found bool
	update(t, s, func(tx store.Tx) error {
		var err error
		tok, found, err = tx.ConsumeToken(kind, hash, now)
		return err
	})
	return tok, found
}

var tokenCases = []testCase{
	{"Token returns a stored token whatever its state and only under its kind", testTokenRoundTrip},
	{"InsertToken refuses a hash already stored under any kind", testTokenDuplicateHash},
	{"ConsumeToken takes an unused unexpired token exactly once", testConsumeOnce},
	{"ConsumeToken refuses expired, used, missing and wrong-kind tokens and changes nothing", testConsumeRefusals},
	{"PIN and password reset tokens are kept apart by kind", testResetTokenKindsApart},
	{"DeleteTokens removes the account's tokens of the given kinds except the kept session's", testDeleteTokens},
	{"DeleteSessionTokens removes exactly the session's tokens", testDeleteSessionTokens},
	{"LiveSessionToken returns the session's newest unused unexpired token of a kind", testLiveSessionToken},
	{"DeleteSessionTokens with kinds removes only the session's tokens of those kinds", testDeleteSessionTokensOfKinds},
	{"MoveSessionTokens rebinds the session's tokens of the given kinds, used or not", testMoveSessionTokens},
	{"InvalidateTokens marks the account's unused tokens used and keeps them readable", testInvalidateTokens},
}

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

// remaining returns the hashes of ts that are still stored.
func remaining(t *testing.T, s store.Store, ts []store.Token) []string {
	t.Helper()
	var out []string
	for _, tok := range ts {
		if tokenExists(t, s, tok.Kind, tok.Hash) {
			out = append(out, tok.Hash)
		}
	}
	return out
}

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

func testMoveSessionTokens(t *testing.T, s store.Store) {
	createAccounts(t, s, account("u1", "", "", ""))
	spent := token("spent", store.TokenRefresh, "u1", "s1")
	spent.UsedAt = t0.Add(time.Minute)
	spent.Data = map[string]string{"k": "v"}
	all := []store.Token{
		token("refresh", store.TokenRefresh, "u1", "s1"),
		spent,
		token("session", store.TokenPINSession, "u1", "s1"),
		token("stepup", store.TokenStepUp, "u1", "s1"),
		token("other", store.TokenRefresh, "u1", "s2"),
	}
	insertTokens(t, s, all...)
	var n, none int
	update(t, s, func(tx store.Tx) error {
		var err error
		if n, err = tx.MoveSessionTokens("s1", "s3", []store.TokenKind{store.TokenRefresh, store.TokenPINSession}); err != nil {
			return err
		}
		none, err = tx.MoveSessionTokens("", "s3", nil)
		return err
	})
	if n != 3 || none != 0 {
		t.Errorf("MoveSessionTokens(s1→s3) = %d, (\"\"→s3) = %d; want 3 and 0", n, none)
	}
	wantSession := map[string]string{"refresh": "s3", "spent": "s3", "session": "s3", "stepup": "s1", "other": "s2"}
	for _, tk := range all {
		got := mustToken(t, s, tk.Kind, tk.Hash)
		want := tk
		want.SessionID = wantSession[tk.Hash]
		checkToken(t, got, want)
	}
	// Moved tokens belong to their new session: revoking the old one
	// leaves them, revoking the new one takes them.
	update(t, s, func(tx store.Tx) error {
		_, err := tx.DeleteSessionTokens("s1")
		return err
	})
	if got, want := remaining(t, s, all), []string{"refresh", "spent", "session", "other"}; !slices.Equal(got, want) {
		t.Errorf("after deleting s1's tokens: %v remain, want %v", got, want)
	}
	update(t, s, func(tx store.Tx) error {
		n, err := tx.MoveSessionTokens("s3", "s4", nil)
		if err == nil && n != 3 {
			t.Errorf("MoveSessionTokens(s3→s4, every kind) = %d, want 3", n)
		}
		return err
	})
	if got := mustToken(t, s, store.TokenPINSession, "session"); got.SessionID != "s4" {
		t.Errorf("after moving every kind: session bound to %q, want s4", got.SessionID)
	}
}

func testLiveSessionToken(t *testing.T, s store.Store) {
	createAccounts(t, s, account("u1", "", "", ""))
	at := func(tok store.Token, created time.Duration) store.Token {
		tok.CreatedAt = t0.Add(created)
		tok.ExpiresAt = t0.Add(time.Hour)
		return tok
	}
	spent := at(token("spent", store.TokenRefresh, "u1", "s1"), 3*time.Minute)
	spent.UsedAt = t0.Add(4 * time.Minute)
	expired := at(token("expired", store.TokenRefresh, "u1", "s1"), 5*time.Minute)
	expired.ExpiresAt = t0.Add(10 * time.Minute)
	live := at(token("live", store.TokenRefresh, "u1", "s1"), 2*time.Minute)
	live.Data = map[string]string{"sealed": "x"}
	insertTokens(t, s,
		at(token("older", store.TokenRefresh, "u1", "s1"), time.Minute),
		live, spent, expired,
		at(token("other-kind", store.TokenPINSession, "u1", "s1"), 6*time.Minute),
		at(token("other-session", store.TokenRefresh, "u1", "s2"), 7*time.Minute),
		at(token("tie-a", store.TokenRefresh, "u1", "s3"), time.Minute),
		at(token("tie-b", store.TokenRefresh, "u1", "s3"), time.Minute),
	)
	ctx, now := t.Context(), t0.Add(10*time.Minute)
	got, found, err := s.LiveSessionToken(ctx, "s1", store.TokenRefresh, now)
	if err != nil || !found {
		t.Fatalf("LiveSessionToken(s1) = found %v, err %v; want the token live", found, err)
	}
	checkToken(t, got, live)
	if got, _, _ := s.LiveSessionToken(ctx, "s3", store.TokenRefresh, now); got.Hash != "tie-b" {
		t.Errorf("LiveSessionToken(s3) = %q; of two created together, want the greater hash tie-b", got.Hash)
	}
	if _, found := consume(t, s, store.TokenRefresh, "live", now); !found {
		t.Fatal("consume live")
	}
	if got, _, _ := s.LiveSessionToken(ctx, "s1", store.TokenRefresh, now); got.Hash != "older" {
		t.Errorf("after spending live, LiveSessionToken(s1) = %q, want older", got.Hash)
	}
	for _, c := range []struct {
		session string
		kind    store.TokenKind
		now     time.Time
	}{
		{"s1", store.TokenRefresh, t0.Add(time.Hour)}, // every one expired
		{"s1", store.TokenPINAuth, now},
		{"nope", store.TokenRefresh, now},
		{"", store.TokenRefresh, now},
	} {
		if got, found, err := s.LiveSessionToken(ctx, c.session, c.kind, c.now); err != nil || found {
			t.Errorf("LiveSessionToken(%q, %s, %v) = %+v, %v, %v; want not found", c.session, c.kind, c.now, got, found, err)
		}
	}
}
