package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

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
