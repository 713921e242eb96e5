package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// JournalRows reaches into a backend's changes journal, which the store
// interface only appends to and reads by time: the journal's times are the
// writer's wall clock, so only a backend's own tests can date a row in the
// past.
type JournalRows struct {
	// Insert writes one journal row dated at (session "" for an account
	// change).
	Insert func(t *testing.T, at time.Time, tenant, uid, session string)
	// Count returns how many rows the journal holds.
	Count func(t *testing.T) int
}

// RunJournalPruning checks the journal's pruning (issue 22) on a fresh,
// empty store s: rows older than store.ChangeRetention, the longest life
// of an access token that carries claims, go at the next journaled write;
// younger ones stay, and a revocation made inside the window is still what
// a gateway (re)starting reads, one access-token life back, after prunes.
func RunJournalPruning(t *testing.T, s store.Store, rows JournalRows) {
	createAccounts(t, s, account("u1", "one@example.com", "", ""))
	createSessions(t, s, session("s1", "u1"), session("s2", "u1"))
	now := time.Now()
	expired := now.Add(-store.ChangeRetention - time.Hour)
	rows.Insert(t, expired, tenantA, "u1", "expired-session")
	rows.Insert(t, expired, tenantA, "u9", "")
	rows.Insert(t, now.Add(-store.ChangeRetention+time.Hour), tenantA, "u1", "kept-session")
	if n := rows.Count(t); n != 3 {
		t.Fatalf("journal holds %d rows after dating three, want 3", n)
	}
	if c := changesSince(t, s, expired.Add(-time.Minute)); !slices.Contains(c.Sessions, "expired-session") {
		t.Fatalf("Changes before any prune = %+v, want the dated rows", c)
	}

	// A revocation journals, and prunes what is past the retention.
	update(t, s, func(tx store.Tx) error { _, err := tx.RevokeSession("s1", t0); return err })
	if n := rows.Count(t); n != 2 {
		t.Errorf("journal holds %d rows after the revocation's prune, want 2 (the kept row and the revocation)", n)
	}
	c := changesSince(t, s, expired.Add(-time.Minute))
	if want := []string{"kept-session", "s1"}; !slices.Equal(c.Sessions, want) || len(c.Accounts) != 0 {
		t.Fatalf("Changes after the prune = %+v, want sessions %v and no account", c, want)
	}

	// Later writes prune again; the revocation, inside the window, stays
	// where a gateway starting now looks (one access-token life back).
	update(t, s, func(tx store.Tx) error {
		a, _, err := tx.Account(tenantA, "u1")
		if err != nil {
			return err
		}
		a.Roles = []string{"admin"}
		_, err = tx.SaveAccount(a)
		return err
	})
	update(t, s, func(tx store.Tx) error { _, err := tx.RevokeSession("s2", t0); return err })
	if n := rows.Count(t); n != 4 {
		t.Errorf("journal holds %d rows after two more changes, want 4", n)
	}
	c = changesSince(t, s, time.Now().Add(-15*time.Minute))
	if !slices.Equal(c.Sessions, []string{"s1", "s2"}) || !slices.Equal(c.Accounts, []store.AccountRef{ref("u1")}) {
		t.Fatalf("Changes of the last access-token life after prunes = %+v, want s1, s2 and u1", c)
	}
}
