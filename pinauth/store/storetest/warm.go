package storetest

import (
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// Warm makes every read of the contract once on an empty store, so that a
// backend that caches prepared statements per connection has them cached:
// a test that then changes the schema under the store (a newer build's
// migration) checks that the cached statements still work.
func Warm(t *testing.T, s store.Store) {
	t.Helper()
	ctx := t.Context()
	for range 3 { // reach more than one pooled connection
		_, _, err1 := s.Account(ctx, tenantA, "u")
		_, _, err2 := s.AccountBy(ctx, tenantA, store.IdentEmail, "a@example.com")
		_, err3 := s.ListAccounts(ctx, tenantA, "", 10)
		_, err4 := s.CountAccounts(ctx, "")
		_, _, err5 := s.Attempts(ctx, ref("u"))
		_, _, err6 := s.Token(ctx, store.TokenRefresh, "h")
		_, _, err7 := s.Session(ctx, "s")
		_, err8 := s.Keys(ctx)
		_, _, err9 := s.Meta(ctx, "k")
		_, err10 := s.Events(ctx, store.EventFilter{})
		_, err11 := s.CountEvents(ctx, store.EventPending)
		_, err12 := s.CountHashes(ctx, "")
		for _, err := range []error{err1, err2, err3, err4, err5, err6, err7, err8, err9, err10, err11, err12} {
			if err != nil {
				t.Fatalf("warming the store: %v", err)
			}
		}
	}
}
