package storetest

import (
	"fmt"
	"testing"

	"github.com/pinauth/caddy-pinauth/pinauth/store"
)

// nameCases hold the tenant-wide name rule (issue 15, finding 2): a
// string an app may take for "the user" names one account, so an
// account's Uid, emails, phone and username are unique across kinds.
var nameCases = []testCase{
	{"CreateAccount refuses a name another account has as any other kind", testCreateCrossKindDuplicates},
	{"SaveAccount refuses a name another account has as any other kind and changes nothing", testSaveCrossKindDuplicates},
	{"one account may give one name twice, and its names are freed only when nothing of it gives them", testOwnNameTwice},
	{"NameOwner names the account that has a name, in its tenant only", testNameOwner},
	{"of concurrent CreateAccount calls taking one name as username or as email one succeeds", testConcurrentCrossKindCreate},
	{"a store written with unique names has no NameConflicts", testNoNameConflicts},
}

// named returns the accounts the name cases start from: each identifier
// of one is, in some case, what another kind of another account wants.
func named() []store.Account {
	return []store.Account{
		account("u-alice", "alice@example.com", "alice-user", "+15551230000"),
		account("u-carol", "", "carol@example.com", ""), // a username shaped like an email
		account("u-dave", "", "+15550009999", ""),       // a username shaped like a phone
	}
}

// crossKind are accounts each of which wants a name of named() by another
// kind; field is the field the DuplicateError must name.
var crossKind = []struct {
	what  string
	a     store.Account
	field string
}{
	{"a username equal to another account's email", account("u-b", "", "Alice@Example.COM", ""), "username"},
	{"a username equal to another account's phone", account("u-b", "", "+15551230000", ""), "username"},
	{"a username equal to another account's Uid", account("u-b", "", "U-ALICE", ""), "username"},
	{"an email equal to another account's username", account("u-b", "Carol@example.com", "", ""), "email"},
	{"a phone equal to another account's username", account("u-b", "", "", "+15550009999"), "phone"},
	{"a Uid equal to another account's username", account("alice-user", "", "b", ""), "uid"},
	{"a Uid equal to another account's email", account("Carol@Example.com", "", "b2", ""), "uid"},
}

func testCreateCrossKindDuplicates(t *testing.T, s store.Store) {
	createAccounts(t, s, named()...)
	for _, c := range crossKind {
		err := s.Update(t.Context(), func(tx store.Tx) error { return tx.CreateAccount(c.a) })
		wantDuplicate(t, c.what, err, c.field)
	}
	if n, err := s.CountAccounts(t.Context(), tenantA); n != 3 || err != nil {
		t.Errorf("CountAccounts = %d, err %v; want the 3 accounts the cases started from", n, err)
	}
	// The same names are free in another tenant.
	for _, c := range crossKind {
		b := c.a
		b.Tenant = tenantB
		b.UID = "tb-" + c.a.UID
		if err := s.Update(t.Context(), func(tx store.Tx) error { return tx.CreateAccount(b) }); err != nil {
			t.Errorf("%s in another tenant: %v", c.what, err)
		}
		update(t, s, func(tx store.Tx) error {
			_, err := tx.DeleteAccount(tenantB, b.UID)
			return err
		})
	}
}

func testSaveCrossKindDuplicates(t *testing.T, s store.Store) {
	createAccounts(t, s, append(named(), account("u-b", "b@example.com", "b", "+15557770000"))...)
	orig := mustAccount(t, s, tenantA, "u-b")
	for _, c := range []struct {
		what   string
		change func(a *store.Account)
		field  string
	}{
		{"username ← another's email", func(a *store.Account) { a.Username = "ALICE@example.com" }, "username"},
		{"username ← another's phone", func(a *store.Account) { a.Username = "+15551230000" }, "username"},
		{"username ← another's Uid", func(a *store.Account) { a.Username = "u-carol" }, "username"},
		{"email ← another's username", func(a *store.Account) { a.Emails = []store.Email{{Type: "Primary", Value: "carol@example.com"}} }, "email"},
		{"secondary email ← another's username", func(a *store.Account) {
			a.Emails = append(a.Emails, store.Email{Type: "Secondary", Value: "carol@EXAMPLE.com"})
		}, "email"},
		{"phone ← another's username", func(a *store.Account) { a.Phone = "+15550009999" }, "phone"},
	} {
		a := orig
		a.Emails = append([]store.Email(nil), orig.Emails...)
		c.change(&a)
		err := s.Update(t.Context(), func(tx store.Tx) error {
			_, err := tx.SaveAccount(a)
			return err
		})
		wantDuplicate(t, "SaveAccount "+c.what, err, c.field)
	}
	checkAccount(t, mustAccount(t, s, tenantA, "u-b"), orig)
	for name, want := range map[string]string{"b@example.com": "u-b", "b": "u-b", "+15557770000": "u-b", "u-b": "u-b",
		"alice@example.com": "u-alice", "carol@example.com": "u-carol", "+15550009999": "u-dave"} {
		if uid, taken := owner(t, s, tenantA, name); uid != want || !taken {
			t.Errorf("after the refused saves, NameOwner(%q) = %q, %v; want %s", name, uid, taken, want)
		}
	}
	// A name another account gives up is free for any kind.
	alice := mustAccount(t, s, tenantA, "u-alice")
	alice.Emails = []store.Email{{Type: "Primary", Value: "alice@new.example"}}
	update(t, s, func(tx store.Tx) error {
		_, err := tx.SaveAccount(alice)
		return err
	})
	b := mustAccount(t, s, tenantA, "u-b")
	b.Username = "Alice@Example.com"
	update(t, s, func(tx store.Tx) error {
		_, err := tx.SaveAccount(b)
		return err
	})
	if uid, _ := owner(t, s, tenantA, "alice@example.com"); uid != "u-b" {
		t.Errorf("the freed email, taken as a username, names %q, want u-b", uid)
	}
}

