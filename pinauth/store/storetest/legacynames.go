package storetest

import (
	"reflect"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// RunLegacyNames checks what a store does with accounts that shared names
// before names were unique across kinds. open must return a store whose
// accounts before were written the way a release before the names
// migration wrote them (identifiers unique per kind only) and then
// migrated to the current schema, and whose accounts during were written
// after the migration the same old way, as a node of the previous release
// still running in a rolling upgrade writes them. It is called once per
// subtest, from parallel subtests.
func RunLegacyNames(t *testing.T, open func(t *testing.T, before, during []store.Account) store.Store) {
	victim := account("u-victim", "victim@example.com", "", "")
	attacker := account("u-attacker", "", "Victim@Example.com", "")
	third := account("u-third", "", "", "")
	third.Username = "third"
	for _, c := range []struct {
		name string
		fn   func(t *testing.T, s store.Store)
		// before and during are the legacy accounts.
		before, during []store.Account
	}{
		{"the migration gives a shared name to one account, by field, and reports the others", func(t *testing.T, s store.Store) {
			if uid, taken := owner(t, s, tenantA, "victim@example.com"); uid != "u-victim" || !taken {
				t.Errorf("NameOwner(the shared name) = %q, %v; want the account with the email", uid, taken)
			}
			want := []store.NameConflict{{Tenant: tenantA, UID: "u-attacker", Field: "username", Name: "victim@example.com", Holder: "u-victim"}}
			for _, filter := range [][2]string{{"", ""}, {tenantA, ""}, {tenantA, "u-attacker"}} {
				got, err := s.NameConflicts(t.Context(), filter[0], filter[1])
				if err != nil || !reflect.DeepEqual(got, want) {
					t.Errorf("NameConflicts(%q, %q) = %+v, %v; want %+v", filter[0], filter[1], got, err, want)
				}
			}
			for _, filter := range [][2]string{{tenantB, ""}, {tenantA, "u-victim"}} {
				if got, err := s.NameConflicts(t.Context(), filter[0], filter[1]); err != nil || len(got) != 0 {
					t.Errorf("NameConflicts(%q, %q) = %+v, %v; want none", filter[0], filter[1], got, err)
				}
			}
			// Nothing was merged or changed.
			if a := mustAccount(t, s, tenantA, "u-attacker"); a.Username != "Victim@Example.com" {
				t.Errorf("the other account's username became %q", a.Username)
			}
			if uidBy(t, s, tenantA, store.IdentUsername, "victim@example.com") != "u-attacker" ||
				uidBy(t, s, tenantA, store.IdentEmail, "victim@example.com") != "u-victim" {
				t.Error("the migration changed what the identifiers find")
			}
		}, []store.Account{victim, attacker}, nil},

		{"an account keeps a name it shares from before but takes no new one", func(t *testing.T, s store.Store) {
			a := mustAccount(t, s, tenantA, "u-attacker")
			a.NoOfLogins++ // a login counting itself
			a.Phone = "+15551112222"
			update(t, s, func(tx store.Tx) error {
				_, err := tx.SaveAccount(a)
				return err
			})
			a = mustAccount(t, s, tenantA, "u-attacker")
			a.Emails = []store.Email{{Type: "Primary", Value: "third"}}
			err := s.Update(t.Context(), func(tx store.Tx) error {
				_, err := tx.SaveAccount(a)
				return err
			})
			wantDuplicate(t, "a new name another account has", err, "email")
			if uid, _ := owner(t, s, tenantA, "victim@example.com"); uid != "u-victim" {
				t.Errorf("after the sharer's saves, the name names %q", uid)
			}
		}, []store.Account{victim, attacker, third}, nil},

		{"nobody takes a shared name, even after its holder drops it; the last sharer then gets it", func(t *testing.T, s store.Store) {
			v := mustAccount(t, s, tenantA, "u-victim")
			v.Emails = []store.Email{{Type: "Primary", Value: "victim@new.example"}}
			update(t, s, func(tx store.Tx) error {
				_, err := tx.SaveAccount(v)
				return err
			})
			err := s.Update(t.Context(), func(tx store.Tx) error {
				return tx.CreateAccount(account("u-new", "victim@example.com", "", ""))
			})
			wantDuplicate(t, "a name a sharer still has", err, "email")
			if uid, taken := owner(t, s, tenantA, "victim@example.com"); uid != "u-attacker" || !taken {
				t.Errorf("NameOwner after the holder dropped it = %q, %v; want the one account that has it", uid, taken)
			}
			a := mustAccount(t, s, tenantA, "u-attacker")
			a.Phone = "+15553334444" // a save that writes its identifiers
			update(t, s, func(tx store.Tx) error {
				_, err := tx.SaveAccount(a)
				return err
			})
			if got, err := s.NameConflicts(t.Context(), tenantA, ""); err != nil || len(got) != 0 {
				t.Errorf("NameConflicts once the name is one account's = %+v, %v", got, err)
			}
		}, []store.Account{victim, attacker}, nil},

		{"a save refused for an identifier a sharer has changes nothing, even when the transaction commits", func(t *testing.T, s store.Store) {
			// The name is the writer's (held, or shared from before), so
			// only the identifier itself collides: the other account has
			// it under the same kind.
			for _, c := range []struct {
				uid, field string
				change     func(a *store.Account)
			}{
				{"u-victim", "username", func(a *store.Account) { a.Username = "VICTIM@example.com" }},
				{"u-attacker", "email", func(a *store.Account) {
					a.Emails = []store.Email{{Type: "Primary", Value: "Victim@Example.com"}}
				}},
			} {
				orig := mustAccount(t, s, tenantA, c.uid)
				a := orig
				c.change(&a)
				update(t, s, func(tx store.Tx) error {
					found, err := tx.SaveAccount(a)
					if !found {
						t.Errorf("SaveAccount(%s) found = false", c.uid)
					}
					wantDuplicate(t, "SaveAccount("+c.uid+") of an identifier another account has", err, c.field)
					// The transaction goes on and commits.
					return tx.CreateAccount(account("u-after-"+c.uid, "", "", ""))
				})
				checkAccount(t, mustAccount(t, s, tenantA, c.uid), orig)
				if got := mustAccount(t, s, tenantA, "u-after-"+c.uid); got.UID == "" {
					t.Errorf("the write after the refused save of %s was lost", c.uid)
				}
			}
			if uidBy(t, s, tenantA, store.IdentEmail, "victim@example.com") != "u-victim" ||
				uidBy(t, s, tenantA, store.IdentUsername, "victim@example.com") != "u-attacker" {
				t.Error("after the refused saves the identifiers find other accounts")
			}
		}, []store.Account{victim, attacker}, nil},

		{"deleting a sharer ends its conflict", func(t *testing.T, s store.Store) {
			update(t, s, func(tx store.Tx) error {
				_, err := tx.DeleteAccount(tenantA, "u-attacker")
				return err
			})
			if got, err := s.NameConflicts(t.Context(), "", ""); err != nil || len(got) != 0 {
				t.Errorf("NameConflicts after deleting the sharer = %+v, %v", got, err)
			}
		}, []store.Account{victim, attacker}, nil},

		{"names an old node wrote during a rolling upgrade are taken all the same", func(t *testing.T, s store.Store) {
			for _, a := range []store.Account{
				account("u-new", "", "Victim@Example.com", ""),
				account("u-new", "", "u-victim", ""),
			} {
				err := s.Update(t.Context(), func(tx store.Tx) error { return tx.CreateAccount(a) })
				wantDuplicate(t, "a name only an old node's write gives", err, "username")
			}
			if uid, taken := owner(t, s, tenantA, "victim@example.com"); uid != "u-victim" || !taken {
				t.Errorf("NameOwner of an old node's account = %q, %v", uid, taken)
			}
			// The old node's account works as any other: it takes its
			// names on its next write of its identifiers.
			v := mustAccount(t, s, tenantA, "u-victim")
			v.Username = "victim"
			update(t, s, func(tx store.Tx) error {
				_, err := tx.SaveAccount(v)
				return err
			})
			if uid, taken := owner(t, s, tenantA, "victim"); uid != "u-victim" || !taken {
				t.Errorf("NameOwner of its new username = %q, %v", uid, taken)
			}
		}, nil, []store.Account{victim}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			c.fn(t, open(t, c.before, c.during))
		})
	}
}
