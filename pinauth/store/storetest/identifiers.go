package storetest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

var identifierCases = []testCase{
	{"AccountBy matches emails and usernames case-insensitively and phones exactly", testAccountBy},
	{"accounts of one tenant are invisible to another, which may reuse their identifiers", testTenantIsolation},
	{"CreateAccount rejects each kind of duplicate with a DuplicateError naming the field", testCreateDuplicates},
	{"a rejected CreateAccount writes nothing and the transaction goes on", testCreateRejectedLeavesNothing},
	{"CreateAccount rejects an account listing one identifier twice", testDuplicateWithinAccount},
	{"SaveAccount answers a missing account, then a stale version, before an identifier listed twice", testSaveCheckOrder},
	{"SaveAccount rewrites the identifiers so the old ones no longer find the account", testSaveRewritesIdentifiers},
	{"SaveAccount rejects an identifier another account holds and changes nothing", testSaveDuplicates},
}

func testAccountBy(t *testing.T, s store.Store) {
	a := account("u1", "Alice.Smith@Example.COM", "AliceS", "+15551234567")
	a.Emails = append(a.Emails, store.Email{Type: "Secondary", Value: "ALICE@work.example"})
	createAccounts(t, s, a, account("u2", "bob@example.com", "bob", "+15550000000"))

	for _, c := range []struct {
		kind  store.IdentifierKind
		value string
		want  string
	}{
		{store.IdentEmail, "Alice.Smith@Example.COM", "u1"},
		{store.IdentEmail, "alice.smith@example.com", "u1"},
		{store.IdentEmail, "ALICE.SMITH@EXAMPLE.COM", "u1"},
		{store.IdentEmail, " alice.smith@example.com ", "u1"},
		{store.IdentEmail, "alice@WORK.example", "u1"},
		{store.IdentEmail, "alice.smith@example.co", ""},
		{store.IdentEmail, "AliceS", ""}, // a username is not an email
		{store.IdentUsername, "alices", "u1"},
		{store.IdentUsername, "ALICES", "u1"},
		{store.IdentUsername, "alice", ""},
		{store.IdentUsername, "alice.smith@example.com", ""},
		{store.IdentPhone, "+15551234567", "u1"},
		{store.IdentPhone, "+1555123456", ""},
		{store.IdentPhone, "15551234567", ""},
		{store.IdentPhone, "+1 555 123 4567", ""},
		{store.IdentEmail, "BOB@example.com", "u2"},
		// No character outside ASCII stands in for an ASCII letter: the
		// Kelvin sign is not k, the dotted capital I is not i, and
		// neither Cyrillic а nor a fullwidth ＠ is its Latin look-alike.
		{store.IdentEmail, "alice@WOR\u212A.example", ""},
		{store.IdentEmail, "AL\u0130CE.SMITH@EXAMPLE.COM", ""},
		{store.IdentEmail, "b\u043Eb@example.com", ""},
		{store.IdentEmail, "bob\uFF20example.com", ""},
		{store.IdentUsername, "AL\u0130CES", ""},
		{store.IdentPhone, "+15550000000", "u2"},
	} {
		if got := uidBy(t, s, tenantA, c.kind, c.value); got != c.want {
			t.Errorf("AccountBy(%s, %q) = %q, want %q", c.kind, c.value, got, c.want)
		}
	}
	if _, found, err := s.AccountBy(t.Context(), tenantA, "uid", "u1"); err == nil || found {
		t.Errorf("AccountBy(unknown kind) = found %v, err %v; want an error", found, err)
	}
}

func testTenantIsolation(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := account("u1", "same@example.com", "same", "+1000")
	b := a
	b.Tenant = tenantB
	b.Emails = []store.Email{{Type: "Primary", Value: "Same@Example.com"}}
	createAccounts(t, s, a) // uid, email, username and phone all reused below
	createAccounts(t, s, b)

	if _, found, err := s.Account(ctx, "initech", "u1"); found || err != nil {
		t.Errorf("Account in a third tenant = found %v, err %v", found, err)
	}
	for _, tenant := range []string{tenantA, tenantB} {
		got := mustAccount(t, s, tenant, "u1")
		if got.Tenant != tenant {
			t.Errorf("Account(%s) has tenant %q", tenant, got.Tenant)
		}
		for kind, v := range map[store.IdentifierKind]string{store.IdentEmail: "same@example.com", store.IdentUsername: "same", store.IdentPhone: "+1000"} {
			acc, found, err := s.AccountBy(ctx, tenant, kind, v)
			if err != nil || !found || acc.Tenant != tenant {
				t.Errorf("AccountBy(%s, %s) = tenant %q, found %v, err %v", tenant, kind, acc.Tenant, found, err)
			}
		}
	}
	if uidBy(t, s, "initech", store.IdentEmail, "same@example.com") != "" {
		t.Error("AccountBy found an account of another tenant")
	}

	// Deleting one tenant's account leaves the other's.
	update(t, s, func(tx store.Tx) error {
		_, err := tx.DeleteAccount(tenantA, "u1")
		return err
	})
	if uidBy(t, s, tenantB, store.IdentEmail, "same@example.com") != "u1" {
		t.Error("deleting tenant A's account removed tenant B's identifiers")
	}
}