func testOwnNameTwice(t *testing.T, s store.Store) {
	// A username equal to the account's own email is one name, twice.
	createAccounts(t, s, account("u1", "Dave@Example.com", "dave@example.com", ""))
	a := mustAccount(t, s, tenantA, "u1")
	a.Emails = []store.Email{{Type: "Primary", Value: "dave2@example.com"}}
	update(t, s, func(tx store.Tx) error {
		_, err := tx.SaveAccount(a)
		return err
	})
	// The username still gives the name: nobody else may take it.
	err := s.Update(t.Context(), func(tx store.Tx) error {
		return tx.CreateAccount(account("u2", "dave@example.com", "", ""))
	})
	wantDuplicate(t, "an email the other account still has as its username", err, "email")
	a = mustAccount(t, s, tenantA, "u1")
	a.Username = ""
	update(t, s, func(tx store.Tx) error {
		_, err := tx.SaveAccount(a)
		return err
	})
	createAccounts(t, s, account("u2", "dave@example.com", "", ""))
	// Deleting an account frees all its names.
	update(t, s, func(tx store.Tx) error {
		_, err := tx.DeleteAccount(tenantA, "u1")
		return err
	})
	createAccounts(t, s, account("u3", "", "dave2@example.com", ""), account("u4", "", "U1", ""))
}

func testNameOwner(t *testing.T, s store.Store) {
	createAccounts(t, s, named()...)
	for _, c := range []struct {
		name, uid string
		taken     bool
	}{
		{"alice@example.com", "u-alice", true},
		{"alice-user", "u-alice", true},
		{"+15551230000", "u-alice", true},
		{"u-alice", "u-alice", true},
		{"carol@example.com", "u-carol", true},
		{"+15550009999", "u-dave", true},
		{"nobody@example.com", "", false},
	} {
		if uid, taken := owner(t, s, tenantA, c.name); uid != c.uid || taken != c.taken {
			t.Errorf("NameOwner(%q) = %q, %v; want %q, %v", c.name, uid, taken, c.uid, c.taken)
		}
		if uid, taken := owner(t, s, tenantB, c.name); uid != "" || taken {
			t.Errorf("NameOwner in another tenant (%q) = %q, %v", c.name, uid, taken)
		}
	}
}

func testConcurrentCrossKindCreate(t *testing.T, s store.Store) {
	const n = 20
	errs := make([]error, n)
	together(n, func(i int) {
		// Half take the name as an email, half as a username.
		a := account(fmt.Sprintf("u%02d", i), "", "Same@Example.com", "")
		if i%2 == 0 {
			a = account(fmt.Sprintf("u%02d", i), "same@example.COM", "", "")
		}
		errs[i] = s.Update(t.Context(), func(tx store.Tx) error { return tx.CreateAccount(a) })
	})
	winners := 0
	for i, err := range errs {
		if err == nil {
			winners++
			continue
		}
		if _, ok := store.IsDuplicate(err); !ok {
			t.Errorf("goroutine %d: %v, want a DuplicateError", i, err)
		}
	}
	if winners != 1 {
		t.Errorf("%d of %d concurrent CreateAccount calls took the name, want exactly 1", winners, n)
	}
	if uid, taken := owner(t, s, tenantA, "same@example.com"); uid == "" || !taken {
		t.Errorf("NameOwner = %q, %v after the race", uid, taken)
	}
}

func testNoNameConflicts(t *testing.T, s store.Store) {
	createAccounts(t, s, named()...)
	got, err := s.NameConflicts(t.Context(), "", "")
	if err != nil || len(got) != 0 {
		t.Errorf("NameConflicts = %v, %v; want none", got, err)
	}
}

// owner is NameOwner, failing the test on an error.
func owner(t *testing.T, s store.Store, tenant, name string) (string, bool) {
	t.Helper()
	uid, taken, err := s.NameOwner(t.Context(), tenant, store.NameOf(name))
	if err != nil {
		t.Fatalf("NameOwner(%s, %q): %v", tenant, name, err)
	}
	return uid, taken
}
