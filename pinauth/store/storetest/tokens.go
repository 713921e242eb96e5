package storetest

import (
	"maps"
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
	{"an account deletion token is taken in the deletion's transaction: both or neither", testAccountDeleteTokenWithItsAccount},
	{"DeleteTokens removes the account's tokens of the given kinds except the kept session's", testDeleteTokens},
	{"DeleteSessionTokens removes exactly the session's tokens", testDeleteSessionTokens},
	{"LiveSessionToken returns the session's newest unused unexpired token of a kind", testLiveSessionToken},
	{"DeleteSessionTokens with kinds removes only the session's tokens of those kinds", testDeleteSessionTokensOfKinds},
	{"MoveSessionTokens rebinds the session's tokens of the given kinds, used or not", testMoveSessionTokens},
	{"InvalidateTokens marks the account's unused tokens used and keeps them readable", testInvalidateTokens},
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