func testCreateDuplicates(t *testing.T, s store.Store) {
	first := account("u1", "taken@example.com", "Taken", "+1555")
	first.Emails = append(first.Emails, store.Email{Type: "Secondary", Value: "second@example.com"})
	createAccounts(t, s, first)

	for _, c := range []struct {
		name  string
		a     store.Account
		field string
	}{
		{"same uid", account("u1", "other@example.com", "other", "+1999"), "uid"},
		{"email in other case", account("u2", "TAKEN@Example.com", "", ""), "email"},
		{"email equal to a secondary email", account("u2", "second@example.com", "", ""), "email"},
		{"username in other case", account("u2", "", "tAKEN", ""), "username"},
		{"phone", account("u2", "", "", "+1555"), "phone"},
	} {
		c.a.Emails = append(c.a.Emails, store.Email{Type: "Secondary", Value: "fresh-" + c.name + "@example.com"})
		err := s.Update(t.Context(), func(tx store.Tx) error { return tx.CreateAccount(c.a) })
		wantDuplicate(t, c.name, err, c.field)
		if uidBy(t, s, tenantA, store.IdentEmail, "fresh-"+c.name+"@example.com") != "" {
			t.Errorf("%s: the rejected account is findable", c.name)
		}
	}
	got := mustAccount(t, s, tenantA, "u1")
	first.Version = 1
	checkAccount(t, got, first)
	if n, err := s.CountAccounts(t.Context(), tenantA); n != 1 || err != nil {
		t.Errorf("CountAccounts = %d, err %v; want 1", n, err)
	}
}

func testCreateRejectedLeavesNothing(t *testing.T, s store.Store) {
	createAccounts(t, s, account("u1", "taken@example.com", "", "+1555"))
	update(t, s, func(tx store.Tx) error {
		// Only the phone collides, and phones come last, so a backend that
		// wrote as it went would already have written the rest.
		err := tx.CreateAccount(account("u2", "fresh@example.com", "fresh", "+1555"))
		if _, ok := store.IsDuplicate(err); !ok {
			return fmt.Errorf("CreateAccount(duplicate) err = %v, want a DuplicateError", err)
		}
		// fn carries on: the transaction must still work.
		return tx.CreateAccount(account("u3", "u3@example.com", "", ""))
	})
	if _, found, _ := s.Account(t.Context(), tenantA, "u2"); found {
		t.Error("the rejected account was stored")
	}
	for kind, v := range map[store.IdentifierKind]string{store.IdentEmail: "fresh@example.com", store.IdentUsername: "fresh"} {
		if uid := uidBy(t, s, tenantA, kind, v); uid != "" {
			t.Errorf("the rejected account's %s finds %q", kind, uid)
		}
	}
	if uidBy(t, s, tenantA, store.IdentPhone, "+1555") != "u1" {
		t.Error("the existing account lost its phone")
	}
	mustAccount(t, s, tenantA, "u3")
	// Its identifiers were not reserved either.
	createAccounts(t, s, account("u4", "fresh@example.com", "fresh", ""))
}

func testDuplicateWithinAccount(t *testing.T, s store.Store) {
	a := account("u1", "twice@example.com", "", "")
	a.Emails = append(a.Emails, store.Email{Type: "Secondary", Value: "Twice@Example.com"})
	err := s.Update(t.Context(), func(tx store.Tx) error { return tx.CreateAccount(a) })
	wantDuplicate(t, "same email twice", err, "email")
	if _, found, _ := s.Account(t.Context(), tenantA, "u1"); found {
		t.Error("the rejected account was stored")
	}
}

func testSaveCheckOrder(t *testing.T, s store.Store) {
	createAccounts(t, s, account("u1", "one@example.com", "", ""))
	orig := mustAccount(t, s, tenantA, "u1")
	twice := func(a store.Account) store.Account {
		a.Emails = []store.Email{{Type: "Primary", Value: "twice@example.com"}, {Type: "Secondary", Value: "Twice@Example.com"}}
		return a
	}
	missing := twice(account("u-missing", "", "", ""))
	missing.Version = 1
	stale := twice(orig)
	stale.Version = orig.Version + 1
	update(t, s, func(tx store.Tx) error {
		if found, err := tx.SaveAccount(missing); found || err != nil {
			t.Errorf("SaveAccount(a missing account listing an email twice) = found %v, err %v; want not found and no error", found, err)
		}
		if found, err := tx.SaveAccount(stale); !found || !errors.Is(err, store.ErrVersionConflict) {
			t.Errorf("SaveAccount(a stale version listing an email twice) = found %v, err %v; want ErrVersionConflict", found, err)
		}
		found, err := tx.SaveAccount(twice(orig))
		if !found {
			t.Error("SaveAccount(the current version listing an email twice) found = false")
		}
		wantDuplicate(t, "SaveAccount(the current version listing an email twice)", err, "email")
		return nil
	})
	checkAccount(t, mustAccount(t, s, tenantA, "u1"), orig)
}

