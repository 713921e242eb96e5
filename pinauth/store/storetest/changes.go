package storetest

import (
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

var changeCases = []testCase{
	{"the changes journal holds claim changes, deletions and revocations, not counters or rollbacks", testChangesJournal},
}

// changesSince reads the journal from since, sorted for comparison.
func changesSince(t *testing.T, s store.Store, since time.Time) store.Changes {
	t.Helper()
	c, err := s.Changes(t.Context(), since)
	if err != nil {
		t.Fatalf("Changes: %v", err)
	}
	slices.SortFunc(c.Accounts, func(a, b store.AccountRef) int {
		if a.UID < b.UID {
			return -1
		}
		if a.UID > b.UID {
			return 1
		}
		return 0
	})
	slices.Sort(c.Sessions)
	return c
}

func testChangesJournal(t *testing.T, s store.Store) {
	createAccounts(t, s, account("u1", "one@example.com", "", ""), account("u2", "two@example.com", "", ""),
		account("u3", "three@example.com", "", ""), account("u4", "four@example.com", "", ""))
	createSessions(t, s, session("s1", "u1"), session("s2", "u1"), session("s3", "u2"))
	start := time.Now().Add(-time.Second)
	if c := changesSince(t, s, start); len(c.Accounts) != 0 || len(c.Sessions) != 0 {
		t.Fatalf("before any change: %+v, want nothing (creating accounts and sessions stales no token)", c)
	}
	edit := func(uid string, fn func(a *store.Account)) {
		update(t, s, func(tx store.Tx) error {
			a, _, err := tx.Account(tenantA, uid)
			if err != nil {
				return err
			}
			fn(&a)
			_, err = tx.SaveAccount(a)
			return err
		})
	}
	// A login's counters are not claims.
	edit("u1", func(a *store.Account) { a.NoOfLogins++; a.LastLoginAt = t0 })
	if c := changesSince(t, s, start); len(c.Accounts) != 0 {
		t.Fatalf("after a counters-only save: %+v, want no account", c.Accounts)
	}
	edit("u1", func(a *store.Account) { a.Roles = []string{"admin"} })
	edit("u2", func(a *store.Account) { a.Profile = map[string]json.RawMessage{"FirstName": json.RawMessage(`"Bob"`)} })
	edit("u3", func(a *store.Account) { a.Active = false })
	update(t, s, func(tx store.Tx) error { _, err := tx.DeleteAccount(tenantA, "u4"); return err })
	update(t, s, func(tx store.Tx) error { _, err := tx.RevokeSession("s1", t0); return err })
	update(t, s, func(tx store.Tx) error { _, err := tx.RevokeSessions(ref("u2"), "", t0); return err })
	// Nothing of a rolled-back Update is journaled.
	errRollback := errors.New("roll back")
	if err := s.Update(t.Context(), func(tx store.Tx) error {
		if _, err := tx.RevokeSession("s2", t0); err != nil {
			return err
		}
		return errRollback
	}); !errors.Is(err, errRollback) {
		t.Fatalf("Update = %v, want the rollback", err)
	}
	c := changesSince(t, s, start)
	want := store.Changes{Accounts: []store.AccountRef{ref("u1"), ref("u2"), ref("u3"), ref("u4")}, Sessions: []string{"s1", "s3"}}
	if !slices.Equal(c.Accounts, want.Accounts) || !slices.Equal(c.Sessions, want.Sessions) {
		t.Fatalf("Changes = %+v, want %+v", c, want)
	}
	if c := changesSince(t, s, time.Now().Add(time.Minute)); len(c.Accounts) != 0 || len(c.Sessions) != 0 {
		t.Fatalf("Changes from a minute ahead = %+v, want nothing", c)
	}
}