func testSaveRewritesIdentifiers(t *testing.T, s store.Store) {
	a := account("u1", "old@example.com", "OldName", "+1000")
	a.Emails = append(a.Emails, store.Email{Type: "Secondary", Value: "keep@example.com"})
	createAccounts(t, s, a)
	a = mustAccount(t, s, tenantA, "u1")

	a.Emails = []store.Email{{Type: "Primary", Value: "New@Example.com"}, {Type: "Secondary", Value: "KEEP@example.com"}}
	a.Username = "NewName"
	a.Phone = ""
	update(t, s, func(tx store.Tx) error {
		found, err := tx.SaveAccount(a)
		if !found || err != nil {
			return fmt.Errorf("SaveAccount = found %v, err %v", found, err)
		}
		return nil
	})
	for _, c := range []struct {
		kind  store.IdentifierKind
		value string
		want  string
	}{
		{store.IdentEmail, "old@example.com", ""},
		{store.IdentUsername, "oldname", ""},
		{store.IdentPhone, "+1000", ""},
		{store.IdentEmail, "new@example.com", "u1"},
		{store.IdentEmail, "keep@example.com", "u1"},
		{store.IdentUsername, "newname", "u1"},
	} {
		if got := uidBy(t, s, tenantA, c.kind, c.value); got != c.want {
			t.Errorf("after SaveAccount, AccountBy(%s, %q) = %q, want %q", c.kind, c.value, got, c.want)
		}
	}
	// The released identifiers are free for another account.
	createAccounts(t, s, account("u2", "old@example.com", "oldname", "+1000"))
}

func testSaveDuplicates(t *testing.T, s store.Store) {
	other := account("u-other", "taken@example.com", "taken", "+1999")
	createAccounts(t, s, other, account("u1", "mine@example.com", "mine", "+1000"))
	orig := mustAccount(t, s, tenantA, "u1")

	for _, c := range []struct {
		field  string
		change func(a *store.Account)
	}{
		{"email", func(a *store.Account) { a.Emails = []store.Email{{Type: "Primary", Value: "Taken@Example.com"}} }},
		{"email", func(a *store.Account) {
			a.Emails = append(a.Emails, store.Email{Type: "Secondary", Value: "taken@example.com"})
		}},
		{"username", func(a *store.Account) { a.Username = "TAKEN" }},
		{"phone", func(a *store.Account) { a.Phone = "+1999" }},
	} {
		a := orig
		a.Emails = append([]store.Email(nil), orig.Emails...)
		a.NoOfLogins = 5
		c.change(&a)
		err := s.Update(t.Context(), func(tx store.Tx) error {
			_, err := tx.SaveAccount(a)
			return err
		})
		wantDuplicate(t, "SaveAccount taking "+c.field, err, c.field)
		if errors.Is(err, store.ErrVersionConflict) {
			t.Errorf("SaveAccount taking %s reported a version conflict", c.field)
		}
	}
	checkAccount(t, mustAccount(t, s, tenantA, "u1"), orig)
	for kind, v := range map[store.IdentifierKind]string{store.IdentEmail: "mine@example.com", store.IdentUsername: "mine", store.IdentPhone: "+1000"} {
		if uidBy(t, s, tenantA, kind, v) != "u1" {
			t.Errorf("after rejected saves, %s no longer finds the account", kind)
		}
	}
	for kind, v := range map[store.IdentifierKind]string{store.IdentEmail: "taken@example.com", store.IdentUsername: "taken", store.IdentPhone: "+1999"} {
		if uidBy(t, s, tenantA, kind, v) != "u-other" {
			t.Errorf("after rejected saves, %s no longer finds the other account", kind)
		}
	}

	// A rejected save changes nothing even when fn carries on and commits.
	// The phone collides; it comes after the email, which is changed.
	swallowed := orig
	swallowed.Emails = []store.Email{{Type: "Primary", Value: "fresh@example.com"}}
	swallowed.Phone = "+1999"
	update(t, s, func(tx store.Tx) error {
		if _, err := tx.SaveAccount(swallowed); err == nil {
			return errors.New("SaveAccount taking a phone succeeded")
		}
		return nil
	})
	checkAccount(t, mustAccount(t, s, tenantA, "u1"), orig)
	if uid := uidBy(t, s, tenantA, store.IdentEmail, "fresh@example.com"); uid != "" {
		t.Errorf("the email of a rejected save finds %q", uid)
	}
	if uidBy(t, s, tenantA, store.IdentEmail, "mine@example.com") != "u1" {
		t.Error("a rejected save released the account's email")
	}

	// Changing only the case of one's own identifiers is no conflict.
	a := orig
	a.Emails = []store.Email{{Type: "Primary", Value: "MINE@example.com"}}
	a.Username = "Mine"
	update(t, s, func(tx store.Tx) error {
		_, err := tx.SaveAccount(a)
		return err
	})
	if got := mustAccount(t, s, tenantA, "u1"); got.Username != "Mine" || got.Version != 2 {
		t.Errorf("after a case-only change: Username %q Version %d, want Mine and 2", got.Username, got.Version)
	}
}
